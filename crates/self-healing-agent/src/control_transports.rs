//! Starting and stopping the ways commands reach the supervisor: the control socket, SIGHUP, the Key
//! Value channel (with `state_url`) and the Telegram command bot. Each ends in [`crate::control`].

use crate::supervisor::Supervisor;
use crate::{control, control_kv, control_socket, telegram_bot};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The running transports' tasks (they end when the token given to [`start`] is cancelled).
#[derive(Debug)]
pub struct Transports {
    socket: Option<tokio::task::JoinHandle<()>>,
    key_value: Option<tokio::task::JoinHandle<()>>,
}

impl Transports {
    /// Waits briefly for the socket to be removed; the Key Value loop is aborted (it may be in a BLPOP).
    pub async fn finish(self) {
        if let Some(task) = self.key_value {
            task.abort();
        }
        if let Some(task) = self.socket {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
    }
}

/// Starts every transport the configuration asks for; `stop` ends them.
pub fn start(
    sup: &mut Supervisor,
    state_dir: &std::path::Path,
    stop: &CancellationToken,
) -> Transports {
    let socket = start_control(sup, state_dir, stop);
    let key_value = sup.config.state_url.as_deref().and_then(|url| {
        control_kv::serve(
            url,
            healing_core::state::namespace(),
            healing_core::state::instance_id(),
            sup.tx.clone(),
            stop.clone(),
        )
    });
    sup.hold_notices =
        telegram_bot::start(&sup.config.alerts.telegram, sup.tx.clone(), stop.clone());
    reload_on_sighup(sup, stop);
    Transports { socket, key_value }
}

/// Serves the control socket in the state directory. Without it the supervisor still runs: commands
/// then fail with "no running supervisor answers", which names the socket.
fn start_control(
    sup: &Supervisor,
    state_dir: &std::path::Path,
    stop: &CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let path = control_socket::socket_path(state_dir);
    match control_socket::serve(path.clone(), sup.tx.clone(), stop.clone()) {
        Ok(task) => Some(task),
        Err(e) => {
            tracing::warn!(socket = %path.display(), error = %e, "cannot serve the control socket");
            None
        }
    }
}

/// SIGHUP reloads the configuration, like `self-healing-agent reload`.
fn reload_on_sighup(sup: &Supervisor, stop: &CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP: reload only via the control socket");
            return;
        }
    };
    let (events, stop) = (sup.tx.clone(), stop.clone());
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                got = hup.recv() => if got.is_none() { return },
            }
            tracing::info!("SIGHUP received: reloading the configuration");
            control::submit(&events, control::Request::reload(), control::Source::Signal).await;
        }
    });
}
