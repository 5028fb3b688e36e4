//! SIGTERM to the binary stops every agent's whole process group (grandchildren too), writes the state
//! and exits 0; a second supervisor on the same state dir refuses to start.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, alive, fast};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigterm_stops_agents_and_their_grandchildren_and_exits_zero() {
    let p = Project::new();
    p.config(&fast(
        r#"
[[agents]]
name = "parent"
command = ["sh", "-c", "sleep 300 & echo $! >> kids.txt; sleep 300 & echo $! >> kids.txt; echo $$ >> kids.txt; wait"]
[[agents]]
name = "stubborn"
command = ["sh", "-c", "trap '' TERM; echo $$ >> kids.txt; while true; do sleep 0.1; done"]
"#,
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(p.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while p.lines("kids.txt").len() < 4 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pids: Vec<u32> = p
        .lines("kids.txt")
        .iter()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 4);
    assert!(pids.iter().all(|&pid| alive(pid)));
    let second = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(p.path())
        .output()
        .unwrap();
    assert_eq!(
        second.status.code(),
        Some(1),
        "a second supervisor must refuse"
    );

    let t0 = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    // grace_period is 2 s: the stubborn agent is killed after it.
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    std::thread::sleep(Duration::from_millis(100));
    for pid in pids {
        assert!(!alive(pid), "pid {pid} survived the shutdown");
    }
    let status = p.state("agent_status.json").unwrap();
    assert_eq!(status["agents"]["parent"]["status"], "stopped");
    assert_eq!(status["agents"]["parent"]["pid"], serde_json::Value::Null);
}
