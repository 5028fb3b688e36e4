//! Turning cgroup, procfs and statvfs readings into percentages against the right budget.
//!
//! The rule: the container's own limit when one is set (cgroup v2 or v1), else the host — read from procfs,
//! or through `sysinfo` ([`crate::host`]) on a machine without procfs. Each
//! [`Measurement`] says which budget it was measured against, so a reader of the state file can tell
//! "90% of 512 MiB" from "90% of the host".

use crate::cgroup::{Cgroup, CgroupCpu, Version};
use crate::host;
use crate::procfs::{self, HostCpu, HostMemory};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which budget a measurement is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    CgroupV2,
    CgroupV1,
    Host,
    Filesystem,
    /// Render's metrics API, for the agents' service when it is not this container; the measurement's
    /// note names the service id.
    RenderApi,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::CgroupV2 => "cgroup v2",
            Source::CgroupV1 => "cgroup v1",
            Source::Host => "host",
            Source::Filesystem => "filesystem",
            Source::RenderApi => "render api",
        })
    }
}

/// Unit of `used` and `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Bytes,
    Cores,
    Inodes,
}

/// One reading against its budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// `memory`, `cpu`, `disk:<path>` or `inodes:<path>`: also the key of its warning.
    pub key: String,
    /// `used / limit`, percent.
    pub percent: f64,
    /// Amount in use, in `unit`.
    pub used: f64,
    /// The budget, in `unit`.
    pub limit: f64,
    /// What `used` and `limit` count.
    pub unit: Unit,
    /// Where the limit came from.
    pub source: Source,
    /// Extra facts (throttling, OOM kills), human-readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn cgroup_source(version: Version) -> Source {
    match version {
        Version::V1 => Source::CgroupV1,
        Version::V2 => Source::CgroupV2,
    }
}

/// Reads the machine as the container sees it.
#[derive(Debug, Clone)]
pub struct Sampler {
    /// `None` without a cgroup filesystem (then the host numbers are used).
    cgroup: Option<Cgroup>,
    /// Root of procfs.
    proc_root: PathBuf,
    /// The host through sysinfo, when `proc_root` does not exist (no procfs on this machine).
    sysinfo: Option<host::HostCpu>,
}

/// Memory reading plus the cumulative OOM-kill counter (compared across passes by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryReading {
    pub measurement: Measurement,
    pub oom_kills: Option<u64>,
}

/// CPU counters at one instant.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuSnapshot {
    Cgroup(CgroupCpu),
    Host(HostCpu),
    /// Host usage since the previous snapshot, through sysinfo (no procfs).
    Sysinfo(host::CpuReading),
}

impl Sampler {
    /// Detects the cgroup under `cgroup_root`, using `proc_root` for the own group and host numbers.
    pub fn new(cgroup_root: &Path, proc_root: &Path) -> Sampler {
        let cgroup = Cgroup::detect(cgroup_root, proc_root);
        let sysinfo = (cgroup.is_none() && !proc_root.exists())
            .then(host::HostCpu::new)
            .flatten();
        Sampler {
            cgroup,
            proc_root: proc_root.to_path_buf(),
            sysinfo,
        }
    }

    /// Whether the host is read through sysinfo (no procfs here).
    pub fn uses_sysinfo(&self) -> bool {
        self.sysinfo.is_some()
    }

    /// The host's memory: procfs, or sysinfo on a machine without it.
    fn host_memory(&self) -> Option<HostMemory> {
        match &self.sysinfo {
            Some(_) => host::memory(),
            None => procfs::host_memory(&self.proc_root),
        }
    }

    /// The cgroup in use, if any.
    pub fn cgroup(&self) -> Option<&Cgroup> {
        self.cgroup.as_ref()
    }

    /// Memory working set against the container limit, or against host memory without one.
    pub fn memory(&self) -> Result<MemoryReading, String> {
        let host = self.host_memory();
        let Some(cgroup) = &self.cgroup else {
            let host = host.ok_or("no cgroup and no readable meminfo")?;
            return Ok(MemoryReading {
                measurement: bytes("memory", host.used(), host.total, Source::Host),
                oom_kills: None,
            });
        };
        let mem = cgroup.memory().map_err(|e| e.to_string())?;
        // A limit above the host's RAM does not bind: the host runs out first.
        let measurement = match (mem.limit, host) {
            (Some(limit), Some(h)) if limit > h.total => {
                bytes("memory", mem.working_set, h.total, Source::Host)
            }
            (Some(limit), _) => bytes(
                "memory",
                mem.working_set,
                limit,
                cgroup_source(cgroup.version),
            ),
            (None, Some(h)) => bytes("memory", mem.working_set, h.total, Source::Host),
            (None, None) => return Err("memory is unlimited and meminfo is unreadable".into()),
        };
        Ok(MemoryReading {
            measurement,
            oom_kills: mem.oom_kills,
        })
    }

    /// CPU counters now; take two and pass them to [`Sampler::cpu`].
    pub fn cpu_snapshot(&self) -> Option<CpuSnapshot> {
        match (&self.cgroup, &self.sysinfo) {
            (Some(cg), _) => cg.cpu().ok().map(CpuSnapshot::Cgroup),
            (None, Some(cpu)) => cpu.sample().map(CpuSnapshot::Sysinfo),
            (None, None) => procfs::host_cpu(&self.proc_root).map(CpuSnapshot::Host),
        }
    }

    /// CPU usage between two snapshots `elapsed` apart, against the quota or the host's cores.
    pub fn cpu(
        &self,
        before: &CpuSnapshot,
        after: &CpuSnapshot,
        elapsed: Duration,
    ) -> Option<Measurement> {
        match (before, after) {
            (CpuSnapshot::Host(b), CpuSnapshot::Host(a)) => {
                let percent = procfs::host_cpu_percent(*b, *a)?;
                let cores = f64::from(a.cores);
                Some(measurement(
                    "cpu",
                    percent * cores / 100.0,
                    cores,
                    Unit::Cores,
                    Source::Host,
                ))
            }
            // sysinfo already measured between the two snapshots.
            (CpuSnapshot::Sysinfo(_), CpuSnapshot::Sysinfo(a)) => {
                let cores = f64::from(a.cores);
                Some(measurement(
                    "cpu",
                    a.percent * cores / 100.0,
                    cores,
                    Unit::Cores,
                    Source::Host,
                ))
            }
            (CpuSnapshot::Cgroup(b), CpuSnapshot::Cgroup(a)) => {
                let secs = elapsed.as_secs_f64();
                if secs <= 0.0 {
                    return None;
                }
                let used_cores = a.usage_ns.checked_sub(b.usage_ns)? as f64 / 1e9 / secs;
                let version = self.cgroup.as_ref()?.version;
                let (limit, source) = match a.quota_cores {
                    Some(q) => (q, cgroup_source(version)),
                    None => (
                        f64::from(procfs::host_cpu(&self.proc_root).map_or(1, |h| h.cores)),
                        Source::Host,
                    ),
                };
                let mut m = measurement("cpu", used_cores, limit, Unit::Cores, source);
                if let (Some(nb), Some(na)) = (b.nr_throttled, a.nr_throttled) {
                    m.note = Some(format!(
                        "throttled in {} periods during the sample ({} total)",
                        na.saturating_sub(nb),
                        na
                    ));
                }
                Some(m)
            }
            _ => None,
        }
    }
}

fn bytes(key: &str, used: u64, limit: u64, source: Source) -> Measurement {
    measurement(key, used as f64, limit as f64, Unit::Bytes, source)
}

/// A measurement with its percentage; a zero budget reads as 0%.
pub fn measurement(key: &str, used: f64, limit: f64, unit: Unit, source: Source) -> Measurement {
    let percent = if limit > 0.0 {
        100.0 * used / limit
    } else {
        0.0
    };
    Measurement {
        key: key.to_string(),
        percent,
        used,
        limit,
        unit,
        source,
        note: None,
    }
}

/// `512 MiB`, `1.5 GiB`: sizes for log lines.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() < 0.05 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_reads_like_a_person_would_write_it() {
        assert_eq!(human_bytes(512.0 * 1024.0 * 1024.0), "512 MiB");
        assert_eq!(human_bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
        assert_eq!(human_bytes(100.0), "100 B");
    }

    #[test]
    fn without_a_cgroup_or_procfs_the_host_is_read_through_sysinfo() {
        let none = Path::new("/nonexistent/prevention-test");
        let sampler = Sampler::new(none, none);
        assert!(sampler.uses_sysinfo());
        let memory = sampler.memory().expect("the host's memory").measurement;
        assert_eq!((memory.source, memory.unit), (Source::Host, Unit::Bytes));
        assert!(
            memory.limit > 0.0 && memory.used <= memory.limit,
            "{memory:?}"
        );
        let before = sampler.cpu_snapshot().expect("a first CPU snapshot");
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        let after = sampler.cpu_snapshot().expect("a second CPU snapshot");
        let cpu = sampler
            .cpu(&before, &after, sysinfo::MINIMUM_CPU_UPDATE_INTERVAL)
            .expect("CPU usage");
        assert_eq!((cpu.source, cpu.unit), (Source::Host, Unit::Cores));
        assert!(
            cpu.limit >= 1.0 && (0.0..=100.0).contains(&cpu.percent),
            "{cpu:?}"
        );
    }

    #[test]
    fn a_fixture_proc_root_is_never_replaced_by_the_real_host() {
        let dir = tempfile::tempdir().unwrap();
        let sampler = Sampler::new(dir.path(), dir.path());
        assert!(!sampler.uses_sysinfo());
        assert!(sampler.memory().is_err(), "an empty procfs has no meminfo");
    }

    #[test]
    fn a_zero_budget_is_zero_percent_not_nan() {
        assert_eq!(
            measurement("x", 5.0, 0.0, Unit::Bytes, Source::Host).percent,
            0.0
        );
    }
}
