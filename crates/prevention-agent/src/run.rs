//! Setting up and looping: open the state directory, start alerts, pass every `interval` until told to
//! stop (or once).

use crate::measure::Sampler;
use crate::pass::{EnvLookup, PassOptions, PassSummary, Prevention};
use crate::render_source;
use crate::report;
use crate::state_doc::PreventionState;
use anyhow::Context;
use healing_core::alert::{AlertHandle, Alerter};
use healing_core::clock::{SharedClock, system_clock};
use healing_core::config_load::LoadedConfig;
use healing_core::dependencies::ProbeCache;
use healing_core::executor::Executor;
use healing_core::policy::Policy;
use healing_core::state::{
    ReadOutcome, Scope, StateGuard, StateStore, docs, open_state_scoped, watch_store_health,
};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The name this binary writes and alerts under.
pub const SOURCE: &str = "prevention-agent";

/// How the run should behave.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// One pass, then return.
    pub once: bool,
    /// Non-configuration tunables (`cpu_window` is taken from `[prevention] cpu_sample_window`).
    pub pass: PassOptions,
}

/// What `run` ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Stopped by the token (loop mode).
    Stopped,
    /// `--once`: the pass's verdict.
    Once(PassSummary),
}

impl RunOutcome {
    /// Process exit code: 0 all clear (or stopped), 1 warnings raised.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunOutcome::Stopped => 0,
            RunOutcome::Once(summary) if summary.all_clear() => 0,
            RunOutcome::Once(_) => 1,
        }
    }
}

impl Prevention {
    /// A prevention-agent over `store`, sending to `alerts`, reading time from `clock`.
    /// The previous state document is read back so episodes carry over restarts.
    pub fn new(
        loaded: &LoadedConfig,
        store: Arc<StateStore>,
        alerts: AlertHandle,
        clock: SharedClock,
        options: PassOptions,
        env: EnvLookup,
    ) -> Prevention {
        let config = loaded.config.clone();
        let prevention = &config.prevention;
        let sampler = Sampler::new(&prevention.cgroup_root, &prevention.proc_root);
        let executor = match Policy::for_service(&config, &loaded.base_dir) {
            Ok(policy) => Some(Executor::new(
                Arc::new(policy),
                config.fixes.install_command.clone(),
                config.fixes.command_timeout,
            )),
            Err(e) => {
                tracing::warn!(error = %e, "fix policy unavailable: nothing will be installed or created");
                None
            }
        };
        let state = match store.read::<PreventionState>(docs::PREVENTION) {
            ReadOutcome::Loaded(state) => state,
            ReadOutcome::Missing => PreventionState::default(),
            ReadOutcome::Corrupt { moved_to, error } => {
                tracing::warn!(%moved_to, %error, "previous prevention state unreadable; starting fresh");
                PreventionState::default()
            }
        };
        let render = render_source::setup(&config.recovery.render, &*env);
        match &render {
            Ok(Some(_)) => {
                tracing::info!("also measuring the agents' service through Render's metrics API")
            }
            Ok(None) => {}
            Err(e) => tracing::error!("{e}"),
        }
        Prevention {
            probes: ProbeCache::new(options.probe_max_age, clock.clone()),
            render,
            config,
            config_path: loaded.path.clone(),
            sampler,
            store,
            alerts,
            clock,
            executor,
            options,
            env,
            state: PreventionState { passes: 0, ..state },
        }
    }
}

/// Drops the state guard off the async threads: with Key Value it writes what is pending and releases
/// the lease, waiting up to a few seconds.
async fn release(guard: StateGuard) {
    let _ = tokio::task::spawn_blocking(move || drop(guard)).await;
}

/// Runs the prevention-agent until `shutdown` is cancelled (or for one pass with `once`).
pub async fn run(
    loaded: LoadedConfig,
    options: RunOptions,
    shutdown: CancellationToken,
) -> anyhow::Result<RunOutcome> {
    let clock = system_clock();
    let (store, guard) = open_state_scoped(&loaded.config, SOURCE, Scope::Service, clock.clone())
        .with_context(|| match &loaded.config.state_url {
        Some(_) => "cannot open the Key Value state store".to_string(),
        None => format!(
            "cannot open the state directory {}",
            loaded.config.state_dir.display()
        ),
    })?;
    let alert_stop = CancellationToken::new();
    let (alerts, alert_task) = Alerter::spawn(
        &loaded.config.alerts,
        store.clone(),
        SOURCE,
        clock.clone(),
        alert_stop.clone(),
    );
    // A lost lease cancels the run as a signal would, and the run then ends with an error.
    let run_token = shutdown.child_token();
    let watch_stop = CancellationToken::new();
    let watcher = watch_store_health(
        &store,
        alerts.clone(),
        SOURCE,
        run_token.clone(),
        watch_stop.clone(),
    );
    let interval = loaded.config.prevention.interval;
    tracing::info!(
        state = %store.describe(),
        interval = %humantime::format_duration(interval),
        once = options.once,
        "prevention-agent started"
    );
    let env: EnvLookup = Box::new(|name| std::env::var(name).ok());
    let pass_options = PassOptions {
        cpu_window: loaded.config.prevention.cpu_sample_window,
        ..options.pass.clone()
    };
    let mut agent = Prevention::new(&loaded, store, alerts.clone(), clock, pass_options, env);

    let outcome = loop {
        let summary = tokio::select! {
            summary = agent.pass() => summary,
            () = run_token.cancelled() => break RunOutcome::Stopped,
        };
        if options.once {
            break RunOutcome::Once(summary);
        }
        let state = &agent.state;
        tracing::info!(
            "{}",
            report::pass_line(state.passes, &state.measurements, &summary)
        );
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = run_token.cancelled() => break RunOutcome::Stopped,
        }
    };
    // Let queued alerts reach the worker, then stop it (it parks what it cannot send in the outbox).
    let _ = tokio::time::timeout(Duration::from_secs(5), alerts.flush()).await;
    alert_stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), alert_task).await;
    // Only the watcher cancels the run token on its own: that is a lost lease.
    let lease_lost = run_token.is_cancelled() && !shutdown.is_cancelled();
    watch_stop.cancel();
    if let Some(watcher) = watcher {
        let _ = watcher.await;
    }
    drop(agent);
    release(guard).await;
    if lease_lost {
        anyhow::bail!(
            "the state lease was taken by another process; stopped without writing state"
        );
    }
    Ok(outcome)
}
