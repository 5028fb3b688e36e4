//! auto-recovery's own loop (or one pass), inside the service runtime ([`healing_core::service::Service`])
//! that opens the state, alerts and shuts down.

use crate::pass::{EnvFn, PassContext, SOURCE, run_pass};
use crate::state_doc::RecoveryState;
use healing_core::clock::{SharedClock, system_clock};
use healing_core::config::RenderApiConfig;
use healing_core::config_load::LoadedConfig;
use healing_core::dependencies::ProbeCache;
use healing_core::render::RenderClient;
use healing_core::service::{Exit, Service, ServiceError};
use healing_core::state::{Scope, docs};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Longest reuse of the interpreter's answer when nothing visible changed.
const PROBE_MAX_AGE: Duration = Duration::from_secs(3600);

/// How the run should behave (the command line's part; the rest is the configuration).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
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

impl RunOutcome {
    /// The exit status: ok when healthy or stopped, problems when some remain.
    pub fn exit(self) -> Exit {
        match self {
            RunOutcome::Healthy | RunOutcome::Stopped => Exit::Ok,
            RunOutcome::ProblemsRemain => Exit::Problems,
        }
    }
}

/// Runs passes until `--once` is done or `shutdown` is cancelled; the exit status says how it ended.
pub async fn run(
    loaded: LoadedConfig,
    options: RunOptions,
    shutdown: CancellationToken,
) -> anyhow::Result<Exit> {
    let env: Arc<EnvFn> = Arc::new(|name: &str| std::env::var(name).ok());
    let outcome = run_with(loaded, options, shutdown, system_clock(), env).await?;
    Ok(outcome.exit())
}

/// [`run`] with the clock and the env lookup injected.
pub async fn run_with(
    loaded: LoadedConfig,
    options: RunOptions,
    shutdown: CancellationToken,
    clock: SharedClock,
    env: Arc<EnvFn>,
) -> anyhow::Result<RunOutcome> {
    let config = &loaded.config;
    let service = Service::start(SOURCE, Scope::Service, config, clock.clone(), shutdown)?;
    let executor = Service::executor(&loaded)?;
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
        clock,
    };
    let mut state: RecoveryState = service.read_or_default(docs::RECOVERY).value;
    let store = service.store().clone();
    let token = service.token().clone();
    let interval = options.interval.unwrap_or(config.recovery.interval);
    tracing::info!(
        once = options.once,
        interval_s = interval.as_secs_f64(),
        services = ctx.config.services.len(),
        render_api = ctx.render.is_some(),
        "auto-recovery starting"
    );

    let outcome = loop {
        let mut report = run_pass(&ctx, &mut state, &token).await;
        // The pass found and recorded; the loop alerts.
        for alert in report.alerts.drain(..) {
            service.alerts().send(alert);
        }
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
        if options.once {
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

    drop(ctx);
    service.finish().await?;
    Ok(outcome)
}

/// The Render client, when the key's env var is set and non-empty; an unusable `[recovery.render]` is
/// bad configuration.
fn render_client(cfg: &RenderApiConfig, env: &EnvFn) -> Result<Option<RenderClient>, ServiceError> {
    RenderClient::from_env(cfg, env)
        .map_err(|e| ServiceError::BadConfig(format!("[recovery.render]: {e}")))
}
