//! Reload on the real binary: unchanged agents keep their PID, changed ones restart, removed ones
//! stop, new ones start; an invalid file changes nothing and names every problem; SIGHUP does the same
//! as `reload`; `status` shows which configuration is in force.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, alive, ctl, fast, poll};
use std::time::Duration;

const SLEEPER: &str = "import time\nprint('up', flush=True)\ntime.sleep(600)\n";

fn agent(name: &str, env: &str) -> String {
    format!(
        "[[agents]]\nname = \"{name}\"\ncommand = [\"python3\", \"sleeper.py\"]\nenv = {{ VERSION = \"{env}\" }}\n"
    )
}

#[test]
fn reload_applies_only_the_difference_and_keeps_unchanged_agents_running() {
    let p = Project::new();
    p.write("sleeper.py", SLEEPER);
    let first = fast(&format!(
        "{}{}{}",
        agent("keep", "1"),
        agent("change", "1"),
        agent("drop", "1")
    ));
    p.write("healing.toml", &first);
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(15), || ["keep", "change", "drop"]
        .iter()
        .all(|n| p.running_pid(n).is_some())));
    let (keep, change, drop) = (
        p.running_pid("keep").unwrap(),
        p.running_pid("change").unwrap(),
        p.running_pid("drop").unwrap(),
    );
    let (_, before, _) = ctl(&p, &["status"]);
    assert!(before.contains("config loaded"), "{before}");

    let second = fast(&format!(
        "{}{}{}",
        agent("keep", "1"),
        agent("change", "2"),
        agent("added", "1")
    ))
    .replace("max_per_hour = 20", "max_per_hour = 7");
    p.write("healing.toml", &second);
    let (code, out, err) = ctl(&p, &["reload"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("started [added]")
            && out.contains("stopped [drop]")
            && out.contains("restarted [change]"),
        "{out}"
    );
    assert!(poll(Duration::from_secs(10), || p
        .running_pid("change")
        .is_some_and(|q| q != change)
        && p.running_pid("added").is_some()));
    assert!(poll(Duration::from_secs(10), || !alive(drop)));
    assert_eq!(
        p.running_pid("keep"),
        Some(keep),
        "an unchanged agent keeps its process"
    );
    assert!(alive(keep));
    let status = p.state("agent_status.json").unwrap();
    assert!(status["agents"].get("drop").is_none(), "{status}");
    assert_eq!(status["summary"]["total"], 3);

    // An invalid file: nothing changes, every problem is named with its key and line.
    p.write(
        "healing.toml",
        &format!("{second}\n[self_healing_typo]\nx = 1\n[[agents]]\nname = \"bad\"\n"),
    );
    let hash = |p: &Project| p.state("self_healing_state.json").unwrap()["config"]["hash"].clone();
    let hash_before = hash(&p);
    let (code, _, err) = ctl(&p, &["reload"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("self_healing_typo") && err.contains("healing.toml:"),
        "{err}"
    );
    assert!(
        err.contains("command"),
        "the missing command of agent 'bad' is reported too: {err}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(p.running_pid("keep"), Some(keep));
    assert_eq!(hash(&p), hash_before);

    // SIGHUP does the same as `reload`.
    p.write("healing.toml", &format!("{second}{}", agent("late", "1")));
    std::process::Command::new("kill")
        .args(["-HUP", &sup.child.id().to_string()])
        .status()
        .unwrap();
    assert!(poll(Duration::from_secs(10), || p
        .running_pid("late")
        .is_some()));
    assert_eq!(p.running_pid("keep"), Some(keep));
    assert!(poll(Duration::from_secs(5), || hash(&p) != hash_before));
    assert!(sup.stop().success());
}
