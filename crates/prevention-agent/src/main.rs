//! `prevention-agent`: wiring only — arguments, logging, config, signals, exit code.

use anyhow::Context;
use clap::Parser;
use healing_core::config_load::ConfigArgs;
use prevention_agent::run::{RunOptions, run};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Notices resource pressure, broken dependencies and configuration mistakes before they become failures.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// `--config`, `--state-dir`, `--state-url`.
    #[command(flatten)]
    config: ConfigArgs,
    /// Run one pass and exit: 0 all clear, 1 warnings raised, 2 bad configuration.
    #[arg(long)]
    once: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    healing_core::service::init_tracing();
    let loaded = match args.config.load() {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("prevention-agent: {e}");
            return ExitCode::from(2);
        }
    };
    if loaded.used_defaults {
        tracing::info!("no healing.toml found: running on built-in defaults");
    }
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
