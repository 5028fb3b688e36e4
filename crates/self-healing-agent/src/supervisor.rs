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
use crate::state_docs::{Counters, HistoryEntry, SelfHealingDoc, Snapshot};
use healing_core::alert::{Alert, AlertHandle};
use healing_core::catalogue::Catalogue;
use healing_core::clock::SharedClock;
use healing_core::config::Config;
use healing_core::config_load::LoadedConfig;
use healing_core::executor::{Executor, FixOutcome};
use healing_core::kind::Severity;
use healing_core::matcher::Matcher;
use healing_core::policy::Policy;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::{mpsc, watch};

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
    pub(crate) config: Arc<Config>,
    /// Directory fixes run in (the config's base dir).
    pub(crate) base_dir: PathBuf,
    /// Time source for every decision.
    pub(crate) clock: SharedClock,
    /// The agents, by id.
    pub(crate) agents: Vec<AgentRt>,
    /// The pure decision machine.
    pub(crate) healer: Healer,
    /// Safety policy (plans fixes).
    pub(crate) policy: Arc<Policy>,
    /// Runs fixes.
    pub(crate) executor: Arc<Executor>,
    /// Compiled patterns.
    pub(crate) catalogue: Arc<Catalogue>,
    /// Alert queue.
    pub(crate) alerts: AlertHandle,
    /// Event channel (cloned into every watcher).
    pub(crate) tx: mpsc::UnboundedSender<Event>,
    /// Fixes by target.
    pub(crate) fixes: BTreeMap<String, FixSlot>,
    /// Recent history, bounded by `history_limit`.
    pub(crate) history: VecDeque<HistoryEntry>,
    /// Totals.
    pub(crate) counters: Counters,
    /// When this supervisor started.
    pub(crate) started_at: SystemTime,
    /// When the last health pass ran.
    pub(crate) last_health_pass: Option<SystemTime>,
    /// OOM classification.
    pub(crate) oom: Arc<OomWatch>,
    /// `state_dir/logs`.
    pub(crate) logs_dir: PathBuf,
    /// Shutdown has begun: no more restarts.
    pub(crate) stopping: bool,
    /// Snapshots for the state writer.
    pub(crate) snapshots: watch::Sender<Option<Arc<Snapshot>>>,
    /// Something changed since the last snapshot.
    pub(crate) dirty: bool,
    /// Copies agent output to stdout (`self_healing.forward_output`); `None` when off.
    pub(crate) forward: Option<crate::forward::Forwarder>,
    /// Numbers snapshots (see [`crate::state_docs::StateWriter`]).
    pub(crate) snapshot_seq: std::sync::atomic::AtomicU64,
    /// Synchronous writes of the state (`None`: nothing is persisted, as in unit tests).
    pub(crate) durable: Option<Arc<crate::state_docs::StateWriter>>,
    /// Bound on queued incident events (and the count of dropped incidents).
    pub(crate) backlog: Arc<crate::event::IncidentBacklog>,
    /// Dropped incidents already moved into the counters.
    pub(crate) dropped_reported: u64,
    /// Dropped incidents already mentioned in the log, and when.
    pub(crate) dropped_logged: u64,
    /// When dropped incidents were last logged.
    pub(crate) drops_logged_at: Option<SystemTime>,
    /// What a reload needs (the config file, the alerter's store); `None` in unit tests.
    pub(crate) reload: Option<crate::reload::ReloadCtx>,
    /// Fixes waiting for a human (`fixes.mode = "propose"`), by id.
    pub(crate) proposals: BTreeMap<u64, crate::proposals::Proposal>,
    /// The last proposal id handed out.
    pub(crate) next_proposal: u64,
    /// Hold notices for the Telegram command bot, when it runs.
    pub(crate) hold_notices: Option<mpsc::UnboundedSender<crate::telegram_bot::HoldNotice>>,
    /// The configuration in force: file, load time, hash.
    pub(crate) config_info: crate::reload::ConfigInfo,
    /// Followed log offsets (persisted).
    pub(crate) follow_offsets: Arc<Mutex<BTreeMap<String, crate::state_docs::FollowOffset>>>,
}

impl Supervisor {
    /// A supervisor for `loaded`'s enabled agents that carries on from `previous` (budgets,
    /// history, counters, follow offsets, operator stops). Nothing runs yet: the start-up
    /// ([`crate::startup`]) adds the forwarder, the durable writer, the alerter and the reload
    /// context, then starts the agents.
    pub fn new(
        loaded: &LoadedConfig,
        clock: SharedClock,
        previous: SelfHealingDoc,
        executor: Arc<Executor>,
        catalogue: Arc<Catalogue>,
        tx: mpsc::UnboundedSender<Event>,
        snapshots: watch::Sender<Option<Arc<Snapshot>>>,
    ) -> Self {
        let config = Arc::new(loaded.config.clone());
        let agents = config
            .agents
            .iter()
            .filter(|a| a.enabled)
            .cloned()
            .map(|cfg| {
                let mut a = AgentRt::new(cfg);
                a.operator_stopped = previous.operator_stopped.contains(&a.cfg.name);
                a
            })
            .collect();
        let now = clock.now();
        Self {
            agents,
            base_dir: loaded.base_dir.clone(),
            healer: Healer::new(crate::reload::healer_config(&config), previous.persisted),
            policy: executor.policy().clone(),
            executor,
            catalogue,
            alerts: AlertHandle::disabled(),
            tx,
            fixes: BTreeMap::new(),
            history: previous.history,
            counters: previous.counters,
            started_at: now,
            last_health_pass: None,
            oom: Arc::new(OomWatch::new(config.prevention.cgroup_root.clone())),
            logs_dir: config.state_dir.join("logs"),
            stopping: false,
            snapshots,
            dirty: true,
            follow_offsets: Arc::new(Mutex::new(previous.follow_offsets)),
            forward: None,
            snapshot_seq: std::sync::atomic::AtomicU64::new(1),
            backlog: Arc::default(),
            dropped_reported: 0,
            dropped_logged: 0,
            drops_logged_at: None,
            durable: None,
            reload: None,
            hold_notices: None,
            proposals: BTreeMap::new(),
            next_proposal: 0,
            config_info: crate::reload::ConfigInfo::of(loaded.path.as_deref(), now),
            config,
            clock,
        }
    }

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
}
