//! Resolving a path that may not exist yet, the way the kernel will once it is created.
//!
//! The longest existing ancestor is canonicalised (which resolves `..` and symlinks exactly as the
//! filesystem does) and the missing rest is appended only if it is plain names: a `..` in the part that
//! does not exist yet could not be resolved honestly, so it is refused.

use std::path::{Component, Path, PathBuf};

/// Longest path accepted (bytes); longer is refused instead of walked.
const MAX_PATH_BYTES: usize = 4096;

/// The canonical form of `path` (absolute) as it would be once created, or why it cannot be trusted.
pub(crate) fn resolve(path: &Path) -> Result<PathBuf, String> {
    if !path.is_absolute() {
        return Err("not an absolute path".into());
    }
    if path.as_os_str().len() > MAX_PATH_BYTES {
        return Err("path too long".into());
    }
    let comps: Vec<Component<'_>> = path.components().collect();
    for split in (1..=comps.len()).rev() {
        let prefix: PathBuf = comps[..split].iter().collect();
        let Ok(mut resolved) = std::fs::canonicalize(&prefix) else {
            continue;
        };
        for comp in &comps[split..] {
            match comp {
                Component::Normal(name) => {
                    resolved.push(name);
                    // It exists yet could not be canonicalised: a dangling symlink (whose target the
                    // kernel would create, wherever it points) or an unreadable entry.
                    if resolved.symlink_metadata().is_ok() {
                        return Err("dangling symlink or unreadable path component".into());
                    }
                }
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err("`..` below a directory that does not exist yet".into());
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err("unexpected root component".into());
                }
            }
        }
        return Ok(resolved);
    }
    Err("no existing ancestor".into())
}

/// Whether a log's path text looks like a home-relative path (`~`, `~user/...`), which Python never
/// expands but a human reading the plan would: such paths are refused rather than guessed at.
pub(crate) fn is_home_relative(text: &str) -> bool {
    text.starts_with('~')
}

/// Whether the path text contains characters that have no business in a path from a log.
pub(crate) fn has_control_chars(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// A final component with a dot (`app.log`, `.env`) is taken for a file; anything else for a directory.
pub(crate) fn looks_like_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().contains('.'))
}

pub(crate) fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Log text quoted in a reason stays short.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A module the agent ships itself: `<cwd>/name.py` or a `<cwd>/name/` package directory.
pub(crate) fn is_first_party(module: &str, cwd: &Path) -> bool {
    crate::package_map::is_top_level_import(module)
        && (cwd.join(format!("{module}.py")).is_file() || cwd.join(module).is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tails_are_appended_to_the_canonical_existing_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let got = resolve(&dir.path().join("a/./b/c")).unwrap();
        assert_eq!(got, root.join("a/b/c"));
        std::fs::create_dir(root.join("a")).unwrap();
        assert_eq!(resolve(&dir.path().join("a/../x")).unwrap(), root.join("x"));
        assert!(resolve(&dir.path().join("missing/../../etc")).is_err());
        assert!(resolve(Path::new("relative/path")).is_err());
        std::os::unix::fs::symlink("/nonexistent-target", root.join("dangling")).unwrap();
        assert!(resolve(&root.join("dangling/x")).is_err());
    }
}
