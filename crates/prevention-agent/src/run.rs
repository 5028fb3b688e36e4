//! The prevention-agent's own loop: a pass every `interval` until told to stop (or once), inside the
//! service runtime ([`healing_core::service::Service`]) that opens the state, alerts and shuts down.

use crate::measure::Sampler;
use crate::pass::{EnvLookup, PassOptions, PassSummary, Prevention};
use crate::render_source;
use crate::report;
use crate::state_doc::PreventionState;
use healing_core::alert::AlertHandle;
use healing_core::clock::{SharedClock, system_clock};
use healing_core::config_load::LoadedConfig;
use healing_core::dependencies::ProbeCache;
use healing_core::service::{Exit, Service, ServiceError};
use healing_core::state::{Scope, StateStore, docs};
use std::sync::Arc;
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
    /// The exit status: ok when all clear (or stopped), problems when warnings were raised.
    pub fn exit(&self) -> Exit {
        match self {
            RunOutcome::Stopped => Exit::Ok,
            RunOutcome::Once(summary) if summary.all_clear() => Exit::Ok,
            RunOutcome::Once(_) => Exit::Problems,
        }
    }
}

impl Prevention {
    /// A prevention-agent over `store`, sending to `alerts`, reading time from `clock`.
    /// The previous state document is read back so episodes carry over restarts. A `[fixes]` section that
    /// is no usable policy is bad configuration, as in every binary.
    pub fn new(
        loaded: &LoadedConfig,
        store: Arc<StateStore>,
        alerts: AlertHandle,
        clock: SharedClock,
        options: PassOptions,
        env: EnvLookup,
    ) -> Result<Prevention, ServiceError> {
        let config = loaded.config.clone();
        let prevention = &config.prevention;
        let sampler = Sampler::new(&prevention.cgroup_root, &prevention.proc_root);
        let executor = Service::executor(loaded)?;
        let state: PreventionState = store.read_or_default(docs::PREVENTION).value;
        let render = render_source::setup(&config.recovery.render, &*env);
        match &render {
            Ok(Some(_)) => {
                tracing::info!("also measuring the agents' service through Render's metrics API")
            }
            Ok(None) => {}
            Err(e) => tracing::error!("{e}"),
        }
        Ok(Prevention {
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
        })
    }
}

/// Runs the prevention-agent until `shutdown` is cancelled (or for one pass with `once`).
pub async fn run(
    loaded: LoadedConfig,
    options: RunOptions,
    shutdown: CancellationToken,
) -> anyhow::Result<Exit> {
    let clock = system_clock();
    let service = Service::start(
        SOURCE,
        Scope::Service,
        &loaded.config,
        clock.clone(),
        shutdown,
    )?;
    let interval = loaded.config.prevention.interval;
    tracing::info!(
        interval = %humantime::format_duration(interval),
        once = options.once,
        "prevention-agent started"
    );
    let env: EnvLookup = Box::new(|name| std::env::var(name).ok());
    let pass_options = PassOptions {
        cpu_window: loaded.config.prevention.cpu_sample_window,
        ..options.pass.clone()
    };
    let store = service.store().clone();
    let alerts = service.alerts().clone();
    let mut agent = Prevention::new(&loaded, store, alerts, clock, pass_options, env)?;
    let token = service.token().clone();
    let outcome = loop {
        let summary = tokio::select! {
            summary = agent.pass() => summary,
            () = token.cancelled() => break RunOutcome::Stopped,
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
            () = token.cancelled() => break RunOutcome::Stopped,
        }
    };
    drop(agent);
    service.finish().await?;
    Ok(outcome.exit())
}
