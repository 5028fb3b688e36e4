//! The real binary with `--once`: exit codes, and no env value anywhere in its output or state.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const SECRET: &str = "nl-s3cr3t-7f3a9c1e-DO-NOT-LEAK";

fn write_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let tree = common::fixture("v1-unlimited");
    let src = format!(
        r#"
[[agents]]
name = "secretive"
command = ["sh", "-c", "true"]
env = {{ AGENT_TOKEN = "{SECRET}-agent-env" }}
[fixes]
requirements = "requirements.txt"
create_path_roots = []
[prevention]
cgroup_root = "{cg}"
proc_root = "{proc}"
disk_paths = ["."]
disk_percent = 100.0
memory_percent = 100.0
cpu_percent = 100.0
{extra}
"#,
        cg = tree.join("cgroup").display(),
        proc = tree.join("proc").display(),
    );
    let path = dir.join("healing.toml");
    fs::write(&path, src).unwrap();
    path
}

fn run_once(config: &Path, state: &Path, envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prevention-agent"));
    cmd.arg("--once")
        .arg("--config")
        .arg(config)
        .arg("--state-dir")
        .arg(state)
        .env_remove("HEALING_CONFIG")
        .env_remove("HEALING_STATE_DIR")
        .env("RUST_LOG", "debug");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn required_env_values_never_reach_logs_or_state_and_exit_codes_follow_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let config = write_config(
        dir.path(),
        r#"required_env = ["NEOLIGHT_SECRET_TOKEN", "NEOLIGHT_MISSING_TOKEN"]"#,
    );

    let out = run_once(&config, &state, &[("NEOLIGHT_SECRET_TOKEN", SECRET)]);
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a missing variable is a warning: {logs}"
    );
    assert!(logs.contains("NEOLIGHT_MISSING_TOKEN is not set"), "{logs}");
    let doc = fs::read_to_string(state.join("prevention_state.json")).unwrap();
    assert!(doc.contains("NEOLIGHT_SECRET_TOKEN is set"), "{doc}");
    for (what, text) in [("logs", &logs), ("state", &doc)] {
        assert!(!text.contains("s3cr3t"), "secret leaked into {what}");
    }
    for entry in fs::read_dir(&state).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains("s3cr3t"), "secret leaked into a state file");
    }

    let out = run_once(
        &config,
        &state,
        &[
            ("NEOLIGHT_SECRET_TOKEN", SECRET),
            ("NEOLIGHT_MISSING_TOKEN", "x"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_bad_config_exits_2_and_json_logs_are_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "hysteresis_percent = 250.0\nno_such_key = 1");
    let out = run_once(&config, &dir.path().join("state"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hysteresis_percent") && err.contains("no_such_key"),
        "{err}"
    );

    let good = write_config(dir.path(), "");
    let out = run_once(&good, &dir.path().join("state"), &[("LOG_FORMAT", "json")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap();
    let parsed: serde_json::Value = serde_json::from_str(first).unwrap();
    assert!(parsed.get("level").is_some(), "{first}");
}

#[test]
fn the_cpu_sample_window_from_the_config_sets_how_long_a_pass_measures_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let window = std::time::Duration::from_millis(700);
    let config = write_config(dir.path(), r#"cpu_sample_window = "700ms""#);
    let started = std::time::Instant::now();
    let out = run_once(&config, &state, &[]);
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took >= window, "the pass waited only {took:?}");

    let config = write_config(dir.path(), r#"cpu_sample_window = "soon""#);
    let out = run_once(&config, &state, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cpu_sample_window"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unusable_fix_policy_is_bad_configuration_as_in_every_binary() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    fs::create_dir(dir.path().join("requirements.txt")).unwrap();
    let out = run_once(&config, &dir.path().join("state"), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad configuration: [fixes]"), "{err}");
}
