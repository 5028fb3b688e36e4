//! Reading the container's own cgroup, v1 or v2, from a root path.
//!
//! A container's real budget is its cgroup limit, not the host's RAM: 90% of a 512 MiB limit on a 64 GiB
//! host must read as 90%, not 0.7%. Every reader takes the cgroup and proc roots as paths so tests run
//! against fixture trees copied from real hosts as well as against this machine's `/sys/fs/cgroup`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// v1 reports "no limit" as a huge page-aligned number (e.g. 9223372036854771712); anything this large is
/// no limit at all.
const V1_UNLIMITED_FLOOR: u64 = 1 << 62;

/// Errors name the file that could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot understand {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
}

/// The cgroup hierarchy in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// Where this process's memory and CPU controllers live.
#[derive(Debug, Clone)]
pub struct Cgroup {
    /// v1 or v2: the files differ.
    pub version: Version,
    /// Directory with the memory files (v2: the unified group).
    memory_dir: PathBuf,
    /// Directory with `cpu.max`/`cpu.stat` (v2) or `cpu.cfs_*` (v1).
    cpu_dir: PathBuf,
    /// v1 only: the `cpuacct` directory with `cpuacct.usage`.
    cpuacct_dir: PathBuf,
}

/// Memory as the cgroup reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMemory {
    /// Working set: usage minus inactive file cache, as Kubernetes computes it.
    pub working_set: u64,
    /// The limit, `None` when unlimited.
    pub limit: Option<u64>,
    /// Cumulative OOM kills in this group, when the kernel reports them.
    pub oom_kills: Option<u64>,
}

/// CPU counters of the cgroup at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupCpu {
    /// Total CPU time consumed, nanoseconds.
    pub usage_ns: u64,
    /// Quota in cores (`quota / period`), `None` when unlimited.
    pub quota_cores: Option<f64>,
    /// Periods in which the group was throttled.
    pub nr_throttled: Option<u64>,
}

impl Cgroup {
    /// Finds this process's cgroup under `cgroup_root`, `None` when there is no cgroup filesystem.
    ///
    /// v2 is recognised by `cgroup.controllers` at the root. The own group comes from
    /// `<proc_root>/self/cgroup`; when that path does not exist under the root (a container with its own
    /// cgroup namespace sees its group mounted at the root) the root itself is used.
    pub fn detect(cgroup_root: &Path, proc_root: &Path) -> Option<Cgroup> {
        let own = fs::read_to_string(proc_root.join("self/cgroup")).unwrap_or_default();
        if cgroup_root.join("cgroup.controllers").is_file() {
            let rel = own
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .unwrap_or("/");
            let dir = existing_or_root(cgroup_root, rel);
            return Some(Cgroup {
                version: Version::V2,
                memory_dir: dir.clone(),
                cpu_dir: dir.clone(),
                cpuacct_dir: dir,
            });
        }
        let memory_root = cgroup_root.join("memory");
        if !memory_root.join("memory.usage_in_bytes").is_file() {
            return None;
        }
        let v1_dir = |controller: &str, mount: &str| {
            let rel = own
                .lines()
                .filter_map(|l| {
                    let mut fields = l.splitn(3, ':').skip(1);
                    fields.next().zip(fields.next())
                })
                .find(|(ctrls, _)| ctrls.split(',').any(|c| c == controller))
                .map_or("/", |(_, path)| path);
            existing_or_root(&cgroup_root.join(mount), rel)
        };
        Some(Cgroup {
            version: Version::V1,
            memory_dir: v1_dir("memory", "memory"),
            cpu_dir: v1_dir("cpu", "cpu"),
            cpuacct_dir: v1_dir("cpuacct", "cpuacct"),
        })
    }

    /// The current memory working set, limit and OOM-kill count.
    pub fn memory(&self) -> Result<CgroupMemory, CgroupError> {
        let dir = &self.memory_dir;
        match self.version {
            Version::V2 => {
                let current = read_u64(&dir.join("memory.current"))?;
                let limit = read_limit(&dir.join("memory.max"))?;
                let inactive = stat_value(&dir.join("memory.stat"), "inactive_file")?.unwrap_or(0);
                let oom_kills = stat_value(&dir.join("memory.events"), "oom_kill")
                    .ok()
                    .flatten();
                Ok(CgroupMemory {
                    working_set: current.saturating_sub(inactive),
                    limit,
                    oom_kills,
                })
            }
            Version::V1 => {
                let usage = read_u64(&dir.join("memory.usage_in_bytes"))?;
                let limit = read_limit(&dir.join("memory.limit_in_bytes"))?;
                let inactive =
                    stat_value(&dir.join("memory.stat"), "total_inactive_file")?.unwrap_or(0);
                let oom_kills = stat_value(&dir.join("memory.oom_control"), "oom_kill")
                    .ok()
                    .flatten();
                Ok(CgroupMemory {
                    working_set: usage.saturating_sub(inactive),
                    limit,
                    oom_kills,
                })
            }
        }
    }

    /// CPU usage counter, quota and throttling.
    pub fn cpu(&self) -> Result<CgroupCpu, CgroupError> {
        match self.version {
            Version::V2 => {
                let stat = self.cpu_dir.join("cpu.stat");
                let usage_us =
                    stat_value(&stat, "usage_usec")?.ok_or_else(|| CgroupError::Parse {
                        path: stat.clone(),
                        detail: "no usage_usec".into(),
                    })?;
                let quota_cores = match fs::read_to_string(self.cpu_dir.join("cpu.max")) {
                    Ok(text) => parse_cpu_max(&text),
                    // The root group has no cpu.max: no quota.
                    Err(_) => None,
                };
                Ok(CgroupCpu {
                    usage_ns: usage_us.saturating_mul(1000),
                    quota_cores,
                    nr_throttled: stat_value(&stat, "nr_throttled")?,
                })
            }
            Version::V1 => {
                let usage_ns = read_u64(&self.cpuacct_dir.join("cpuacct.usage"))?;
                let quota = read_i64(&self.cpu_dir.join("cpu.cfs_quota_us")).ok();
                let period = read_i64(&self.cpu_dir.join("cpu.cfs_period_us")).ok();
                let quota_cores = match (quota, period) {
                    (Some(q), Some(p)) if q > 0 && p > 0 => Some(q as f64 / p as f64),
                    _ => None,
                };
                let nr_throttled = stat_value(&self.cpu_dir.join("cpu.stat"), "nr_throttled")
                    .ok()
                    .flatten();
                Ok(CgroupCpu {
                    usage_ns,
                    quota_cores,
                    nr_throttled,
                })
            }
        }
    }
}

fn existing_or_root(root: &Path, rel: &str) -> PathBuf {
    let rel = rel.trim().trim_start_matches('/');
    let candidate = root.join(rel);
    if !rel.is_empty() && !rel.contains("..") && candidate.is_dir() {
        candidate
    } else {
        root.to_path_buf()
    }
}

fn read(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(|source| CgroupError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_err(path: &Path, detail: impl Into<String>) -> CgroupError {
    CgroupError::Parse {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

fn read_u64(path: &Path) -> Result<u64, CgroupError> {
    let text = read(path)?;
    text.trim()
        .parse()
        .map_err(|_| parse_err(path, format!("not a number: {:?}", text.trim())))
}

fn read_i64(path: &Path) -> Result<i64, CgroupError> {
    let text = read(path)?;
    text.trim()
        .parse()
        .map_err(|_| parse_err(path, format!("not a number: {:?}", text.trim())))
}

/// `max` (v2) or the v1 sentinel mean no limit.
fn read_limit(path: &Path) -> Result<Option<u64>, CgroupError> {
    let text = read(path)?;
    let text = text.trim();
    if text == "max" {
        return Ok(None);
    }
    let value: u64 = text
        .parse()
        .map_err(|_| parse_err(path, format!("not a limit: {text:?}")))?;
    Ok((value < V1_UNLIMITED_FLOOR).then_some(value))
}

/// A `key value` line of a flat-keyed file (`memory.stat`, `cpu.stat`, `memory.events`).
fn stat_value(path: &Path, key: &str) -> Result<Option<u64>, CgroupError> {
    let text = read(path)?;
    Ok(text.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    }))
}

/// `cpu.max` is `"<quota|max> <period>"`.
fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut parts = text.split_whitespace();
    let quota: f64 = parts.next()?.parse().ok()?;
    let period: f64 = parts.next().unwrap_or("100000").parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_max_reads_quota_in_cores_and_max_as_none() {
        assert_eq!(parse_cpu_max("50000 100000\n"), Some(0.5));
        assert_eq!(parse_cpu_max("200000 100000"), Some(2.0));
        assert_eq!(parse_cpu_max("max 100000\n"), None);
        assert_eq!(parse_cpu_max(""), None);
    }

    #[test]
    fn a_missing_cgroup_filesystem_is_not_a_cgroup() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Cgroup::detect(dir.path(), dir.path()).is_none());
    }
}
