//! `scripts/cron-auto-recovery.sh`, the wrapper Render's cron job runs: it must exec the binary so the exit
//! code and SIGTERM pass straight through.

mod common;

use common::Health;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cron-auto-recovery.sh")
}

fn command(dir: &std::path::Path, toml: &str) -> tokio::process::Command {
    let config = dir.join("healing.toml");
    std::fs::write(&config, toml).expect("config written");
    let mut cmd = tokio::process::Command::new(script());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTO_RECOVERY_BIN", env!("CARGO_BIN_EXE_auto-recovery"))
        .env("HEALING_CONFIG", &config)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .current_dir(dir);
    cmd
}

#[tokio::test]
async fn the_wrapper_passes_the_exit_code_through() {
    let dir = tempfile::tempdir().unwrap();
    let bad = command(dir.path(), "[recovery]\nbogus = true\n")
        .status()
        .await
        .unwrap();
    assert_eq!(bad.code(), Some(2));
    let good = command(
        dir.path(),
        "[recovery]\ncheck_self = false\ncheck_dependencies = false\n",
    )
    .status()
    .await
    .unwrap();
    assert_eq!(good.code(), Some(0));
}

#[tokio::test]
async fn sigterm_to_the_wrapper_reaches_the_binary_which_ends_its_pass_early() {
    let dir = tempfile::tempdir().unwrap();
    let health = Health::default();
    let base = health.start().await;
    let toml = format!(
        "[recovery]\ncheck_self = false\ncheck_dependencies = false\n\
         [[recovery.services]]\nname = \"gone\"\nurl = \"{base}/down\"\ntimeout = \"100ms\"\nwake_timeout = \"20s\"\n"
    );
    let mut child = command(dir.path(), &toml)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    // Signal only once the binary is inside its pass (it has probed the service that stays down), so a
    // slow start on a loaded machine cannot turn this into a test of the shell.
    let waiting = Instant::now();
    while health.hits("down") < 2 && waiting.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(health.hits("down") >= 2, "the pass never started probing");
    let started = Instant::now();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = child.wait().await.unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped waking promptly"
    );
    // A shell that did not exec would die of the signal itself (no code); the binary finishes its pass
    // and reports the service it could not wake.
    assert_eq!(status.code(), Some(1), "{status:?}");
    assert!(
        dir.path()
            .join("state/render_recovery_state.json")
            .is_file()
    );
}
