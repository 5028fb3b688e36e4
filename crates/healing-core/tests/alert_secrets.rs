//! The bot token and the webhook URL never appear in a log line, the outbox, a state file or an error,
//! even when the network fails and even when a server echoes them back.

#![allow(clippy::unwrap_used)]

mod alert_support;

use alert_support::*;
use healing_core::alert::AlertSinks;
use healing_core::clock::{ManualClock, SharedClock};
use healing_core::kind::Severity;
use healing_core::redact::Secret;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn all_files(dir: &std::path::Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        all.push_str(&String::from_utf8_lossy(
            &std::fs::read(entry.unwrap().path()).unwrap(),
        ));
    }
    all
}

#[tokio::test(flavor = "current_thread")]
async fn bot_token_and_webhook_url_never_appear_in_logs_outbox_or_errors() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let clock: SharedClock = Arc::new(ManualClock::at_epoch_2026());
    let dir = tempfile::tempdir().unwrap();
    let mut options = fast_options();
    options.max_attempts = 2;
    let webhook_secret = "T00000000/B00000000/XXXXwebhooksecretXXXX";

    // A server that echoes the request path (with the token) back in its error description.
    let echoing = FakeServer::start().await;
    let echo = Reply::error(500, &format!("upstream failed for /bot{TOKEN}/sendMessage"));
    echoing.script([echo.clone(), echo]);
    let run = spawn(
        &config(&echoing.base()),
        telegram_sinks(),
        options.clone(),
        store(dir.path(), clock.clone()),
        clock.clone(),
    );
    run.handle.send(alert("k1", Severity::Critical));
    let first = run.handle.flush().await;
    run.stop().await;

    // Nothing listening: connection errors (whose reqwest text would include the URL).
    let down = closed_port();
    let sinks = AlertSinks {
        telegram: Some((Secret::new(TOKEN), CHAT.into())),
        webhook: Some(Secret::new(format!(
            "http://{down}/services/{webhook_secret}?token={webhook_secret}"
        ))),
    };
    let run = spawn(
        &config(&format!("http://{down}")),
        sinks,
        options,
        store(dir.path(), clock.clone()),
        clock,
    );
    run.handle.send(alert("k2", Severity::Critical));
    let second = run.handle.flush().await;
    run.stop().await;

    let errors = format!("{:?} {:?}", first.last_error, second.last_error);
    assert!(
        errors.contains("HTTP 500") && errors.contains("unreachable"),
        "failures really happened: {errors}"
    );
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("alert not delivered"),
        "the failure was logged: {logs}"
    );
    let files = all_files(dir.path());
    assert!(
        files.contains("k1") && files.contains("k2"),
        "both alerts are in the outbox: {files}"
    );

    for secret in [TOKEN, "AAH-very-secret-token_value", webhook_secret] {
        assert!(!logs.contains(secret), "secret in logs:\n{logs}");
        assert!(!files.contains(secret), "secret in state files:\n{files}");
        assert!(!errors.contains(secret), "secret in errors: {errors}");
    }
}
