//! The client side of the control commands (`start`, `stop`, `restart`, `resume`, `reload`, `logs`,
//! `apply`, `skip`): sends one request to the supervisor that owns this state — through Key Value when
//! the state lives there, else the state directory's socket — prints its answer and returns the exit
//! status (0 done, 1 refused / unknown / nobody answering, 2 bad usage).

use crate::control::Request;
use healing_core::config_load::{ConfigArgs, LoadedConfig};
use std::process::ExitCode;
use std::time::Duration;

/// How long a command waits for its answer beyond the grace period (a stop waits for the process).
const DEFAULT_CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one control command to the supervisor that owns this state and prints its answer.
pub fn send(loaded: &LoadedConfig, instance: Option<&str>, req: &Request) -> ExitCode {
    let timeout = loaded.config.self_healing.grace_period + DEFAULT_CONTROL_TIMEOUT;
    // With Key Value state the supervisor may run in another service: the command goes through the
    // store. The local socket stays the way for `logs -f`.
    if let Some(url) = loaded.config.state_url.as_deref().filter(|_| !req.follow) {
        let code = crate::control_kv::call(
            url,
            instance,
            req,
            timeout,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        );
        return ExitCode::from(code);
    }
    send_socket(&loaded.config.state_dir, timeout, req)
}

fn send_socket(state_dir: &std::path::Path, timeout: Duration, req: &Request) -> ExitCode {
    let path = crate::control_socket::socket_path(state_dir);
    let code = crate::control_socket::call(
        &path,
        req,
        timeout,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}

/// `reload` when the file no longer loads: the supervisor found through the state directory the
/// command line or the environment names reports the problems itself.
pub fn reload_unloadable(args: &ConfigArgs) -> ExitCode {
    let dir = crate::control_socket::fallback_state_dir(args);
    send_socket(&dir, DEFAULT_CONTROL_TIMEOUT, &Request::reload())
}
