//! Crashes are detected the moment they happen and restarted on the backoff curve, inside the budget.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast, run_until};
use std::time::Duration;

const CRASHER: &str = r#"
[[agents]]
name = "crasher"
command = ["sh", "-c", "date +%s%N >> spawns.txt; echo starting; exit 1"]
"#;

#[tokio::test]
async fn an_agent_exiting_with_code_1_is_restarted_on_a_growing_backoff_curve() {
    let p = Project::new();
    let config = p.config(&fast(CRASHER));
    run_until(config, Duration::from_secs(5), || {
        p.lines("spawns.txt").len() >= 5
    })
    .await;
    let spawns: Vec<u128> = p
        .lines("spawns.txt")
        .iter()
        .map(|l| l.parse().unwrap())
        .collect();
    assert!(spawns.len() >= 5, "{spawns:?}");
    let gaps: Vec<f64> = spawns
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1e6)
        .collect();
    // 100 ms, 200 ms, 400 ms, 800 ms (ms, with scheduling slack)
    for (i, want) in [100.0, 200.0, 400.0, 800.0].iter().enumerate() {
        assert!(
            gaps[i] >= want * 0.9 && gaps[i] < want + 150.0,
            "gap {i}: {gaps:?}"
        );
    }
    let status = p.state("agent_status.json").unwrap();
    // The last exit may be the shutdown's own SIGTERM; the last incident is the crash.
    let incident = &status["agents"]["crasher"]["last_incident"];
    assert_eq!(incident["kind"], "process_exit");
    assert_eq!(incident["detail"]["exit_code"], 1);
    let state = p.state("self_healing_state.json").unwrap();
    assert!(
        state["counters"]["restarts_total"]["crasher"]
            .as_u64()
            .unwrap()
            >= 4
    );
    let log = std::fs::read_to_string(p.path().join("state/logs/crasher.log")).unwrap();
    assert!(log.contains("starting"));
}

#[tokio::test]
async fn a_crash_loop_opens_the_breaker_and_runs_one_trial_after_the_cooldown() {
    let p = Project::new();
    let config =
        p.config(&fast(CRASHER).replace("failure_threshold = 10", "failure_threshold = 2"));
    let start = std::time::Instant::now();
    let mut saw_open = false;
    run_until(config, Duration::from_secs(6), || {
        let status = p.state("agent_status.json");
        if status
            .as_ref()
            .is_some_and(|s| s["agents"]["crasher"]["status"] == "circuit_open")
        {
            saw_open = true;
        }
        saw_open && p.lines("spawns.txt").len() >= 4
    })
    .await;
    assert!(saw_open, "breaker never opened");
    // initial + 2 restarts (2 failures open it), then exactly one trial after the 1 s cooldown.
    let spawns = p.lines("spawns.txt").len();
    assert_eq!(spawns, 4, "after {:?}", start.elapsed());
    let state = p.state("self_healing_state.json").unwrap();
    let history = state["history"].as_array().unwrap();
    assert!(history.iter().any(|h| h["event"] == "breaker_half_open"));
}

#[tokio::test]
async fn a_supervisor_restart_keeps_restart_budgets_and_breaker_states() {
    let p = Project::new();
    let toml = fast(CRASHER)
        .replace("failure_threshold = 10", "failure_threshold = 2")
        .replace("cooldown = \"1s\"", "cooldown = \"1h\"");
    run_until(p.config(&toml), Duration::from_secs(5), || {
        p.state("agent_status.json")
            .is_some_and(|s| s["agents"]["crasher"]["status"] == "circuit_open")
    })
    .await;
    let before = p.lines("spawns.txt").len();
    assert_eq!(before, 3);
    // The second run must not spawn the crash-looping agent: its breaker is still open.
    run_until(p.config(&toml), Duration::from_millis(600), || false).await;
    assert_eq!(p.lines("spawns.txt").len(), before);
    // Still held after the second run's shutdown: the breaker outlives both runs.
    let status = p.state("agent_status.json").unwrap();
    assert_eq!(status["agents"]["crasher"]["status"], "circuit_open");
    let state = p.state("self_healing_state.json").unwrap();
    assert_eq!(state["breakers"]["agent:crasher"]["state"], "open");
}

#[tokio::test]
async fn the_log_tells_the_story_in_the_documented_words() {
    let p = Project::new();
    p.config(
        &fast(&CRASHER.replace("crasher", "sports_analytics"))
            .replace("interval = \"60s\"", "interval = \"300ms\""),
    );
    let sup = common::Binary::start(&p, &[("NO_COLOR", "1")]);
    let log = || std::fs::read_to_string(p.path().join("supervisor.err")).unwrap_or_default();
    let told = common::wait_for(Duration::from_secs(5), || {
        log().contains("Restarted sports_analytics (attempt 2)")
            && log().contains("Health check complete: ")
    })
    .await;
    assert!(sup.stop().success());
    let log = log();
    assert!(told, "{log}");
    assert!(
        !log.contains("Applying fix"),
        "a plain restart is not a fix: {log}"
    );
    let expected = [
        "⚠️ sports_analytics is stopped",
        "Restarting sports_analytics after exit in ",
        "Restarted sports_analytics (attempt 1)",
    ];
    let mut from = 0;
    for line in expected {
        let at = log[from..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing or out of order in:\n{log}"));
        from += at + line.len();
    }
    let health = regex::Regex::new(r"Health check complete: \d+/1 agents healthy").unwrap();
    assert!(health.is_match(&log), "{log}");
}
