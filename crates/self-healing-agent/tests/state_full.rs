//! A full state directory (a 64 KiB tmpfs filled by agent output): one alert, `/health` names the
//! problem, the HTTP views show the live state (an agent that died after the disk filled up is shown
//! dead), and the lost output lines are counted. Skipped when tmpfs cannot be mounted (not root).

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, Webhook, fast, free_port, wait_for, with_listen};
use std::process::Command;
use std::time::Duration;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

async fn get(url: &str) -> serde_json::Value {
    match reqwest::get(url).await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_state_directory_is_one_alert_a_health_problem_and_live_views() {
    let p = Project::new();
    let state = p.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&state)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    let _mount = Mount(state.clone());
    let port = free_port();
    let hook = Webhook::start().await;
    p.config(&with_listen(
        fast(
            r#"
[[agents]]
name = "chatty"
command = ["python3", "-c", "import sys, time\nwhile True:\n    sys.stdout.write('x' * 1000 + '\\n'); sys.stdout.flush(); time.sleep(0.002)"]
[[agents]]
name = "victim"
command = ["sh", "-c", "while [ ! -f die ]; do sleep 0.05; done; rm -f die; echo dying; exit 3"]
"#,
        ),
        port,
    ));
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    let base = format!("http://127.0.0.1:{port}");
    // chatty fills the 64 KiB in a fraction of a second; then the victim dies, and the state
    // write that follows fails.
    tokio::time::sleep(Duration::from_secs(2)).await;
    p.write("die", "");
    let full = || {
        hook.texts()
            .iter()
            .any(|t| t.contains("State cannot be written"))
    };
    assert!(
        wait_for(Duration::from_secs(30), full).await,
        "no alert about the full state directory: {:?}\n{}",
        hook.texts(),
        std::fs::read_to_string(p.path().join("supervisor.err")).unwrap_or_default()
    );
    let mut health = serde_json::Value::Null;
    let mut live = serde_json::Value::Null;
    for _ in 0..100 {
        health = get(&format!("{base}/health")).await;
        live = get(&format!("{base}/health/self-healing")).await;
        if !live["agent_status"]["agents"]["victim"]["last_exit"].is_null()
            && !health["problems"].is_null()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let victim = &live["agent_status"]["agents"]["victim"];
    assert_eq!(victim["last_exit"]["code"], 3, "stale view: {victim}");
    let problems = health["problems"].to_string();
    assert!(problems.contains("cannot be written"), "{health}");
    let dropped = live["agent_status"]["agents"]["chatty"]["output_lines_dropped"]
        .as_u64()
        .unwrap_or(0);
    assert!(dropped > 0, "lost output is not counted: {live}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(sup.stop().success());
    let alerts = hook
        .texts()
        .iter()
        .filter(|t| t.contains("State cannot be written"))
        .count();
    assert_eq!(alerts, 1, "{:?}", hook.texts());
}
