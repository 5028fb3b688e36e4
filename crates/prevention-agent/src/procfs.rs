//! Host-wide numbers from procfs, read from a root path (tests use fixture trees).
//!
//! Used when the container has no cgroup limit (then the host is the budget) and for per-agent RSS.

use std::fs;
use std::path::Path;

/// Host memory from `<proc_root>/meminfo`, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostMemory {
    /// `MemTotal`.
    pub total: u64,
    /// `MemAvailable` (what can be allocated without swapping).
    pub available: u64,
}

impl HostMemory {
    /// Bytes in use by the host's point of view.
    pub fn used(&self) -> u64 {
        self.total.saturating_sub(self.available)
    }
}

/// Reads `MemTotal` and `MemAvailable`; `None` when the file is missing or lacks them.
pub fn host_memory(proc_root: &Path) -> Option<HostMemory> {
    let text = fs::read_to_string(proc_root.join("meminfo")).ok()?;
    let total = kib_field(&text, "MemTotal:")?;
    // Kernels before 3.14 lack MemAvailable; MemFree is the conservative stand-in.
    let available = kib_field(&text, "MemAvailable:").or_else(|| kib_field(&text, "MemFree:"))?;
    Some(HostMemory { total, available })
}

/// A `Key:   1234 kB` line, in bytes.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    let rest = text.lines().find_map(|l| l.strip_prefix(key))?;
    let kib: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Aggregate CPU jiffies from the first line of `<proc_root>/stat`, and the core count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCpu {
    /// All jiffies (user+nice+system+idle+iowait+irq+softirq+steal).
    pub total: u64,
    /// Idle plus iowait jiffies.
    pub idle: u64,
    /// Number of `cpuN` lines.
    pub cores: u32,
}

/// Reads `<proc_root>/stat`; `None` when missing or malformed.
pub fn host_cpu(proc_root: &Path) -> Option<HostCpu> {
    let text = fs::read_to_string(proc_root.join("stat")).ok()?;
    let mut lines = text.lines();
    let first = lines.next()?.strip_prefix("cpu ")?;
    let fields: Vec<u64> = first
        .split_whitespace()
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    if fields.len() < 5 {
        return None;
    }
    let cores = text
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count() as u32;
    Some(HostCpu {
        total: fields.iter().sum(),
        idle: fields[3] + fields[4],
        cores: cores.max(1),
    })
}

/// Busy share of all cores between two readings, percent.
pub fn host_cpu_percent(before: HostCpu, after: HostCpu) -> Option<f64> {
    let total = after.total.checked_sub(before.total)?;
    let idle = after.idle.checked_sub(before.idle)?;
    if total == 0 {
        return None;
    }
    Some(100.0 * total.saturating_sub(idle) as f64 / total as f64)
}

/// Resident set size of a process (`VmRSS` of `<proc_root>/<pid>/status`), bytes; `None` when the
/// process is gone (or is a kernel thread).
pub fn rss_bytes(proc_root: &Path, pid: u32) -> Option<u64> {
    let text = fs::read_to_string(proc_root.join(pid.to_string()).join("status")).ok()?;
    kib_field(&text, "VmRSS:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_in_kib_becomes_bytes_and_falls_back_to_memfree() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("meminfo"),
            "MemTotal:       2048 kB\nMemFree:         512 kB\n",
        )
        .unwrap();
        let mem = host_memory(dir.path()).unwrap();
        assert_eq!(mem.total, 2048 * 1024);
        assert_eq!(mem.used(), 1536 * 1024);
    }

    #[test]
    fn host_cpu_percent_is_busy_over_total_jiffies() {
        let before = HostCpu {
            total: 1000,
            idle: 800,
            cores: 2,
        };
        let after = HostCpu {
            total: 1200,
            idle: 850,
            cores: 2,
        };
        assert_eq!(host_cpu_percent(before, after), Some(75.0));
        assert_eq!(host_cpu_percent(after, after), None);
    }

    #[test]
    fn this_machines_proc_is_readable() {
        let cpu = host_cpu(Path::new("/proc")).expect("/proc/stat");
        assert!(cpu.cores >= 1 && cpu.total > cpu.idle);
        assert!(host_memory(Path::new("/proc")).unwrap().total > 0);
        assert!(rss_bytes(Path::new("/proc"), std::process::id()).unwrap() > 0);
    }
}
