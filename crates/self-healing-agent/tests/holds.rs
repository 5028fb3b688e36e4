//! Holds are never forever: a `needs_attention` agent gets a trial restart after
//! `breaker.reset_after` (so a deployed fix is picked up), a budget-exhausted agent resumes when its
//! hourly window allows, and a hold outlives the supervisor in the final `agent_status.json`.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast, run_until};
use healing_core::clock::{Clock, ManualClock, SharedClock};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

const BROKEN: &str = "import time\nprint('starting', flush=True\ntime.sleep(300)\n";
const FIXED: &str = "import time\nprint('fixed and running', flush=True)\ntime.sleep(300)\n";

fn config(reset_after: &str) -> String {
    fast("[[agents]]\nname = \"report\"\ncommand = [\"python3\", \"report.py\"]\n").replace(
        "cooldown = \"1s\"",
        &format!("cooldown = \"1s\"\nreset_after = \"{reset_after}\""),
    )
}

#[tokio::test]
async fn a_needs_attention_agent_is_tried_again_after_reset_after_and_picks_up_a_deployed_fix() {
    let p = Project::new();
    p.write("report.py", BROKEN);
    let mut deployed = false;
    let healed = run_until(p.config(&config("1s")), Duration::from_secs(8), || {
        let status = p.state("agent_status.json");
        let report = status.as_ref().map(|s| s["agents"]["report"].clone());
        if !deployed
            && report
                .as_ref()
                .is_some_and(|r| r["status"] == "needs_attention")
        {
            // The hold names the cause and when the trial comes; a human deploys a fix meanwhile.
            let r = report.as_ref().unwrap();
            assert_eq!(r["last_incident"]["kind"], "syntax_error");
            assert!(r["next_retry_at"].is_string(), "{r}");
            p.write("report.py", FIXED);
            deployed = true;
        }
        deployed
            && report.is_some_and(|r| r["status"] == "running")
            && std::fs::read_to_string(p.path().join("state/logs/report.log"))
                .is_ok_and(|l| l.contains("fixed and running"))
    })
    .await;
    assert!(healed, "{:?}", p.state("agent_status.json"));
    let state = p.state("self_healing_state.json").unwrap();
    let history = state["history"].as_array().unwrap();
    assert!(
        history.iter().any(|h| h["event"] == "restart"
            && h["message"]
                .as_str()
                .unwrap()
                .contains("trial restart after 1s")),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_held_agent_stays_held_in_the_final_status_after_shutdown() {
    let p = Project::new();
    p.write("report.py", BROKEN);
    let held = run_until(p.config(&config("1h")), Duration::from_secs(5), || {
        p.state("agent_status.json")
            .is_some_and(|s| s["agents"]["report"]["status"] == "needs_attention")
    })
    .await;
    assert!(held);
    // Read after the run returned: this is the document the shutdown wrote last.
    let status = p.state("agent_status.json").unwrap();
    assert_eq!(status["agents"]["report"]["status"], "needs_attention");
    assert!(status["agents"]["report"]["next_retry_at"].is_string());
    assert_eq!(status["summary"]["held"], 1);
}

async fn wait_spawns(p: &Project, want: usize) {
    let start = std::time::Instant::now();
    while p.lines("spawns.txt").len() < want && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_budget_exhausted_agent_resumes_when_its_hourly_window_allows() {
    let p = Project::new();
    let toml = fast(
        "[[agents]]\nname = \"crasher\"\ncommand = [\"sh\", \"-c\", \"echo x >> spawns.txt; exit 1\"]\n",
    )
    .replace("max_per_hour = 20", "max_per_hour = 2")
    .replace("interval = \"60s\"", "interval = \"100ms\"");
    let config = p.config(&toml);
    // Time runs at real speed through a manual clock, so the test can jump an hour ahead.
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let ticking = {
        let clock = clock.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                clock.advance(Duration::from_millis(10));
            }
        })
    };
    let token = CancellationToken::new();
    let shared: SharedClock = clock.clone();
    let task = tokio::spawn(self_healing_agent::run_with_clock(
        config,
        token.clone(),
        shared,
    ));
    // First run and the two restarts the budget allows.
    wait_spawns(&p, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        p.lines("spawns.txt").len(),
        3,
        "the budget must stop restarts"
    );
    let status = p.state("agent_status.json").unwrap();
    let crasher = &status["agents"]["crasher"];
    assert_eq!(crasher["status"], "backoff", "{crasher}");
    let retry_at = humantime::parse_rfc3339(crasher["next_retry_at"].as_str().unwrap()).unwrap();
    let wait_secs = retry_at.duration_since(clock.now()).unwrap().as_secs();
    assert!((3500..=3600).contains(&wait_secs), "{wait_secs}");

    clock.advance(Duration::from_secs(3600));
    wait_spawns(&p, 4).await;
    token.cancel();
    task.await.unwrap().unwrap();
    ticking.abort();
    assert_eq!(
        p.lines("spawns.txt").len(),
        4,
        "restarted once the window allowed"
    );
}
