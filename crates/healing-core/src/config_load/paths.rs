//! Relative paths in the config mean "next to the config file", whatever directory a binary is started
//! from; they are made absolute once here so no later code has to know where the file was.

use crate::config::Config;
use std::path::{Component, Path, PathBuf};

/// Resolves every path-valued key against `base`. Empty paths are left alone for validation to report.
pub(crate) fn resolve(cfg: &mut Config, base: &Path) {
    let fix = |p: &mut PathBuf| {
        if !p.as_os_str().is_empty() && p.is_relative() {
            *p = normalize(&base.join(&*p));
        }
    };
    fix(&mut cfg.state_dir);
    for agent in &mut cfg.agents {
        fix(&mut agent.cwd);
        agent.log_file.as_mut().map(fix);
        agent.heartbeat_file.as_mut().map(fix);
    }
    cfg.fixes.requirements.as_mut().map(fix);
    cfg.fixes.create_path_roots.iter_mut().for_each(fix);
    cfg.prevention.disk_paths.iter_mut().for_each(fix);
    fix(&mut cfg.prevention.cgroup_root);
    fix(&mut cfg.prevention.proc_root);
    cfg.recovery.required_paths.iter_mut().for_each(fix);
}

/// Drops `.` components and folds `..` lexically (no filesystem access: the path may not exist yet), so
/// `base/./state` and `base/x/../state` print as `base/state` in logs and state files.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_dotdot_are_folded_without_touching_the_filesystem() {
        assert_eq!(
            normalize(Path::new("/cfg/./state")),
            PathBuf::from("/cfg/state")
        );
        assert_eq!(
            normalize(Path::new("/cfg/x/../logs")),
            PathBuf::from("/cfg/logs")
        );
        assert_eq!(normalize(Path::new("/cfg/.")), PathBuf::from("/cfg"));
    }
}
