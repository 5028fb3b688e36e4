//! An agent that cannot even be started (its program is missing, its working directory does not exist)
//! is a clear incident for that agent alone: the others start anyway, and the supervisor keeps running.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Project, fast, run_until};
use std::time::Duration;

#[tokio::test]
async fn a_missing_program_or_working_directory_holds_that_agent_and_the_others_start_anyway() {
    let p = Project::new();
    p.write("healthy.sh", "echo started >> healthy.ran\nexec sleep 30\n");
    let config = p.config(&fast(
        r#"
[[agents]]
name = "no_program"
command = ["/nonexistent/bin/worker", "--serve"]
[[agents]]
name = "no_cwd"
command = ["sleep", "30"]
cwd = "does/not/exist"
[[agents]]
name = "healthy"
command = ["sh", "healthy.sh"]
"#,
    ));
    let path = p.path().to_path_buf();
    let status_says_held = move || {
        let Ok(bytes) = std::fs::read(path.join("state/agent_status.json")) else {
            return false;
        };
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return false;
        };
        let status = |a: &str| {
            doc["agents"][a]["status"]
                .as_str()
                .unwrap_or("")
                .to_string()
        };
        status("healthy") == "running"
            && status("no_program") == "needs_attention"
            && status("no_cwd") == "needs_attention"
    };
    assert!(
        run_until(config, Duration::from_secs(10), status_says_held).await,
        "expected the healthy agent running and both broken ones held: {:?}",
        p.state("agent_status.json")
    );
    assert_eq!(
        p.lines("healthy.ran"),
        vec!["started"],
        "the healthy agent ran once, untouched"
    );

    let doc = p.state("agent_status.json").unwrap();
    for (agent, needle) in [
        ("no_program", "/nonexistent/bin/worker"),
        ("no_cwd", "does/not/exist"),
    ] {
        let incident = doc["agents"][agent]["last_incident"].to_string();
        assert!(
            incident.contains(needle),
            "{agent}: the incident names what is missing: {incident}"
        );
    }
    // Held, not crash-looping: a spawn that cannot work is not retried on the backoff curve.
    let restarts = |a: &str| {
        doc["agents"][a]["restarts_last_hour"]
            .as_u64()
            .unwrap_or(99)
    };
    assert_eq!(restarts("no_program"), 0);
    assert_eq!(restarts("no_cwd"), 0);
}
