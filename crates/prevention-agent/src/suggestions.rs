//! Concrete cleanup suggestions: which agent holds the memory, which files hold the disk.
//!
//! "Memory is high" is not actionable; "sports_analytics holds 310 MiB" is. The disk walk is bounded in
//! depth and entries so a huge tree (or a symlink loop — links are never followed) cannot stall a pass.

use crate::procfs;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

/// An agent and its resident memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRss {
    pub agent: String,
    pub pid: u32,
    pub rss_bytes: u64,
}

/// The agents with the largest RSS, largest first, from the PIDs in `agent_status.json`.
///
/// Agents without a PID, or whose process is gone, are skipped: the document may be a pass behind.
pub fn top_agents_by_rss(
    agent_status: &serde_json::Value,
    proc_root: &Path,
    limit: usize,
) -> Vec<AgentRss> {
    let Some(agents) = agent_status.get("agents").and_then(|a| a.as_object()) else {
        return Vec::new();
    };
    let mut out: Vec<AgentRss> = agents
        .iter()
        .filter_map(|(name, entry)| {
            let pid = u32::try_from(entry.get("pid")?.as_u64()?).ok()?;
            let rss_bytes = procfs::rss_bytes(proc_root, pid)?;
            Some(AgentRss {
                agent: name.clone(),
                pid,
                rss_bytes,
            })
        })
        .collect();
    out.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.agent.cmp(&b.agent)));
    out.truncate(limit);
    out
}

/// Bounds of one disk walk.
#[derive(Debug, Clone, Copy)]
pub struct WalkLimits {
    /// Directory levels below each configured path.
    pub max_depth: usize,
    /// Entries looked at across the whole walk.
    pub max_entries: usize,
    /// Files and directories reported.
    pub top: usize,
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_depth: 6,
            max_entries: 20_000,
            top: 10,
        }
    }
}

/// A large file or directory worth looking at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceUser {
    pub path: PathBuf,
    pub bytes: u64,
    /// A rotated log (`*.log.1`, `*.log.N`, `*.gz`): the safest thing to delete, so listed first.
    pub rotated_log: bool,
    pub is_dir: bool,
}

/// The result of a disk walk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSuggestions {
    /// Rotated logs first, then by size.
    pub files: Vec<SpaceUser>,
    /// Immediate subdirectories of the configured paths, by total size seen.
    pub directories: Vec<SpaceUser>,
    /// The entry limit was hit: sizes are lower bounds.
    pub truncated: bool,
}

/// Whether a file name looks like a rotated log.
pub fn is_rotated_log(name: &str) -> bool {
    if name.ends_with(".gz") || name.ends_with(".old") {
        return true;
    }
    // `app.log.1`, `app.log.12`, `app.1.log`
    let mut parts = name.rsplit('.');
    let last = parts.next().unwrap_or("");
    let before = parts.next().unwrap_or("");
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(last) && name.contains(".log")) || (last == "log" && numeric(before))
}

/// Walks `roots` (bounded) and lists the largest files and directories.
pub fn largest_under(roots: &[PathBuf], limits: WalkLimits) -> DiskSuggestions {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let mut budget = limits.max_entries;
    let mut truncated = false;
    for root in roots {
        let Ok(children) = fs::read_dir(root) else {
            continue;
        };
        for child in children.flatten() {
            if budget == 0 {
                truncated = true;
                break;
            }
            budget -= 1;
            let Ok(kind) = child.file_type() else {
                continue;
            };
            let path = child.path();
            if kind.is_dir() {
                let size = dir_size(
                    &path,
                    1,
                    limits.max_depth,
                    &mut budget,
                    &mut files,
                    &mut truncated,
                );
                dirs.push(SpaceUser {
                    path,
                    bytes: size,
                    rotated_log: false,
                    is_dir: true,
                });
            } else if kind.is_file() {
                push_file(&mut files, &child);
            }
        }
    }
    files.sort_by(|a: &SpaceUser, b| {
        b.rotated_log
            .cmp(&a.rotated_log)
            .then(b.bytes.cmp(&a.bytes))
    });
    files.truncate(limits.top);
    dirs.sort_by_key(|d| std::cmp::Reverse(d.bytes));
    dirs.truncate(limits.top);
    DiskSuggestions {
        files,
        directories: dirs,
        truncated,
    }
}

fn push_file(files: &mut Vec<SpaceUser>, entry: &fs::DirEntry) -> u64 {
    let bytes = entry.metadata().map_or(0, |m| m.len());
    let rotated_log = is_rotated_log(&entry.file_name().to_string_lossy());
    files.push(SpaceUser {
        path: entry.path(),
        bytes,
        rotated_log,
        is_dir: false,
    });
    bytes
}

fn dir_size(
    dir: &Path,
    depth: usize,
    max_depth: usize,
    budget: &mut usize,
    files: &mut Vec<SpaceUser>,
    truncated: &mut bool,
) -> u64 {
    if depth > max_depth {
        *truncated = true;
        return 0;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0u64;
    for entry in entries.flatten() {
        if *budget == 0 {
            *truncated = true;
            break;
        }
        *budget -= 1;
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            total += dir_size(
                &entry.path(),
                depth + 1,
                max_depth,
                budget,
                files,
                truncated,
            );
        } else if kind.is_file() {
            total += push_file(files, &entry);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_log_names_are_recognised() {
        for name in [
            "app.log.1",
            "app.log.12",
            "app.log.3.gz",
            "trades.gz",
            "app.1.log",
            "x.old",
        ] {
            assert!(is_rotated_log(name), "{name}");
        }
        for name in ["app.log", "data.csv", "model.bin", "1.txt", "log"] {
            assert!(!is_rotated_log(name), "{name}");
        }
    }

    #[test]
    fn rotated_logs_come_first_then_size_and_the_walk_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        fs::create_dir_all(logs.join("deep/deeper")).unwrap();
        fs::write(logs.join("agent.log"), vec![0u8; 5000]).unwrap();
        fs::write(logs.join("agent.log.1"), vec![0u8; 100]).unwrap();
        fs::write(logs.join("deep/deeper/big.bin"), vec![0u8; 9000]).unwrap();
        fs::write(dir.path().join("small.txt"), b"x").unwrap();
        let found = largest_under(&[dir.path().to_path_buf()], WalkLimits::default());
        let names: Vec<_> = found
            .files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["agent.log.1", "big.bin", "agent.log", "small.txt"]);
        assert_eq!(found.directories[0].bytes, 14_100);
        assert!(!found.truncated);

        let tight = WalkLimits {
            max_entries: 3,
            ..WalkLimits::default()
        };
        assert!(largest_under(&[dir.path().to_path_buf()], tight).truncated);
    }

    #[test]
    fn agents_are_ranked_by_rss_from_proc() {
        let proc_root = tempfile::tempdir().unwrap();
        for (pid, kib) in [(101, 317_440), (102, 51_200)] {
            let d = proc_root.path().join(pid.to_string());
            fs::create_dir_all(&d).unwrap();
            fs::write(
                d.join("status"),
                format!("Name:\tpython3\nVmRSS:\t{kib} kB\n"),
            )
            .unwrap();
        }
        let status = serde_json::json!({"agents": {
            "news": {"pid": 102}, "sports_analytics": {"pid": 101},
            "gone": {"pid": 999}, "stopped": {"pid": null}}});
        let top = top_agents_by_rss(&status, proc_root.path(), 3);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].agent, "sports_analytics");
        assert_eq!(top[0].rss_bytes, 310 * 1024 * 1024);
    }
}
