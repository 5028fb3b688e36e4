//! Creating a directory or an empty file below an allowed root, one component at a time.
//!
//! The policy checked the path, but a path is only a name: between that check and the creation an
//! agent could swap a directory for a symlink to `/etc` or to the state directory. So creation starts
//! from the opened root and walks down with `mkdirat`/`openat(O_NOFOLLOW)`: every step is relative to a
//! directory already held open, and a symlink anywhere on the way makes the step fail instead of
//! being followed. Nothing can be created outside the root, whatever happens to the names meanwhile.

use rustix::fd::OwnedFd;
use rustix::fs::{CWD, Mode, OFlags, mkdirat, openat};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::path::{Component, Path};

/// Why a path could not be created (the step that failed and the OS error).
#[derive(Debug, thiserror::Error)]
#[error("{step} {name:?}: {source}")]
pub struct CreateError {
    /// What was being done (`open root`, `create directory`, `open directory`, `create file`).
    pub step: &'static str,
    /// The component (or root) concerned.
    pub name: String,
    #[source]
    pub source: std::io::Error,
}

fn err<'a>(step: &'static str, name: &'a OsStr) -> impl FnOnce(Errno) -> CreateError + 'a {
    move |e| CreateError {
        step,
        name: name.to_string_lossy().into_owned(),
        source: e.into(),
    }
}

/// Mode of directories created for agents (the umask still applies).
const DIR_MODE: u32 = 0o755;
/// Mode of empty files created for agents.
const FILE_MODE: u32 = 0o644;

/// Opens `root` (canonical, from the policy) and then each component of `below` that exists or is
/// created, never following a symlink below the root. Returns the last directory and whether anything
/// was created.
fn walk(root: &Path, below: &[&OsStr]) -> Result<(OwnedFd, bool), CreateError> {
    let dir_flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let mut fd = match openat(CWD, root, dir_flags, Mode::empty()) {
        // The root is configuration, not log text: a root that does not exist yet is made as named.
        Err(Errno::NOENT) => std::fs::create_dir_all(root)
            .map_err(|e| CreateError {
                step: "create root",
                name: root.display().to_string(),
                source: e,
            })
            .and_then(|()| {
                openat(CWD, root, dir_flags, Mode::empty())
                    .map_err(err("open root", root.as_os_str()))
            })?,
        other => other.map_err(err("open root", root.as_os_str()))?,
    };
    let mut created = false;
    for name in below {
        match mkdirat(&fd, *name, Mode::from_raw_mode(DIR_MODE)) {
            Ok(()) => created = true,
            Err(Errno::EXIST) => {}
            Err(e) => return Err(err("create directory", name)(e)),
        }
        // O_NOFOLLOW: an existing symlink (planted now or earlier) is an error, not a way out.
        fd = openat(&fd, *name, dir_flags, Mode::empty()).map_err(err("open directory", name))?;
    }
    Ok((fd, created))
}

/// The plain names of `below`; anything else (`..`, a root) is refused (the policy never gives one).
fn names(below: &Path) -> Result<Vec<&OsStr>, CreateError> {
    below
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::Normal(n) => Ok(n),
            other => Err(CreateError {
                step: "check path",
                name: other.as_os_str().to_string_lossy().into_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "only plain names below the root",
                ),
            }),
        })
        .collect()
}

/// Creates the directory `root/below` and its missing parents; `Ok(false)` when it already existed.
pub fn create_dir(root: &Path, below: &Path) -> Result<bool, CreateError> {
    walk(root, &names(below)?).map(|(_, created)| created)
}

/// Creates the empty file `root/below` (and its missing parent directories); `Ok(false)` when
/// something already has that name. The file itself is created exclusively and not through a symlink.
pub fn create_file(root: &Path, below: &Path) -> Result<bool, CreateError> {
    let names = names(below)?;
    let Some((file, parents)) = names.split_last() else {
        return Ok(false);
    };
    let (dir, _) = walk(root, parents)?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match openat(&dir, *file, flags, Mode::from_raw_mode(FILE_MODE)) {
        Ok(_) => Ok(true),
        Err(Errno::EXIST) => Ok(false),
        Err(e) => Err(err("create file", file)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_nested_directories_and_files_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        assert!(create_dir(dir.path(), Path::new("a/b/c")).unwrap());
        assert!(dir.path().join("a/b/c").is_dir());
        assert!(!create_dir(dir.path(), Path::new("a/b/c")).unwrap());
        assert!(create_file(dir.path(), Path::new("a/x/f.txt")).unwrap());
        assert!(dir.path().join("a/x/f.txt").is_file());
        assert!(!create_file(dir.path(), Path::new("a/x/f.txt")).unwrap());
    }

    #[test]
    fn a_symlink_on_the_way_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        // The swap the policy cannot see: `data` became a symlink after the check.
        std::os::unix::fs::symlink(outside.path(), dir.path().join("data")).unwrap();
        let e = create_dir(dir.path(), Path::new("data/escaped")).unwrap_err();
        assert_eq!(e.step, "open directory", "{e}");
        assert!(create_file(dir.path(), Path::new("data/f.txt")).is_err());
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
        std::os::unix::fs::symlink(outside.path().join("t"), dir.path().join("link.txt")).unwrap();
        assert!(!create_file(dir.path(), Path::new("link.txt")).unwrap());
        assert!(!outside.path().join("t").exists());
    }

    #[test]
    fn parent_components_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(create_dir(dir.path(), Path::new("../x")).is_err());
    }
}
