//! The supervisor's record of one agent: its config, lifecycle and the process currently running.

use crate::agent_state::{Lifecycle, Transition};
use crate::control::{Reply, Verb};
use crate::event::ExitInfo;
use crate::log_writer::LogWriter;
use healing_core::config::AgentConfig;
use healing_core::incident::Incident;
use healing_core::kind::ErrorKind;
use healing_core::matcher::Matcher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::oneshot;

/// A timer the loop keeps for an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// Spawn (the decision was already admitted by the breaker and budget).
    Restart {
        breaker_key: String,
        attempt: u32,
        trial: bool,
    },
    /// A hold ends: decide again.
    Retry,
    /// Check again whether its dependencies are ready.
    Dependencies,
}

/// One supervised agent.
#[derive(Debug)]
pub struct AgentRt {
    /// Its configuration (paths already resolved).
    pub cfg: AgentConfig,
    /// Where it is in its life.
    pub life: Lifecycle,
    /// Spawn counter; events of older processes are ignored.
    pub generation: u64,
    /// Pid (= process group id) of the live process.
    pub pid: Option<u32>,
    /// Start time of the live process in `/proc` clock ticks: with the pid, its identity (so a
    /// later supervisor never mistakes a reused pid for it).
    pub pid_start_ticks: Option<u64>,
    /// When the live process was spawned.
    pub started_at: Option<SystemTime>,
    /// How the last process ended.
    pub last_exit: Option<ExitInfo>,
    /// The last diagnosed incident and when.
    pub last_incident: Option<(Incident, SystemTime)>,
    /// The latest incident of the current run: the cause if it dies soon after (see
    /// [`AgentRt::take_exit_cause`]).
    pub run_cause: Option<RunCause>,
    /// The incident the current hold/backoff is about.
    pub cause: Option<Incident>,
    /// Pending timer.
    pub wake: Option<(SystemTime, Wake)>,
    /// Why the supervisor is killing it (hung), if it is.
    pub kill_reason: Option<String>,
    /// Liveness probes pass.
    pub probe_ok: bool,
    /// Its captured-output log.
    pub log: Option<Arc<Mutex<LogWriter>>>,
    /// Matcher of the live process.
    pub matcher: Option<Arc<Mutex<Matcher>>>,
    /// Stopped by the operator: nothing restarts it until `start`, `restart` or `resume`.
    pub operator_stopped: bool,
    /// An operator `stop`/`restart` waiting for the process to end, with the callers to answer.
    pub pending: Option<Pending>,
    /// A reload removed it from the configuration (the slot stays: agent ids are indices).
    pub removed: bool,
    /// Its dependants may start (see [`crate::start_order`]); reset at every spawn.
    pub ready: bool,
    /// A readiness probe of `health_url` is in flight.
    pub ready_probe: bool,
    /// The dependencies it waits for before it starts.
    pub waiting_for: Vec<String>,
    /// It is being killed as hung: where its stack dump is.
    pub hang: Option<crate::hang::HangKill>,
    /// Consecutive failed `health_url` probes.
    pub probe_failures: u32,
    /// When `health_url` is probed next (running agents with one).
    pub next_probe: Option<SystemTime>,
    /// Its alerts are muted until then (see [`crate::mute`]).
    pub muted_until: Option<SystemTime>,
}

/// An operator command that completes when the current process has ended.
#[derive(Debug)]
pub struct Pending {
    /// `Stop` or `Restart`.
    pub verb: Verb,
    /// Who waits for the answer.
    pub waiters: Vec<oneshot::Sender<Reply>>,
}

impl AgentRt {
    /// A not-yet-started agent.
    pub fn new(cfg: AgentConfig) -> Self {
        Self {
            cfg,
            life: Lifecycle::Stopped,
            generation: 0,
            pid: None,
            pid_start_ticks: None,
            started_at: None,
            last_exit: None,
            last_incident: None,
            run_cause: None,
            cause: None,
            wake: None,
            kill_reason: None,
            probe_ok: true,
            log: None,
            matcher: None,
            operator_stopped: false,
            pending: None,
            removed: false,
            ready: false,
            ready_probe: false,
            waiting_for: Vec::new(),
            hang: None,
            probe_failures: 0,
            next_probe: None,
            muted_until: None,
        }
    }

    /// Applies a lifecycle transition through the table; a disallowed move is logged and ignored.
    pub fn go(&mut self, t: Transition) {
        match self.life.next(t) {
            Some(next) => self.life = next,
            None => {
                tracing::debug!(agent = %self.cfg.name, from = %self.life, ?t, "transition ignored")
            }
        }
    }

    /// Running and passing its probes.
    pub fn healthy(&self) -> bool {
        self.life == Lifecycle::Running && self.probe_ok
    }

    /// Remembers `incident`, printed at `at` (on output line `line` of the live process when it came
    /// from its output), as the candidate cause of the run's end. The latest one wins, except that a
    /// bare exit line never hides a diagnosed error printed just before it.
    pub fn note_run_incident(&mut self, incident: &Incident, at: SystemTime, line: Option<u64>) {
        let replace = match &self.run_cause {
            None => true,
            Some(cur) => {
                incident.kind != ErrorKind::ProcessExit
                    || cur.incident.kind == ErrorKind::ProcessExit
            }
        };
        if replace {
            self.run_cause = Some(RunCause {
                incident: incident.clone(),
                at,
                line,
            });
        }
    }

    /// The cause of an exit at `at` after `lines_now` output lines: the run's latest incident if it was
    /// printed within `window` and `max_lines` before the exit; an older one explains nothing.
    pub fn take_exit_cause(
        &mut self,
        at: SystemTime,
        lines_now: Option<u64>,
        window: Duration,
        max_lines: u64,
    ) -> Option<Incident> {
        let rc = self.run_cause.take()?;
        let recent = at.duration_since(rc.at).map_or(true, |d| d <= window);
        let near = match (rc.line, lines_now) {
            (Some(line), Some(now)) => now.saturating_sub(line) <= max_lines,
            _ => true,
        };
        (recent && near).then_some(rc.incident)
    }

    /// Output lines the live (or just ended) process printed so far.
    pub fn output_lines(&self) -> Option<u64> {
        let m = self.matcher.as_ref()?;
        let guard = m.lock().unwrap_or_else(|p| p.into_inner());
        Some(guard.lines())
    }
}

/// The run's candidate exit cause and where it was printed.
#[derive(Debug, Clone)]
pub struct RunCause {
    pub incident: Incident,
    pub at: SystemTime,
    /// Output line of the live process; `None` for incidents from a followed log file.
    pub line: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use healing_core::matcher::exit_incident;

    fn rt() -> AgentRt {
        let cfg: AgentConfig =
            serde_json::from_str(r#"{"name": "a", "command": ["true"]}"#).unwrap();
        AgentRt::new(cfg)
    }

    fn ssl() -> Incident {
        let mut i = exit_incident(Some(1), None, false);
        i.kind = ErrorKind::SslError;
        i
    }

    #[test]
    fn only_an_error_printed_just_before_the_exit_is_its_cause() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let w = Duration::from_secs(30);
        let mut a = rt();
        a.note_run_incident(&ssl(), t0, Some(3));
        assert_eq!(
            a.take_exit_cause(t0 + Duration::from_secs(10), Some(20), w, 50)
                .map(|i| i.kind),
            Some(ErrorKind::SslError)
        );
        a.note_run_incident(&ssl(), t0, Some(3));
        assert!(
            a.take_exit_cause(t0 + Duration::from_secs(3600), Some(20), w, 50)
                .is_none(),
            "too old"
        );
        a.note_run_incident(&ssl(), t0, Some(3));
        assert!(
            a.take_exit_cause(t0 + Duration::from_secs(1), Some(500), w, 50)
                .is_none(),
            "too many lines ago"
        );
        // A bare exit line after a diagnosed error keeps the error as the cause.
        a.note_run_incident(&ssl(), t0, Some(3));
        a.note_run_incident(&exit_incident(Some(1), None, false), t0, Some(4));
        assert_eq!(
            a.take_exit_cause(t0, Some(5), w, 50).map(|i| i.kind),
            Some(ErrorKind::SslError)
        );
    }
}
