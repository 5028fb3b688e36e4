//! Start-up and its teardown: everything [`crate::run`] wires around the supervisor's event loop
//! (state, lifetime guards, followers, agents, alerter, HTTP endpoints, control transports), and
//! the order it is all ended in. A lost lease surfaces from [`Service::finish`] as its typed error.

use crate::agent_state::Lifecycle;
use crate::event::Event;
use crate::state_docs::{SelfHealingDoc, StateWriter, spawn_writer};
use crate::supervisor::Supervisor;
use crate::{
    SOURCE, control_transports, documents, forward, http, http_access, http_conn, http_control,
    lifetime, live_docs, reload, spawn,
};
use anyhow::Context;
use healing_core::alert::Alert;
use healing_core::catalogue::Catalogue;
use healing_core::clock::SharedClock;
use healing_core::config_load::LoadedConfig;
use healing_core::kind::Severity;
use healing_core::service::Service;
use healing_core::state::{Loaded, Scope, docs};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The supervisor and every task started around it, until [`Running::stop`].
pub(crate) struct Running {
    sup: Supervisor,
    rx: mpsc::UnboundedReceiver<Event>,
    service: Service,
    state_writer: Arc<StateWriter>,
    writer: JoinHandle<()>,
    alert_stop: CancellationToken,
    control_stop: CancellationToken,
    transports: control_transports::Transports,
    http_stop: CancellationToken,
    http_task: Option<JoinHandle<()>>,
    reaper_stop: CancellationToken,
    reaper: JoinHandle<()>,
}

/// Opens the state, stops what an earlier run left behind, starts the agents, then the alerter,
/// state writer, HTTP endpoints and control transports around them.
pub(crate) async fn start(
    loaded: &LoadedConfig,
    shutdown: CancellationToken,
    clock: SharedClock,
) -> anyhow::Result<Running> {
    let config = &loaded.config;
    let state_dir = config.state_dir.clone();
    // The service runtime: state and its lock or lease, alerter, store watch; ended by `finish`.
    let service = Service::start(SOURCE, Scope::Instance, config, clock.clone(), shutdown)?;
    let store = service.store().clone();
    lifetime::become_subreaper();
    let nofile = lifetime::raise_nofile_limit();
    tracing::debug!(?nofile, "open-files limit");
    let reaper_stop = CancellationToken::new();
    let reaper = lifetime::spawn_reaper(Arc::new(spawn::is_own), reaper_stop.clone());
    let leftovers = store.read_raw(docs::AGENT_STATUS);
    lifetime::stop_leftovers(leftovers.as_ref(), config.self_healing.grace_period).await;
    let Loaded {
        value: previous,
        set_aside: corrupt,
    } = service.read_or_default::<SelfHealingDoc>(docs::SELF_HEALING);
    // A missing document is a first start, not a restart.
    let crashed = previous.started_at.is_some() && !previous.clean_shutdown;
    if crashed {
        tracing::warn!(
            "the previous supervisor did not shut down cleanly: boot starts count against the restart budgets"
        );
    }
    let catalogue = Arc::new(
        Catalogue::new(&config.patterns, &config.fixes.package_map)
            .context("cannot compile the error patterns")?,
    );
    let executor = Arc::new(Service::executor(loaded)?);
    let state_writer = Arc::new(StateWriter::new(store.clone()));
    let (tx, rx) = mpsc::unbounded_channel();
    let (snap_tx, snap_rx) = tokio::sync::watch::channel(None);
    let mut sup = Supervisor::new(
        loaded,
        clock.clone(),
        previous,
        executor,
        catalogue,
        tx,
        snap_tx,
    );
    sup.forward = start_forwarding(config);
    sup.durable = Some(state_writer.clone());
    if sup.agents.is_empty() {
        tracing::warn!(
            "nothing to supervise: no enabled [[agents]] in the configuration; add some to {}",
            loaded
                .path
                .as_ref()
                .map_or_else(|| "healing.toml".into(), |p| p.display().to_string())
        );
    }
    // Followers open their files before the agents write to them; then agents first: everything
    // else (alerts, HTTP, state writer) is built after they are running.
    // Bound before any agent runs (microseconds), so a taken port fails the start cleanly.
    let listener = bind_http(config).await?;
    let follow_stop = CancellationToken::new();
    let followers = crate::followers::Followers::start(&sup, &follow_stop);
    start_agents(&mut sup, crashed);
    // Alerts from the agents' first start are sent again by `announce_holds`, once the handle is set.
    sup.alerts = service.alerts().clone();
    // Stops the alerters a reload builds with new settings (the service's own is ended by `finish`).
    let alert_stop = CancellationToken::new();
    sup.reload = Some(reload::ReloadCtx {
        path: loaded.path.clone().filter(|_| !loaded.used_defaults),
        store: store.clone(),
        alert_stop: alert_stop.clone(),
        followers,
        alerter_task: None,
    });
    state_writer.set_alerts(sup.alerts.clone());
    announce_holds(&sup, corrupt);
    let writer = spawn_writer(state_writer.clone(), snap_rx);
    let http_stop = CancellationToken::new();
    let control_routes =
        http_control::router(sup.tx.clone(), std::env::var(http_control::TOKEN_ENV).ok());
    let live = documents::Documents::Live(live_docs::LiveDocs {
        store,
        snapshots: sup.snapshots.subscribe(),
        writer: state_writer.clone(),
    });
    let http_task = listener.map(|l| {
        let options = http::HttpOptions {
            docs: live,
            // The supervisor rewrites its status at least every interval; five missed passes is stale.
            stale_after: (config.self_healing.interval * 5).max(http::DEFAULT_STALE_AFTER),
            clock: clock.clone(),
            access: l
                .local_addr()
                .map_or(http_access::Access::Token(None), |addr| {
                    http_access::Access::for_listener(
                        addr,
                        std::env::var(http_access::TOKEN_ENV).ok(),
                    )
                }),
            // Idle clients never get the descriptors that spawning and state writes need.
            limits: http_conn::Limits::for_nofile(nofile),
            alerts: sup.alerts.clone(),
            control: Some(control_routes),
        };
        start_http(l, options, &http_stop)
    });
    let control_stop = CancellationToken::new();
    let transports = control_transports::start(&mut sup, &state_dir, &control_stop);
    Ok(Running {
        sup,
        rx,
        service,
        state_writer,
        writer,
        alert_stop,
        control_stop,
        transports,
        http_stop,
        http_task,
        reaper_stop,
        reaper,
    })
}

impl Running {
    /// The event loop, until the service's shutdown token fires.
    pub(crate) async fn supervise(&mut self) {
        self.sup.run(&mut self.rx, self.service.token()).await;
    }

    /// Stops every agent, writes the final state, then ends what [`start`] started, in reverse.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        let (mut sup, mut rx, service) = (self.sup, self.rx, self.service);
        sup.stop_all(&mut rx).await;
        // The followers read the stopped agents' last lines, then their positions are final.
        if let Some(ctx) = sup.reload.as_mut() {
            std::mem::take(&mut ctx.followers).finish().await;
        }
        while let Ok(ev) = rx.try_recv() {
            sup.on_event(ev);
        }
        let mut final_snapshot = sup.snapshot();
        final_snapshot.state.clean_shutdown = true;
        let alerts = sup.alerts.clone();
        drop(sup);
        let _ = self.writer.await;
        tokio::task::spawn_blocking(move || self.state_writer.write(&final_snapshot))
            .await
            .context("final state write panicked")?;
        // An alerter a reload built delivers what the shutdown queued; the rest waits in the outbox.
        let _ = tokio::time::timeout(healing_core::service::ALERT_FLUSH, alerts.flush()).await;
        self.alert_stop.cancel();
        self.control_stop.cancel();
        self.transports.finish().await;
        self.http_stop.cancel();
        if let Some(task) = self.http_task {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
        self.reaper_stop.cancel();
        let _ = self.reaper.await;
        // Delivers what the shutdown itself queued, stops the store watch, releases the lock or lease.
        service.finish().await?;
        Ok(())
    }
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

/// Serves the read-only endpoints: the supervisor's own documents from its live state, the rest
/// from the same state interface it writes through.
fn start_http(
    listener: tokio::net::TcpListener,
    options: http::HttpOptions,
    stop: &CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let stop = stop.clone();
    // A thread and runtime of their own: the endpoints answer while the event loop's thread is busy
    // with an output flood (they read the live snapshot, which needs nothing from that thread).
    let listener = listener.into_std();
    tokio::task::spawn_blocking(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the HTTP runtime");
                return;
            }
        };
        runtime.block_on(async move {
            let served = match listener.and_then(tokio::net::TcpListener::from_std) {
                Ok(l) => http::serve_with(l, options, stop).await,
                Err(e) => Err(e.into()),
            };
            if let Err(e) = served {
                tracing::error!(error = %format!("{e:#}"), "HTTP endpoints stopped");
            }
        });
    })
}

/// The stdout forwarder when `self_healing.forward_output` is on (a failure to start it is logged,
/// never fatal: the agents' own log files still hold every line).
fn start_forwarding(config: &healing_core::config::Config) -> Option<forward::Forwarder> {
    use std::io::IsTerminal;
    let env = |k: &str| std::env::var(k).ok();
    if !config.self_healing.forwards_output(&env) {
        return None;
    }
    let format = forward::Format::from_env(std::io::stdout().is_terminal(), &env);
    match forward::Forwarder::spawn(Box::new(std::io::stdout()), format) {
        Ok(f) => {
            tracing::info!("agent output is forwarded to stdout as [agent] line");
            Some(f)
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot forward agent output to stdout");
            None
        }
    }
}

/// Spawns every agent that an earlier run's breaker or budget does not hold. After a crash of the
/// previous supervisor (`crashed`), each start is counted against the agent's budget and written
/// to disk before anything is spawned.
fn start_agents(sup: &mut Supervisor, crashed: bool) {
    let now = sup.clock.now();
    let mut go = Vec::new();
    for id in 0..sup.agents.len() {
        let name = sup.agents[id].cfg.name.clone();
        if sup.agents[id].operator_stopped {
            tracing::info!(agent = %name, "{name} stays stopped (stopped by the operator)");
            continue;
        }
        match sup.healer.at_boot(&name, now) {
            None if sup.wait_for_dependencies(id) => {}
            None => {
                if crashed {
                    sup.healer.count_start(&name, now);
                }
                go.push(id);
            }
            Some(decision) => {
                let cause = healing_core::matcher::exit_incident(None, None, false);
                sup.apply(id, decision, &cause, None);
            }
        }
    }
    // Also marks the state "not cleanly shut down" before the first agent runs.
    sup.persist_now();
    for id in go {
        let name = sup.agents[id].cfg.name.clone();
        if sup.spawn_agent(id) {
            // A number, not `Some(…)`: the pid is known once the spawn succeeded.
            let pid = sup.agents[id].pid.unwrap_or_default();
            tracing::info!(agent = %name, pid, "Started {name} (pid {pid})");
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
