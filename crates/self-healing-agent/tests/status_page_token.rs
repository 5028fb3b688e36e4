//! The status page beyond loopback, through the real router with the rule a `0.0.0.0` listener gets
//! (served on 127.0.0.1: tests never bind elsewhere): a browser opening `/` without the token gets a
//! shell with no agent data that asks for the token; the data itself still needs the bearer header.

#![allow(clippy::unwrap_used)]

use healing_core::redact::Secret;
use self_healing_agent::http::{HttpOptions, serve_with};
use self_healing_agent::http_access::Access;
use std::time::SystemTime;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "status-page-test-token-0123";
const AGENT: &str = "market_data_agent";

/// Serves a state dir holding one running agent under `access`; the base URL and the stop token.
async fn serve(dir: &std::path::Path, access: Access) -> (String, CancellationToken) {
    let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let doc = serde_json::json!({"written_at": now, "agents": {
        AGENT: {"status": "running", "healthy": true, "pid": 4242, "breaker": "closed"}}});
    std::fs::write(dir.join("agent_status.json"), doc.to_string()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut options = HttpOptions::new(dir.to_path_buf());
    options.access = access;
    let stop = CancellationToken::new();
    tokio::spawn(serve_with(listener, options, stop.clone()));
    (base, stop)
}

async fn get(url: String, token: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn without_the_token_the_page_is_a_shell_that_asks_for_it_and_the_data_stays_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = serve(dir.path(), Access::Token(Some(Secret::new(TOKEN)))).await;

    let (code, shell) = get(format!("{base}/"), None).await;
    assert_eq!(code, 200, "a browser can open the page");
    assert!(!shell.contains(AGENT) && !shell.contains("4242"), "{shell}");
    assert!(
        shell.contains("data-locked=\"1\""),
        "the script asks for the token: {shell}"
    );
    assert!(
        shell.contains("<noscript>") && shell.contains("HEALING_HTTP_TOKEN"),
        "without script it says what is needed: {shell}"
    );
    assert!(!shell.contains("http-equiv=\"refresh\""), "{shell}");
    let (code, wrong) = get(format!("{base}/"), Some("wrong-token")).await;
    assert_eq!(code, 200);
    assert!(!wrong.contains(AGENT), "{wrong}");

    assert_eq!(get(format!("{base}/status/page.json"), None).await.0, 401);
    let (code, json) = get(format!("{base}/status/page.json"), Some(TOKEN)).await;
    assert_eq!(code, 200);
    assert!(
        json.contains(AGENT),
        "the shell's fetch gets the data: {json}"
    );

    let (code, full) = get(format!("{base}/"), Some(TOKEN)).await;
    assert_eq!(code, 200);
    assert!(
        full.contains(AGENT) && !full.contains("data-locked=\"1\""),
        "{full}"
    );
    stop.cancel();
}

#[tokio::test]
async fn without_a_configured_token_only_the_shell_is_served_and_on_loopback_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (base, stop) = serve(dir.path(), Access::Token(None)).await;
    let (code, shell) = get(format!("{base}/"), Some(TOKEN)).await;
    assert_eq!(code, 200);
    assert!(
        !shell.contains(AGENT) && shell.contains("data-locked=\"1\""),
        "{shell}"
    );
    assert_eq!(
        get(format!("{base}/status/page.json"), Some(TOKEN)).await.0,
        403
    );
    stop.cancel();

    let local = tempfile::tempdir().unwrap();
    let (base, stop) = serve(local.path(), Access::Local).await;
    let (code, page) = get(format!("{base}/"), None).await;
    assert_eq!(code, 200);
    assert!(
        page.contains(AGENT) && !page.contains("data-locked=\"1\""),
        "{page}"
    );
    stop.cancel();
}
