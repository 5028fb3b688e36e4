//! The HTTP surface, served for real on 127.0.0.1 over fixture state dirs.

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, SystemTime};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct Server {
    base: String,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

async fn serve(dir: &Path) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let base = format!("http://{}", listener.local_addr().expect("bound address"));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(self_healing_agent::http::serve(
        listener,
        dir.to_path_buf(),
        shutdown.clone(),
    ));
    Server {
        base,
        shutdown,
        task,
    }
}

impl Server {
    async fn get(&self, path: &str) -> (u16, String) {
        let resp = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("request reaches the server");
        let code = resp.status().as_u16();
        (code, resp.text().await.expect("body reads"))
    }

    async fn json(&self, path: &str) -> (u16, Value) {
        let (code, body) = self.get(path).await;
        (
            code,
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")),
        )
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let done = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        let result = done
            .expect("server stops on cancel")
            .expect("server task joins");
        result.expect("server ends without error");
    }
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn write_status(dir: &Path, written_at: SystemTime, agents: Value) {
    let doc = json!({"schema_version": 1, "written_at": rfc3339(written_at),
        "writer": "self-healing-agent", "instance": "test", "agents": agents});
    std::fs::write(dir.join("agent_status.json"), doc.to_string()).expect("write fixture");
}

fn running(pid: u32) -> Value {
    json!({"status": "running", "healthy": true, "pid": pid, "restarts_last_hour": 0, "breaker": "closed"})
}

#[tokio::test]
async fn all_agents_healthy_answers_200_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    write_status(
        dir.path(),
        SystemTime::now(),
        json!({"a": running(10), "b": running(11)}),
    );
    let server = serve(dir.path()).await;
    let (code, body) = server.json("/health").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["summary"],
        json!({"total": 2, "healthy": 2, "held": 0, "unhealthy": 0})
    );
    server.stop().await;
}

#[tokio::test]
async fn one_crashed_agent_makes_health_503_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let crashed = json!({"status": "backoff", "healthy": false, "pid": null,
        "last_exit": {"code": 1, "signal": null, "at": rfc3339(SystemTime::now())}});
    write_status(
        dir.path(),
        SystemTime::now(),
        json!({"a": running(10), "worker": crashed}),
    );
    let server = serve(dir.path()).await;
    let (code, body) = server.json("/health").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["unhealthy"], json!(["worker"]));
    server.stop().await;
}

#[tokio::test]
async fn agents_deliberately_held_keep_health_200() {
    let dir = tempfile::tempdir().unwrap();
    let held = json!({"status": "needs_attention", "healthy": false});
    let open = json!({"status": "circuit_open", "healthy": false, "breaker": "open"});
    write_status(
        dir.path(),
        SystemTime::now(),
        json!({"a": running(10), "b": held, "c": open}),
    );
    let server = serve(dir.path()).await;
    let (code, body) = server.json("/health").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["summary"]["held"], 2);
    assert_eq!(body["agents"]["c"]["held"], true);
    server.stop().await;
}

#[tokio::test]
async fn absent_or_stale_status_document_is_503_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path()).await;
    let (code, body) = server.json("/health").await;
    assert_eq!(code, 503);
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("agent_status.json is absent"),
        "{body}"
    );

    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    write_status(dir.path(), an_hour_ago, json!({"a": running(10)}));
    let (code, body) = server.json("/health").await;
    assert_eq!(code, 503);
    assert_eq!(body["status"], "stale", "{body}");
    server.stop().await;
}

#[tokio::test]
async fn other_binaries_documents_are_shown_or_reported_not_running() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path()).await;
    for path in [
        "/health/prevention",
        "/health/recovery",
        "/health/self-healing",
    ] {
        let (code, body) = server.json(path).await;
        assert_eq!(
            (code, body),
            (200, json!({"status": "not_running"})),
            "{path}"
        );
    }
    let prevention = json!({"schema_version": 1, "active_warnings": [{"kind": "memory"}]});
    std::fs::write(
        dir.path().join("prevention_state.json"),
        prevention.to_string(),
    )
    .unwrap();
    let (code, body) = server.json("/health/prevention").await;
    assert_eq!(code, 200);
    assert_eq!(body, json!({"status": "running", "state": prevention}));

    write_status(dir.path(), SystemTime::now(), json!({"a": running(10)}));
    let (code, body) = server.json("/health/self-healing").await;
    assert_eq!(code, 200);
    assert_eq!(body["agent_status"]["agents"]["a"]["pid"], 10);
    assert_eq!(body["state"], Value::Null);
    server.stop().await;
}

#[tokio::test]
async fn corrupt_documents_answer_503_with_the_error_and_serving_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agent_status.json"),
        b"{\"agents\": {\"a\": ",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("render_recovery_state.json"),
        b"\xff\xfe garbage",
    )
    .unwrap();
    let server = serve(dir.path()).await;
    for path in ["/health", "/health/self-healing", "/health/recovery"] {
        let (code, body) = server.json(path).await;
        assert_eq!(code, 503, "{path}: {body}");
        assert_eq!(body["status"], "error");
        // /health carries no text from the document (it is public); the detailed views say why.
        let want = if path == "/health" {
            "unreadable"
        } else {
            "not valid JSON"
        };
        assert!(body["error"].as_str().unwrap().contains(want), "{body}");
    }
    // Scrapes go on: the gauge, not a failed scrape, says the document is unusable.
    let (code, text) = server.get("/metrics").await;
    assert_eq!(code, 200);
    assert!(
        text.contains("healing_document_ok{document=\"agent_status.json\"} 0"),
        "{text}"
    );
    // The server survived and recovers as soon as the writer replaces the file.
    write_status(dir.path(), SystemTime::now(), json!({"a": running(10)}));
    assert_eq!(server.json("/health").await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn unknown_paths_are_404_and_only_the_named_documents_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let planted = "sk-test-PLANTED-7f3a9c";
    // Secret-bearing files beside the documents: an alert outbox and a dotenv.
    std::fs::write(
        dir.path().join("self-healing-agent_alert_outbox.json"),
        json!({"token": planted}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("TELEGRAM_BOT_TOKEN={planted}\n"),
    )
    .unwrap();
    write_status(dir.path(), SystemTime::now(), json!({"a": running(10)}));
    let server = serve(dir.path()).await;
    for path in [
        "/health/../.env",
        "/state/.env",
        "/health/self-healing-agent_alert_outbox.json",
        "/.env",
    ] {
        assert_eq!(server.get(path).await.0, 404, "{path}");
    }
    for path in [
        "/health",
        "/health/self-healing",
        "/health/prevention",
        "/health/recovery",
        "/metrics",
        "/",
        "/status/page.json",
    ] {
        let (_, body) = server.get(path).await;
        assert!(
            !body.contains(planted),
            "{path} leaked a planted secret: {body}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn metrics_are_prometheus_text_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    write_status(
        dir.path(),
        SystemTime::now(),
        json!({"web": running(10),
        "flaky": {"status": "circuit_open", "healthy": false, "restarts_last_hour": 5}}),
    );
    let state = json!({"schema_version": 1,
        "breakers": {"agent:flaky": {"state": "open", "failures": 3}, "dependency:a\"b\\c": {"state": "closed"}},
        "counters": {"restarts_total": {"flaky": 5, "web": 1},
                     "incidents_total": {"process_exit": 6, "module_not_found": 1},
                     "fixes_total": {"succeeded": 1, "refused": 2}}});
    std::fs::write(
        dir.path().join("self_healing_state.json"),
        state.to_string(),
    )
    .unwrap();
    let server = serve(dir.path()).await;
    let resp = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = resp.text().await.unwrap();

    let mut samples = std::collections::BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            assert!(matches!(words.next(), Some("HELP" | "TYPE")), "{line}");
            assert!(words.next().unwrap().starts_with("healing_"), "{line}");
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(name.starts_with("healing_"), "{line}");
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "{line}");
            assert_labels_well_formed(&series[name_end + 1..series.len() - 1], line);
        }
        samples.insert(series.to_string(), value);
    }
    assert_eq!(samples["healing_agent_up{agent=\"web\"}"], 1.0);
    assert_eq!(samples["healing_agent_up{agent=\"flaky\"}"], 0.0);
    assert_eq!(samples["healing_restarts_total{agent=\"flaky\"}"], 5.0);
    assert_eq!(
        samples["healing_incidents_total{kind=\"module_not_found\"}"],
        1.0
    );
    assert_eq!(samples["healing_fixes_total{outcome=\"refused\"}"], 2.0);
    assert_eq!(samples["healing_fixes_total{outcome=\"failed\"}"], 0.0);
    assert_eq!(
        samples["healing_breaker_state{key=\"agent:flaky\",state=\"open\"}"],
        1.0
    );
    assert_eq!(
        samples["healing_breaker_state{key=\"dependency:a\\\"b\\\\c\",state=\"closed\"}"],
        1.0
    );
    server.stop().await;
}

/// `k="v",k2="v2"` where values escape only `\\`, `\"` and `\n`.
fn assert_labels_well_formed(labels: &str, line: &str) {
    let mut rest = labels;
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label: {line}"));
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    let escaped = chars.next().map(|(_, c)| c);
                    assert!(
                        matches!(escaped, Some('\\' | '"' | 'n')),
                        "bad escape: {line}"
                    );
                }
                Some((i, '"')) => break i,
                Some((_, c)) => assert!(c != '\n', "{line}"),
                None => panic!("unterminated label value: {line}"),
            }
        };
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}
