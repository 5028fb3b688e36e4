//! An agent's own `log_file` is diagnosed like its stdout, and a restart of the supervisor resumes
//! where the previous run stopped: old lines are not diagnosed (or alerted) twice.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast, run_until};
use std::time::Duration;

/// Writes a traceback ending in `$ERROR` to `app.log` once per distinct error, then idles.
const WRITER: &str = r#"
import os, sys, time
error = sys.argv[1]
marker = "wrote-" + error.split(":")[0]
if not os.path.exists(marker):
    with open("app.log", "a") as log:
        log.write("INFO working\n")
        log.write("Traceback (most recent call last):\n")
        log.write('  File "job.py", line 3, in <module>\n')
        log.write(error + "\n")
        log.write("INFO still here\n")
    open(marker, "w").close()
print("ready", flush=True)
time.sleep(300)
"#;

fn config(error: &str) -> String {
    fast(&format!(
        r#"
[[agents]]
name = "writer"
command = ["python3", "writer.py", "{error}"]
log_file = "app.log"
"#
    ))
}

fn incidents(p: &Project, kind: &str) -> u64 {
    p.state("self_healing_state.json")
        .and_then(|s| s["counters"]["incidents_total"][kind].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn log_file_errors_are_diagnosed_once_across_supervisor_restarts() {
    let p = Project::new();
    p.write("writer.py", WRITER);
    p.write(
        "app.log",
        "MemoryError\nlines from before the supervisor existed\n",
    );

    let seen = run_until(
        p.config(&config("MemoryError")),
        Duration::from_secs(8),
        || {
            p.state("agent_status.json")
                .is_some_and(|s| s["agents"]["writer"]["last_incident"]["kind"] == "memory_error")
        },
    )
    .await;
    assert!(seen, "{:?}", p.state("agent_status.json"));
    assert_eq!(
        incidents(&p, "memory_error"),
        1,
        "the pre-existing line must be skipped and the new one counted once"
    );

    // Second run: the same file with one new error appended by the agent; only that one is new.
    let seen = run_until(
        p.config(&config(
            "PermissionError: [Errno 13] Permission denied: 'out.csv'",
        )),
        Duration::from_secs(8),
        || incidents(&p, "permission_denied") == 1,
    )
    .await;
    assert!(seen, "{:?}", p.state("self_healing_state.json"));
    assert_eq!(
        incidents(&p, "memory_error"),
        1,
        "an old line was read twice"
    );
    let state = p.state("self_healing_state.json").unwrap();
    let offset = &state["follow_offsets"][p.path().join("app.log").display().to_string()];
    let len = std::fs::metadata(p.path().join("app.log")).unwrap().len();
    assert_eq!(offset["offset"].as_u64(), Some(len), "{state}");
}
