//! The start-up steps every binary's `main` shares: logging and the stop signals. One place, so the three
//! services log alike and none of them can lose a SIGTERM that arrives while it is starting.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Human-readable logs on stderr, or JSON lines with `LOG_FORMAT=json` (what Render's log search
/// indexes best); `RUST_LOG` filters, default `info`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Cancels `token` on SIGTERM (Render's stop) or SIGINT. The handlers are registered before this
/// returns, not in the spawned task: on a current-thread runtime that task first runs at the caller's
/// next await, and a signal arriving before would take the default action and kill the process
/// (leaving its children behind). Must be called inside a tokio runtime.
pub fn cancel_on_signals(token: CancellationToken) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received: stopping"),
            _ = int.recv() => tracing::info!("SIGINT received: stopping"),
        }
        token.cancel();
    });
    Ok(())
}
