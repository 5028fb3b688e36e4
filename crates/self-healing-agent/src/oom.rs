//! Telling an OOM kill from any other SIGKILL: the cgroup v2 `memory.events` file counts `oom_kill`
//! events; if the counter moved since we last looked, the SIGKILL came from the kernel at the limit.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Watches one cgroup's `oom_kill` counter.
#[derive(Debug)]
pub struct OomWatch {
    /// `memory.events` of our cgroup, when there is one.
    path: Option<PathBuf>,
    /// Counter value last seen.
    last: AtomicU64,
}

impl OomWatch {
    /// Watches `<cgroup_root>/memory.events` (the container's own cgroup under cgroup v2).
    pub fn new(cgroup_root: PathBuf) -> Self {
        let path = cgroup_root.join("memory.events");
        let path = path.exists().then_some(path);
        let w = Self {
            path,
            last: AtomicU64::new(0),
        };
        w.last.store(w.read().unwrap_or(0), Ordering::Relaxed);
        w
    }

    fn read(&self) -> Option<u64> {
        let text = std::fs::read_to_string(self.path.as_ref()?).ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|v| v.trim().parse().ok())
    }

    /// Called when an agent died of SIGKILL: true when the OOM counter moved since last time.
    pub fn oom_since_last_check(&self) -> bool {
        let Some(now) = self.read() else {
            return false;
        };
        let before = self.last.swap(now, Ordering::Relaxed);
        now > before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moving_oom_kill_counter_marks_the_sigkill_as_oom() {
        let dir = tempfile::tempdir().unwrap();
        let events = dir.path().join("memory.events");
        std::fs::write(&events, "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n").unwrap();
        let w = OomWatch::new(dir.path().to_path_buf());
        assert!(!w.oom_since_last_check());
        std::fs::write(&events, "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n").unwrap();
        assert!(w.oom_since_last_check());
        assert!(!w.oom_since_last_check());
    }

    #[test]
    fn without_a_cgroup_file_nothing_is_an_oom() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!OomWatch::new(dir.path().to_path_buf()).oom_since_last_check());
    }
}
