//! The state directory: one JSON file per document, replaced by temp-file + fsync + rename + directory fsync.
//!
//! The directory is the supervisor's own (mode 0700, files 0600): documents hold incident history and the
//! outbox. Temp files are created exclusively under a random name (`.<doc>.<random>.tmp`), so nothing
//! planted at a predictable name — a directory made from a log line, a symlink — can block a write or
//! redirect it; documents are read without following a symlink.

use super::{StateBackend, StateError, check_name};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A directory of state documents.
#[derive(Debug)]
pub struct FileBackend {
    /// The state directory (created if missing).
    dir: PathBuf,
    /// Serialises writers inside this process (a rename and the directory fsync go together). Across
    /// processes the writer lock guarantees a single writer.
    write_guard: Mutex<()>,
}

impl FileBackend {
    /// Opens (creating if needed) the state directory.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, StateError> {
        let dir = dir.into();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|source| StateError::Io {
                action: "create directory",
                path: dir.clone(),
                source,
            })?;
        remove_stale_temps(&dir);
        Ok(Self {
            dir,
            write_guard: Mutex::new(()),
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Full path of a document.
    pub fn path_of(&self, doc: &str) -> Result<PathBuf, StateError> {
        check_name(doc)?;
        Ok(self.dir.join(doc))
    }

    fn sync_dir(&self) -> Result<(), StateError> {
        let io = |source| StateError::Io {
            action: "fsync directory",
            path: self.dir.clone(),
            source,
        };
        File::open(&self.dir).map_err(io)?.sync_all().map_err(io)
    }
}

impl StateBackend for FileBackend {
    fn put(&self, doc: &str, bytes: &[u8]) -> Result<(), StateError> {
        let target = self.path_of(doc)?;
        let tmp = self
            .dir
            .join(format!(".{doc}.{:016x}.tmp", fastrand::u64(..)));
        let _guard = self.write_guard.lock().unwrap_or_else(|e| e.into_inner());
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| StateError::Io {
                action,
                path,
                source,
            }
        };
        // O_EXCL: never an existing file, never through a symlink.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io("create temp file", &tmp))?;
        let written = file
            .write_all(bytes)
            .map_err(io("write temp file", &tmp))
            .and_then(|()| file.sync_all().map_err(io("fsync temp file", &tmp)));
        drop(file);
        let renamed = written
            .and_then(|()| fs::rename(&tmp, &target).map_err(io("rename temp file over", &target)));
        if renamed.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        renamed?;
        self.sync_dir()
    }

    fn get(&self, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        let path = self.path_of(doc)?;
        let read = OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
            .and_then(|mut f| {
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).map(|_| bytes)
            });
        match read {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    fn set_aside(&self, doc: &str, suffix: &str) -> Result<String, StateError> {
        let from = self.path_of(doc)?;
        let base = format!("{doc}.corrupt-{suffix}");
        check_name(&base)?;
        let _guard = self.write_guard.lock().unwrap_or_else(|e| e.into_inner());
        // Never overwrite an earlier set-aside copy: it may be the one a human needs.
        let mut to = self.dir.join(&base);
        let mut n = 1;
        while to.exists() {
            to = self.dir.join(format!("{base}-{n}"));
            n += 1;
        }
        fs::rename(&from, &to).map_err(|source| StateError::Io {
            action: "set aside",
            path: from.clone(),
            source,
        })?;
        self.sync_dir()?;
        Ok(to.display().to_string())
    }

    fn describe(&self) -> String {
        format!("directory {}", self.dir.display())
    }
}

/// A temp file older than this was left by a killed writer (a live one exists for milliseconds).
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes temp files killed writers left behind (`.<doc>.<random>.tmp`). Only old ones: the three
/// services share the directory, and another one may be writing right now.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.')
            && name.ends_with(".tmp")
            && entry.metadata().is_ok_and(|m| {
                m.is_file()
                    && m.modified()
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_TEMP_AGE)
            })
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_replaces_whole_document_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let b = FileBackend::new(dir.path().join("nested/state")).unwrap();
        b.put("a.json", b"{\"v\":1, \"long\":\"xxxxxxxx\"}")
            .unwrap();
        b.put("a.json", b"{\"v\":2}").unwrap();
        assert_eq!(b.get("a.json").unwrap().unwrap(), b"{\"v\":2}");
        let names: Vec<_> = fs::read_dir(b.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["a.json".to_string()]);
    }

    #[test]
    fn missing_document_reads_as_none_and_bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let b = FileBackend::new(dir.path()).unwrap();
        assert!(b.get("nope.json").unwrap().is_none());
        for bad in ["", "../x.json", "a/b.json", ".hidden"] {
            assert!(matches!(
                b.put(bad, b"{}"),
                Err(StateError::InvalidName { .. })
            ));
        }
    }

    #[test]
    fn set_aside_never_overwrites_an_earlier_copy() {
        let dir = tempfile::tempdir().unwrap();
        let b = FileBackend::new(dir.path()).unwrap();
        b.put("d.json", b"first").unwrap();
        let one = b.set_aside("d.json", "T1").unwrap();
        b.put("d.json", b"second").unwrap();
        let two = b.set_aside("d.json", "T1").unwrap();
        assert_ne!(one, two);
        assert_eq!(fs::read(&one).unwrap(), b"first");
        assert_eq!(fs::read(&two).unwrap(), b"second");
        assert!(b.get("d.json").unwrap().is_none());
    }

    #[test]
    fn files_planted_at_temp_names_neither_block_nor_redirect_writes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let b = FileBackend::new(&state).unwrap();
        // What a fix once made from `FileNotFoundError: '../state/.agent_status.json.tmp/'`.
        fs::create_dir(state.join(".agent_status.json.tmp")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("t"), state.join(".doc.json.tmp")).unwrap();
        b.put("agent_status.json", b"{}").unwrap();
        b.put("doc.json", b"{}").unwrap();
        assert!(!outside.path().join("t").exists());
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state.join("doc.json")), 0o600);
        assert_eq!(mode(&state), 0o700);
        // A document swapped for a symlink is not read through it.
        fs::write(outside.path().join("secret"), b"{\"x\":1}").unwrap();
        fs::remove_file(state.join("doc.json")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), state.join("doc.json")).unwrap();
        assert!(b.get("doc.json").is_err());
    }
}
