//! `state_dir/logs/<agent>.log` with size-bounded rotation (`<agent>.log.1` … `.N`), so a chatty
//! agent can never fill the disk — even when rotation fails (a directory planted at a backup's name, a
//! read-only file): then the live file is truncated instead of growing forever. The logs are the
//! supervisor's own files: directory 0700, files 0600, never opened through a symlink.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// An append-only log with rotation.
#[derive(Debug)]
pub struct LogWriter {
    /// The live file's path.
    path: PathBuf,
    /// Bytes after which the file is rotated.
    max_bytes: u64,
    /// Rotated files kept.
    backups: u32,
    /// Bytes in the live file.
    written: u64,
    /// The live file (None after an I/O error; reopened on the next write).
    file: Option<BufWriter<File>>,
    /// Lines that could not be written (a full or unwritable disk), reported in the agent's status.
    dropped: u64,
    /// Lines in the buffer since the last successful flush (lost if that flush fails).
    buffered: u64,
}

impl LogWriter {
    /// Opens (appending) the log of one agent under `dir`.
    pub fn open(dir: &Path, agent: &str, max_bytes: u64, backups: u32) -> io::Result<Self> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let path = dir.join(format!("{agent}.log"));
        let mut w = Self {
            path,
            max_bytes: max_bytes.max(1024),
            backups,
            written: 0,
            file: None,
            dropped: 0,
            buffered: 0,
        };
        w.reopen()?;
        Ok(w)
    }

    fn reopen(&mut self) -> io::Result<()> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&self.path)?;
        self.written = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.file = Some(BufWriter::with_capacity(8 * 1024, file));
        Ok(())
    }

    /// Appends one line (a `\n` is added).
    pub fn line(&mut self, line: &[u8]) {
        if self.written >= self.max_bytes
            && let Err(e) = self.rotate()
        {
            tracing::warn!(path = %self.path.display(), error = %e, "log rotation failed: truncating the log instead");
            self.truncate();
        }
        if self.file.is_none() && self.reopen().is_err() {
            self.drop_line();
            return;
        }
        if let Some(f) = self.file.as_mut() {
            let ok = f.write_all(line).and_then(|()| f.write_all(b"\n"));
            if ok.is_err() {
                self.file = None;
                // The line and whatever was still buffered are lost.
                for _ in 0..=std::mem::take(&mut self.buffered) {
                    self.drop_line();
                }
            } else {
                self.written += line.len() as u64 + 1;
                self.buffered += 1;
            }
        }
    }

    /// Counts a line lost to the disk; the first loss of a run of them is logged.
    fn drop_line(&mut self) {
        if self.dropped == 0 {
            tracing::warn!(path = %self.path.display(), "agent output cannot be written: lines are being dropped (counted in the agent's status)");
        }
        self.dropped += 1;
    }

    /// Lines dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Pushes buffered lines to the file (after each chunk read, so the log is current).
    pub fn flush(&mut self) {
        if let Some(f) = self.file.as_mut() {
            if f.flush().is_err() {
                self.file = None;
                for _ in 0..self.buffered {
                    self.drop_line();
                }
            }
            self.buffered = 0;
        }
    }

    /// The last resort when rotation fails: start the live file again, so the size bound holds.
    fn truncate(&mut self) {
        self.file = None;
        let truncated = OpenOptions::new()
            .write(true)
            .truncate(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&self.path);
        if truncated.is_ok() {
            // Reopened for appending (and `written` re-read) by the next line.
            self.written = 0;
        }
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.flush();
        self.file = None;
        if self.backups == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for i in (1..self.backups).rev() {
                let from = self.backup(i);
                if from.exists() {
                    std::fs::rename(&from, self.backup(i + 1))?;
                }
            }
            std::fs::rename(&self.path, self.backup(1))?;
        }
        self.reopen()
    }

    fn backup(&self, i: u32) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(format!(".{i}"));
        PathBuf::from(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_rotate_at_the_size_limit_and_keep_only_the_configured_backups() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = LogWriter::open(dir.path(), "a", 1024, 2).unwrap();
        let line = [b'x'; 99];
        for _ in 0..60 {
            w.line(&line);
        }
        w.flush();
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec!["a.log", "a.log.1", "a.log.2"]);
        for n in names {
            let len = std::fs::metadata(dir.path().join(n)).unwrap().len();
            assert!(len <= 1024 + 100, "{len}");
        }
    }

    #[test]
    fn a_failed_rotation_truncates_instead_of_growing_forever() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // What a fix once made from `FileNotFoundError: 'state/logs/a.log.1/'`: rename onto it fails.
        std::fs::create_dir_all(dir.path().join("a.log.1/x")).unwrap();
        let mut w = LogWriter::open(dir.path(), "a", 1024, 2).unwrap();
        for _ in 0..200 {
            w.line(&[b'x'; 99]);
        }
        w.flush();
        let meta = std::fs::metadata(dir.path().join("a.log")).unwrap();
        assert!(meta.len() <= 1024 + 100, "{}", meta.len());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
}
