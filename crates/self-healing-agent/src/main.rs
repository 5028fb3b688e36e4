//! Wiring only: arguments, tracing, config → [`self_healing_agent::run`] inside the service runtime, which
//! maps how it ended to the exit code (see the README's table); `scan`, `check-config` and `status` are
//! one-shot commands beside it.

use clap::Parser;
use healing_core::config_load::LoadedConfig;
use healing_core::service::{self, Exit};
use self_healing_agent::cli::{Cli, Command};
use self_healing_agent::documents::Documents;
use self_healing_agent::{SOURCE, control_cli, scan, status_cmd};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    self_healing_agent::lifetime::claim_process();
    service::init_tracing();
    let loaded = match cli.config.load() {
        Ok(loaded) => loaded,
        // A broken file is still worth a `reload`: the supervisor reports every problem (answer, alert,
        // log) and keeps running on the old one.
        Err(_) if matches!(cli.command, Some(Command::Reload)) => {
            return control_cli::reload_unloadable(&cli.config);
        }
        Err(e) => return service::report(SOURCE, &e).into(),
    };
    if let Some(req) = cli.command.as_ref().and_then(Command::control_request) {
        return control_cli::send(&loaded, cli.instance.as_deref(), &req);
    }
    match cli.command {
        None | Some(Command::Run) => service::main(SOURCE, |token| {
            if let Some(after) = cli.exit_after {
                let t = token.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    tracing::info!("--exit-after elapsed: shutting down");
                    t.cancel();
                });
            }
            async move {
                self_healing_agent::run(loaded, token)
                    .await
                    .map(|()| Exit::Ok)
            }
        }),
        Some(Command::CheckConfig) => {
            print!("{}", loaded.effective_toml());
            ExitCode::SUCCESS
        }
        // Without a config file, scan uses the built-in catalogue and a deny-all policy.
        Some(Command::Scan { files, summary }) => {
            let config = (!loaded.used_defaults).then_some(&loaded);
            let mut stdout = std::io::stdout().lock();
            let run = if summary {
                scan::run_scan_summary
            } else {
                scan::run_scan
            };
            match run(config, &files, &mut stdout) {
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
        Some(_) => ExitCode::from(2),
    }
}

/// Prints every state document through the same state interface the binaries write with.
fn status(loaded: &LoadedConfig) -> ExitCode {
    let clock = healing_core::clock::system_clock();
    let store = match healing_core::state::open_state_reader(&loaded.config, clock) {
        Ok(store) => Documents::Store(std::sync::Arc::new(store)),
        Err(e) => return service::report(SOURCE, &e).into(),
    };
    // Rendered whole, then printed through the redactor: the documents carry log text.
    let mut text = Vec::new();
    match status_cmd::run_docs(&store, std::time::SystemTime::now(), &mut text) {
        Ok(()) => {
            print!(
                "{}",
                healing_core::redact::line(&String::from_utf8_lossy(&text))
            );
            ExitCode::SUCCESS
        }
        Err(e) => service::report(SOURCE, e.as_ref()).into(),
    }
}
