//! The state directory: one JSON file per document, replaced by temp-file + fsync + rename + directory fsync.

use super::{StateBackend, StateError, check_name};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A directory of state documents.
#[derive(Debug)]
pub struct FileBackend {
    /// The state directory (created if missing).
    dir: PathBuf,
    /// Serialises writers inside this process: each document has a fixed temp name (so a writer killed
    /// mid-write leaves at most one stale temp per document, overwritten by the next write), which two
    /// threads must not share at once. Across processes the writer lock guarantees a single writer.
    write_guard: Mutex<()>,
}

impl FileBackend {
    /// Opens (creating if needed) the state directory.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, StateError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| StateError::Io {
            action: "create directory",
            path: dir.clone(),
            source,
        })?;
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
        let tmp = self.dir.join(format!(".{doc}.tmp"));
        let _guard = self.write_guard.lock().unwrap_or_else(|e| e.into_inner());
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| StateError::Io {
                action,
                path,
                source,
            }
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io("create temp file", &tmp))?;
        file.write_all(bytes).map_err(io("write temp file", &tmp))?;
        file.sync_all().map_err(io("fsync temp file", &tmp))?;
        drop(file);
        fs::rename(&tmp, &target).map_err(io("rename temp file over", &target))?;
        self.sync_dir()
    }

    fn get(&self, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        let path = self.path_of(doc)?;
        match fs::read(&path) {
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
}
