//! What the supervisor's event loop reacts to. Every producer (process watchers, stream readers, fix
//! tasks, probes) sends one of these; only the loop mutates agent state.

use crate::control::{Reply, Request, Source};
use healing_core::executor::FixOutcome;
use healing_core::incident::Incident;
use std::time::SystemTime;

/// Index of an agent in the supervisor's table.
pub type AgentId = usize;

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitInfo {
    /// Exit code, when it exited.
    pub code: Option<i32>,
    /// Signal, when it was killed.
    pub signal: Option<i32>,
    /// SIGKILL while the cgroup's OOM counter moved.
    pub oom_killed: bool,
    /// When the exit was seen.
    pub at: SystemTime,
}

/// One thing that happened.
#[derive(Debug)]
pub enum Event {
    /// A process of generation `generation` ended; `incidents` is what the matcher flushed after its
    /// streams were drained.
    Exited {
        agent: AgentId,
        generation: u64,
        exit: ExitInfo,
        incidents: Vec<Incident>,
    },
    /// Incidents diagnosed while the process was running (stream or followed log file).
    Incidents {
        agent: AgentId,
        generation: u64,
        incidents: Vec<Incident>,
    },
    /// A fix finished; every agent waiting on `target` proceeds.
    FixDone { target: String, outcome: FixOutcome },
    /// Incidents diagnosed in the agent's own `log_file` (whichever process wrote them).
    LogIncidents {
        agent: AgentId,
        incidents: Vec<Incident>,
    },
    /// A followed log file's persisted position moved: the state documents need a refresh.
    FollowProgress,
    /// A liveness probe failed: the agent is hung and is restarted like a dead one.
    ProbeFailed {
        agent: AgentId,
        generation: u64,
        reason: String,
    },
    /// A `health_url` probe answered (`failure: None` for a 2xx).
    HealthProbe {
        agent: AgentId,
        generation: u64,
        failure: Option<String>,
    },
    /// A hung agent's `dump_command` output.
    HangDump {
        agent: AgentId,
        generation: u64,
        text: String,
    },
    /// A readiness probe of a dependency's `health_url` answered (`ok`: 2xx).
    Ready {
        agent: AgentId,
        generation: u64,
        ok: bool,
    },
    /// An operator command (see [`crate::control`]); the answer goes to `reply`.
    Control {
        request: Request,
        source: Source,
        reply: tokio::sync::oneshot::Sender<Reply>,
    },
}

/// Incident events ([`Event::Incidents`], [`Event::LogIncidents`]) waiting in the channel at most:
/// under a flood the readers drop (and count) incidents instead of queueing without bound. Exits,
/// fix results and probe failures are never dropped: there is one per process, fix or probe.
pub const MAX_QUEUED_INCIDENT_EVENTS: usize = 1024;

/// The bound on queued incident events, shared by every reader and the event loop.
#[derive(Debug, Default)]
pub struct IncidentBacklog {
    queued: std::sync::atomic::AtomicUsize,
    dropped: std::sync::atomic::AtomicU64,
}

impl IncidentBacklog {
    /// Takes a slot for one event carrying `incidents` incidents; false (and counted as dropped)
    /// when the loop is that far behind.
    pub fn reserve(&self, incidents: usize) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        if self.queued.fetch_add(1, Relaxed) >= MAX_QUEUED_INCIDENT_EVENTS {
            self.queued.fetch_sub(1, Relaxed);
            self.dropped
                .fetch_add(u64::try_from(incidents).unwrap_or(u64::MAX), Relaxed);
            return false;
        }
        true
    }

    /// The loop took one incident event off the channel.
    pub fn release(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let _ = self
            .queued
            .fetch_update(Relaxed, Relaxed, |n| Some(n.saturating_sub(1)));
    }

    /// Incidents dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_backlog_drops_and_counts_until_the_loop_catches_up() {
        let b = IncidentBacklog::default();
        for _ in 0..MAX_QUEUED_INCIDENT_EVENTS {
            assert!(b.reserve(1));
        }
        assert!(!b.reserve(3));
        assert_eq!(b.dropped(), 3);
        b.release();
        assert!(b.reserve(1));
    }
}
