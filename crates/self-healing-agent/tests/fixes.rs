//! Fix-then-restart scenarios with real Python children: a missing module is installed (by a local
//! installer script) and the agent becomes healthy; a missing directory is created; a refused fix
//! (package not allowed, path outside the roots) never executes and the agent is held.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, Webhook, fast, run_until, wait_for};
use std::time::Duration;

/// An installer that "installs" module `name` by writing `site/<name>.py`, and records each call.
const INSTALLER: &str = r#"
import pathlib, sys
here = pathlib.Path(__file__).parent
name = sys.argv[-1].split("==")[0]
(here / "installs.txt").open("a").write(name + "\n")
site = here / "site"; site.mkdir(exist_ok=True)
(site / (name + ".py")).write_text("VALUE = 42\n")
"#;

const NEEDS_MODULE: &str = r#"
import time
import fancylib
print("fancylib loaded", fancylib.VALUE, flush=True)
time.sleep(300)
"#;

fn agent(name: &str, script: &str) -> String {
    format!(
        r#"
[[agents]]
name = "{name}"
command = ["python3", "{script}"]
env = {{ PYTHONPATH = "site" }}
"#
    )
}

#[tokio::test]
async fn a_missing_module_is_installed_once_and_the_agents_become_healthy() {
    let p = Project::new();
    p.write("install.py", INSTALLER);
    p.write("a.py", NEEDS_MODULE);
    p.write("b.py", NEEDS_MODULE);
    let toml = fast(&format!(
        "{}{}\n[fixes]\ninstall_command = [\"python3\", \"{}\"]\nallow_packages = [\"fancylib\"]\nrequirements = \"none.txt\"\n",
        agent("a", "a.py"),
        agent("b", "b.py"),
        p.path().join("install.py").display()
    ));
    let config = p.config(&toml);
    let healthy = run_until(config, Duration::from_secs(10), || {
        p.state("agent_status.json").is_some_and(|s| {
            s["agents"]["a"]["healthy"] == true
                && s["agents"]["b"]["healthy"] == true
                && s["agents"]["a"]["status"] == "running"
        }) && ["a", "b"].iter().all(|n| {
            std::fs::read_to_string(p.path().join(format!("state/logs/{n}.log")))
                .is_ok_and(|l| l.contains("fancylib loaded"))
        })
    })
    .await;
    assert!(
        healthy,
        "agents did not become healthy: {:?}",
        p.state("agent_status.json")
    );
    assert_eq!(
        p.lines("installs.txt"),
        vec!["fancylib"],
        "installed exactly once"
    );
    let log = std::fs::read_to_string(p.path().join("state/logs/a.log")).unwrap();
    assert!(log.contains("ModuleNotFoundError") && log.contains("fancylib loaded"));
    // Each agent's fix is one history entry with its action and final outcome (no "pending" twin).
    let state = p.state("self_healing_state.json").unwrap();
    for name in ["a", "b"] {
        let fixes: Vec<_> = state["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "fix" && e["agent"] == name)
            .collect();
        assert_eq!(fixes.len(), 1, "{name}: {fixes:?}");
        assert_eq!(fixes[0]["action"], "install_package", "{name}: {fixes:?}");
        assert_eq!(fixes[0]["outcome"], "succeeded", "{name}: {fixes:?}");
    }
}

/// Fails with the words of a missing module although `fancylib` imports (a stale submodule path, a
/// vendored copy): the supervisor's own check with the agent's interpreter must stop the install.
const CLAIMS_MISSING: &str = r#"
import sys, fancylib
print("ModuleNotFoundError: No module named 'fancylib'", flush=True)
sys.exit(1)
"#;

#[tokio::test]
async fn an_allowed_module_that_imports_with_the_agents_python_is_not_installed() {
    let p = Project::new();
    p.write("install.py", INSTALLER);
    p.write("site/fancylib.py", "VALUE = 1\n");
    p.write("a.py", CLAIMS_MISSING);
    let toml = fast(&format!(
        "{}\n[fixes]\ninstall_command = [\"python3\", \"{}\"]\nallow_packages = [\"fancylib\"]\nrequirements = \"none.txt\"\n",
        agent("a", "a.py"),
        p.path().join("install.py").display()
    ));
    let held = run_until(p.config(&toml), Duration::from_secs(10), || {
        p.state("agent_status.json")
            .is_some_and(|s| s["agents"]["a"]["status"] == "needs_attention")
    })
    .await;
    assert!(held, "{:?}", p.state("agent_status.json"));
    assert!(
        p.lines("installs.txt").is_empty(),
        "installed although it imports"
    );
}

#[tokio::test]
async fn a_module_that_is_not_allowed_is_never_installed_and_the_agent_is_held() {
    let p = Project::new();
    p.write("install.py", INSTALLER);
    p.write("a.py", NEEDS_MODULE);
    let toml = fast(&format!(
        "{}\n[fixes]\ninstall_command = [\"python3\", \"{}\"]\nrequirements = \"none.txt\"\n",
        agent("a", "a.py"),
        p.path().join("install.py").display()
    ));
    let held = run_until(p.config(&toml), Duration::from_secs(5), || {
        p.state("agent_status.json")
            .is_some_and(|s| s["agents"]["a"]["status"] == "needs_attention")
    })
    .await;
    assert!(held, "{:?}", p.state("agent_status.json"));
    assert!(p.lines("installs.txt").is_empty(), "a refused fix executed");
    let state = p.state("self_healing_state.json").unwrap();
    assert!(
        state["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["refused"].is_string())
    );
}

#[tokio::test]
async fn a_missing_directory_inside_the_roots_is_created_and_outside_is_refused() {
    let p = Project::new();
    let writer = |path: &str| {
        format!(
            "import time\nopen('{path}', 'a').write('ok\\n')\nprint('wrote', flush=True)\ntime.sleep(300)\n"
        )
    };
    p.write("inside.py", &writer("data/reports/out.txt"));
    p.write("outside.py", &writer("elsewhere/out.txt"));
    let toml = fast(&format!(
        "{}{}\n[fixes]\ncreate_path_roots = [\"data\"]\nrequirements = \"none.txt\"\n",
        agent("inside", "inside.py"),
        agent("outside", "outside.py")
    ));
    run_until(p.config(&toml), Duration::from_secs(6), || {
        p.state("agent_status.json").is_some_and(|s| {
            s["agents"]["inside"]["status"] == "running"
                && s["agents"]["inside"]["last_exit"].is_object()
                && s["agents"]["outside"]["status"] == "needs_attention"
        }) && p.path().join("data/reports/out.txt").exists()
    })
    .await;
    assert!(
        p.path().join("data/reports/out.txt").exists(),
        "{:?}",
        p.state("self_healing_state.json")
    );
    assert!(
        !p.path().join("elsewhere").exists(),
        "a directory outside the roots was created"
    );
}

#[tokio::test]
async fn two_agents_missing_the_same_module_share_one_install_and_one_alert_naming_both() {
    let hook = Webhook::start().await;
    let p = Project::new();
    // A slow installer, so both agents' failures land while the one install runs.
    p.write(
        "install.py",
        &format!("import time\ntime.sleep(0.5)\n{INSTALLER}"),
    );
    p.write("pricing.py", NEEDS_MODULE);
    p.write("risk.py", NEEDS_MODULE);
    p.config(&fast(&format!(
        "{}{}\n[fixes]\ninstall_command = [\"python3\", \"{}\"]\nallow_packages = [\"fancylib\"]\nrequirements = \"none.txt\"\n",
        agent("pricing", "pricing.py"),
        agent("risk", "risk.py"),
        p.path().join("install.py").display()
    )));
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    let healthy = wait_for(Duration::from_secs(10), || {
        p.state("agent_status.json").is_some_and(|s| {
            s["agents"]["pricing"]["healthy"] == true && s["agents"]["risk"]["healthy"] == true
        }) && !hook.texts().is_empty()
    })
    .await;
    // Anything else would have been sent by now; give a straggler a moment to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sup.stop().success());
    assert!(healthy, "{:?}", p.state("agent_status.json"));
    assert_eq!(
        p.lines("installs.txt"),
        vec!["fancylib"],
        "installed exactly once"
    );
    let texts = hook.texts();
    assert_eq!(texts.len(), 1, "one alert for one cause: {texts:?}");
    let alert = &texts[0];
    assert!(
        alert.contains("module:fancylib")
            && alert.contains("pricing, risk")
            && alert.contains("fixed"),
        "{alert}"
    );
}
