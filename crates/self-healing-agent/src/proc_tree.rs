//! The process table as `/proc` shows it: parent, state and start time of every process, so the
//! supervisor can find what its agents left behind (a grandchild that called `setsid()` leaves the
//! agent's process group, but not its ancestry or its environment), and recognise a pid it recorded
//! earlier without ever mistaking a reused pid for it (the start time tells them apart).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The environment variable every agent process is started with, naming its agent. Descendants
/// inherit it, so an orphan re-parented to the supervisor still says whose it was.
pub const AGENT_MARKER: &str = "SELF_HEALING_AGENT";

/// What `/proc/<pid>/stat` says about one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Its pid.
    pub pid: u32,
    /// One-letter state (`R`, `S`, `Z`, ...).
    pub state: char,
    /// Parent pid.
    pub ppid: u32,
    /// Start time after boot in clock ticks (field 22): with the pid, a process's identity.
    pub start_ticks: u64,
}

impl ProcStat {
    /// Reads one process; `None` when it is gone.
    pub fn read(pid: u32) -> Option<Self> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        Self::parse(pid, &text)
    }

    /// Parses a `stat` line. The command name (field 2) may contain spaces and parentheses, so the
    /// fields are counted from the last `)`.
    pub fn parse(pid: u32, text: &str) -> Option<Self> {
        let rest = &text[text.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // rest starts at field 3 (state): field n is fields[n - 3].
        Some(Self {
            pid,
            state: fields.first()?.chars().next()?,
            ppid: fields.get(1)?.parse().ok()?,
            start_ticks: fields.get(19)?.parse().ok()?,
        })
    }

    /// A zombie: dead, waiting for its parent to reap it.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// The start time of `pid` when it is alive (not a zombie).
pub fn start_ticks(pid: u32) -> Option<u64> {
    ProcStat::read(pid)
        .filter(|s| !s.is_zombie())
        .map(|s| s.start_ticks)
}

/// Every process visible in `/proc`.
pub fn all() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(ProcStat::read)
        .collect()
}

/// Every live (non-zombie) descendant of `root`, children before grandchildren.
pub fn descendants(root: u32) -> Vec<u32> {
    let table = all();
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut zombies = BTreeSet::new();
    for p in &table {
        children.entry(p.ppid).or_default().push(p.pid);
        if p.is_zombie() {
            zombies.insert(p.pid);
        }
    }
    let mut out = Vec::new();
    let mut queue = vec![root];
    let mut i = 0;
    while let Some(&pid) = queue.get(i) {
        i += 1;
        for &c in children.get(&pid).into_iter().flatten() {
            if !queue.contains(&c) {
                queue.push(c);
                if !zombies.contains(&c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// The agent named by the marker in `pid`'s environment, if any.
pub fn agent_of(pid: u32) -> Option<String> {
    let environ = std::fs::read(Path::new("/proc").join(pid.to_string()).join("environ")).ok()?;
    let prefix = format!("{AGENT_MARKER}=");
    environ
        .split(|b| *b == 0)
        .find_map(|kv| kv.strip_prefix(prefix.as_bytes()))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_command_name_with_spaces_and_parentheses() {
        let line = "4242 (we ird) (x) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615";
        let s = ProcStat::parse(4242, line).unwrap();
        assert_eq!((s.state, s.ppid, s.start_ticks), ('S', 17, 987_654));
    }

    #[test]
    fn own_process_is_found_with_a_stable_start_time() {
        let me = std::process::id();
        let a = start_ticks(me).unwrap();
        assert_eq!(start_ticks(me), Some(a));
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        assert!(descendants(me).contains(&child.id()));
        let mut child = child;
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!descendants(me).contains(&child.id()));
    }

    #[test]
    fn truncated_stat_is_none() {
        assert_eq!(ProcStat::parse(1, "1 (init) S 0"), None);
        assert_eq!(ProcStat::parse(1, "garbage"), None);
    }
}
