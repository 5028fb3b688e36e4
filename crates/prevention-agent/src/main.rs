//! `prevention-agent`: wiring only — arguments, logging, config, signals, exit code.

use anyhow::Context;
use clap::Parser;
use prevention_agent::run::{RunOptions, run};
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Notices resource pressure, broken dependencies and configuration mistakes before they become failures.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// healing.toml to use (default: $HEALING_CONFIG, then ./healing.toml, then built-in defaults).
    #[arg(long)]
    config: Option<PathBuf>,
    /// State directory (overrides the config and $HEALING_STATE_DIR).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Key Value state store URL, `redis://…` (overrides the config and $HEALING_STATE_URL; prefer the
    /// variable, which keeps the password out of the process list).
    #[arg(long)]
    state_url: Option<String>,
    /// Run one pass and exit: 0 all clear, 1 warnings raised, 2 bad configuration.
    #[arg(long)]
    once: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    healing_core::service::init_tracing();
    let mut loaded = match healing_core::config_load::load(args.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("prevention-agent: {e}");
            return ExitCode::from(2);
        }
    };
    if loaded.used_defaults {
        tracing::info!("no healing.toml found: running on built-in defaults");
    }
    loaded.override_state(args.state_dir, args.state_url);
    let token = CancellationToken::new();
    if let Err(e) = healing_core::service::cancel_on_signals(token.clone()) {
        eprintln!("prevention-agent: cannot install the signal handlers: {e}");
        return ExitCode::from(2);
    }
    match run(
        loaded,
        RunOptions {
            once: args.once,
            ..RunOptions::default()
        },
        token,
    )
    .await
    .context("prevention-agent failed")
    {
        Ok(outcome) => ExitCode::from(outcome.exit_code() as u8),
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::from(2)
        }
    }
}
