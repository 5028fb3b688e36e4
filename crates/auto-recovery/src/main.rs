//! `auto-recovery`: wiring only — arguments, config, then [`auto_recovery::run`] inside the service
//! runtime, which maps how it ended to the exit code (see the README's table).

use auto_recovery::{RunOptions, SOURCE, run};
use clap::Parser;
use healing_core::config_load::ConfigArgs;
use healing_core::service;
use std::process::ExitCode;
use std::time::Duration;

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
    service::init_tracing();
    let loaded = match args.config.load() {
        Ok(loaded) => loaded,
        Err(e) => return service::report(SOURCE, &e).into(),
    };
    let options = RunOptions {
        once: args.once,
        interval: args.interval,
    };
    service::main(SOURCE, |token| run(loaded, options, token))
}
