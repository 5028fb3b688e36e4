//! The supervisor's exit codes follow the table all three binaries share (README, "Exit codes"), and a
//! config with problems prints them in the one documented format, `file:line:column: key: message`.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn supervisor(dir: &Path, config: &str) -> Output {
    std::fs::write(dir.join("healing.toml"), config).unwrap();
    Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(dir)
        .env_remove("HEALING_CONFIG")
        .env_remove("HEALING_STATE_DIR")
        .env_remove("HEALING_STATE_URL")
        .args(["--config", "healing.toml", "--exit-after", "100ms"])
        .output()
        .unwrap()
}

#[test]
fn config_problems_print_one_documented_line_each_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = supervisor(
        dir.path(),
        "[restart]\nmultipler = 2.0\n[self_healing]\ninterval = \"1s\"\ninterval = \"2s\"\n",
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = dir.path().join("healing.toml");
    let file = file.display();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [format!(
            "{file}:5:1: toml: duplicate key `interval` in table `self_healing`"
        )],
        "a syntax error is reported alone, in the documented format"
    );
    let out = supervisor(dir.path(), "[restart]\nmultipler = 2.0\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!("{file}:2:1: restart.multipler: ")),
        "{stderr}"
    );
}

#[test]
fn an_unusable_fix_policy_is_bad_configuration_and_a_clean_run_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("requirements.txt")).unwrap();
    let out = supervisor(
        dir.path(),
        "state_dir = \"state\"\n[fixes]\nrequirements = \"requirements.txt\"\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad configuration: [fixes]"), "{stderr}");

    std::fs::remove_dir(dir.path().join("requirements.txt")).unwrap();
    let out = supervisor(dir.path(), "state_dir = \"state\"\n");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[path = "../../healing-core/tests/kv_support/mod.rs"]
mod kv_support;

#[test]
fn a_lost_lease_stops_the_supervisor_with_exit_status_1_not_0() {
    let Some((url, _server)) = kv_support::any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("healing.toml"),
        "[[agents]]\nname = \"idle\"\ncommand = [\"sleep\", \"60\"]\n",
    )
    .unwrap();
    let ns = kv_support::unique_namespace("sha");
    let supervisor = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(dir.path())
        .env_remove("HEALING_CONFIG")
        .env_remove("HEALING_STATE_DIR")
        .env("HEALING_NAMESPACE", &ns)
        .env("RENDER_INSTANCE_ID", "srv-lease-test")
        .args(["--config", "healing.toml", "--state-url", &url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lease = format!("healing:{ns}:~lease:srv-lease-test:self-healing-agent");
    let held = |url: &str| {
        matches!(
            kv_support::raw(url, &["GET", &lease]),
            redis::Value::BulkString(_)
        )
    };
    kv_support::eventually("the supervisor holds its lease", || held(&url));
    kv_support::raw(
        &url,
        &["SET", &lease, "other pid 99 token 1", "PX", "60000"],
    );

    // The next state write or lease renewal finds the lease taken.
    let (status, stderr) = kv_support::exit_on_its_own(
        supervisor,
        std::time::Duration::from_secs(60),
        "the supervisor kept running after losing its lease",
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("self-healing-agent lost its state lease"),
        "{stderr}"
    );
}
