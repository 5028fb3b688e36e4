//! The host's memory, CPU and disks through `sysinfo`, for a machine without procfs (a macOS development
//! machine): `cargo run -p prevention-agent` gives real figures there too. Containers keep the cgroup and
//! `/proc` readers ([`crate::cgroup`], [`crate::procfs`]): they are what binds there, and tests run them
//! against fixture trees. [`crate::measure::Sampler`] falls back to this module only when its `proc_root`
//! is not there at all.

use crate::procfs::HostMemory;
use std::path::Path;
use std::sync::{Arc, Mutex};
use sysinfo::{Disks, System};

/// Total and available memory of the host.
pub fn memory() -> Option<HostMemory> {
    let mut system = System::new().ok()?;
    system.refresh_memory();
    let total = system.total_memory();
    (total > 0).then(|| HostMemory {
        total,
        available: system.available_memory().min(total),
    })
}

/// The host's CPU usage between two [`HostCpu::sample`] calls (sysinfo measures between refreshes of the
/// same `System`, so the sampler keeps one). Cheap to clone: clones share the `System`.
#[derive(Clone)]
pub struct HostCpu(Arc<Mutex<System>>);

impl std::fmt::Debug for HostCpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostCpu(sysinfo)")
    }
}

/// One CPU reading: the busy share of all cores since the previous sample, and the core count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuReading {
    /// Percent of all cores together (0–100).
    pub percent: f64,
    /// Logical cores.
    pub cores: u32,
}

impl HostCpu {
    /// `None` when sysinfo cannot read this platform.
    pub fn new() -> Option<HostCpu> {
        let mut system = System::new().ok()?;
        system.refresh_cpu_usage();
        Some(HostCpu(Arc::new(Mutex::new(system))))
    }

    /// Usage since the previous sample (the first one after [`HostCpu::new`] counts from then).
    pub fn sample(&self) -> Option<CpuReading> {
        let mut system = self.0.lock().unwrap_or_else(|e| e.into_inner());
        system.refresh_cpu_usage();
        let cores = u32::try_from(system.cpus().len()).ok().filter(|c| *c > 0)?;
        let percent = f64::from(system.global_cpu_usage());
        percent.is_finite().then_some(CpuReading {
            percent: percent.clamp(0.0, 100.0),
            cores,
        })
    }
}

/// Size and available bytes of the disk holding `path`: the mounted disk with the longest mount point
/// that is a prefix of it.
pub fn disk(path: &Path) -> Option<(u64, u64)> {
    let path = path.canonicalize().ok()?;
    let disks = Disks::new_with_refreshed_list().ok()?;
    disks
        .iter()
        .filter(|d| path.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| (d.total_space(), d.available_space().min(d.total_space())))
        .filter(|(total, _)| *total > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_has_memory_cores_and_a_disk_under_the_temp_dir() {
        let mem = memory().expect("sysinfo reads this host's memory");
        assert!(mem.total > 0 && mem.available <= mem.total, "{mem:?}");
        let cpu = HostCpu::new().expect("sysinfo reads this host's CPUs");
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        let reading = cpu.sample().expect("a CPU reading");
        assert!(reading.cores >= 1);
        assert!((0.0..=100.0).contains(&reading.percent), "{reading:?}");
        let dir = tempfile::tempdir().unwrap();
        let (total, available) = disk(dir.path()).expect("the disk holding the temp dir");
        assert!(total > 0 && available <= total);
    }
}
