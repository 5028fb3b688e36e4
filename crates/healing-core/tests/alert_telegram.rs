//! Alerts delivered through the Telegram Bot API (a fake server on 127.0.0.1 speaking its shapes).

#![allow(clippy::unwrap_used)]

mod alert_support;

use alert_support::*;
use healing_core::alert::MAX_MESSAGE_UNITS;
use healing_core::clock::{ManualClock, SharedClock};
use healing_core::kind::Severity;
use std::sync::Arc;
use std::time::Duration;

fn clock() -> (ManualClock, SharedClock) {
    let c = ManualClock::at_epoch_2026();
    (c.clone(), Arc::new(c))
}

#[tokio::test]
async fn telegram_receives_an_html_escaped_alert_in_the_configured_chat() {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let run = spawn_fast(&config(&server.base()), telegram_sinks(), dir.path(), clock);

    let mut a = alert("module_not_found:yaml", Severity::High);
    a.body = "if x < 1 && y > 2: <b>not bold</b>".into();
    run.handle.send(a);
    let stats = run.handle.flush().await;

    assert_eq!(stats.sent, 1);
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(got[0].json["chat_id"], CHAT);
    assert_eq!(got[0].json["parse_mode"], "HTML");
    let text = got[0].json["text"].as_str().unwrap();
    assert!(
        text.starts_with("<b>[HIGH] module_not_found:yaml in trader</b>"),
        "{text}"
    );
    assert!(
        text.contains("<pre>if x &lt; 1 &amp;&amp; y &gt; 2: &lt;b&gt;not bold&lt;/b&gt;</pre>"),
        "{text}"
    );
    run.stop().await;
}

#[tokio::test]
async fn telegram_429_retry_after_is_read_and_honoured_before_resending() {
    let server = FakeServer::start().await;
    server.script([Reply::telegram_429(7)]);
    let dir = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let run = spawn_fast(&config(&server.base()), telegram_sinks(), dir.path(), clock);

    let started = std::time::Instant::now();
    run.handle.send(alert("k", Severity::Critical));
    let stats = run.handle.flush().await;

    assert_eq!(
        stats.requested_waits,
        vec![Duration::from_secs(7)],
        "the server's retry_after was honoured"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(7),
        "waited (scaled) before resending"
    );
    assert_eq!(stats.sent, 1);
    assert_eq!(server.received().len(), 2);
    assert_eq!(stats.outbox_pending, 0);
    run.stop().await;
}

#[tokio::test]
async fn server_errors_are_retried_with_exponential_backoff_then_delivered() {
    let server = FakeServer::start().await;
    server.script([
        Reply::error(502, "Bad Gateway"),
        Reply::error(503, "Service Unavailable"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let run = spawn_fast(&config(&server.base()), telegram_sinks(), dir.path(), clock);

    run.handle.send(alert("k", Severity::High));
    let stats = run.handle.flush().await;

    assert_eq!(
        stats.requested_waits,
        vec![Duration::from_secs(1), Duration::from_secs(2)]
    );
    assert_eq!(stats.sent, 1);
    assert_eq!(server.received().len(), 3);
    run.stop().await;
}

#[tokio::test]
async fn rejected_alert_is_not_retried_and_not_kept() {
    let server = FakeServer::start().await;
    server.script([Reply::error(400, "Bad Request: chat not found")]);
    let dir = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let run = spawn_fast(&config(&server.base()), telegram_sinks(), dir.path(), clock);

    run.handle.send(alert("k", Severity::High));
    let stats = run.handle.flush().await;

    assert_eq!(
        (stats.sent, stats.rejected, stats.outbox_pending),
        (0, 1, 0)
    );
    assert_eq!(server.received().len(), 1);
    assert!(stats.last_error.unwrap().contains("chat not found"));
    run.stop().await;
}

#[tokio::test]
async fn same_incident_key_is_sent_once_per_dedup_window() {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (manual, clock) = clock();
    let cfg = config(&server.base());
    let run = spawn_fast(&cfg, telegram_sinks(), dir.path(), clock);

    for _ in 0..5 {
        run.handle
            .send(alert("module_not_found:yaml", Severity::High));
    }
    run.handle
        .send(alert("disk_full:/data", Severity::Critical));
    let stats = run.handle.flush().await;
    assert_eq!((stats.sent, stats.duplicates), (2, 4));

    manual.advance(cfg.dedup_window - Duration::from_secs(1));
    run.handle
        .send(alert("module_not_found:yaml", Severity::High));
    assert_eq!(run.handle.flush().await.sent, 2, "still inside the window");

    manual.advance(Duration::from_secs(1));
    run.handle
        .send(alert("module_not_found:yaml", Severity::High));
    assert_eq!(run.handle.flush().await.sent, 3, "window over: sent again");
    assert_eq!(server.received().len(), 3);
    run.stop().await;
}

#[tokio::test]
async fn alerts_below_min_severity_are_recorded_not_sent() {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let run = spawn_fast(&config(&server.base()), telegram_sinks(), dir.path(), clock);

    run.handle.send(alert("a", Severity::Low));
    run.handle.send(alert("b", Severity::Medium));
    let stats = run.handle.flush().await;

    assert_eq!((stats.below_threshold, stats.sent), (1, 1));
    assert_eq!(server.received().len(), 1);
    // The status page lists both, each with what became of it.
    let outcomes: Vec<(Severity, &str)> = stats
        .recent
        .iter()
        .map(|r| (r.severity, r.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (Severity::Low, "below_threshold"),
            (Severity::Medium, "sent")
        ]
    );
    run.stop().await;
}

#[tokio::test]
async fn huge_log_text_is_truncated_below_the_telegram_limit_on_a_char_boundary() {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let run = spawn_fast(&config(&server.base()), telegram_sinks(), dir.path(), clock);

    let mut a = alert("k", Severity::Critical);
    a.body = "Ошибка <&> 🚀 ".repeat(2000);
    run.handle.send(a);
    run.handle.flush().await;

    let text = server.received()[0].json["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.encode_utf16().count() <= MAX_MESSAGE_UNITS);
    assert!(
        text.ends_with("</pre>\n…(truncated)"),
        "{}",
        &text[text.len() - 60..]
    );
    assert!(text.contains("Ошибка &lt;&amp;&gt; 🚀"));
    run.stop().await;
}

#[test]
fn send_never_blocks_even_when_the_worker_cannot_keep_up() {
    // A current-thread runtime that is never driven while we send: the worker cannot run at all.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, clock) = clock();
    let mut options = fast_options();
    options.queue_capacity = 8;
    // The queue itself is under test here, not the rate limit in front of it.
    options.total_burst = u32::MAX;
    options.per_agent_burst = u32::MAX;
    let run = rt.block_on(async {
        spawn(
            &config("http://127.0.0.1:9"),
            telegram_sinks(),
            options,
            store(dir.path(), clock.clone()),
            clock,
        )
    });

    let started = std::time::Instant::now();
    for i in 0..10_000 {
        run.handle.send(alert(&format!("k{i}"), Severity::High));
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "send blocked: {:?}",
        started.elapsed()
    );
    assert_eq!(run.handle.stats().dropped_queue_full, 10_000 - 8);
    rt.block_on(run.stop());
}
