//! `prevention-agent`: wiring only — arguments, config, then [`prevention_agent::run::run`] inside the
//! service runtime, which maps how it ended to the exit code (see the README's table).

use clap::Parser;
use healing_core::config_load::ConfigArgs;
use healing_core::service;
use prevention_agent::run::{RunOptions, SOURCE, run};
use std::process::ExitCode;

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

fn main() -> ExitCode {
    let args = Args::parse();
    service::init_tracing();
    let loaded = match args.config.load() {
        Ok(loaded) => loaded,
        Err(e) => return service::report(SOURCE, &e).into(),
    };
    let options = RunOptions {
        once: args.once,
        ..RunOptions::default()
    };
    service::main(SOURCE, |token| run(loaded, options, token))
}
