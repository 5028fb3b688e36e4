//! File descriptors: idle HTTP clients can never take the ones spawning needs (the connection cap
//! leaves a reserve below the open-files limit), and a spawn that still fails for want of them
//! (EMFILE) is retried on the backoff curve, not held for an hour.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast, free_port, poll, with_listen};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The supervisor under `ulimit -n 64` (soft and hard: it cannot raise it), its log in `supervisor.err`.
fn start_with_64_descriptors(p: &Project) -> Child {
    let bin = env!("CARGO_BIN_EXE_self-healing-agent");
    Command::new("sh")
        .args(["-c", &format!("ulimit -n 64 && exec {bin}")])
        .current_dir(p.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(p.path().join("supervisor.err")).unwrap())
        .spawn()
        .unwrap()
}

fn stop(mut sup: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &sup.id().to_string()])
        .status();
    let status = sup.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn idle_connections_cannot_take_the_descriptors_a_restart_needs() {
    let port = free_port();
    let p = Project::new();
    p.config(&with_listen(
        fast(
            r#"
[[agents]]
name = "worker"
command = ["sh", "-c", "echo $$ >> worker.pid; while [ ! -f stop ]; do sleep 0.05; done; rm -f stop; exit 1"]
"#,
        ),
        port,
    ));
    let sup = start_with_64_descriptors(&p);
    assert!(poll(Duration::from_secs(20), || p
        .lines("worker.pid")
        .len()
        == 1));
    // Far more clients than the 64 descriptors: without a reserve they would take every one.
    let conns: Vec<TcpStream> = (0..150)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(conns.len() > 70, "only {} connections", conns.len());
    std::thread::sleep(Duration::from_millis(1500));
    p.write("stop", "");
    let err_log = || std::fs::read_to_string(p.path().join("supervisor.err")).unwrap_or_default();
    assert!(
        poll(Duration::from_secs(20), || p.lines("worker.pid").len() >= 2),
        "the agent was not restarted while the clients held their connections:\n{}",
        err_log()
    );
    assert!(
        !err_log().contains("Too many open files"),
        "the restart ran out of descriptors:\n{}",
        err_log()
    );
    drop(conns);
    stop(sup);
}

#[test]
fn a_spawn_failing_with_emfile_is_retried_soon_not_held_for_an_hour() {
    // Thirty agents need more pipes and log files than 64 descriptors hold: some spawns fail with
    // EMFILE at every attempt. Each is a failed attempt on the backoff curve, never a one-hour hold.
    let agents: String = (0..30)
        .map(|i| format!("[[agents]]\nname = \"a{i}\"\ncommand = [\"sleep\", \"60\"]\n"))
        .collect();
    let p = Project::new();
    p.config(&fast(&agents));
    let sup = start_with_64_descriptors(&p);
    let err_log = || std::fs::read_to_string(p.path().join("supervisor.err")).unwrap_or_default();
    assert!(
        poll(Duration::from_secs(20), || err_log().contains("transient")),
        "no spawn hit EMFILE:\n{}",
        err_log()
    );
    assert!(poll(Duration::from_secs(10), || p
        .state("agent_status.json")
        .is_some()));
    let status = p.state("agent_status.json").unwrap();
    let held: Vec<String> = status["agents"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, a)| a["status"] == "needs_attention" || a["status"] == "circuit_open")
        .map(|(n, a)| format!("{n}: {}", a["status"]))
        .collect();
    assert!(held.is_empty(), "held instead of retried: {held:?}");
    stop(sup);
}
