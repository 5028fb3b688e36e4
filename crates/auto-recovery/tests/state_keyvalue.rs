//! The real binary with the Key Value state backend (a real redis-server): `--once` stores its
//! document under the documented key, and a second auto-recovery for the same instance is refused
//! while the first one runs.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

#[path = "../../healing-core/tests/kv_support/mod.rs"]
mod kv_support;

use kv_support::{
    any_store, eventually, output_text as text, stop_with_sigterm, stored, unique_namespace,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const INSTANCE: &str = "srv-kv-test";

fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("healing.toml");
    std::fs::write(
        &path,
        "[fixes]\nrequirements = \"requirements.txt\"\ncreate_path_roots = []\n\
         [recovery]\ncheck_self = false\ncheck_dependencies = false\n",
    )
    .unwrap();
    path
}

fn command(dir: &Path, url: &str, ns: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auto-recovery"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HEALING_NAMESPACE", ns)
        .env("RENDER_INSTANCE_ID", INSTANCE)
        .arg("--config")
        .arg(write_config(dir))
        .arg("--state-url")
        .arg(url)
        .current_dir(dir);
    cmd
}

#[test]
fn once_with_a_state_url_stores_the_recovery_document_in_key_value() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ns = unique_namespace("ar");
    let out = command(dir.path(), &url, &ns)
        .arg("--once")
        .output()
        .unwrap();
    let logs = text(&out);
    assert_eq!(out.status.code(), Some(0), "{logs}");
    assert!(
        logs.contains("key value store"),
        "the backend is logged: {logs}"
    );

    // Service-scoped: one copy per service, whichever instance (or cron run) writes it.
    let key = format!("healing:{ns}:service:render_recovery_state.json");
    let doc = stored(&url, &key).unwrap_or_else(|| panic!("{key} not stored: {logs}"));
    assert_eq!(doc["writer"], "auto-recovery", "{doc}");
    assert!(doc["schema_version"].is_number(), "{doc}");
    assert!(
        !dir.path().join("state").exists(),
        "no state directory when Key Value is used"
    );
}

#[test]
fn a_second_auto_recovery_of_the_service_is_refused_while_the_first_runs_even_from_another_instance()
 {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ns = unique_namespace("ar");
    let first = command(dir.path(), &url, &ns)
        .args(["--interval", "1h"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Service-scoped: one copy per service, whichever instance (or cron run) writes it.
    let key = format!("healing:{ns}:service:render_recovery_state.json");
    eventually("the first instance stores its document", || {
        stored(&url, &key).is_some()
    });

    let second = command(dir.path(), &url, &ns)
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
        stop_with_sigterm(first, "auto-recovery").success(),
        "the first one stops cleanly"
    );
    let third = command(dir.path(), &url, &ns)
        .arg("--once")
        .output()
        .unwrap();
    assert_eq!(
        third.status.code(),
        Some(0),
        "the lease is released on a clean stop: {}",
        text(&third)
    );
}
