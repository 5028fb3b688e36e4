//! Agent output on the supervisor's stdout, `[agent] line` (or one JSON object per line with an
//! `agent` field), the way `docker compose up` and `pm2 logs` show it — because on Render the service's
//! stdout *is* its log stream, and `state_dir/logs/<agent>.log` is invisible there and lost at a deploy.
//!
//! Forwarding must never slow capture or the restart path, so the output pump only hands a copy of the
//! line to a bounded queue ([`Forwarder::line`] never blocks). A dedicated thread formats, redacts and
//! writes. When stdout does not keep up (a pipe nobody reads, a stalled terminal), the queue fills and
//! further lines are dropped and counted; the count is reported in the stream once writing resumes.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};

/// Lines waiting for the writer, at most.
const QUEUE_LINES: usize = 4096;
/// Bytes waiting for the writer, at most (lines can be up to `max_line_bytes` long each).
const QUEUE_BYTES: usize = 1024 * 1024;
/// Lines written per flush.
const BATCH: usize = 256;
/// Pause after a partial batch, so a steady stream of lines wakes the writer ~100 times a second
/// rather than once per line (a wake-up per line cost more CPU than the formatting).
const COALESCE: std::time::Duration = std::time::Duration::from_millis(10);
/// Prefix colours, chosen per agent name (cyan, yellow, green, magenta, blue, red).
const COLOURS: &[&str] = &["36", "33", "32", "35", "34", "31"];

/// How forwarded lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `[agent] line`; the prefix is coloured only when `colour` (a terminal without `NO_COLOR`).
    Text {
        /// Colour the `[agent]` prefix.
        colour: bool,
    },
    /// `{"timestamp":…,"agent":…,"message":…}`, the shape `LOG_FORMAT=json` asks for.
    Json,
}

impl Format {
    /// The format for this process: JSON under `LOG_FORMAT=json`, colour only on a terminal that
    /// does not set `NO_COLOR` (https://no-color.org: any non-empty value).
    pub fn from_env(stdout_is_terminal: bool, env: &dyn Fn(&str) -> Option<String>) -> Self {
        if env("LOG_FORMAT").is_some_and(|v| v.eq_ignore_ascii_case("json")) {
            return Self::Json;
        }
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self::Text {
            colour: stdout_is_terminal && !no_color,
        }
    }
}

/// One forwarded line under `LOG_FORMAT=json`, in the field names tracing's JSON uses for its own.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    timestamp: &'a str,
    agent: &'a str,
    message: &'a str,
}

/// One line on its way to stdout.
struct Line {
    agent: Arc<str>,
    text: Vec<u8>,
}

/// Counters shared by the pumps and the writer.
#[derive(Debug, Default)]
struct Shared {
    /// Bytes in the queue.
    queued: AtomicUsize,
    /// Lines dropped because the queue was full (or stdout is gone).
    dropped: AtomicU64,
    /// Lines written.
    written: AtomicU64,
}

/// The pumps' handle: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct Forwarder {
    tx: SyncSender<Line>,
    shared: Arc<Shared>,
}

impl Forwarder {
    /// Starts the writer thread on `out`. Every line passes the one redactor
    /// (`healing_core::redact::line`: the registered secrets and credential shapes) before it is written.
    pub fn spawn(out: Box<dyn Write + Send>, format: Format) -> io::Result<Self> {
        let (tx, rx) = sync_channel(QUEUE_LINES);
        let shared = Arc::new(Shared::default());
        let writer = Writer {
            out,
            format,
            shared: shared.clone(),
            reported: 0,
            broken: false,
        };
        std::thread::Builder::new()
            .name("forward-output".into())
            .spawn(move || writer.run(rx))?;
        Ok(Self { tx, shared })
    }

    /// Queues one line of `agent`'s output, or drops and counts it when the writer is behind.
    pub fn line(&self, agent: &Arc<str>, line: &[u8]) {
        let len = line.len() + agent.len();
        if self.shared.queued.fetch_add(len, Ordering::Relaxed) + len > QUEUE_BYTES {
            self.shared.queued.fetch_sub(len, Ordering::Relaxed);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let sent = self.tx.try_send(Line {
            agent: agent.clone(),
            text: line.to_vec(),
        });
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = sent {
            self.shared.queued.fetch_sub(len, Ordering::Relaxed);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lines dropped so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Lines written so far.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }
}

/// The writer thread's state.
struct Writer {
    out: Box<dyn Write + Send>,
    format: Format,
    shared: Arc<Shared>,
    /// Drops already announced in the stream.
    reported: u64,
    /// stdout failed (closed pipe): lines are only counted from then on.
    broken: bool,
}

impl Writer {
    fn run(mut self, rx: Receiver<Line>) {
        let mut buf = Vec::with_capacity(64 * 1024);
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(line) => batch.push(line),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            let bytes: usize = batch.iter().map(|l| l.text.len() + l.agent.len()).sum();
            let n = batch.len() as u64;
            buf.clear();
            if !self.broken {
                self.announce_drops(&mut buf);
                for line in &batch {
                    self.format_line(&mut buf, line);
                }
            }
            drop(batch);
            if self.broken
                || self
                    .out
                    .write_all(&buf)
                    .and_then(|()| self.out.flush())
                    .is_err()
            {
                self.broken = true;
                self.shared.dropped.fetch_add(n, Ordering::Relaxed);
            } else {
                self.shared.written.fetch_add(n, Ordering::Relaxed);
            }
            self.shared.queued.fetch_sub(bytes, Ordering::Relaxed);
            if n < BATCH as u64 {
                std::thread::sleep(COALESCE);
            }
        }
    }

    /// Says, in the stream itself, how many lines are missing since the last report.
    fn announce_drops(&mut self, buf: &mut Vec<u8>) {
        let dropped = self.shared.dropped.load(Ordering::Relaxed);
        if dropped > self.reported {
            let text = format!(
                "{} line(s) of agent output dropped: stdout did not keep up (all lines are in state_dir/logs)",
                dropped - self.reported
            );
            self.reported = dropped;
            tracing::warn!("{text}");
            self.write_one(buf, "self-healing-agent", &text);
        }
    }

    fn format_line(&self, buf: &mut Vec<u8>, line: &Line) {
        let text = match self.format {
            // A terminal shows the agent's own colours; anywhere else they are noise.
            Format::Text { colour: true } => String::from_utf8_lossy(&line.text),
            _ => healing_core::matcher::clean(&line.text),
        };
        // The redactor's own substring checks skip its rules on lines that cannot match them.
        self.write_one(buf, &line.agent, &healing_core::redact::line(&text));
    }

    fn write_one(&self, buf: &mut Vec<u8>, agent: &str, text: &str) {
        match self.format {
            Format::Json => {
                let timestamp = crate::state_docs::rfc3339(std::time::SystemTime::now());
                let obj = JsonLine {
                    timestamp: &timestamp,
                    agent,
                    message: text,
                };
                // Serialising three strings cannot fail; a failure would only lose this line.
                let _ = serde_json::to_writer(&mut *buf, &obj);
                buf.push(b'\n');
            }
            Format::Text { colour } => {
                if colour {
                    let c = COLOURS[name_hash(agent) % COLOURS.len()];
                    let _ = write!(buf, "\x1b[{c}m[{agent}]\x1b[0m {text}");
                } else {
                    let _ = write!(buf, "[{agent}] {text}");
                }
                buf.push(b'\n');
            }
        }
    }
}

/// A stable small hash, so an agent keeps its colour across restarts and runs.
fn name_hash(name: &str) -> usize {
    name.bytes().fold(0usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    })
}

#[cfg(test)]
#[path = "forward_tests.rs"]
mod tests;
