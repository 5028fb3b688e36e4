//! The shipped demo (`scripts/demo/healing.toml`) is a fixture: it must load, stay offline, and write
//! only under `scripts/demo/run/` (git-ignored), or the README's first command breaks.

use healing_core::config_load::{self, LoadedConfig};
use std::path::{Path, PathBuf};

fn demo_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/demo");
    dir.canonicalize().expect("scripts/demo exists")
}

fn load_demo() -> LoadedConfig {
    let path = demo_dir().join("healing.toml");
    // No env: a HEALING_STATE_DIR in the developer's shell must not change what is checked here.
    config_load::load_with(Some(&path), &demo_dir(), &|_| None)
        .unwrap_or_else(|e| panic!("the demo config does not load:\n{e}"))
}

#[test]
fn demo_config_loads_with_eight_agents_whose_scripts_exist() {
    let loaded = load_demo();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let agents = &loaded.config.agents;
    assert_eq!(agents.len(), 8);
    for agent in agents {
        assert_eq!(agent.command[0], "python3", "{}", agent.name);
        let script = agent.cwd.join(&agent.command[1]);
        assert!(
            script.is_file(),
            "{}: {} is missing",
            agent.name,
            script.display()
        );
    }
}

#[test]
fn demo_writes_only_under_its_ignored_run_directory() {
    let loaded = load_demo();
    let run = demo_dir().join("run");
    let config = &loaded.config;
    let mut written = vec![config.state_dir.clone()];
    written.extend(config.fixes.create_path_roots.iter().cloned());
    written.extend(
        config
            .agents
            .iter()
            .filter_map(|a| a.heartbeat_file.clone()),
    );
    for path in written {
        assert!(
            path.starts_with(&run),
            "{} is outside scripts/demo/run",
            path.display()
        );
    }
    let install = &config.fixes.install_command;
    let target = install
        .iter()
        .position(|a| a == "--target")
        .expect("installs into a target dir");
    assert_eq!(
        install[target + 1],
        "run/site",
        "pip target, relative to the config dir"
    );
    let gitignore =
        std::fs::read_to_string(demo_dir().join("../../.gitignore")).expect(".gitignore");
    assert!(
        gitignore.lines().any(|l| l.trim() == "/scripts/demo/run/"),
        "run/ is not ignored"
    );
}

#[test]
fn demo_installs_its_one_package_offline_from_the_committed_wheel() {
    let loaded = load_demo();
    let fixes = &loaded.config.fixes;
    assert!(
        fixes.install_command.iter().any(|a| a == "--no-index"),
        "must not reach an index"
    );
    assert_eq!(
        fixes.package_map.get("sparkline").map(String::as_str),
        Some("neolight-sparkline")
    );
    let requirements = fixes.requirements.as_ref().expect("a requirements file");
    let pins = std::fs::read_to_string(requirements).expect("requirements.txt");
    assert!(
        pins.lines()
            .any(|l| l.trim() == "neolight-sparkline==1.0.0"),
        "{pins}"
    );
    let wheel = demo_dir().join("wheels/neolight_sparkline-1.0.0-py3-none-any.whl");
    assert!(wheel.is_file(), "{} is missing", wheel.display());
}
