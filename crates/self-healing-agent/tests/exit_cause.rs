//! The cause of an exit is what the agent printed just before it (`self_healing.exit_cause_lines` /
//! `exit_cause_window`), with real Python children: a handled TLS error logged at start-up does not
//! make an unrelated exit later a "needs a human" hold, while the same error printed right before the
//! exit does.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast, run_until};
use std::time::Duration;

/// Logs a handled SSLError (the kind that needs a human), works on for 80 lines, then exits 3.
const EARLY_SSL: &str = r#"
import pathlib, sys
pathlib.Path("runs.txt").open("a").write("run\n")
print("requests.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (handled, using cache)", flush=True)
for i in range(80):
    print(f"processed batch {i}", flush=True)
sys.exit(3)
"#;

/// The same error, printed as the last thing before the exit.
const LATE_SSL: &str = r#"
import pathlib, sys
pathlib.Path("runs.txt").open("a").write("run\n")
for i in range(80):
    print(f"processed batch {i}", flush=True)
print("requests.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", flush=True)
sys.exit(3)
"#;

fn config() -> String {
    fast("[[agents]]\nname = \"w\"\ncommand = [\"python3\", \"w.py\"]\n")
}

#[tokio::test]
async fn an_old_handled_error_does_not_explain_a_later_exit() {
    let p = Project::new();
    p.write("w.py", EARLY_SSL);
    let mut held = false;
    let restarted = run_until(p.config(&config()), Duration::from_secs(10), || {
        held |= p
            .state("agent_status.json")
            .is_some_and(|s| s["agents"]["w"]["status"] == "needs_attention");
        p.lines("runs.txt").len() >= 3
    })
    .await;
    assert!(
        restarted && !held,
        "held: {held}; {:?}",
        p.state("agent_status.json")
    );
    let state = p.state("self_healing_state.json").unwrap();
    let history = state["history"].as_array().unwrap();
    // The TLS error is still in the history, as an incident of its own.
    assert!(
        history.iter().any(|h| h["kind"] == "ssl_error"),
        "{history:?}"
    );
}

#[tokio::test]
async fn an_error_printed_just_before_the_exit_is_its_cause() {
    let p = Project::new();
    p.write("w.py", LATE_SSL);
    let held = run_until(p.config(&config()), Duration::from_secs(10), || {
        p.state("agent_status.json")
            .is_some_and(|s| s["agents"]["w"]["status"] == "needs_attention")
    })
    .await;
    assert!(held, "{:?}", p.state("agent_status.json"));
    assert_eq!(
        p.lines("runs.txt").len(),
        1,
        "a needs-human cause is not restarted in a loop"
    );
}
