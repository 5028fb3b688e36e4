//! Wiring only: arguments, tracing, config, signals → [`self_healing_agent::run`], exit code.

use clap::Parser;
use healing_core::config_load::{ConfigError, LoadedConfig};
use self_healing_agent::cli::{Cli, Command};
use self_healing_agent::documents::Documents;
use self_healing_agent::{scan, status_cmd};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

fn print_config_error(e: &ConfigError) {
    match e {
        ConfigError::Invalid { path, problems } => {
            eprintln!("error: invalid configuration {path}:");
            for p in problems {
                let at = match (p.line, p.column) {
                    (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                    (Some(l), None) => format!(" (line {l})"),
                    _ => String::new(),
                };
                eprintln!("  {}{at}: {}", p.key, p.message);
            }
        }
        other => eprintln!("error: {other}"),
    }
}

fn load(cli: &Cli) -> Result<LoadedConfig, ExitCode> {
    cli.config.load().map_err(|e| {
        print_config_error(&e);
        ExitCode::from(2)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    self_healing_agent::lifetime::claim_process();
    healing_core::service::init_tracing();
    let loaded = match load(&cli) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if loaded.used_defaults {
        tracing::info!("no config file found: using built-in defaults");
    }
    match cli.command {
        None | Some(Command::Run) => serve(loaded, cli.exit_after),
        Some(Command::CheckConfig) => {
            print!("{}", loaded.effective_toml());
            ExitCode::SUCCESS
        }
        // Without a config file, scan uses the built-in catalogue and a deny-all policy.
        Some(Command::Scan { files }) => {
            let config = (!loaded.used_defaults).then_some(&loaded);
            let mut stdout = std::io::stdout().lock();
            match scan::run_scan(config, &files, &mut stdout) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    let code = e
                        .downcast_ref::<scan::ScanError>()
                        .map_or(1, |s| s.exit_code());
                    ExitCode::from(u8::try_from(code).unwrap_or(1))
                }
            }
        }
        Some(Command::Status) => status(&loaded),
    }
}

/// Prints every state document through the same state interface the binaries write with.
fn status(loaded: &LoadedConfig) -> ExitCode {
    let clock = healing_core::clock::system_clock();
    let store = match healing_core::state::open_state_reader(&loaded.config, clock) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: cannot open the state: {e}");
            return ExitCode::FAILURE;
        }
    };
    let docs = Documents::Store(std::sync::Arc::new(store));
    let mut stdout = std::io::stdout().lock();
    match status_cmd::run_docs(&docs, std::time::SystemTime::now(), &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the supervisor on a single-threaded runtime (memory and idle-CPU goals).
fn serve(loaded: LoadedConfig, exit_after: Option<std::time::Duration>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let token = CancellationToken::new();
        if let Err(e) = healing_core::service::cancel_on_signals(token.clone()) {
            eprintln!("error: cannot install the signal handlers: {e}");
            return ExitCode::FAILURE;
        }
        if let Some(after) = exit_after {
            let t = token.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                tracing::info!("--exit-after elapsed: shutting down");
                t.cancel();
            });
        }
        match self_healing_agent::run(loaded, token).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}
