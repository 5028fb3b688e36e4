//! A spawn that fails for want of file descriptors (EMFILE) is retried on the backoff curve, not
//! held for an hour: once the idle connections that ate the descriptors are gone, the agent runs
//! again within seconds.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast, free_port, poll, with_listen};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_spawn_failing_with_emfile_is_retried_soon_not_held_for_an_hour() {
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
    // Soft and hard limit 64: the supervisor cannot raise it, so idle connections can exhaust it.
    let bin = env!("CARGO_BIN_EXE_self-healing-agent");
    let mut sup = Command::new("sh")
        .args(["-c", &format!("ulimit -n 64 && exec {bin}")])
        .current_dir(p.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(p.path().join("supervisor.err")).unwrap())
        .spawn()
        .unwrap();
    assert!(poll(Duration::from_secs(20), || p
        .lines("worker.pid")
        .len()
        == 1));
    let mut conns: Vec<TcpStream> = (0..150)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(conns.len() > 70, "only {} connections", conns.len());
    // Give the supervisor time to accept until it runs out of descriptors.
    std::thread::sleep(Duration::from_millis(1500));
    p.write("stop", "");
    let err_log = || std::fs::read_to_string(p.path().join("supervisor.err")).unwrap_or_default();
    assert!(
        poll(Duration::from_secs(20), || err_log().contains("transient")
            || err_log().contains("Too many open files")),
        "the respawn never hit EMFILE: {}",
        err_log()
    );
    conns.clear();
    assert!(
        poll(Duration::from_secs(20), || p.lines("worker.pid").len() >= 2),
        "the agent was not restarted once descriptors were free again:\n{}",
        err_log()
    );
    let _ = Command::new("kill")
        .args(["-TERM", &sup.id().to_string()])
        .status();
    let status = sup.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
