//! The supervisor's record of one agent: its config, lifecycle and the process currently running.

use crate::agent_state::{Lifecycle, Transition};
use crate::control::{Reply, Verb};
use crate::event::ExitInfo;
use crate::log_writer::LogWriter;
use healing_core::config::AgentConfig;
use healing_core::incident::Incident;
use healing_core::matcher::Matcher;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
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
    /// When the live process was spawned.
    pub started_at: Option<SystemTime>,
    /// How the last process ended.
    pub last_exit: Option<ExitInfo>,
    /// The last diagnosed incident and when.
    pub last_incident: Option<(Incident, SystemTime)>,
    /// The most telling incident of the current run (the cause if it dies).
    pub run_cause: Option<Incident>,
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

    /// Remembers `incident` as the cause of the current run if it says more than what we have.
    pub fn note_run_incident(&mut self, incident: &Incident) {
        let better = match &self.run_cause {
            None => true,
            Some(cur) => incident.severity >= cur.severity,
        };
        if better {
            self.run_cause = Some(incident.clone());
        }
    }
}
