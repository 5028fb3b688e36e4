//! Capturing an agent's stdout and stderr: every chunk is split into bounded lines (`LineBuf`),
//! appended to the agent's log and fed to the matcher as it arrives. The pipes are always drained, so
//! a flood of output never blocks the agent, and memory stays bounded by `max_line_bytes`.
//!
//! The same module watches for the process's exit (event-driven, no polling) and reports it only after
//! both streams reached EOF (or a short grace when a grandchild keeps a pipe open), with the matcher
//! flushed, so the traceback that explains the crash is known before the supervisor decides.

use crate::event::{AgentId, Event, ExitInfo};
use crate::forward::Forwarder;
use crate::log_writer::LogWriter;
use crate::oom::OomWatch;
use crate::spawn::signal_group;
use healing_core::clock::SharedClock;
use healing_core::line_reader::LineBuf;
use healing_core::matcher::Matcher;
use rustix::process::Signal;
use std::cell::RefCell;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::unix::pipe;
use tokio::process::Child;
use tokio::sync::mpsc::UnboundedSender;

/// How long the exit report waits for the streams to drain after the process is gone.
const DRAIN_GRACE: Duration = Duration::from_millis(200);
/// Read size per stream.
const CHUNK: usize = 8 * 1024;

thread_local! {
    /// One read buffer per runtime thread, shared by every stream: a pump waits for readiness without
    /// holding memory and borrows the buffer only between that wake-up and the end of the synchronous
    /// hand-off to the log and the matcher, so sixteen idle streams cost no buffers at all.
    static READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0u8; CHUNK].into_boxed_slice());
}

/// Everything one process's watchers share.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Which agent.
    pub agent: AgentId,
    /// Which spawn of it (stale events are ignored).
    pub generation: u64,
    /// The matcher for this process's streams (stdout and stderr share traceback state).
    pub matcher: Arc<Mutex<Matcher>>,
    /// The agent's log file.
    pub log: Option<Arc<Mutex<LogWriter>>>,
    /// Longest line kept.
    pub max_line: usize,
    /// Where events go.
    pub events: UnboundedSender<Event>,
    /// OOM classification of SIGKILLs.
    pub oom: Arc<OomWatch>,
    /// Time source.
    pub clock: SharedClock,
    /// Copies every line to the supervisor's stdout under this name (never blocks; see `forward`).
    pub forward: Option<(Forwarder, Arc<str>)>,
    /// Bound on queued incident events.
    pub backlog: Arc<crate::event::IncidentBacklog>,
}

/// Starts the stream pumps and the exit watcher for a freshly spawned child.
pub fn attach(mut child: Child, cap: Capture) {
    let pid = child.id();
    let out = child
        .stdout
        .take()
        .and_then(|s| s.into_owned_fd().ok())
        .map(|fd| tokio::spawn(pump(fd, cap.clone())));
    let err = child
        .stderr
        .take()
        .and_then(|s| s.into_owned_fd().ok())
        .map(|fd| tokio::spawn(pump(fd, cap.clone())));
    tokio::spawn(async move {
        let status = child.wait().await;
        let at = cap.clock.now();
        // Leftover grandchildren of a dead agent are orphans: end them with their group.
        if let Some(pid) = pid {
            crate::spawn::forget(pid);
            signal_group(pid, Signal::KILL);
        }
        let _ = tokio::time::timeout(DRAIN_GRACE, async {
            if let Some(t) = out {
                let _ = t.await;
            }
            if let Some(t) = err {
                let _ = t.await;
            }
        })
        .await;
        let (code, signal) = match &status {
            Ok(s) => (s.code(), s.signal()),
            Err(_) => (None, None),
        };
        // SIGKILL, or 137 from a shell in between, while the cgroup's OOM counter rose.
        let oom_killed = (signal == Some(9) || code == Some(137)) && cap.oom.oom_since_last_check();
        let incidents = lock(&cap.matcher).flush();
        let _ = cap.events.send(Event::Exited {
            agent: cap.agent,
            generation: cap.generation,
            exit: ExitInfo {
                code,
                signal,
                oom_killed,
                at,
            },
            incidents,
        });
    });
}

/// Reads one stream (a pipe) to EOF.
async fn pump(fd: OwnedFd, cap: Capture) {
    let mut lines = LineBuf::new(cap.max_line);
    if let Ok(stream) = pipe::Receiver::from_owned_fd(fd) {
        while stream.readable().await.is_ok() {
            let more = READ_BUF.with_borrow_mut(|buf| match stream.try_read(buf) {
                Ok(0) => false,
                Ok(n) => {
                    let found = consume(&cap, &mut lines, Some(&buf[..n]));
                    report(&cap, found);
                    true
                }
                Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            });
            if !more {
                break;
            }
        }
    }
    let found = consume(&cap, &mut lines, None);
    report(&cap, found);
}

/// Hands a chunk's incidents to the run loop (nothing to send for a quiet chunk).
fn report(cap: &Capture, incidents: Vec<healing_core::incident::Incident>) {
    if !incidents.is_empty() && cap.backlog.reserve(incidents.len()) {
        let _ = cap.events.send(Event::Incidents {
            agent: cap.agent,
            generation: cap.generation,
            incidents,
        });
    }
}

/// Splits `chunk` (or the tail at EOF when `None`) into lines, logs them and feeds the matcher.
fn consume(
    cap: &Capture,
    lines: &mut LineBuf,
    chunk: Option<&[u8]>,
) -> Vec<healing_core::incident::Incident> {
    let mut found = Vec::new();
    let mut matcher = lock(&cap.matcher);
    let mut log = cap.log.as_ref().map(|l| lock(l));
    let mut each = |line: &[u8]| {
        if let Some(log) = log.as_mut() {
            log.line(line);
        }
        if let Some((fwd, name)) = &cap.forward {
            fwd.line(name, line);
        }
        found.extend(matcher.feed(line));
    };
    match chunk {
        Some(chunk) => lines.push(chunk, &mut each),
        None => lines.finish(&mut each),
    }
    if let Some(log) = log.as_mut() {
        log.flush();
    }
    found
}

/// Locks a mutex, recovering from poisoning (a panicked reader must not stop supervision).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
