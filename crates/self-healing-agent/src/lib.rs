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
//!
//! [`run`] is the whole service; `main.rs` only wires arguments, tracing and signals to it.

pub mod agent;
pub mod agent_state;
pub mod cli;
pub mod control;
pub mod control_kv;
pub mod control_socket;
pub mod control_transports;
pub mod correlation;
pub mod documents;
pub mod event;
pub mod fixing;
pub mod follow;
pub mod hang;
pub mod healer;
pub mod history;
pub mod http;
pub mod http_control;
pub mod log_tail;
pub mod log_writer;
pub mod metrics;
pub mod oom;
pub mod operator;
pub mod output;
pub mod probe;
pub mod proposals;
pub mod reactions;
pub mod reload;
pub mod scan;
pub mod shutdown;
pub mod snapshot;
pub mod spawn;
pub mod start_order;
pub mod state_docs;
pub mod status_cmd;
pub mod supervisor;
pub mod telegram_api;
pub mod telegram_bot;

use crate::agent::AgentRt;
use crate::agent_state::Lifecycle;
use crate::healer::Healer;
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
use healing_core::state::{ReadOutcome, StateStore, docs, open_state, watch_store_health};
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
    // Dropped last, after the final write and the outbox: releases the directory lock or the lease.
    let (store, guard) = open_state(&config, SOURCE, clock.clone())
        .context("cannot take the state for self-healing-agent")?;
    tracing::info!(state = %store.describe(), "state opened");
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
    let healer = Healer::new(reload::healer_config(&config), previous.persisted.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (snap_tx, snap_rx) = tokio::sync::watch::channel(None);
    let mut sup = Supervisor {
        agents: config
            .agents
            .iter()
            .filter(|a| a.enabled)
            .cloned()
            .map(|cfg| {
                let mut a = AgentRt::new(cfg);
                a.operator_stopped = previous.operator_stopped.contains(&a.cfg.name);
                a
            })
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
        reload: None,
        hold_notices: None,
        proposals: BTreeMap::new(),
        next_proposal: 0,
        config_info: reload::ConfigInfo::of(loaded.path.as_deref(), clock.now()),
    };
    // Followers open their files before the agents write to them; then agents first: everything
    // else (alerts, HTTP, state writer) is built after they are running.
    // Bound before any agent runs (microseconds), so a taken port fails the start cleanly.
    let listener = bind_http(&config).await?;
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
    sup.reload = Some(reload::ReloadCtx {
        path: loaded.path.clone().filter(|_| !loaded.used_defaults),
        store: store.clone(),
        alert_stop: alert_stop.clone(),
    });
    announce_holds(&sup, corrupt);
    let writer = spawn_writer(store.clone(), snap_rx);
    let store_watch = watch_store_health(
        &store,
        sup.alerts.clone(),
        SOURCE,
        shutdown.clone(),
        alert_stop.clone(),
    );
    let http_stop = CancellationToken::new();
    let control_routes = http_control::router(
        sup.tx.clone(),
        std::env::var(http_control::TOKEN_ENV).ok(),
        Arc::new(log_tail::secrets_of(&config)),
    );
    let http_task =
        listener.map(|l| start_http(l, &config, &store, &clock, control_routes, &http_stop));

    let control_stop = CancellationToken::new();
    let transports = control_transports::start(&mut sup, &state_dir, &control_stop);

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
    let store_for_write = store.clone();
    tokio::task::spawn_blocking(move || write_snapshot(&store_for_write, &final_snapshot))
        .await
        .context("final state write panicked")?;
    // Deliver what the shutdown itself queued; whatever is still undelivered goes to the outbox.
    let _ = tokio::time::timeout(ALERT_FLUSH, alerts.flush()).await;
    alert_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(3), alert_task).await;
    control_stop.cancel();
    transports.finish().await;
    http_stop.cancel();
    if let Some(task) = http_task {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    if let Some(task) = store_watch {
        task.abort();
    }
    drop(store);
    drop(guard);
    tracing::info!("self-healing-agent stopped");
    Ok(())
}

/// Binds `self_healing.listen` (on Render `0.0.0.0:$PORT`, resolved by the config loader). A port that
/// cannot be bound is a start-up error: the operator asked for the endpoints.
async fn bind_http(
    config: &healing_core::config::Config,
) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(listen) = &config.self_healing.listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener
        .local_addr()
        .map_or_else(|_| listen.clone(), |a| a.to_string());
    tracing::info!(%address, "HTTP endpoints listening");
    Ok(Some(listener))
}

/// Serves the read-only endpoints from the same state interface the supervisor writes through.
fn start_http(
    listener: tokio::net::TcpListener,
    config: &healing_core::config::Config,
    store: &Arc<StateStore>,
    clock: &SharedClock,
    control: axum::Router,
    stop: &CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let options = http::HttpOptions {
        docs: documents::Documents::Store(store.clone()),
        // The supervisor rewrites its status at least every interval; five missed passes is stale.
        stale_after: (config.self_healing.interval * 5).max(http::DEFAULT_STALE_AFTER),
        clock: clock.clone(),
        control: Some(control),
    };
    let stop = stop.clone();
    tokio::spawn(async move {
        if let Err(e) = http::serve_with(listener, options, stop).await {
            tracing::error!(error = %format!("{e:#}"), "HTTP endpoints stopped");
        }
    })
}

/// Spawns every agent that an earlier run's breaker or budget does not hold.
fn start_agents(sup: &mut Supervisor) {
    let now = sup.clock.now();
    for id in 0..sup.agents.len() {
        let name = sup.agents[id].cfg.name.clone();
        if sup.agents[id].operator_stopped {
            tracing::info!(agent = %name, "{name} stays stopped (stopped by the operator)");
            continue;
        }
        match sup.healer.at_boot(&name, now) {
            None if sup.wait_for_dependencies(id) => {}
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
