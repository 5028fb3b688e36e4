//! Wiring only: arguments, tracing, config → [`self_healing_agent::run`] inside the service runtime, which
//! maps how it ended to the exit code (see the README's table); `scan`, `check-config` and `status` are
//! one-shot commands beside it.

use clap::Parser;
use healing_core::service::{self, Exit};
use self_healing_agent::cli::{Cli, Command};
use self_healing_agent::{SOURCE, commands, control_cli};
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
        Some(Command::Scan { files, summary }) => commands::scan(&loaded, &files, summary),
        Some(Command::Status) => commands::status(&loaded),
        Some(_) => ExitCode::from(2),
    }
}
