//! The single-service layout: `scripts/start-all.sh` becomes the supervisor (exec, so signals reach it)
//! and `scripts/single-service.healing.toml` runs the other two binaries as supervised companions that
//! share the supervisor's state directory.

use healing_core::config_load;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

fn load_single_service() -> config_load::LoadedConfig {
    let path = repo_root().join("scripts/single-service.healing.toml");
    let src = std::fs::read_to_string(&path).expect("the single-service config exists");
    config_load::load_from_str(&src, Some(&path), path.parent().expect("dir"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_companions_are_supervised_agents_sharing_the_repo_state_dir() {
    let loaded = load_single_service();
    let root = repo_root();
    assert_eq!(
        loaded.config.state_dir,
        root.join("state"),
        "one state dir for all three"
    );
    for (name, extra) in [
        ("prevention-agent", None),
        ("auto-recovery", Some(["--interval", "5m"])),
    ] {
        let agent = loaded
            .config
            .agents
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert!(agent.enabled);
        assert_eq!(
            agent.command[0], name,
            "found on PATH, as start-all.sh arranges"
        );
        assert_eq!(agent.cwd, root, "{name} runs from the repo root");
        let config_arg = agent
            .command
            .iter()
            .position(|a| a == "--config")
            .expect("--config");
        let config = root.join(&agent.command[config_arg + 1]);
        assert_eq!(
            config,
            root.join("scripts/single-service.healing.toml"),
            "the same file as the supervisor"
        );
        if let Some(extra) = extra {
            assert!(
                agent.command.windows(2).any(|w| w == extra),
                "{name}: {:?}",
                agent.command
            );
        }
        assert!(
            !agent.command.iter().any(|a| a == "--once"),
            "{name} must keep running under supervision"
        );
    }
}

#[test]
fn the_grace_period_fits_in_renders_shutdown_delay() {
    let grace = load_single_service().config.self_healing.grace_period;
    assert!(
        grace.as_secs() < 30,
        "Render's default maxShutdownDelaySeconds is 30: {grace:?}"
    );
}

/// A stand-in binary that records its PID and arguments.
fn fake_binaries(dir: &Path, out: &Path) {
    for name in ["self-healing-agent", "prevention-agent", "auto-recovery"] {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"$$ $*\" > '{}'\n", out.display()),
        )
        .expect("write fake");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

#[test]
fn start_all_execs_the_supervisor_with_the_single_service_config() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ran");
    fake_binaries(tmp.path(), &out);
    let mut child = Command::new(repo_root().join("scripts/start-all.sh"))
        .arg("--extra")
        .env("HEALING_BIN_DIR", tmp.path())
        .spawn()
        .expect("start-all.sh runs");
    let pid = child.id();
    assert!(child.wait().expect("wait").success());
    let ran = std::fs::read_to_string(&out).expect("the supervisor ran");
    let (ran_pid, args) = ran.trim().split_once(' ').expect("pid and args");
    assert_eq!(
        ran_pid,
        pid.to_string(),
        "exec: the supervisor is the script's own process"
    );
    let config = repo_root().join("scripts/single-service.healing.toml");
    assert_eq!(args, format!("--config {} --extra", config.display()));
}

#[test]
fn start_all_refuses_to_start_without_the_companion_binaries() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ran");
    fake_binaries(tmp.path(), &out);
    std::fs::remove_file(tmp.path().join("auto-recovery")).expect("remove");
    let result = Command::new(repo_root().join("scripts/start-all.sh"))
        .env("HEALING_BIN_DIR", tmp.path())
        .output()
        .expect("start-all.sh runs");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("auto-recovery is missing") && stderr.contains("scripts/build-release.sh"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing was started");
}
