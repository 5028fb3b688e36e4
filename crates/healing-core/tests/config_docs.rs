//! The documentation and the shipped development config stay in step with the config structs.

mod config_support;

use config_support::no_env;
use healing_core::config::{AgentConfig, Config, PatternConfig, ServiceConfig};
use healing_core::config_load::load_from_str;
use healing_core::kind::{ActionKind, ErrorKind, Severity};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Maps whose keys are the user's (env var names, import names), not config keys.
const FREE_FORM: [&str; 2] = ["agents[].env", "fixes.package_map"];

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// A config with every optional key set and one entry in every array of tables.
fn fully_populated() -> Config {
    let mut cfg = Config {
        state_url: Some("redis://kv:6379".into()),
        ..Config::default()
    };
    cfg.self_healing.listen = Some("127.0.0.1:8080".into());
    cfg.self_healing.forward_output = Some(true);
    cfg.agents.push(AgentConfig {
        name: "a".into(),
        command: vec!["python3".into()],
        cwd: ".".into(),
        env: Default::default(),
        pass_env: vec!["TELEGRAM_BOT_TOKEN".into()],
        env_clear: true,
        log_file: Some("a.log".into()),
        health_url: Some("http://127.0.0.1:1/health".into()),
        health_start_period: Duration::from_secs(2),
        heartbeat_file: Some("hb".into()),
        heartbeat_max_age: Duration::from_secs(1),
        enabled: true,
        depends_on: vec!["a".into()],
        ready_after: Duration::from_secs(2),
        health_failure_threshold: 3,
        health_period: Some(Duration::from_secs(5)),
        dump_command: Some(vec![
            "py-spy".into(),
            "dump".into(),
            "--pid".into(),
            "{pid}".into(),
        ]),
    });
    cfg.patterns.push(PatternConfig {
        name: "p".into(),
        regex: "x".into(),
        kind: ErrorKind::Timeout,
        severity: Some(Severity::High),
        action: Some(ActionKind::Retry),
    });
    cfg.recovery.services.push(ServiceConfig {
        name: "s".into(),
        url: "http://127.0.0.1:1".into(),
        health_path: "/health".into(),
        expect_status: Some(200),
        timeout: Duration::from_secs(1),
        wake_timeout: Duration::from_secs(1),
        render_service_id: Some("srv-x".into()),
    });
    cfg
}

fn walk(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    let toml::Value::Table(table) = value else {
        return;
    };
    for (key, child) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match child {
            toml::Value::Array(items) if items.iter().any(toml::Value::is_table) => {
                out.insert(path.clone());
                let elem = format!("{path}[]");
                items.iter().for_each(|item| walk(item, &elem, out));
            }
            toml::Value::Table(_) if FREE_FORM.contains(&path.as_str()) => {
                out.insert(path);
            }
            toml::Value::Table(_) => {
                out.insert(path.clone());
                walk(child, &path, out);
            }
            _ => {
                out.insert(path);
            }
        }
    }
}

fn all_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for cfg in [Config::default(), fully_populated()] {
        walk(
            &toml::Value::try_from(&cfg).expect("config serializes"),
            "",
            &mut keys,
        );
    }
    keys
}

#[test]
fn every_config_key_is_documented() {
    let doc = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap();
    let keys = all_keys();
    assert!(
        keys.contains("recovery.services[].wake_timeout") && keys.contains("agents[].health_url")
    );
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from docs/configuration.md: {missing:?}"
    );
}

#[test]
fn every_documented_key_exists() {
    let doc = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap();
    let keys = all_keys();
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .filter(|k| k.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect();
    assert!(documented.len() > 60, "the key tables were not found");
    let unknown: Vec<&&str> = documented.iter().filter(|k| !keys.contains(**k)).collect();
    assert!(
        unknown.is_empty(),
        "documented keys that do not exist: {unknown:?}"
    );
}

#[test]
fn the_development_config_writes_out_exactly_the_defaults_and_loads_cleanly() {
    let src = std::fs::read_to_string(repo_file("healing.toml")).unwrap();
    let parsed: Config = toml::from_str(&src).unwrap();
    assert_eq!(parsed, Config::default());
    let loaded = load_from_str(
        &src,
        Some(Path::new("healing.toml")),
        Path::new("/repo"),
        &no_env,
    )
    .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.state_dir, PathBuf::from("/repo/state"));
}

#[test]
fn the_development_config_mentions_every_top_level_section() {
    let src = std::fs::read_to_string(repo_file("healing.toml")).unwrap();
    let value = toml::Value::try_from(Config::default()).unwrap();
    let toml::Value::Table(top) = value else {
        unreachable!()
    };
    // Arrays of tables (agents, patterns) are empty by default and shown commented out, checked below.
    for (key, v) in top.iter().filter(|(_, v)| !v.is_array()) {
        let written = if v.is_table() {
            format!("[{key}]")
        } else {
            format!("{key} =")
        };
        assert!(
            src.contains(&written),
            "healing.toml does not write out {written}"
        );
    }
    assert!(
        src.contains("[[agents]]")
            && src.contains("[[patterns]]")
            && src.contains("[[recovery.services]]")
    );
}
