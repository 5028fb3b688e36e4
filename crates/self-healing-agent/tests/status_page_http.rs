//! The status page over HTTP on 127.0.0.1, from fixture state dirs: what it says when things are
//! missing or stale, and that hostile text in a document reaches it only as escaped, redacted text.

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn write(dir: &Path, name: &str, doc: Value) {
    std::fs::write(dir.join(name), doc.to_string()).expect("write fixture");
}

/// Serves `dir` and answers one GET: status, content type, content security policy, body.
async fn get(dir: &Path, path: &str) -> (u16, String, String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let stop = CancellationToken::new();
    let server = tokio::spawn(self_healing_agent::http::serve(
        listener,
        dir.to_path_buf(),
        stop.clone(),
    ));
    let resp = reqwest::get(format!("{base}{path}")).await.expect("answer");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (kind, policy) = (header("content-type"), header("content-security-policy"));
    let code = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    (code, kind, policy, body)
}

fn agent(status: &str, line: &str, retry: SystemTime) -> Value {
    json!({"status": status, "healthy": false, "pid": null, "restarts_last_hour": 2, "restart_budget": 5,
           "breaker": "closed", "next_retry_at": rfc3339(retry),
           "last_incident": {"kind": "unclassified", "line": line, "at": rfc3339(SystemTime::now())}})
}

#[tokio::test]
async fn hostile_text_is_shown_escaped_and_redacted_and_absent_binaries_are_not_running() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let line = r#"<img src=x onerror="alert(1)"> posting to https://user:hunter2@example.com/hook?token=abc"#;
    write(
        dir.path(),
        "agent_status.json",
        json!({"written_at": rfc3339(now), "agents": {
            "<b>bold</b>": agent("backoff", line, now + Duration::from_secs(90))}}),
    );
    let (code, kind, policy, page) = get(dir.path(), "/").await;
    assert_eq!(code, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(
        !page.contains("<img") && !page.contains("<b>bold"),
        "{page}"
    );
    assert!(
        page.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        "{page}"
    );
    assert!(
        page.contains("data-agent=\"&lt;b&gt;bold&lt;/b&gt;\""),
        "{page}"
    );
    assert!(
        !page.contains("hunter2") && !page.contains("token=abc"),
        "{page}"
    );
    assert!(
        page.contains("2 / 5"),
        "restarts against the budget: {page}"
    );
    assert!(
        page.contains("in 1m2") || page.contains("in 1m3"),
        "next retry: {page}"
    );
    assert!(page.contains("Prevention agent not running."), "{page}");
    assert!(page.contains("Auto-recovery not running."), "{page}");
    assert!(
        page.contains("http-equiv=\"refresh\""),
        "works without script"
    );
}

#[tokio::test]
async fn stale_documents_are_marked_and_a_stopped_supervisor_promises_no_retry() {
    let dir = tempfile::tempdir().unwrap();
    let then = SystemTime::now() - Duration::from_secs(600);
    write(
        dir.path(),
        "agent_status.json",
        json!({"written_at": rfc3339(then), "agents": {
            "worker": agent("backoff", "boom", SystemTime::now() + Duration::from_secs(90))}}),
    );
    let old = SystemTime::now() - Duration::from_secs(7200);
    write(
        dir.path(),
        "prevention_state.json",
        json!({"written_at": rfc3339(old), "last_pass_at": rfc3339(old)}),
    );
    let (_, _, _, page) = get(dir.path(), "/").await;
    assert!(page.contains("stale: written 2h00m ago"), "{page}");
    assert!(
        page.contains("Supervisor not running; last seen 10m0"),
        "{page}"
    );
    assert!(page.contains("– (supervisor not running)"), "{page}");
    assert!(!page.contains("in 1m"), "a retry nobody will make: {page}");
}

#[tokio::test]
async fn the_refresh_endpoint_carries_the_body_the_page_shows() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "agent_status.json",
        json!({"written_at": rfc3339(SystemTime::now()), "agents": {
            "worker": {"status": "running", "healthy": true, "pid": 4242, "breaker": "closed"}}}),
    );
    let (code, kind, _, body) = get(dir.path(), "/status/page.json").await;
    assert_eq!(code, 200);
    assert!(kind.starts_with("application/json"), "{kind}");
    let json: Value = serde_json::from_str(&body).expect("JSON");
    let html = json["html"].as_str().expect("html");
    assert!(
        html.contains("<tr data-agent=\"worker\" data-state=\"running\""),
        "{html}"
    );
    assert!(html.contains("4242"), "{html}");
    assert!(
        !html.contains("<html") && !html.contains("<script"),
        "{html}"
    );
}
