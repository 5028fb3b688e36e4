//! The start-up steps every binary's `main` shares: logging and the stop signals. One place, so the three
//! services log alike and none of them can lose a SIGTERM that arrives while it is starting.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Human-readable logs on stderr, or JSON lines with `LOG_FORMAT=json` (what Render's log search
/// indexes best); `RUST_LOG` filters, default `info`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal: Render's log stream, journald and files get plain text.
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(|| RedactingStderr(Vec::new()));
    if std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Stderr through the redactor: tracing hands one formatted event to one writer, so each event is
/// scrubbed as a whole (a secret in any field — an error chain, a URL — never reaches the log).
struct RedactingStderr(Vec<u8>);

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingStderr {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let clean = crate::redact::line(&text);
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), clean.as_bytes());
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
