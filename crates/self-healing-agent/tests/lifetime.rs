//! No agent outlives the supervisor: SIGKILL of the real binary takes its Python and shell agents
//! with it; a grandchild that left the agent's group with `setsid` is stopped at shutdown and when
//! its agent restarts; orphans are re-parented to the supervisor and reaped; agents a killed
//! supervisor left behind are stopped by the next one (never a reused pid).

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, alive, fast, poll};
use std::time::Duration;

fn stat_field(pid: u32, n: usize) -> Option<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    rest.split_whitespace().nth(n - 3).map(String::from)
}

fn pids(p: &Project, file: &str) -> Vec<u32> {
    p.lines(file)
        .iter()
        .filter_map(|l| l.parse().ok())
        .collect()
}

#[test]
fn sigkill_of_the_supervisor_takes_python_and_shell_agents_with_it() {
    let p = Project::new();
    p.config(&fast(
        r#"
[[agents]]
name = "py"
command = ["python3", "-c", "import os, time\nopen('py.pid', 'w').write(str(os.getpid()) + '\\n')\ntime.sleep(300)"]
[[agents]]
name = "sh"
command = ["sh", "-c", "echo $$ > sh.pid; while true; do sleep 0.2; done"]
"#,
    ));
    let mut sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(20), || {
        pids(&p, "py.pid").len() == 1 && pids(&p, "sh.pid").len() == 1
    }));
    let agents = [pids(&p, "py.pid")[0], pids(&p, "sh.pid")[0]];
    assert!(agents.iter().all(|&a| alive(a)));
    sup.child.kill().unwrap();
    sup.child.wait().unwrap();
    assert!(
        poll(Duration::from_secs(5), || agents.iter().all(|&a| !alive(a))),
        "agents {agents:?} outlived the SIGKILLed supervisor"
    );
}

#[test]
fn a_setsid_grandchild_is_stopped_at_restart_and_at_shutdown() {
    let p = Project::new();
    p.config(&fast(
        r#"
[[agents]]
name = "escaper"
command = ["sh", "-c", "setsid sleep 300 & echo $! >> gc.pid; sleep 0.5; exit 1"]
"#,
    ));
    let sup = Binary::start(&p, &[]);
    // The first run's grandchild is stopped when the agent restarts.
    assert!(poll(Duration::from_secs(20), || pids(&p, "gc.pid").len() >= 2));
    let first = pids(&p, "gc.pid")[0];
    assert!(
        poll(Duration::from_secs(10), || !alive(first)),
        "the setsid grandchild of the first run survived its agent's restart"
    );
    let before = pids(&p, "gc.pid").len();
    assert!(poll(Duration::from_secs(10), || pids(&p, "gc.pid").len()
        > before));
    let status = sup.stop();
    assert!(status.success(), "{status:?}");
    let all = pids(&p, "gc.pid");
    assert!(
        poll(Duration::from_secs(5), || all.iter().all(|&g| !alive(g))),
        "setsid grandchildren survived the shutdown: {:?}",
        all.iter().filter(|&&g| alive(g)).collect::<Vec<_>>()
    );
}

#[test]
fn orphans_are_reparented_to_the_supervisor_and_reaped() {
    let p = Project::new();
    p.config(&fast(
        r#"
[[agents]]
name = "parent"
command = ["sh", "-c", "(sleep 2 & echo $! > orphan.pid); exec sleep 300"]
"#,
    ));
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(20), || pids(&p, "orphan.pid")
        .len()
        == 1));
    let orphan = pids(&p, "orphan.pid")[0];
    let me = sup.child.id().to_string();
    assert!(
        poll(Duration::from_secs(2), || stat_field(orphan, 4).as_deref()
            == Some(&me)),
        "the orphan went to {:?}, not to the supervisor {me}",
        stat_field(orphan, 4)
    );
    // Once it exits, it is reaped: gone from the process table, not left a zombie.
    assert!(
        poll(Duration::from_secs(10), || stat_field(orphan, 4).is_none()),
        "orphan {orphan} left as {:?}",
        stat_field(orphan, 3)
    );
    assert!(sup.stop().success());
}

#[test]
fn leftover_agents_of_a_killed_supervisor_are_stopped_but_a_reused_pid_is_not() {
    let p = Project::new();
    p.config(&fast(
        r#"
[[agents]]
name = "a"
command = ["sh", "-c", "echo $$ >> a.pid; exec sleep 300"]
[[agents]]
name = "b"
command = ["sh", "-c", "echo $$ >> b.pid; exec sleep 300"]
"#,
    ));
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(20), || {
        pids(&p, "a.pid").len() == 1 && pids(&p, "b.pid").len() == 1
    }));
    assert!(sup.stop().success());
    // Two processes standing in for what a killed supervisor left: one recorded with its true start
    // time (a leftover), one whose recorded start time differs (the pid was reused by a stranger).
    let spawn = || {
        use std::os::unix::process::CommandExt;
        std::process::Command::new("sleep")
            .arg("300")
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let (mut leftover, mut stranger) = (spawn(), spawn());
    let ticks = |pid: u32| stat_field(pid, 22).unwrap().parse::<u64>().unwrap();
    let path = p.path().join("state/agent_status.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    doc["agents"]["a"]["pid"] = leftover.id().into();
    doc["agents"]["a"]["pid_start_ticks"] = ticks(leftover.id()).into();
    doc["agents"]["b"]["pid"] = stranger.id().into();
    doc["agents"]["b"]["pid_start_ticks"] = (ticks(stranger.id()) + 1).into();
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();

    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(20), || {
        pids(&p, "a.pid").len() == 2 && pids(&p, "b.pid").len() == 2
    }));
    // The leftover was stopped before the new copy of its agent started.
    assert!(
        leftover.try_wait().unwrap().is_some(),
        "the leftover agent still runs next to its new copy"
    );
    assert!(
        stranger.try_wait().unwrap().is_none(),
        "a reused pid was killed"
    );
    assert!(sup.stop().success());
    let _ = stranger.kill();
    let _ = stranger.wait();
}
