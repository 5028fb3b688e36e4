//! The supervisor: owns every agent, runs the event loop and turns events into actions. One task
//! mutates all state; watchers, fixes and probes report through the event channel.
//!
//! The restart path is kept short: exit event → decision → spawn, and only then logging, alerts,
//! history and the state snapshot.

use crate::agent::{AgentRt, Wake};
use crate::agent_state::Transition;
use crate::event::{AgentId, Event};
use crate::healer::Healer;
use crate::log_writer::LogWriter;
use crate::oom::OomWatch;
use crate::output::{Capture, attach};
use crate::state_docs::{Counters, HistoryEntry, Snapshot};
use healing_core::alert::{Alert, AlertHandle};
use healing_core::catalogue::Catalogue;
use healing_core::clock::SharedClock;
use healing_core::config::Config;
use healing_core::executor::{Executor, FixOutcome};
use healing_core::kind::Severity;
use healing_core::matcher::Matcher;
use healing_core::policy::Policy;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Longest history message kept, in bytes.
pub const HISTORY_MESSAGE_MAX: usize = 512;

/// A fix shared by every agent that needs it (correlation: install a module once, not N times).
#[derive(Debug)]
pub enum FixSlot {
    /// Running; these agents restart when it ends.
    Running(Vec<AgentId>),
    /// Finished at `at` with this outcome.
    Done(SystemTime, FixOutcome),
}

/// The supervisor's whole state.
#[derive(Debug)]
pub struct Supervisor {
    /// The configuration (paths resolved).
    pub config: Arc<Config>,
    /// Directory fixes run in (the config's base dir).
    pub base_dir: PathBuf,
    /// Time source for every decision.
    pub clock: SharedClock,
    /// The agents, by id.
    pub agents: Vec<AgentRt>,
    /// The pure decision machine.
    pub healer: Healer,
    /// Safety policy (plans fixes).
    pub policy: Arc<Policy>,
    /// Runs fixes.
    pub executor: Arc<Executor>,
    /// Compiled patterns.
    pub catalogue: Arc<Catalogue>,
    /// Alert queue.
    pub alerts: AlertHandle,
    /// Event channel (cloned into every watcher).
    pub tx: mpsc::UnboundedSender<Event>,
    /// Fixes by target.
    pub fixes: BTreeMap<String, FixSlot>,
    /// Recent history, bounded by `history_limit`.
    pub history: VecDeque<HistoryEntry>,
    /// Totals.
    pub counters: Counters,
    /// When this supervisor started.
    pub started_at: SystemTime,
    /// When the last health pass ran.
    pub last_health_pass: Option<SystemTime>,
    /// OOM classification.
    pub oom: Arc<OomWatch>,
    /// `state_dir/logs`.
    pub logs_dir: PathBuf,
    /// Shutdown has begun: no more restarts.
    pub stopping: bool,
    /// Snapshots for the state writer.
    pub snapshots: watch::Sender<Option<Arc<Snapshot>>>,
    /// Something changed since the last snapshot.
    pub dirty: bool,
    /// Copies agent output to stdout (`self_healing.forward_output`); `None` when off.
    pub forward: Option<crate::forward::Forwarder>,
    /// Numbers snapshots (see [`crate::state_docs::StateWriter`]).
    pub snapshot_seq: std::sync::atomic::AtomicU64,
    /// Synchronous writes of the state (`None`: nothing is persisted, as in unit tests).
    pub durable: Option<Arc<crate::state_docs::StateWriter>>,
    /// Bound on queued incident events (and the count of dropped incidents).
    pub backlog: Arc<crate::event::IncidentBacklog>,
    /// Dropped incidents already moved into the counters.
    pub dropped_reported: u64,
    /// Dropped incidents already mentioned in the log, and when.
    pub dropped_logged: u64,
    /// When dropped incidents were last logged.
    pub drops_logged_at: Option<SystemTime>,
    /// What a reload needs (the config file, the alerter's store); `None` in unit tests.
    pub reload: Option<crate::reload::ReloadCtx>,
    /// Fixes waiting for a human (`fixes.mode = "propose"`), by id.
    pub proposals: BTreeMap<u64, crate::proposals::Proposal>,
    /// The last proposal id handed out.
    pub next_proposal: u64,
    /// Hold notices for the Telegram command bot, when it runs.
    pub hold_notices: Option<mpsc::UnboundedSender<crate::telegram_bot::HoldNotice>>,
    /// The configuration in force: file, load time, hash.
    pub config_info: crate::reload::ConfigInfo,
    /// Followed log offsets (persisted).
    pub follow_offsets: Arc<Mutex<BTreeMap<String, crate::state_docs::FollowOffset>>>,
}

impl Supervisor {
    /// Spawns agent `id` now. Returns false (and holds it with a clear incident) when it cannot start.
    pub fn spawn_agent(&mut self, id: AgentId) -> bool {
        let now = self.clock.now();
        let agent = &mut self.agents[id];
        agent.wake = None;
        match crate::spawn::spawn(&agent.cfg) {
            Ok(child) => {
                agent.generation += 1;
                agent.pid = child.id();
                agent.pid_start_ticks = agent.pid.and_then(crate::proc_tree::start_ticks);
                agent.started_at = Some(now);
                agent.run_cause = None;
                agent.kill_reason = None;
                agent.probe_ok = true;
                agent.ready = false;
                agent.ready_probe = false;
                agent.waiting_for.clear();
                agent.hang = None;
                agent.probe_failures = 0;
                agent.next_probe = agent
                    .cfg
                    .health_url
                    .as_ref()
                    .map(|_| now + agent.cfg.health_start_period);
                agent.go(Transition::Spawned);
                if agent.log.is_none() {
                    match LogWriter::open(
                        &self.logs_dir,
                        &agent.cfg.name,
                        self.config.self_healing.log_max_bytes,
                        self.config.self_healing.log_backups,
                    ) {
                        Ok(w) => agent.log = Some(Arc::new(Mutex::new(w))),
                        Err(e) => {
                            tracing::warn!(agent = %agent.cfg.name, error = %e, "cannot open agent log")
                        }
                    }
                }
                let matcher = Arc::new(Mutex::new(Matcher::new(self.catalogue.clone())));
                agent.matcher = Some(matcher.clone());
                attach(
                    child,
                    Capture {
                        agent: id,
                        generation: agent.generation,
                        matcher,
                        log: agent.log.clone(),
                        max_line: self.config.self_healing.max_line_bytes,
                        events: self.tx.clone(),
                        oom: self.oom.clone(),
                        clock: self.clock.clone(),
                        forward: self
                            .forward
                            .as_ref()
                            .map(|f| (f.clone(), Arc::from(agent.cfg.name.as_str()))),
                        backlog: self.backlog.clone(),
                    },
                );
                self.dirty = true;
                true
            }
            Err(e) if e.transient => {
                self.spawn_failed_transiently(id, e);
                false
            }
            Err(e) => {
                let name = agent.cfg.name.clone();
                agent.pid = None;
                agent.go(Transition::Exited);
                agent.go(Transition::Hold);
                // A missing directory or executable may be deployed later: try again (see
                // `Healer::attention_retry_at`).
                agent.wake = Some((self.healer.attention_retry_at(now), Wake::Retry));
                tracing::error!(agent = %name, "⚠️ {}", e.message);
                let kind = e.incident.kind.to_string();
                *self
                    .counters
                    .incidents_total
                    .entry(kind.clone())
                    .or_default() += 1;
                agent.last_incident = Some((*e.incident, now));
                self.record(&name, "held", Some(kind), None, None, &e.message);
                self.alert(Alert {
                    key: format!("spawn:{name}"),
                    severity: Severity::High,
                    source: crate::SOURCE.into(),
                    agent: Some(name),
                    title: "Agent cannot start".into(),
                    body: e.message,
                });
                self.dirty = true;
                false
            }
        }
    }

    /// The system was short of a resource (descriptors, processes, memory) at the spawn: a failed
    /// attempt retried on the backoff curve like a crash, never a one-hour hold.
    fn spawn_failed_transiently(&mut self, id: AgentId, e: crate::spawn::SpawnError) {
        let now = self.clock.now();
        let agent = &mut self.agents[id];
        let name = agent.cfg.name.clone();
        agent.pid = None;
        agent.go(Transition::Exited);
        tracing::warn!(agent = %name, "⚠️ {} (transient: retrying)", e.message);
        agent.last_incident = Some(((*e.incident).clone(), now));
        self.record(&name, "spawn_failed", None, None, None, &e.message);
        let decision = self.healer.on_failed_attempt(&name, &e.incident, now);
        self.apply(id, decision, &e.incident, None);
        self.dirty = true;
    }

    /// The earliest pending agent timer.
    fn next_wake(&self) -> Option<SystemTime> {
        let timers = self
            .agents
            .iter()
            .filter_map(|a| a.wake.as_ref().map(|w| w.0));
        let stable = self
            .agents
            .iter()
            .filter(|a| a.pid.is_some())
            .filter_map(|a| self.healer.stable_at(&a.cfg.name));
        let probes = self
            .agents
            .iter()
            .filter(|a| a.pid.is_some())
            .filter_map(|a| a.next_probe);
        let proposals = self.proposals.values().map(|p| p.expires_at);
        timers.chain(stable).chain(probes).chain(proposals).min()
    }

    /// Fires every due timer.
    fn on_timers(&mut self) {
        let now = self.clock.now();
        self.probes_due(now);
        self.expire_proposals(now);
        for id in 0..self.agents.len() {
            let name = self.agents[id].cfg.name.clone();
            if self.agents[id].pid.is_some()
                && self.healer.stable_at(&name).is_some_and(|t| t <= now)
                && self.healer.on_stable(&name, now)
            {
                tracing::info!(agent = %name, "✅ {name} is stable again");
                self.record(
                    &name,
                    "breaker_closed",
                    None,
                    None,
                    None,
                    "restart succeeded",
                );
                self.dirty = true;
            }
            let due = self.agents[id]
                .wake
                .as_ref()
                .is_some_and(|(at, _)| *at <= now);
            if !due || self.stopping {
                continue;
            }
            match self.agents[id].wake.take().map(|w| w.1) {
                Some(Wake::Restart {
                    breaker_key,
                    attempt,
                    trial,
                }) => self.restart_now(id, &breaker_key, attempt, trial),
                Some(Wake::Retry) => self.retry_hold(id),
                Some(Wake::Dependencies) => self.on_dependencies_timer(id),
                None => {}
            }
        }
    }

    /// The event loop. Returns when `shutdown` fires (agents are then stopped by the caller).
    pub async fn run(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<Event>,
        shutdown: &CancellationToken,
    ) {
        let interval = self
            .config
            .self_healing
            .interval
            .max(Duration::from_millis(100));
        let next = |from: tokio::time::Instant| {
            from.checked_add(interval)
                .unwrap_or(from + healing_core::duration_bound::MAX)
        };
        let mut next_pass = next(tokio::time::Instant::now());
        self.publish();
        let mut last_publish = tokio::time::Instant::now();
        loop {
            // Under a flood of events the snapshot is built at most every PUBLISH_EVERY, not per event.
            let publish_at = self
                .dirty
                .then_some(last_publish + crate::publishing::PUBLISH_EVERY);
            let wake_in = self
                .next_wake()
                .map(|t| t.duration_since(self.clock.now()).unwrap_or(Duration::ZERO));
            let timer = async {
                match wake_in {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                ev = rx.recv() => match ev {
                    Some(ev) => self.on_event(ev),
                    None => return,
                },
                _ = timer => self.on_timers(),
                _ = tokio::time::sleep_until(next_pass) => {
                    next_pass = next(tokio::time::Instant::now());
                    self.health_pass();
                }
                _ = async { tokio::time::sleep_until(publish_at.unwrap_or(next_pass)).await }, if publish_at.is_some() => {}
            }
            if publish_at.is_none_or(|at| tokio::time::Instant::now() >= at) && self.dirty {
                self.publish();
                last_publish = tokio::time::Instant::now();
            }
        }
    }

    /// Dispatches one event.
    pub fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Exited {
                agent,
                generation,
                exit,
                incidents,
            } => self.on_exit(agent, generation, exit, incidents),
            Event::Incidents {
                agent,
                generation,
                incidents,
            } => {
                self.backlog.release();
                self.on_incidents(agent, generation, incidents);
            }
            Event::LogIncidents { agent, incidents } => {
                self.backlog.release();
                self.on_log_incidents(agent, incidents);
            }
            Event::FollowProgress => self.dirty = true,
            Event::FixDone { target, outcome } => self.on_fix_done(target, outcome),
            Event::ProbeFailed {
                agent,
                generation,
                reason,
            } => self.on_probe_failed(agent, generation, reason),
            Event::HealthProbe {
                agent,
                generation,
                failure,
            } => self.on_health_probe(agent, generation, failure),
            Event::HangDump {
                agent,
                generation,
                text,
            } => self.on_hang_dump(agent, generation, text),
            Event::Ready {
                agent,
                generation,
                ok,
            } => self.on_ready(agent, generation, ok),
            Event::Control {
                request,
                source,
                reply,
            } => self.on_control(request, source, reply),
        }
    }
}
