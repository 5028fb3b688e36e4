//! A real hung Python agent: before it is killed it is asked where it is stuck (SIGABRT, Python's
//! faulthandler through `PYTHONFAULTHANDLER=1`, or `dump_command`), and the innermost frames reach
//! the incident's detail, the alert and the agent's log.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, Webhook, ctl, fast, wait_for};
use std::time::Duration;

/// Touches its heartbeat for half a second, then is stuck in `stuck()` (line 9) forever.
const WORKER: &str = "import time\nstart = time.time()\nwhile time.time() - start < 0.5:\n    open('hb', 'w').close()\n    time.sleep(0.05)\n\ndef stuck():\n    while True:\n        time.sleep(0.05)\n\nprint('going quiet', flush=True)\nstuck()\n";

fn config(extra: &str) -> String {
    fast(&format!(
        "[[agents]]\nname = \"worker\"\ncommand = [\"python3\", \"worker.py\"]\nheartbeat_file = \"hb\"\nheartbeat_max_age = \"3s\"\n{extra}"
    ))
    .replace(r#"interval = "60s""#, r#"interval = "100ms""#)
}

fn incident(p: &Project) -> serde_json::Value {
    p.state("agent_status.json")
        .map(|s| s["agents"]["worker"]["last_incident"].clone())
        .unwrap_or_default()
}

/// Waits until the last incident carries the stack frames of a dump.
async fn wait_for_frames(p: &Project) {
    assert!(
        wait_for(Duration::from_secs(20), || incident(p)["detail"]["frames"]
            .is_array())
        .await,
        "{:?}",
        p.state("agent_status.json")
    );
}

#[tokio::test]
async fn a_hung_python_agent_is_asked_for_its_stack_before_it_is_killed() {
    let p = Project::new();
    p.write("worker.py", WORKER);
    p.write("healing.toml", &config(""));
    let hook = Webhook::start().await;
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    wait_for_frames(&p).await;
    let inc = incident(&p);
    let top = &inc["detail"]["frames"][0];
    assert!(
        top["file"].as_str().unwrap().ends_with("worker.py"),
        "{inc}"
    );
    assert_eq!(top["line"], 9, "{inc}");
    assert_eq!(top["function"], "stuck", "{inc}");
    assert!(
        inc["line"].as_str().unwrap().contains("hung: heartbeat"),
        "{inc}"
    );
    assert!(
        inc["line"].as_str().unwrap().contains("stuck in stuck ("),
        "{inc}"
    );
    let log = std::fs::read_to_string(p.path().join("state/logs/worker.log")).unwrap();
    assert!(
        log.contains("Fatal Python error: Aborted"),
        "faulthandler's dump is in the log: {log}"
    );
    assert!(log.contains("hung; stack at the kill"), "{log}");
    assert!(
        wait_for(Duration::from_secs(10), || hook
            .texts()
            .iter()
            .any(|t| t.contains("worker hung") && t.contains("stuck (")))
        .await,
        "{:?}",
        hook.texts()
    );
    assert!(sup.stop().success());
}

#[tokio::test]
async fn dump_command_output_is_used_when_configured() {
    let p = Project::new();
    p.write("worker.py", WORKER);
    p.write(
        "healing.toml",
        &config(r#"dump_command = ["sh", "-c", "echo 'Thread {pid} (idle): MainThread'; echo '    stuck (dumped.py:3)'"]"#),
    );
    let sup = Binary::start(&p, &[]);
    wait_for_frames(&p).await;
    let top = incident(&p)["detail"]["frames"][0].clone();
    assert_eq!(top["file"], "dumped.py");
    assert_eq!(top["line"], 3);
    assert!(sup.stop().success());
}

/// Answers 200 except two failures in every five, until `broken` is set: then 500 always.
async fn flaky_health() -> (String, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    let broken = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU32::new(0));
    let (b, c) = (broken.clone(), count.clone());
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let (b, c) = (b.clone(), c.clone());
            async move {
                let n = c.fetch_add(1, Ordering::SeqCst);
                if b.load(Ordering::SeqCst) || n % 5 >= 3 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, broken)
}

#[tokio::test]
async fn fewer_failed_probes_than_the_threshold_do_not_kill_a_healthy_agent() {
    let p = Project::new();
    let (url, broken) = flaky_health().await;
    let toml = fast(&format!(
        "[[agents]]\nname = \"web\"\ncommand = [\"sh\", \"-c\", \"echo x >> spawns.txt; exec sleep 60\"]\nhealth_url = \"{url}\"\nhealth_start_period = \"0s\"\nhealth_period = \"50ms\"\nhealth_failure_threshold = 3\n"
    ));
    p.write("healing.toml", &toml);
    let sup = Binary::start(&p, &[]);
    assert!(wait_for(Duration::from_secs(10), || p.lines("spawns.txt").len() == 1).await);
    // About thirty probes, two failures in a row at most: never hung.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(p.lines("spawns.txt").len(), 1, "killed below the threshold");
    broken.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(wait_for(Duration::from_secs(10), || p.lines("spawns.txt").len() >= 2).await);
    let line = || {
        p.state("agent_status.json")
            .and_then(|s| {
                s["agents"]["web"]["last_incident"]["line"]
                    .as_str()
                    .map(String::from)
            })
            .unwrap_or_default()
    };
    assert!(
        wait_for(Duration::from_secs(5), || line()
            .contains("3 failed probes in a row"))
        .await,
        "{}",
        line()
    );
    assert!(sup.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_stop_during_a_hang_kill_wins_no_hang_alert_and_no_restart() {
    let p = Project::new();
    p.write("worker.py", WORKER);
    // The dump takes a while: the operator's stop arrives while the hung agent is being handled.
    p.write(
        "healing.toml",
        &config(r#"dump_command = ["sh", "-c", "touch dumping; sleep 1.5; echo '    stuck (dumped.py:3)'"]"#),
    );
    let hook = Webhook::start().await;
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    assert!(
        wait_for(Duration::from_secs(20), || p
            .path()
            .join("dumping")
            .exists())
        .await
    );
    // A blocking call: the webhook keeps being served on the other worker thread.
    let (code, out, err) = ctl(&p, &["stop", "worker"]);
    assert_eq!(code, 0, "{out}{err}");
    let status = || {
        p.state("agent_status.json")
            .map(|s| s["agents"]["worker"].clone())
            .unwrap_or_default()
    };
    assert!(
        wait_for(Duration::from_secs(10), || status()["stopped_by"]
            == "operator")
        .await
    );
    // Longer than the restart delay and the alert worker's delivery.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(status()["pid"].is_null(), "restarted: {}", status());
    let texts = hook.texts();
    assert!(!texts.iter().any(|t| t.contains("hung")), "{texts:#?}");
    assert!(sup.stop().success());
}
