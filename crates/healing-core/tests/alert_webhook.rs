//! Alerts delivered to a Slack-compatible webhook, alone or beside Telegram.

#![allow(clippy::unwrap_used)]

mod alert_support;

use alert_support::*;
use healing_core::alert::AlertSinks;
use healing_core::clock::{ManualClock, SharedClock};
use healing_core::kind::Severity;
use healing_core::redact::Secret;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn clock() -> SharedClock {
    Arc::new(ManualClock::at_epoch_2026())
}

#[tokio::test]
async fn webhook_receives_slack_compatible_text_json() {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = AlertSinks {
        telegram: None,
        webhook: Some(Secret::new(format!("{}/services/T0/B0/xyz", server.base()))),
    };
    let run = spawn_fast(&config("http://unused"), sinks, dir.path(), clock());

    run.handle
        .send(alert("disk_full:/data", Severity::Critical));
    let stats = run.handle.flush().await;

    assert_eq!(stats.sent, 1);
    let got = server.received();
    assert_eq!(got[0].path, "/services/T0/B0/xyz");
    let text = got[0].json["text"].as_str().unwrap();
    assert!(
        text.starts_with("*[CRITICAL] disk_full:/data in trader*"),
        "{text}"
    );
    assert!(text.contains("No module named 'yaml'"), "{text}");
    assert_eq!(
        got[0].json.as_object().unwrap().len(),
        1,
        "only the text field"
    );
    run.stop().await;
}

#[tokio::test]
async fn webhook_retry_after_header_is_honoured() {
    let server = FakeServer::start().await;
    server.script([Reply {
        status: 429,
        body: serde_json::json!({}),
        retry_after_header: Some(3),
    }]);
    let dir = tempfile::tempdir().unwrap();
    let sinks = AlertSinks {
        telegram: None,
        webhook: Some(Secret::new(format!("{}/hook", server.base()))),
    };
    let run = spawn_fast(&config("http://unused"), sinks, dir.path(), clock());

    run.handle.send(alert("k", Severity::High));
    let stats = run.handle.flush().await;

    assert_eq!(stats.requested_waits, vec![Duration::from_secs(3)]);
    assert_eq!((stats.sent, server.received().len()), (1, 2));
    run.stop().await;
}

#[tokio::test]
async fn both_sinks_get_each_alert_and_a_failing_one_does_not_hold_back_the_other() {
    let telegram = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sinks = AlertSinks {
        telegram: Some((Secret::new(TOKEN), CHAT.into())),
        webhook: Some(Secret::new(format!("http://{}/hook", closed_port()))),
    };
    let mut options = fast_options();
    options.max_attempts = 2;
    let run = spawn(
        &config(&telegram.base()),
        sinks,
        options,
        store(dir.path(), clock()),
        clock(),
    );

    run.handle.send(alert("k", Severity::High));
    let stats = run.handle.flush().await;

    assert_eq!((stats.sent, stats.failed, stats.outbox_pending), (1, 1, 1));
    assert_eq!(telegram.received().len(), 1);
    run.stop().await;
}

#[test]
fn sinks_come_from_the_configured_env_names_and_empty_values_count_as_unset() {
    let cfg = config("http://x");
    let env: HashMap<&str, &str> = [
        ("TELEGRAM_BOT_TOKEN", "1:abc"),
        ("TELEGRAM_CHAT_ID", "42"),
        ("HEALING_WEBHOOK_URL", "  "),
    ]
    .into();
    let sinks = AlertSinks::from_lookup(&cfg, &|k| env.get(k).map(|v| v.to_string()));
    let (token, chat) = sinks.telegram.unwrap();
    assert_eq!((token.expose(), chat.as_str()), ("1:abc", "42"));
    assert!(sinks.webhook.is_none());
    let only_token: HashMap<&str, &str> = [("TELEGRAM_BOT_TOKEN", "1:abc")].into();
    assert!(
        AlertSinks::from_lookup(&cfg, &|k| only_token.get(k).map(|v| v.to_string()))
            .telegram
            .is_none()
    );
}
