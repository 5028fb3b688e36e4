//! `fixes.mode = "propose"` on the real binary: a planned fix does not run by itself; it is listed by
//! `status`, runs on `apply ID` (and the agent recovers), and an unanswered proposal expires harmlessly.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, ctl, fast, poll};
use std::time::Duration;

const WRITER: &str = "import time\nopen('data/reports/out.txt', 'a').write('ok\\n')\nprint('wrote', flush=True)\ntime.sleep(300)\n";

fn project(ttl: &str) -> Project {
    let p = Project::new();
    p.write("writer.py", WRITER);
    p.write(
        "healing.toml",
        &fast(&format!(
            "[[agents]]\nname = \"writer\"\ncommand = [\"python3\", \"writer.py\"]\n\
             [fixes]\nmode = \"propose\"\nproposal_ttl = \"{ttl}\"\ncreate_path_roots = [\"data\"]\nrequirements = \"none.txt\"\n"
        ))
        .replace("cooldown = \"1s\"", "cooldown = \"1s\"\nreset_after = \"1h\""),
    );
    p
}

fn proposals(p: &Project) -> serde_json::Value {
    p.state("self_healing_state.json")
        .map(|s| s["proposals"].clone())
        .unwrap_or_default()
}

#[test]
fn a_proposed_fix_waits_for_apply_and_then_heals_the_agent() {
    let p = project("1h");
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(15), || proposals(&p)[0]["action"]
        == "create_path"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !p.path().join("data/reports").exists(),
        "a proposed fix ran by itself"
    );
    let status = p.state("agent_status.json").unwrap();
    assert_eq!(status["agents"]["writer"]["status"], "needs_attention");
    let (_, out, _) = ctl(&p, &["status"]);
    assert!(
        out.contains("proposed fixes") && out.contains("create_path"),
        "{out}"
    );

    let id = proposals(&p)[0]["id"].to_string();
    let (code, out, err) = ctl(&p, &["apply", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(poll(Duration::from_secs(10), || p
        .path()
        .join("data/reports/out.txt")
        .exists()));
    assert!(poll(Duration::from_secs(10), || p
        .state("agent_status.json")
        .is_some_and(|s| s["agents"]["writer"]["status"] == "running")));
    let (code, _, err) = ctl(&p, &["apply", &id]);
    assert_eq!(code, 1);
    assert!(err.contains("no open proposal"), "{err}");
    assert!(sup.stop().success());
}

#[test]
fn an_unanswered_proposal_expires_and_changes_nothing() {
    let p = project("1s");
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(15), || proposals(&p)[0].is_object()));
    assert!(poll(Duration::from_secs(10), || proposals(&p)
        .as_array()
        .is_some_and(|a| a.is_empty())));
    let history = p.state("self_healing_state.json").unwrap()["history"].to_string();
    assert!(history.contains("expired unanswered"), "{history}");
    assert!(!p.path().join("data/reports").exists());
    assert_eq!(
        p.state("agent_status.json").unwrap()["agents"]["writer"]["status"],
        "needs_attention"
    );
    assert!(sup.stop().success());
}
