//! What leaves the process is scrubbed: an agent prints the errors real libraries print, with a bot
//! token, a DSN password and an API key in them; none of them reaches the state documents, a webhook
//! alert or the supervisor's own log (alert text itself: `alert::message`'s tests), while the error itself stays readable.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Binary, Project, Webhook, fast, wait_for};
use std::time::Duration;

const LEAKY: &str = r#"import sys
print("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.telegram.org', port=443): Max retries exceeded with url: /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getUpdates", flush=True)
print("sqlalchemy.exc.OperationalError: could not connect to postgresql://app:Pa55w0rdXyz@db:5432/prod", flush=True)
print("Traceback (most recent call last):", flush=True)
print('  File "agent.py", line 9, in <module>', flush=True)
print("ConnectionRefusedError: [Errno 111] Connection refused ?api_key=9f8e7d6c5b4a39281706f5e4", flush=True)
sys.exit(1)
"#;

const SECRETS: [&str; 4] = [
    "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    "Pa55w0rdXyz",
    "9f8e7d6c5b4a39281706f5e4",
    "agent-env-secret-value",
];

#[tokio::test]
async fn secrets_in_log_lines_never_reach_state_alerts_or_logs() {
    let hook = Webhook::start().await;
    let p = Project::new();
    p.write("agent.py", LEAKY);
    p.config(&fast(
        "[[agents]]\nname = \"leaky\"\ncommand = [\"python3\", \"agent.py\"]\nenv = { APP_SECRET = \"agent-env-secret-value\" }\n[alerts]\nmin_severity = \"low\"\n",
    ));
    // The agent echoes its own env secret too.
    p.write(
        "agent.py",
        &format!("import os\nprint('config ' + os.environ['APP_SECRET'], flush=True)\n{LEAKY}"),
    );
    let sup = Binary::start(
        &p,
        &[
            ("HEALING_WEBHOOK_URL", hook.url.as_str()),
            ("RUST_LOG", "debug"),
        ],
    );
    let recorded = wait_for(Duration::from_secs(30), || {
        p.state("agent_status.json")
            .is_some_and(|s| !s["agents"]["leaky"]["last_incident"].is_null())
    })
    .await;
    assert!(sup.stop().success());
    assert!(
        recorded,
        "no incident recorded or alerted: {:?} {:?}\n{}",
        p.state("agent_status.json"),
        hook.texts(),
        std::fs::read_to_string(p.path().join("supervisor.err")).unwrap_or_default()
    );

    let mut outputs = vec![
        ("webhook (whatever was sent)", hook.texts().join("\n")),
        (
            "supervisor log",
            std::fs::read_to_string(p.path().join("supervisor.err")).unwrap(),
        ),
    ];
    for entry in std::fs::read_dir(p.path().join("state")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            outputs.push(("state", std::fs::read_to_string(&path).unwrap()));
        }
    }
    let all: String = outputs.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        all.contains("ConnectionRefusedError"),
        "the error itself must stay readable"
    );
    for (what, text) in &outputs {
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{secret} leaked into {what}:\n{text}"
            );
        }
    }
}
