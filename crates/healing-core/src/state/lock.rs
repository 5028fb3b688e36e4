//! The single-writer lock: a second instance of the same binary refuses to start instead of interleaving
//! its writes with the first one's.
//!
//! An advisory `flock` on `<owner>.lock` in the state directory. The kernel drops it when the holder dies
//! (even by SIGKILL), so a crash never leaves a stale lock; the PID inside is only for the error message.

use super::{FileBackend, StateError, check_name};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Held for the life of the writer; dropping it releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    /// The open, locked file: the lock lives exactly as long as this handle.
    _file: File,
    /// The lock file, for messages.
    path: PathBuf,
}

impl WriterLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl FileBackend {
    /// Takes the writer lock of `owner` (a binary name), or says who holds it.
    pub fn lock(&self, owner: &str) -> Result<WriterLock, StateError> {
        let name = format!("{owner}.lock");
        check_name(&name)?;
        let path = self.dir().join(name);
        let io = |action| {
            let path = path.clone();
            move |source| StateError::Io {
                action,
                path,
                source,
            }
        };
        // No truncation on open: the file may belong to a running holder whose PID we want to report.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
            .map_err(io("open lock file"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                // Best effort: the PID is a courtesy for the message, not a correctness input.
                let holder_pid = file
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| text.trim().parse().ok());
                return Err(StateError::AlreadyRunning {
                    owner: owner.to_string(),
                    lock_file: path,
                    holder_pid,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("lock")(e)),
        }
        file.set_len(0).map_err(io("truncate lock file"))?;
        file.seek(SeekFrom::Start(0))
            .map_err(io("seek lock file"))?;
        writeln!(file, "{}", std::process::id()).map_err(io("write lock file"))?;
        file.sync_all().map_err(io("fsync lock file"))?;
        Ok(WriterLock { _file: file, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_is_refused_with_lock_file_and_pid_until_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let b = FileBackend::new(dir.path()).unwrap();
        let first = b.lock("self-healing-agent").unwrap();
        let err = b.lock("self-healing-agent").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("self-healing-agent.lock"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        // Other owners are independent.
        let _other = b.lock("prevention-agent").unwrap();
        drop(first);
        assert!(b.lock("self-healing-agent").is_ok());
    }
}
