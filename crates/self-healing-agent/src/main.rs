//! Wiring only: arguments, tracing, config, signals → [`self_healing_agent::run`], exit code.

use clap::Parser;
use healing_core::config_load::{ConfigError, LoadedConfig};
use self_healing_agent::cli::{Cli, Command};
use self_healing_agent::control::Request;
use self_healing_agent::documents::Documents;
use self_healing_agent::{scan, status_cmd};
use std::process::ExitCode;
use std::time::Duration;
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
    healing_core::service::init_tracing();
    let loaded = match load(&cli) {
        Ok(l) => l,
        Err(code) => {
            // The supervisor reports a broken file itself (alert, log) and keeps the old one.
            if let Some(Command::Reload) = cli.command {
                let dir = self_healing_agent::control_socket::fallback_state_dir(&cli.config);
                return send_control(&dir, DEFAULT_CONTROL_TIMEOUT, &Request::reload());
            }
            return code;
        }
    };
    if loaded.used_defaults {
        tracing::info!("no config file found: using built-in defaults");
    }
    if let Some(req) = cli.command.as_ref().and_then(Command::control_request) {
        return control(&loaded, cli.instance.as_deref(), &req);
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
        Some(_) => ExitCode::from(2),
    }
}

/// How long a command waits for its answer beyond the grace period (a stop waits for the process).
const DEFAULT_CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one control command to the supervisor that owns this state and prints its answer.
fn control(loaded: &LoadedConfig, instance: Option<&str>, req: &Request) -> ExitCode {
    let timeout = loaded.config.self_healing.grace_period + DEFAULT_CONTROL_TIMEOUT;
    // With Key Value state the supervisor may run in another service: the command goes through the
    // store. The local socket stays the way for `logs -f`.
    if let Some(url) = loaded.config.state_url.as_deref().filter(|_| !req.follow) {
        let code = self_healing_agent::control_kv::call(
            url,
            instance,
            req,
            timeout,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        );
        return ExitCode::from(code);
    }
    send_control(&loaded.config.state_dir, timeout, req)
}

fn send_control(state_dir: &std::path::Path, timeout: Duration, req: &Request) -> ExitCode {
    let path = self_healing_agent::control_socket::socket_path(state_dir);
    let code = self_healing_agent::control_socket::call(
        &path,
        req,
        timeout,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
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
