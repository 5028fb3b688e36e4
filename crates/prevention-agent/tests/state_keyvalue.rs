//! The real binary with the Key Value state backend (a real redis-server): `--once` stores its
//! document under the documented key, and a second prevention-agent for the same instance is refused
//! while the first one runs.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;
#[path = "../../healing-core/tests/kv_support/mod.rs"]
mod kv_support;

use kv_support::{
    any_store, eventually, output_text as text, stop_with_sigterm, stored, unique_namespace,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const INSTANCE: &str = "srv-kv-test";

fn write_config(dir: &Path) -> PathBuf {
    let tree = common::fixture("v1-unlimited");
    let src = format!(
        "[fixes]\nrequirements = \"requirements.txt\"\ncreate_path_roots = []\n\
         [prevention]\ninterval = \"1h\"\ncgroup_root = \"{}\"\nproc_root = \"{}\"\n\
         disk_paths = [\".\"]\ndisk_percent = 100.0\nmemory_percent = 100.0\ncpu_percent = 100.0\n",
        tree.join("cgroup").display(),
        tree.join("proc").display(),
    );
    let path = dir.join("healing.toml");
    std::fs::write(&path, src).unwrap();
    path
}

fn command(config: &Path, url: &str, ns: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prevention-agent"));
    cmd.arg("--config")
        .arg(config)
        .arg("--state-url")
        .arg(url)
        .env_remove("HEALING_CONFIG")
        .env_remove("HEALING_STATE_DIR")
        .env_remove("HEALING_STATE_URL")
        .env("HEALING_NAMESPACE", ns)
        .env("RENDER_INSTANCE_ID", INSTANCE);
    cmd
}

#[test]
fn once_with_a_state_url_stores_the_prevention_document_in_key_value() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let ns = unique_namespace("pa");
    let out = command(&config, &url, &ns).arg("--once").output().unwrap();
    let logs = text(&out);
    assert_eq!(out.status.code(), Some(0), "{logs}");
    assert!(
        logs.contains("key value store"),
        "the backend is logged: {logs}"
    );

    // Service-scoped: one copy per service, whichever instance writes it.
    let key = format!("healing:{ns}:service:prevention_state.json");
    let doc = stored(&url, &key).unwrap_or_else(|| panic!("{key} not stored: {logs}"));
    assert_eq!(doc["writer"], "prevention-agent", "{doc}");
    assert!(doc["schema_version"].is_number(), "{doc}");
    assert!(
        !dir.path().join("state").exists(),
        "no state directory when Key Value is used"
    );
}

#[test]
fn a_second_prevention_agent_of_the_service_is_refused_while_the_first_runs_even_from_another_instance()
 {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let ns = unique_namespace("pa");
    let first = command(&config, &url, &ns)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Service-scoped: one copy per service, whichever instance writes it.
    let key = format!("healing:{ns}:service:prevention_state.json");
    eventually("the first instance stores its document", || {
        stored(&url, &key).is_some()
    });

    let second = command(&config, &url, &ns)
        .env("RENDER_INSTANCE_ID", "srv-kv-test-other")
        .arg("--once")
        .output()
        .unwrap();
    let logs = text(&second);
    assert_eq!(
        second.status.code(),
        Some(1),
        "a taken state is a runtime failure: {logs}"
    );
    assert!(logs.contains("already running"), "{logs}");
    assert!(logs.contains("service"), "{logs}");

    assert!(
        stop_with_sigterm(first, "prevention-agent").success(),
        "the first one stops cleanly"
    );
    let third = command(&config, &url, &ns).arg("--once").output().unwrap();
    assert_eq!(
        third.status.code(),
        Some(0),
        "the lease is released on a clean stop: {}",
        text(&third)
    );
}

#[test]
fn a_lost_lease_stops_the_agent_with_exit_status_1_as_in_every_binary() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    // A pass every second: the next write after the takeover finds the lease gone.
    let src = std::fs::read_to_string(&config)
        .unwrap()
        .replace("interval = \"1h\"", "interval = \"1s\"");
    std::fs::write(&config, src).unwrap();
    let ns = unique_namespace("pa");
    let agent = command(&config, &url, &ns)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let key = format!("healing:{ns}:service:prevention_state.json");
    eventually("the agent stores its document", || {
        stored(&url, &key).is_some()
    });

    let lease = format!("healing:{ns}:~lease:service:prevention-agent");
    kv_support::raw(
        &url,
        &["SET", &lease, "other pid 99 token 1", "PX", "60000"],
    );

    let (status, stderr) = kv_support::exit_on_its_own(
        agent,
        std::time::Duration::from_secs(40),
        "the agent kept running after losing its lease",
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("prevention-agent lost its state lease"),
        "{stderr}"
    );
}
