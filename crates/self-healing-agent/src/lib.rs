//! `self-healing-agent`: owns the agents listed in `healing.toml`, watches them and fixes what
//! breaks — within seconds — without ever making things worse.
//!
//! | module | what it holds |
//! |---|---|
//! | [`cli`], [`scan`] | the command line; `scan` replays log files through the catalogue and policy |
//! | [`supervisor`], [`reactions`], [`fixing`], [`shutdown`], [`probe`] | the event loop and what it does with events |
//! | [`healer`], [`correlation`], [`agent_state`] | the pure decisions: backoff, budget, breaker, correlation, lifecycle |
//! | [`spawn`], [`output`], [`log_writer`], [`oom`] | processes: spawning, capture, exit and OOM detection |
//! | [`follow`] | agents' own log files, followed with `tail -F` semantics |
//! | [`state_docs`], [`snapshot`] | the state documents and their coalescing writer |
//! | [`http`], [`metrics`], [`status_cmd`], [`documents`] | read-only views of the documents: `/health`, `/metrics`, `status` |
//!
//! [`run`] is the whole service; `main.rs` only wires arguments, tracing and signals to it.

pub mod agent;
pub mod agent_state;
pub mod cli;
pub mod correlation;
pub mod documents;
pub mod event;
pub mod fixing;
pub mod follow;
pub mod healer;
pub mod http;
pub mod log_writer;
pub mod metrics;
pub mod oom;
pub mod output;
pub mod probe;
pub mod reactions;
pub mod scan;
pub mod shutdown;
pub mod snapshot;
pub mod spawn;
pub mod state_docs;
pub mod status_cmd;
pub mod supervisor;

use crate::agent::AgentRt;
use crate::agent_state::Lifecycle;
use crate::healer::{Healer, HealerConfig};
use crate::state_docs::{SelfHealingDoc, spawn_writer, write_snapshot};
use crate::supervisor::Supervisor;
use anyhow::Context;
use healing_core::alert::{Alert, AlertHandle, Alerter};
use healing_core::catalogue::Catalogue;
use healing_core::clock::{SharedClock, system_clock};
use healing_core::config_load::LoadedConfig;
use healing_core::executor::Executor;
use healing_core::kind::Severity;
use healing_core::policy::Policy;
use healing_core::state::{ReadOutcome, StateStore, docs};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The `source` of every alert and the writer name of every document.
pub const SOURCE: &str = "self-healing-agent";

/// How long shutdown waits for queued alerts to be delivered before parking them in the outbox.
const ALERT_FLUSH: Duration = Duration::from_secs(2);

/// Runs the supervisor until `shutdown` fires, then stops every agent and writes the final state.
pub async fn run(loaded: LoadedConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    run_with_clock(loaded, shutdown, system_clock()).await
}

/// [`run`] with an injected clock.
pub async fn run_with_clock(
    loaded: LoadedConfig,
    shutdown: CancellationToken,
    clock: SharedClock,
) -> anyhow::Result<()> {
    let config = Arc::new(loaded.config.clone());
    let state_dir = config.state_dir.clone();
    let (store, _lock) = StateStore::open_dir(&state_dir, SOURCE)
        .with_context(|| format!("cannot take the state directory {}", state_dir.display()))?;
    let store = Arc::new(store);
    let (previous, corrupt) = match store.read::<SelfHealingDoc>(docs::SELF_HEALING) {
        ReadOutcome::Loaded(doc) => (doc, None),
        ReadOutcome::Missing => (SelfHealingDoc::default(), None),
        ReadOutcome::Corrupt { moved_to, error } => {
            tracing::warn!(moved_to = %moved_to, error = %error, "state file was corrupt; set aside, starting fresh");
            (SelfHealingDoc::default(), Some(moved_to))
        }
    };
    let catalogue = Arc::new(
        Catalogue::new(&config.patterns, &config.fixes.package_map)
            .context("cannot compile the error patterns")?,
    );
    let policy = Arc::new(
        Policy::from_config(&config.fixes, &loaded.base_dir)
            .context("cannot build the fix policy")?,
    );
    let executor = Arc::new(
        Executor::new(
            policy.clone(),
            config.fixes.install_command.clone(),
            config.fixes.command_timeout,
        )
        .with_cwd(&loaded.base_dir),
    );
    let healer = Healer::new(
        HealerConfig {
            restart: config.restart.clone(),
            breaker: config.breaker.clone(),
            stable_after: config.self_healing.stable_after,
            correlation_window: config.self_healing.correlation_window,
        },
        previous.persisted.clone(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (snap_tx, snap_rx) = tokio::sync::watch::channel(None);
    let mut sup = Supervisor {
        agents: config
            .agents
            .iter()
            .filter(|a| a.enabled)
            .cloned()
            .map(AgentRt::new)
            .collect(),
        config: config.clone(),
        base_dir: loaded.base_dir.clone(),
        clock: clock.clone(),
        healer,
        policy,
        executor,
        catalogue,
        alerts: AlertHandle::disabled(),
        tx,
        fixes: BTreeMap::new(),
        history: previous.history,
        counters: previous.counters,
        started_at: clock.now(),
        last_health_pass: None,
        oom: Arc::new(oom::OomWatch::new(config.prevention.cgroup_root.clone())),
        logs_dir: state_dir.join("logs"),
        stopping: false,
        snapshots: snap_tx,
        dirty: true,
        follow_offsets: Arc::new(Mutex::new(previous.follow_offsets)),
    };
    // Followers open their files before the agents write to them; then agents first: everything
    // else (alerts, HTTP, state writer) is built after they are running.
    let follow_stop = CancellationToken::new();
    let followers = follow::start_all(&sup, &follow_stop);
    start_agents(&mut sup);
    let alert_stop = CancellationToken::new();
    let (alerts, alert_task) = Alerter::spawn(
        &config.alerts,
        store.clone(),
        SOURCE,
        clock.clone(),
        alert_stop.clone(),
    );
    sup.alerts = alerts;
    announce_holds(&sup, corrupt);
    let writer = spawn_writer(store.clone(), snap_rx);
    let http_stop = CancellationToken::new();
    let http_task = spawn_http(&config, &state_dir, &http_stop).await;

    sup.run(&mut rx, &shutdown).await;
    sup.stop_all(&mut rx).await;
    // The followers read the stopped agents' last lines, then their positions are final.
    follow_stop.cancel();
    for f in followers {
        let _ = tokio::time::timeout(Duration::from_secs(2), f).await;
    }
    while let Ok(ev) = rx.try_recv() {
        sup.on_event(ev);
    }
    let final_snapshot = sup.snapshot();
    let alerts = sup.alerts.clone();
    drop(sup);
    let _ = writer.await;
    http_stop.cancel();
    if let Some(task) = http_task {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    let store_for_write = store.clone();
    tokio::task::spawn_blocking(move || write_snapshot(&store_for_write, &final_snapshot))
        .await
        .context("final state write panicked")?;
    // Deliver what the shutdown itself queued; whatever is still undelivered goes to the outbox.
    let _ = tokio::time::timeout(ALERT_FLUSH, alerts.flush()).await;
    alert_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(3), alert_task).await;
    tracing::info!("self-healing-agent stopped");
    Ok(())
}

/// Serves the endpoints when `self_healing.listen` is set. A bind failure is logged, not fatal: the
/// agents are already running and supervising them matters more than answering probes (a platform
/// health check will notice the missing endpoint on its own).
async fn spawn_http(
    config: &healing_core::config::Config,
    state_dir: &std::path::Path,
    stop: &CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let addr = config.self_healing.listen.as_deref()?;
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%addr, error = %e, "cannot serve the HTTP endpoints");
            return None;
        }
    };
    let bound = listener
        .local_addr()
        .map_or_else(|_| addr.to_string(), |a| a.to_string());
    tracing::info!(addr = %bound, "serving /health and /metrics");
    // The status document is rewritten at every health pass: three missed passes mean a stuck loop.
    let mut options = http::HttpOptions::new(state_dir.to_path_buf());
    options.stale_after = options.stale_after.max(config.self_healing.interval * 3);
    let stop = stop.clone();
    Some(tokio::spawn(async move {
        if let Err(e) = http::serve_with(listener, options, stop).await {
            tracing::error!(error = %e, "HTTP endpoints stopped");
        }
    }))
}

/// Spawns every agent that an earlier run's breaker or budget does not hold.
fn start_agents(sup: &mut Supervisor) {
    let now = sup.clock.now();
    for id in 0..sup.agents.len() {
        let name = sup.agents[id].cfg.name.clone();
        match sup.healer.at_boot(&name, now) {
            None => {
                if sup.spawn_agent(id) {
                    tracing::info!(agent = %name, pid = ?sup.agents[id].pid, "Started {name}");
                }
            }
            Some(decision) => {
                let cause = healing_core::matcher::exit_incident(None, None, false);
                sup.apply(id, decision, &cause, None);
            }
        }
    }
}

/// Alerts that could not be sent before the alerter existed.
fn announce_holds(sup: &Supervisor, corrupt: Option<String>) {
    if let Some(moved_to) = corrupt {
        sup.alerts.send(Alert {
            key: "state:corrupt".into(),
            severity: Severity::High,
            source: SOURCE.into(),
            agent: None,
            title: "State file was corrupt".into(),
            body: format!(
                "{} was set aside as {moved_to}; budgets and breakers start fresh",
                docs::SELF_HEALING
            ),
        });
    }
    for a in sup
        .agents
        .iter()
        .filter(|a| a.life == Lifecycle::NeedsAttention)
    {
        sup.alerts.send(Alert {
            key: format!("spawn:{}", a.cfg.name),
            severity: Severity::High,
            source: SOURCE.into(),
            agent: Some(a.cfg.name.clone()),
            title: "Agent cannot start".into(),
            body: format!("{} could not be started; see the log", a.cfg.name),
        });
    }
}
