//! Finding the config file, running on defaults without one, and resolving relative paths next to it.

mod config_support;

use config_support::{env_of, fixture, no_env, problems};
use healing_core::config::Config;
use healing_core::config_load::{ConfigError, load_with};
use std::fs;
use std::path::PathBuf;

#[test]
fn relative_paths_resolve_against_the_config_files_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let conf_dir = tmp.path().join("conf");
    fs::create_dir(&conf_dir).unwrap();
    fs::copy(
        fixture("relative_paths.toml"),
        conf_dir.join("healing.toml"),
    )
    .unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();

    let loaded = load_with(Some(&conf_dir.join("healing.toml")), &elsewhere, &no_env).unwrap();
    let c = &loaded.config;
    assert_eq!(loaded.base_dir, conf_dir);
    assert!(!loaded.used_defaults);
    assert_eq!(c.state_dir, conf_dir.join("state"));
    assert_eq!(c.agents[0].cwd, conf_dir.join("agents/worker"));
    assert_eq!(c.agents[0].log_file, Some(conf_dir.join("logs/worker.log")));
    assert_eq!(
        c.agents[0].heartbeat_file,
        Some(conf_dir.join("state/heartbeat/worker"))
    );
    assert_eq!(
        c.fixes.requirements,
        Some(conf_dir.join("requirements.txt"))
    );
    assert_eq!(
        c.fixes.create_path_roots,
        [conf_dir.join("data"), PathBuf::from("/var/tmp/absolute")]
    );
    assert_eq!(c.prevention.disk_paths, std::slice::from_ref(&conf_dir));
    assert_eq!(c.recovery.required_paths, [conf_dir.join("data/input")]);
}

#[test]
fn a_relative_config_path_is_taken_from_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("conf")).unwrap();
    fs::write(tmp.path().join("conf/my.toml"), "state_dir = \"st\"\n").unwrap();
    let loaded = load_with(Some("conf/my.toml".as_ref()), tmp.path(), &no_env).unwrap();
    assert_eq!(loaded.config.state_dir, tmp.path().join("conf/st"));
    assert_eq!(loaded.path, Some(tmp.path().join("conf/my.toml")));
}

#[test]
fn with_no_config_file_the_defaults_are_used_and_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let loaded = load_with(None, tmp.path(), &no_env).unwrap();
    assert!(loaded.used_defaults);
    assert_eq!(loaded.path, None);
    assert_eq!(loaded.base_dir, tmp.path());
    assert_eq!(loaded.config.state_dir, tmp.path().join("state"));
    let (c, d) = (&loaded.config, Config::default());
    assert_eq!(
        (&c.self_healing, &c.restart, &c.breaker),
        (&d.self_healing, &d.restart, &d.breaker)
    );
    assert_eq!((&c.alerts, &c.recovery), (&d.alerts, &d.recovery));
    assert!(c.agents.is_empty() && c.patterns.is_empty());
    assert_eq!(
        c.fixes.requirements,
        Some(tmp.path().join("requirements.txt"))
    );
    assert_eq!(c.fixes.create_path_roots[0], tmp.path().join("data"));
    assert_eq!(c.prevention.disk_paths, [tmp.path()]);
}

#[test]
fn healing_toml_in_the_working_directory_is_found_without_flags() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("healing.toml"),
        "[restart]\nmax_per_hour = 9\n",
    )
    .unwrap();
    let loaded = load_with(None, tmp.path(), &no_env).unwrap();
    assert!(!loaded.used_defaults);
    assert_eq!(loaded.config.restart.max_per_hour, 9);
}

#[test]
fn healing_config_env_names_the_file_and_the_flag_beats_it() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("a.toml"), "[restart]\nmax_per_hour = 1\n").unwrap();
    fs::write(tmp.path().join("b.toml"), "[restart]\nmax_per_hour = 2\n").unwrap();
    let env = env_of(&[("HEALING_CONFIG", "a.toml")]);
    let from_env = load_with(None, tmp.path(), &env).unwrap();
    assert_eq!(from_env.config.restart.max_per_hour, 1);
    let from_flag = load_with(Some(&tmp.path().join("b.toml")), tmp.path(), &env).unwrap();
    assert_eq!(from_flag.config.restart.max_per_hour, 2);
}

#[test]
fn a_named_config_that_does_not_exist_is_an_error_not_the_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.toml");
    let err = load_with(Some(&missing), tmp.path(), &no_env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Io { path, .. } if path == &missing),
        "{err}"
    );
    assert!(err.to_string().contains("nope.toml"));
    let env = env_of(&[("HEALING_CONFIG", "also-missing.toml")]);
    assert!(matches!(
        load_with(None, tmp.path(), &env),
        Err(ConfigError::Io { .. })
    ));
}

#[test]
fn a_file_that_is_not_utf8_is_reported_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("healing.toml");
    fs::write(&path, b"[restart]\nmax_per_hour = 3\n# caf\xe9\n").unwrap();
    let found = problems(load_with(Some(&path), tmp.path(), &no_env));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, Some(3));
    assert!(found[0].message.contains("UTF-8"));
}

#[test]
fn a_huge_file_is_refused_without_being_parsed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("healing.toml");
    fs::write(&path, "# padding\n".repeat(200_000)).unwrap();
    let found = problems(load_with(Some(&path), tmp.path(), &no_env));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("larger than"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_bad_env_override_on_defaults_blames_the_variable_not_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load_with(None, tmp.path(), &env_of(&[("PORT", "http")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "(built-in defaults): PORT: expected a port number 1-65535, got \"http\""
    );
}
