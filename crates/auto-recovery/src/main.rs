//! `auto-recovery`: wiring only — arguments, logging, config, signals; the work is in the library.

use anyhow::Context as _;
use auto_recovery::{RunConfig, RunOutcome, run};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Detects and fixes Render-specific problems: sleeping services, failed deploys, crashed instances,
/// missing env vars, paths and dependencies.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Config file (default: $HEALING_CONFIG, then ./healing.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// State directory (over `state_dir` in the config).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Key Value state store URL, `redis://…` (over `state_url` and $HEALING_STATE_URL; prefer the
    /// variable, which keeps the password out of the process list).
    #[arg(long)]
    state_url: Option<String>,
    /// One pass: exit 0 when healthy or fixed, 1 when problems remain, 2 on bad config.
    #[arg(long, conflicts_with = "interval")]
    once: bool,
    /// Loop period, e.g. "5m" (over `[recovery] interval`).
    #[arg(long, value_parser = humantime::parse_duration)]
    interval: Option<Duration>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing();
    let loaded = match healing_core::config_load::load(args.config.as_deref()) {
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
        state_dir: args.state_dir,
        state_url: args.state_url,
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
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let on_signal = token.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        tracing::info!("signal received; finishing the current pass");
        on_signal.cancel();
    });
    run(cfg, token).await
}

/// Human-readable logs on stderr; JSON lines with `LOG_FORMAT=json`. `RUST_LOG` filters (default info).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
}
