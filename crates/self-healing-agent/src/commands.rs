//! The one-shot commands beside `run`: `scan` and `status` (each returns the process's exit code).

use crate::documents::Documents;
use crate::{SOURCE, scan, status_cmd};
use healing_core::config_load::LoadedConfig;
use healing_core::service;
use std::path::PathBuf;
use std::process::ExitCode;

/// `scan`: replays `files` through the catalogue and policy. Without a config file it uses the
/// built-in catalogue and a deny-all policy.
pub fn scan(loaded: &LoadedConfig, files: &[PathBuf], summary: bool) -> ExitCode {
    let config = (!loaded.used_defaults).then_some(loaded);
    let mut stdout = std::io::stdout().lock();
    let run = if summary {
        scan::run_scan_summary
    } else {
        scan::run_scan
    };
    match run(config, files, &mut stdout) {
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

/// Prints every state document through the same state interface the binaries write with.
pub fn status(loaded: &LoadedConfig) -> ExitCode {
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
