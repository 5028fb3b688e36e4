//! Liveness beyond "the process exists": an agent whose `health_url` stops answering 2xx, or whose
//! `heartbeat_file` goes stale, is hung, and is restarted like a dead one — but a fresh process gets
//! its `health_start_period` to come up first.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast, run_until};
use healing_core::config_load::LoadedConfig;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A health endpoint on 127.0.0.1 answering 200 while `healthy` is set, 500 otherwise.
async fn health_server(healthy: Arc<AtomicBool>) -> String {
    use axum::{Router, extract::State, http::StatusCode, routing::get};
    let app = Router::new()
        .route(
            "/health",
            get(|State(ok): State<Arc<AtomicBool>>| async move {
                if ok.load(Ordering::SeqCst) {
                    StatusCode::OK
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }),
        )
        .with_state(healthy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Fast health passes; the agent records each spawn's time in `spawns.txt`.
fn config(agent_extra: &str) -> String {
    fast(&format!(
        r#"
[[agents]]
name = "web"
command = ["sh", "-c", "date +%s%N >> spawns.txt; exec sleep 30"]
{agent_extra}
"#
    ))
    .replace(r#"interval = "60s""#, r#"interval = "50ms""#)
}

/// Runs the supervisor until the agent was spawned twice; the time between the two spawns, in ms.
async fn first_restart_after_ms(p: &Project, cfg: LoadedConfig) -> f64 {
    run_until(cfg, Duration::from_secs(10), || {
        p.lines("spawns.txt").len() >= 2
    })
    .await;
    let spawns: Vec<f64> = p
        .lines("spawns.txt")
        .iter()
        .map(|l| l.parse::<u128>().unwrap() as f64 / 1e6)
        .collect();
    assert!(spawns.len() >= 2, "{spawns:?}");
    spawns[1] - spawns[0]
}

fn last_incident_line(p: &Project) -> String {
    let status = p.state("agent_status.json").unwrap();
    status["agents"]["web"]["last_incident"]["line"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_agent_whose_health_url_starts_failing_is_restarted_like_a_dead_one() {
    let healthy = Arc::new(AtomicBool::new(true));
    let url = health_server(healthy.clone()).await;
    let p = Project::new();
    let cfg = p.config(&config(&format!(
        "health_url = \"{url}\"\nhealth_start_period = \"0s\""
    )));
    let start = Instant::now();
    let mut spawned_while_healthy = None;
    run_until(cfg, Duration::from_secs(10), || {
        // Half a second of passing probes (about ten passes) first, then the endpoint fails.
        if spawned_while_healthy.is_none() && start.elapsed() > Duration::from_millis(500) {
            spawned_while_healthy = Some(p.lines("spawns.txt").len());
            healthy.store(false, Ordering::SeqCst);
        }
        spawned_while_healthy.is_some() && p.lines("spawns.txt").len() >= 2
    })
    .await;
    assert_eq!(spawned_while_healthy, Some(1), "no restart while healthy");
    assert!(
        p.lines("spawns.txt").len() >= 2,
        "the hung agent was never restarted"
    );
    let line = last_incident_line(&p);
    assert!(
        line.contains("hung") && line.contains("500"),
        "last incident: {line:?}"
    );
}

#[tokio::test]
async fn a_fresh_process_gets_its_start_period_before_the_first_probe() {
    let url = health_server(Arc::new(AtomicBool::new(false))).await;
    let p = Project::new();
    let cfg = p.config(&config(&format!(
        "health_url = \"{url}\"\nhealth_start_period = \"700ms\""
    )));
    let gap = first_restart_after_ms(&p, cfg).await;
    // Probes every 50 ms, but the first one waits 700 ms; then TERM, exit, the 100 ms restart delay.
    assert!(
        (800.0..2_000.0).contains(&gap),
        "restarted {gap:.0} ms after start"
    );
}

#[tokio::test]
async fn an_agent_whose_heartbeat_goes_stale_is_restarted() {
    let p = Project::new();
    let cfg = p.config(
        &fast(
            r#"
[[agents]]
name = "web"
command = ["sh", "-c", "date +%s%N >> spawns.txt; touch hb; sleep 0.3; touch hb; exec sleep 30"]
heartbeat_file = "hb"
heartbeat_max_age = "400ms"
"#,
        )
        .replace(r#"interval = "60s""#, r#"interval = "50ms""#),
    );
    let gap = first_restart_after_ms(&p, cfg).await;
    // Touched at 0 and 0.3 s, stale after 0.7 s; then TERM, exit and the 100 ms restart delay.
    assert!(
        (700.0..2_000.0).contains(&gap),
        "restarted {gap:.0} ms after start"
    );
    let line = last_incident_line(&p);
    assert!(line.contains("hung: heartbeat"), "last incident: {line:?}");
}
