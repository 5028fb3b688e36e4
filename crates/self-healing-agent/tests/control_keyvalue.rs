//! Control commands through Key Value (a real redis-server): from another "service" — another instance
//! id, no access to the supervisor's state directory — `logs`, `stop` and an unknown agent answer like
//! over the socket, and with no supervisor in the namespace the command fails within the ack wait.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../healing-core/tests/kv_support/mod.rs"]
mod kv_support;

use common::TICKER;
use kv_support::{any_store, stop_with_sigterm, unique_namespace};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn command(dir: &Path, url: &str, ns: &str, instance: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HEALING_NAMESPACE", ns)
        .env("RENDER_INSTANCE_ID", instance)
        .arg("--config")
        .arg(dir.join("healing.toml"))
        .arg("--state-url")
        .arg(url)
        .current_dir(dir);
    cmd
}

/// A command from another service: its own instance id and state directory.
fn ctl(dir: &Path, url: &str, ns: &str, args: &[&str]) -> (i32, String, String) {
    let out = command(dir, url, ns, "shell-of-another-service")
        .arg("--state-dir")
        .arg(dir.join("elsewhere"))
        .args(args)
        .output()
        .unwrap();
    common::outcome(&out)
}

#[test]
fn commands_reach_the_supervisor_through_key_value_and_an_unanswered_one_fails() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("worker.py"), TICKER).unwrap();
    std::fs::write(
        d.join("healing.toml"),
        common::fast("[[agents]]\nname = \"worker\"\ncommand = [\"python3\", \"worker.py\"]\n"),
    )
    .unwrap();
    let ns = unique_namespace("ctl");
    let sup = command(d, &url, &ns, "srv-a")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(d.join("supervisor.err")).unwrap())
        .spawn()
        .unwrap();

    let start = Instant::now();
    let mut logs = ctl(d, &url, &ns, &["logs", "worker", "-n", "2"]);
    while !(logs.0 == 0 && logs.1.lines().count() == 2) && start.elapsed() < Duration::from_secs(20)
    {
        std::thread::sleep(Duration::from_millis(200));
        logs = ctl(d, &url, &ns, &["logs", "worker", "-n", "2"]);
    }
    assert_eq!(logs.0, 0, "{logs:?}");
    assert!(logs.1.lines().all(|l| l.starts_with("tick")), "{logs:?}");

    let (code, out, err) = ctl(d, &url, &ns, &["stop", "worker"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("worker stopped"), "{out}");
    let (code, _, err) = ctl(d, &url, &ns, &["start", "nosuch"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown agent"), "{err}");
    assert!(!d.join("elsewhere/control.sock").exists());

    // Nobody serves this instance: the command fails after the ack wait and is taken back.
    let started = Instant::now();
    let (code, _, err) = ctl(
        d,
        &url,
        &ns,
        &["--instance", "srv-gone", "restart", "worker"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no running supervisor answers on instance srv-gone"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));

    let other = unique_namespace("empty");
    let (code, _, err) = ctl(d, &url, &other, &["restart", "worker"]);
    assert_eq!(code, 1);
    assert!(err.contains("no running supervisor"), "{err}");
    assert!(stop_with_sigterm(sup, "supervisor").success());
}
