//! The deployed agents: render.healing.toml loads and validates, names the eight agents of the design,
//! runs each with the interpreter scripts/render-build.sh creates, on a script that exists; the services
//! that run or check the agents build that interpreter; the prevention and recovery sections are the
//! ones for Render.

mod blueprint_support;

use blueprint_support::*;
use healing_core::config_load::{self, LoadedConfig};
use std::path::Path;

/// The design's eight agents (scripts/demo, healing.toml's example, the runbook).
const AGENTS: &[&str] = &[
    "sports_analytics",
    "market_data",
    "data_pipeline",
    "flaky_worker",
    "cache_client",
    "memory_hog",
    "news_agent",
    "report_agent",
];
/// The interpreter render-build.sh creates, relative to the repo root.
const VENV_PYTHON: &str = "agents/.venv/bin/python";

fn render_config(env: &dyn Fn(&str) -> Option<String>) -> LoadedConfig {
    let path = repo_root().join("render.healing.toml");
    let src = std::fs::read_to_string(&path).expect("render.healing.toml exists");
    config_load::load_from_str(&src, Some(&path), &repo_root(), env)
        .unwrap_or_else(|e| panic!("render.healing.toml: {e:?}"))
}

fn build_script() -> String {
    std::fs::read_to_string(repo_root().join("scripts/render-build.sh"))
        .expect("scripts/render-build.sh")
}

#[test]
fn render_healing_toml_loads_without_problems_or_warnings_even_with_render_env() {
    let plain = render_config(&|_| None);
    assert!(plain.warnings.is_empty(), "{:?}", plain.warnings);
    let on_render = render_config(&|k| match k {
        "RENDER_MODE" => Some("true".into()),
        "PORT" => Some("10000".into()),
        _ => None,
    });
    assert!(on_render.warnings.is_empty(), "{:?}", on_render.warnings);
    let render_env = |k: &str| (k == "RENDER_MODE").then(|| "true".to_string());
    assert!(
        on_render.config.self_healing.forwards_output(&render_env),
        "agent output must reach Render's log stream"
    );
}

#[test]
fn the_eight_agents_run_existing_scripts_with_the_venv_interpreter() {
    let loaded = render_config(&|_| None);
    let names: Vec<&str> = loaded
        .config
        .agents
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, AGENTS);
    for a in &loaded.config.agents {
        assert!(a.enabled, "{}", a.name);
        assert_eq!(a.cwd, repo_root(), "{}: cwd is the repo root", a.name);
        assert_eq!(
            a.command.first().map(String::as_str),
            Some(VENV_PYTHON),
            "{}",
            a.name
        );
        let script = a.command.get(1).expect("a script");
        let path = a.cwd.join(script);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {} is missing: {e}", a.name, path.display()));
        assert!(
            text.contains("if __name__ == \"__main__\":") && text.contains("Agent("),
            "{}: not an agent script",
            a.name
        );
        assert_eq!(
            a.env.get("PYTHONUNBUFFERED").map(String::as_str),
            Some("1"),
            "{}: buffered output reaches Render's log stream late",
            a.name
        );
    }
}

#[test]
fn the_build_creates_the_interpreter_the_agents_fixes_and_checks_use() {
    let loaded = render_config(&|_| None);
    let c = &loaded.config;
    let script = build_script();
    // The venv the agents name is the one the build makes, from the requirements the fixes allow.
    assert!(script.contains("venv=\"agents/.venv\""), "render-build.sh");
    let reqs = c.fixes.requirements.as_deref().expect("fixes.requirements");
    assert_eq!(reqs, repo_root().join("agents/requirements.txt"));
    assert!(reqs.is_file(), "{}", reqs.display());
    assert!(script.contains("-r agents/requirements.txt"));
    assert_eq!(
        c.fixes.install_command.first().map(String::as_str),
        Some(VENV_PYTHON)
    );
    assert_eq!(c.prevention.python, VENV_PYTHON);
    // python3 is checked before anything slow, and the binaries are built by the one build script.
    let python_check = script
        .find("command -v \"$python\"")
        .expect("python3 check");
    let cargo = script
        .find("scripts/build-release.sh \"$@\"")
        .expect("build-release.sh");
    assert!(
        python_check < cargo,
        "python3 must be checked before the Rust build"
    );
    for line in std::fs::read_to_string(reqs).unwrap().lines() {
        let line = line.trim();
        assert!(
            line.is_empty() || line.starts_with('#') || line.contains("=="),
            "pin every requirement: {line}"
        );
    }
}

#[test]
fn services_that_run_or_check_the_agents_build_their_venv_and_read_render_healing_toml() {
    let doc = blueprint();
    for name in ["self-healing-agent", "prevention-agent"] {
        let s = service(&doc, name);
        let build = str_of(s, "buildCommand").unwrap_or_default();
        assert!(
            build.starts_with("scripts/render-build.sh "),
            "{name}: {build}"
        );
        let start = str_of(s, "startCommand").unwrap_or_default();
        assert!(
            start.ends_with("--config render.healing.toml"),
            "{name}: {start}"
        );
    }
    let cron = str_of(service(&doc, "auto-recovery"), "startCommand").unwrap_or_default();
    assert!(cron.ends_with("--config render.healing.toml"), "{cron}");
}

#[test]
fn prevention_and_recovery_are_set_for_separate_render_services() {
    let c = render_config(&|_| None).config;
    // In its own service an install would change only its twin venv, never the agents'.
    assert!(!c.prevention.install_missing);
    assert!(c.prevention.required_env.iter().any(|v| v == "RENDER_MODE"));
    assert_eq!(c.prevention.disk_paths, vec![repo_root()]);
    // The cron job has no agents and no URL of its own; it restarts what Render reports down.
    assert!(!c.recovery.check_dependencies);
    assert!(!c.recovery.check_self);
    assert!(c.recovery.render.auto_restart);
    assert!(c.recovery.render.max_actions_per_hour > 0);
    assert!(
        c.fixes
            .create_path_roots
            .iter()
            .all(|r| r.starts_with(repo_root()) && !r.starts_with(&c.state_dir)),
        "{:?}",
        c.fixes.create_path_roots
    );
    assert!(Path::new(&repo_root().join("agents/neolight_agent.py")).is_file());
}

#[test]
fn the_build_fails_at_once_with_a_clear_message_when_python3_is_missing() {
    let started = std::time::Instant::now();
    let out = std::process::Command::new(repo_root().join("scripts/render-build.sh"))
        .arg("self-healing-agent")
        .env("PYTHON", "/nonexistent/python3")
        .output()
        .expect("render-build.sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("/nonexistent/python3 was not found, and the agents are Python programs"),
        "{stderr}"
    );
    // Before the venv and the Rust build: nothing was made, and it took no time.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("2/5"));
}
