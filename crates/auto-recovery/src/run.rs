//! The long-running (or one-shot) life of auto-recovery: set-up, passes, state writes, shutdown.

use crate::checks::EnvFn;
use crate::pass::{PassContext, SOURCE, run_pass};
use crate::render_api::{ClientOptions, RenderClient};
use crate::state_doc::RecoveryState;
use anyhow::Context as _;
use healing_core::alert::Alerter;
use healing_core::clock::{SharedClock, system_clock};
use healing_core::config::RenderApiConfig;
use healing_core::config_load::LoadedConfig;
use healing_core::dependencies::ProbeCache;
use healing_core::executor::Executor;
use healing_core::policy::Policy;
use healing_core::state::{ReadOutcome, Scope, docs, open_state_scoped, watch_store_health};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Longest reuse of the interpreter's answer when nothing visible changed.
const PROBE_MAX_AGE: Duration = Duration::from_secs(3600);

/// How long queued alerts may take to go out after the last pass.
const ALERT_DRAIN: Duration = Duration::from_secs(10);

/// What `main` hands over.
#[derive(Debug)]
pub struct RunConfig {
    /// The loaded, validated configuration (`--state-dir` / `--state-url` already applied).
    pub loaded: LoadedConfig,
    /// `--once`: one pass, then exit.
    pub once: bool,
    /// `--interval` (over `[recovery] interval`).
    pub interval: Option<Duration>,
}

/// How `run` ended; `main` maps it to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// The last pass found nothing left to fix (exit 0).
    Healthy,
    /// The last pass left problems (exit 1).
    ProblemsRemain,
    /// The loop was stopped by a signal (exit 0).
    Stopped,
}

/// A configuration problem found while setting up (exit code 2, like a config file that does not load).
#[derive(Debug, thiserror::Error)]
#[error("bad configuration: {0}")]
pub struct BadConfig(pub String);

/// Runs passes until `--once` is done or `token` is cancelled.
pub async fn run(cfg: RunConfig, token: CancellationToken) -> anyhow::Result<RunOutcome> {
    let env: Arc<EnvFn> = Arc::new(|name: &str| std::env::var(name).ok());
    run_with(cfg, token, system_clock(), env).await
}

/// [`run`] with the clock and the env lookup injected.
pub async fn run_with(
    cfg: RunConfig,
    token: CancellationToken,
    clock: SharedClock,
    env: Arc<EnvFn>,
) -> anyhow::Result<RunOutcome> {
    let config = &cfg.loaded.config;
    let (store, guard) = open_state_scoped(config, SOURCE, Scope::Service, clock.clone())
        .with_context(|| match &config.state_url {
            Some(_) => "opening the Key Value state store".to_string(),
            None => format!("opening the state dir {}", config.state_dir.display()),
        })?;
    let alert_stop = CancellationToken::new();
    let (alerts, alert_task) = Alerter::spawn(
        &config.alerts,
        store.clone(),
        SOURCE,
        clock.clone(),
        alert_stop.clone(),
    );
    // A lost lease cancels the run as a signal would, and the run then ends with an error.
    let shutdown = token;
    let token = shutdown.child_token();
    let watch_stop = CancellationToken::new();
    let watcher = watch_store_health(
        &store,
        alerts.clone(),
        SOURCE,
        token.clone(),
        watch_stop.clone(),
    );
    let policy = Policy::for_service(config, &cfg.loaded.base_dir)
        .map_err(|e| BadConfig(format!("[fixes]: {e}")))?;
    let executor = Executor::new(
        Arc::new(policy),
        config.fixes.install_command.clone(),
        config.fixes.command_timeout,
    );
    let ctx = PassContext {
        config: config.recovery.clone(),
        http: reqwest::Client::builder()
            .redirect(healing_core::redirects::same_origin())
            .build()
            .map_err(|e| anyhow::anyhow!("building the HTTP client: {}", e.without_url()))?,
        render: render_client(&config.recovery.render, env.as_ref())?,
        executor: Arc::new(executor),
        python: config.prevention.python.clone(),
        requirements: config.fixes.requirements.clone(),
        probes: Arc::new(ProbeCache::new(PROBE_MAX_AGE, clock.clone())),
        env,
        alerts,
        clock,
    };
    let mut state = match store.read::<RecoveryState>(docs::RECOVERY) {
        ReadOutcome::Loaded(state) => state,
        ReadOutcome::Missing => RecoveryState::default(),
        ReadOutcome::Corrupt { moved_to, error } => {
            tracing::warn!(
                moved_to,
                error,
                "the recovery state was unreadable and was set aside; starting fresh"
            );
            RecoveryState::default()
        }
    };
    let interval = cfg.interval.unwrap_or(config.recovery.interval);
    tracing::info!(
        once = cfg.once,
        interval_s = interval.as_secs_f64(),
        services = ctx.config.services.len(),
        render_api = ctx.render.is_some(),
        state = %store.describe(),
        "auto-recovery starting"
    );

    let outcome = loop {
        let report = run_pass(&ctx, &mut state, &token).await;
        if let Err(err) = store.write(docs::RECOVERY, &state) {
            tracing::error!(error = %err, "could not write the recovery state");
        }
        tracing::info!(
            healthy = report.healthy(),
            problems = report.problems.len(),
            fixed = report.fixed.len(),
            "pass finished"
        );
        for problem in &report.problems {
            tracing::warn!(problem = %problem, "problem remains");
        }
        if cfg.once {
            break if report.healthy() {
                RunOutcome::Healthy
            } else {
                RunOutcome::ProblemsRemain
            };
        }
        tokio::select! {
            () = token.cancelled() => break RunOutcome::Stopped,
            () = tokio::time::sleep(interval) => {}
        }
    };

    // Deliver what the last pass queued before stopping the worker; anything still unsent stays in the
    // outbox for the next run.
    if tokio::time::timeout(ALERT_DRAIN, ctx.alerts.flush())
        .await
        .is_err()
    {
        tracing::warn!("alert delivery did not finish in time");
    }
    alert_stop.cancel();
    if tokio::time::timeout(ALERT_DRAIN, alert_task).await.is_err() {
        tracing::warn!("alerts still queued at exit stay in the outbox for the next run");
    }
    // Only the watcher cancels the run token on its own: that is a lost lease.
    let lease_lost = token.is_cancelled() && !shutdown.is_cancelled();
    watch_stop.cancel();
    if let Some(watcher) = watcher {
        let _ = watcher.await;
    }
    // With Key Value, dropping the guard writes what is pending and releases the lease (a few seconds
    // at most): off the async threads, and last.
    let _ = tokio::task::spawn_blocking(move || drop(guard)).await;
    if lease_lost {
        anyhow::bail!(
            "the state lease was taken by another process; stopped without writing state"
        );
    }
    Ok(outcome)
}

/// The Render client, when the key's env var is set and non-empty.
fn render_client(cfg: &RenderApiConfig, env: &EnvFn) -> anyhow::Result<Option<RenderClient>> {
    let Some(key) = env(&cfg.api_key_env).filter(|k| !k.trim().is_empty()) else {
        return Ok(None);
    };
    let options = ClientOptions {
        api_base: cfg.api_base.clone(),
        request_timeout: cfg.request_timeout,
        max_retry_wait: cfg.max_retry_wait,
        page_limit: cfg.page_limit,
    };
    RenderClient::new(options, &key)
        .map(Some)
        .map_err(|e| BadConfig(format!("[recovery.render]: {e}")).into())
}
