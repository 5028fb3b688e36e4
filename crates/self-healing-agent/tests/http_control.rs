//! `POST /control/<verb>/<name>` on the real binary: always behind the bearer token (403 without a
//! configured one, 401 with a wrong one), and with the right one the same commands as the CLI.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, TICKER, fast, free_port, wait_for, with_listen};
use std::time::Duration;

const TOKEN: &str = "test-token-0123456789";

fn project(port: u16) -> Project {
    let p = Project::new();
    p.write("worker.py", TICKER);
    let toml = with_listen(
        fast("[[agents]]\nname = \"worker\"\ncommand = [\"python3\", \"worker.py\"]\n"),
        port,
    );
    p.write("healing.toml", &toml);
    p
}

async fn post(port: u16, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new().post(format!("http://127.0.0.1:{port}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(r) => {
            let code = r.status().as_u16();
            (code, r.json().await.unwrap_or_default())
        }
        Err(_) => (0, serde_json::Value::Null),
    }
}

/// The binary serving a running worker and the HTTP port.
async fn started(env: &[(&str, &str)]) -> (u16, Project, Binary) {
    let port = free_port();
    let p = project(port);
    let sup = Binary::start(&p, env);
    assert!(
        wait_for(Duration::from_secs(15), || p.agent("worker")["status"]
            == "running")
        .await
    );
    let listening = || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    assert!(wait_for(Duration::from_secs(5), listening).await);
    (port, p, sup)
}

#[tokio::test]
async fn without_a_configured_token_control_is_forbidden() {
    let (port, p, sup) = started(&[]).await;
    let (code, body) = post(port, "/control/stop/worker", Some(TOKEN)).await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(p.agent("worker")["status"], "running");
    assert!(sup.stop().success());
}

#[tokio::test]
async fn with_the_token_commands_work_and_a_wrong_token_is_rejected() {
    let (port, p, sup) = started(&[("HEALING_HTTP_TOKEN", TOKEN)]).await;
    assert_eq!(post(port, "/control/stop/worker", None).await.0, 401);
    assert_eq!(
        post(port, "/control/stop/worker", Some("wrong")).await.0,
        401
    );
    assert_eq!(p.agent("worker")["status"], "running");

    let mut body = serde_json::Value::Null;
    for _ in 0..100 {
        let (code, b) = post(port, "/control/logs/worker?lines=2", Some(TOKEN)).await;
        assert_eq!(code, 200, "{b}");
        body = b;
        if body["lines"].as_array().is_some_and(|l| l.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(body["lines"].as_array().unwrap().len(), 2, "{body}");
    assert!(
        body["lines"][1].as_str().unwrap().starts_with("tick"),
        "{body}"
    );

    let (code, body) = post(port, "/control/stop/worker", Some(TOKEN)).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["outcome"], "done");
    assert!(
        wait_for(Duration::from_secs(5), || p.agent("worker")["stopped_by"]
            == "operator")
        .await
    );

    let (code, body) = post(port, "/control/start/nosuch", Some(TOKEN)).await;
    assert_eq!(code, 404, "{body}");
    let (code, _) = post(port, "/control/explode/worker", Some(TOKEN)).await;
    assert_eq!(code, 404);
    let (code, body) = post(port, "/control/start/worker", Some(TOKEN)).await;
    assert_eq!(code, 200, "{body}");
    assert!(
        wait_for(Duration::from_secs(5), || p.agent("worker")["status"]
            == "running")
        .await
    );

    let started_over_http = |h: &serde_json::Value| {
        h["action"] == "start" && h["message"].as_str().unwrap().contains("(http)")
    };
    assert!(
        wait_for(Duration::from_secs(5), || p
            .state("self_healing_state.json")
            .and_then(|s| s["history"].as_array().cloned())
            .is_some_and(|h| h.iter().any(started_over_http)))
        .await
    );
    assert!(sup.stop().success());
}
