//! `auto-recovery`: wiring only — arguments, logging, config, signals; the work is in the library.

use anyhow::Context as _;
use auto_recovery::{RunConfig, RunOutcome, run};
use clap::Parser;
use healing_core::config_load::ConfigArgs;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Detects and fixes Render-specific problems: sleeping services, failed deploys, crashed instances,
/// missing env vars, paths and dependencies.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// `--config`, `--state-dir`, `--state-url`.
    #[command(flatten)]
    config: ConfigArgs,
    /// One pass: exit 0 when healthy or fixed, 1 when problems remain, 2 on bad config.
    #[arg(long, conflicts_with = "interval")]
    once: bool,
    /// Loop period, e.g. "5m" (over `[recovery] interval`).
    #[arg(long, value_parser = humantime::parse_duration)]
    interval: Option<Duration>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    healing_core::service::init_tracing();
    let loaded = match args.config.load() {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("auto-recovery: {err}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("auto-recovery: starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let cfg = RunConfig {
        loaded,
        once: args.once,
        interval: args.interval,
    };
    match runtime.block_on(async_main(cfg)) {
        Ok(RunOutcome::Healthy | RunOutcome::Stopped) => ExitCode::SUCCESS,
        Ok(RunOutcome::ProblemsRemain) => ExitCode::from(1),
        Err(err) => {
            eprintln!("auto-recovery: {err:#}");
            if err
                .downcast_ref::<auto_recovery::run::BadConfig>()
                .is_some()
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

async fn async_main(cfg: RunConfig) -> anyhow::Result<RunOutcome> {
    let token = CancellationToken::new();
    healing_core::service::cancel_on_signals(token.clone())
        .context("installing the signal handlers")?;
    run(cfg, token).await
}
