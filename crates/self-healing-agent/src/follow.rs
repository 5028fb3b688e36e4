//! Following an agent's own `log_file` with `tail -F` semantics: a file renamed away (rotation) is read
//! to its end before the new file at the path is opened from its start; a file cut shorter than what
//! was read (copytruncate) is read again from its start; the inode and offset are persisted in
//! `self_healing_state.json`, so a restart of the supervisor neither re-reads nor re-alerts old lines.
//!
//! The follower polls `stat` every [`POLL`] rather than using inotify: one `stat` four times a second
//! per followed file is negligible idle CPU, needs no extra dependency, and behaves the same on every
//! filesystem (inotify misses writes on network and overlay mounts). A diagnosis from the log file is
//! at most one poll late, which is fine because process exits — the events that need an immediate
//! reaction — come from the process watcher, not from here.

use crate::event::{AgentId, Event};
use crate::output::lock;
use crate::state_docs::FollowOffset;
use healing_core::catalogue::Catalogue;
use healing_core::line_reader::LineBuf;
use healing_core::matcher::Matcher;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// How often the file is checked for growth, rotation and truncation.
pub const POLL: Duration = Duration::from_millis(250);
/// Read size; also the most a poll holds in memory besides one bounded line.
const CHUNK: usize = 64 * 1024;
/// Bytes read per poll at most, so one poll never holds a blocking thread for long.
const MAX_PER_POLL: u64 = 16 << 20;
/// Persisted offsets are announced to the state writer at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The byte-level follower: where it is in which file, and the line in progress.
#[derive(Debug)]
pub struct Tail {
    /// The followed path.
    path: PathBuf,
    /// The file being read (it may have been renamed away since it was opened).
    file: Option<File>,
    /// Inode of `file`.
    inode: u64,
    /// Bytes of `file` consumed.
    offset: u64,
    /// Splits what was read into bounded lines; holds the unfinished last line.
    lines: LineBuf,
    /// Longest line kept.
    max_line: usize,
}

impl Tail {
    /// Starts following `path`. With a saved position for the same inode, reading resumes there (from
    /// the start if the file is now shorter); a different inode means the file was replaced while we
    /// were away, so all of it is new. Without a saved position, what is already in the file predates
    /// this supervisor and is skipped. A missing file is fine: it is picked up when it appears.
    pub fn open(path: PathBuf, saved: Option<FollowOffset>, max_line: usize) -> Tail {
        let mut tail = Tail {
            path,
            file: None,
            inode: 0,
            offset: 0,
            lines: LineBuf::new(max_line),
            max_line,
        };
        if let Ok(file) = File::open(&tail.path)
            && let Ok(meta) = file.metadata()
        {
            tail.inode = meta.ino();
            tail.offset = match saved {
                Some(s) if s.inode == meta.ino() && s.offset <= meta.len() => s.offset,
                Some(_) => 0,
                None => meta.len(),
            };
            tail.file = Some(file);
        }
        tail
    }

    /// Where to resume after a restart: the end of the last complete line.
    pub fn position(&self) -> FollowOffset {
        FollowOffset {
            inode: self.inode,
            offset: self.offset.saturating_sub(self.lines.buffered() as u64),
        }
    }

    /// Reads whatever is new, calling `out` per complete line. Returns whether anything was read.
    pub fn poll(&mut self, out: &mut dyn FnMut(&[u8])) -> io::Result<bool> {
        let at_path = std::fs::metadata(&self.path).ok();
        let mut read = false;
        match (&self.file, at_path) {
            (None, None) => return Ok(false),
            (None, Some(_)) => self.reopen(),
            (Some(_), Some(meta)) if meta.ino() != self.inode => {
                // Rotated: finish the old file (the writer may have appended before it moved on).
                read |= self.read_new(out)?;
                self.lines.finish(out);
                self.reopen();
            }
            (Some(_), Some(meta)) if meta.len() < self.offset => {
                // Truncated in place: the partial line before the cut is gone with it.
                self.offset = 0;
                self.lines = LineBuf::new(self.max_line);
            }
            _ => {}
        }
        read |= self.read_new(out)?;
        Ok(read)
    }

    fn reopen(&mut self) {
        self.file = None;
        self.offset = 0;
        if let Ok(file) = File::open(&self.path)
            && let Ok(meta) = file.metadata()
        {
            self.inode = meta.ino();
            self.file = Some(file);
        }
    }

    fn read_new(&mut self, out: &mut dyn FnMut(&[u8])) -> io::Result<bool> {
        let Some(file) = self.file.as_mut() else {
            return Ok(false);
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0u64;
        while total < MAX_PER_POLL {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            self.lines.push(&buf[..n], out);
            self.offset += n as u64;
            total += n as u64;
        }
        Ok(total > 0)
    }
}

/// Everything a follower task needs.
#[derive(Debug)]
pub struct Follow {
    /// The agent whose file it is.
    pub agent: AgentId,
    /// The position, resumed from the previous run.
    pub tail: Tail,
    /// Its own matcher: a log file's tracebacks are separate from the stdout stream's.
    pub catalogue: Arc<Catalogue>,
    /// Where incidents and progress go.
    pub events: UnboundedSender<Event>,
    /// Bound on queued incident events.
    pub backlog: std::sync::Arc<crate::event::IncidentBacklog>,
    /// Positions persisted with the supervisor state, keyed by path.
    pub offsets: Arc<Mutex<BTreeMap<String, FollowOffset>>>,
}

impl Follow {
    /// Runs until `stop`, with one last poll after it (agents are stopped first, so their final lines
    /// are read and the persisted position is exact).
    pub fn spawn(self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(self, stop: CancellationToken) {
        let Follow {
            agent,
            mut tail,
            catalogue,
            events,
            backlog,
            offsets,
        } = self;
        let key = tail.path.display().to_string();
        let mut matcher = Matcher::new(catalogue);
        let mut last_progress = Instant::now();
        let mut saved = tail.position();
        lock(&offsets).insert(key.clone(), saved);
        let mut unannounced = false;
        loop {
            let last = tokio::select! {
                _ = stop.cancelled() => true,
                _ = tokio::time::sleep(POLL) => false,
            };
            let polled = tokio::task::spawn_blocking(move || {
                let mut found = Vec::new();
                let result = tail.poll(&mut |line| found.extend(matcher.feed(line)));
                if !matches!(result, Ok(true)) || last {
                    // Quiet (or the end): a traceback in progress is complete.
                    found.extend(matcher.flush());
                }
                (tail, matcher, found, result)
            })
            .await;
            let Ok((t, m, found, result)) = polled else {
                tracing::warn!(file = %key, "log follower stopped unexpectedly");
                return;
            };
            (tail, matcher) = (t, m);
            if let Err(e) = result {
                tracing::debug!(file = %key, error = %e, "log file not readable right now");
            }
            if !found.is_empty() && backlog.reserve(found.len()) {
                let _ = events.send(Event::LogIncidents {
                    agent,
                    incidents: found,
                });
            }
            let position = tail.position();
            if position != saved {
                saved = position;
                unannounced = true;
                lock(&offsets).insert(key.clone(), position);
            }
            if unannounced && last_progress.elapsed() >= PROGRESS_EVERY {
                unannounced = false;
                last_progress = Instant::now();
                let _ = events.send(Event::FollowProgress);
            }
            if last {
                return;
            }
        }
    }
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
