//! An alert that could not be sent survives a restart in `<source>_alert_outbox.json` and is re-sent
//! first by the next alerter.

#![allow(clippy::unwrap_used)]

mod alert_support;

use alert_support::*;
use healing_core::alert::OutboxDoc;
use healing_core::clock::{ManualClock, SharedClock};
use healing_core::kind::Severity;
use healing_core::state::ReadOutcome;
use std::sync::Arc;

const OUTBOX: &str = "self-healing-agent_alert_outbox.json";

fn clock() -> SharedClock {
    Arc::new(ManualClock::at_epoch_2026())
}

#[tokio::test]
async fn undeliverable_alert_survives_restart_and_is_sent_first_by_the_next_alerter() {
    let dir = tempfile::tempdir().unwrap();
    let addr = closed_port();
    let cfg = config(&format!("http://{addr}"));
    let mut options = fast_options();
    options.max_attempts = 2;

    // Run 1: the Bot API is down.
    let run = spawn(
        &cfg,
        telegram_sinks(),
        options.clone(),
        store(dir.path(), clock()),
        clock(),
    );
    run.handle
        .send(alert("oom_killed:trader", Severity::Critical));
    let stats = run.handle.flush().await;
    assert_eq!((stats.sent, stats.failed, stats.outbox_pending), (0, 1, 1));
    assert!(stats.last_error.unwrap().contains("telegram unreachable"));
    run.stop().await;

    let ReadOutcome::Loaded(doc) = store(dir.path(), clock()).read::<OutboxDoc>(OUTBOX) else {
        panic!("outbox document missing after a failed delivery");
    };
    assert_eq!(doc.entries.len(), 1);
    assert_eq!(doc.entries[0].alert.key, "oom_killed:trader");
    assert_eq!(doc.entries[0].first_failed_at, "2026-01-01T00:00:00Z");

    // Run 2: the API is back on the same address; a new alert is queued right away.
    let server = FakeServer::start_on(Some(addr)).await;
    let run = spawn(
        &cfg,
        telegram_sinks(),
        options,
        store(dir.path(), clock()),
        clock(),
    );
    run.handle
        .send(alert("disk_full:/data", Severity::Critical));
    let stats = run.handle.flush().await;

    assert_eq!(
        (stats.sent, stats.resent_from_outbox, stats.outbox_pending),
        (2, 1, 0)
    );
    let texts: Vec<String> = server
        .received()
        .iter()
        .map(|r| r.json["text"].as_str().unwrap().to_string())
        .collect();
    assert!(
        texts[0].contains("oom_killed:trader"),
        "outbox first: {texts:?}"
    );
    assert!(texts[1].contains("disk_full:/data"), "{texts:?}");
    let ReadOutcome::Loaded(doc) = store(dir.path(), clock()).read::<OutboxDoc>(OUTBOX) else {
        panic!("outbox document should still exist (empty)");
    };
    assert!(doc.entries.is_empty());
    run.stop().await;
}

#[tokio::test]
async fn alerts_still_queued_at_shutdown_are_parked_in_the_outbox_without_network() {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let run = spawn_fast(
        &config(&server.base()),
        telegram_sinks(),
        dir.path(),
        clock(),
    );
    // The worker has not run yet on this single-threaded runtime: everything is still queued.
    for key in ["a", "b", "b", "c"] {
        run.handle.send(alert(key, Severity::High));
    }
    run.stop().await;

    assert!(server.received().is_empty());
    let ReadOutcome::Loaded(doc) = store(dir.path(), clock()).read::<OutboxDoc>(OUTBOX) else {
        panic!("queued alerts were lost at shutdown");
    };
    let keys: Vec<&str> = doc.entries.iter().map(|e| e.alert.key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c"], "duplicates are still collapsed");
}

#[tokio::test]
async fn corrupt_outbox_is_set_aside_and_the_alerter_still_works() {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(OUTBOX),
        b"{\"schema_version\":1,\"entries\":[{\"alert\":",
    )
    .unwrap();
    let run = spawn_fast(
        &config(&server.base()),
        telegram_sinks(),
        dir.path(),
        clock(),
    );
    run.handle.send(alert("k", Severity::High));
    assert_eq!(run.handle.flush().await.sent, 1);
    run.stop().await;
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with(&format!("{OUTBOX}.corrupt-"))),
        "{names:?}"
    );
}
