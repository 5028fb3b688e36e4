//! The platform configures a service through env vars; they beat the file, and a bad one is named.

mod config_support;

use config_support::{env_of, no_env, problems};
use healing_core::config_load::{load_from_str, render_mode};
use std::path::{Path, PathBuf};
use std::time::Duration;

const FILE: &str = r#"
state_dir = "state"
[self_healing]
interval = "60s"
listen = "127.0.0.1:8080"
[prevention]
interval = "5m"
"#;

#[test]
fn env_overrides_beat_the_file() {
    let env = env_of(&[
        ("SELF_HEALING_INTERVAL", "15"),
        ("PREVENTION_INTERVAL", "30"),
        ("HEALING_STATE_DIR", "/data/state"),
        ("HEALING_STATE_URL", "redis://default:pw@kv:6379"),
        ("PORT", "10000"),
        ("RENDER", "true"),
    ]);
    let loaded = load_from_str(FILE, None, Path::new("/srv"), &env).unwrap();
    let c = &loaded.config;
    assert_eq!(c.self_healing.interval, Duration::from_secs(15));
    assert_eq!(c.prevention.interval, Duration::from_secs(30));
    assert_eq!(c.state_dir, PathBuf::from("/data/state"));
    assert_eq!(c.state_url.as_deref(), Some("redis://default:pw@kv:6379"));
    assert_eq!(c.self_healing.listen.as_deref(), Some("0.0.0.0:10000"));
}

#[test]
fn without_env_the_file_values_stand() {
    let loaded = load_from_str(FILE, None, Path::new("/srv"), &no_env).unwrap();
    assert_eq!(loaded.config.self_healing.interval, Duration::from_secs(60));
    assert_eq!(
        loaded.config.self_healing.listen.as_deref(),
        Some("127.0.0.1:8080")
    );
    assert_eq!(loaded.config.state_dir, PathBuf::from("/srv/state"));
}

#[test]
fn empty_env_values_count_as_unset() {
    let env = env_of(&[("PORT", ""), ("SELF_HEALING_INTERVAL", " ")]);
    let loaded = load_from_str(FILE, None, Path::new("/srv"), &env).unwrap();
    assert_eq!(
        loaded.config.self_healing.listen.as_deref(),
        Some("127.0.0.1:8080")
    );
}

#[test]
fn malformed_overrides_are_named_alongside_the_file_problems() {
    let env = env_of(&[
        ("SELF_HEALING_INTERVAL", "1m"),
        ("PREVENTION_INTERVAL", "-5"),
        ("PORT", "99999"),
        ("RENDER_MODE", "maybe"),
    ]);
    let src = format!("{FILE}\n[restart]\nmax_per_hour = 0\n");
    let found = problems(load_from_str(&src, None, Path::new("/srv"), &env));
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "restart.max_per_hour",
            "SELF_HEALING_INTERVAL",
            "PREVENTION_INTERVAL",
            "RENDER_MODE",
            "PORT"
        ],
        "{found:#?}"
    );
    assert!(found[1].message.contains("1m"), "{}", found[1].message);
    assert!(found[1..].iter().all(|p| p.line.is_none()));
}

#[test]
fn a_nonsense_value_from_env_is_blamed_on_the_variable_not_the_file_line() {
    let env = env_of(&[("SELF_HEALING_INTERVAL", "0")]);
    let found = problems(load_from_str(FILE, None, Path::new("/srv"), &env));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, "SELF_HEALING_INTERVAL");
    assert_eq!(found[0].line, None);
    assert!(
        found[0].message.contains("self_healing.interval"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_state_url_password_from_env_never_appears_in_a_problem() {
    let env = env_of(&[("HEALING_STATE_URL", "http://user:s3cr3t@kv")]);
    let err = load_from_str(FILE, None, Path::new("/srv"), &env).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("HEALING_STATE_URL"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
}

#[test]
fn render_mode_is_on_only_for_true_or_one() {
    for (value, on) in [
        ("true", true),
        ("1", true),
        ("TRUE", true),
        ("false", false),
        ("0", false),
        ("", false),
    ] {
        assert_eq!(
            render_mode(&env_of(&[("RENDER_MODE", value)])),
            on,
            "RENDER_MODE={value:?}"
        );
    }
    assert!(!render_mode(&no_env));
}

#[test]
fn port_widens_the_listen_address_only_on_render() {
    let bare = "[self_healing]\ninterval = \"60s\"\n";
    let listen = |src: &str, vars: &[(&str, &str)]| {
        let env = env_of(vars);
        load_from_str(src, None, Path::new("/srv"), &env)
            .unwrap()
            .config
            .self_healing
            .listen
    };
    // Off Render: PORT picks the port, the address stays the file's or loopback.
    assert_eq!(
        listen(bare, &[("PORT", "9000")]).as_deref(),
        Some("127.0.0.1:9000")
    );
    assert_eq!(
        listen(FILE, &[("PORT", "9000")]).as_deref(),
        Some("127.0.0.1:9000")
    );
    assert_eq!(
        listen(FILE, &[("PORT", "9000"), ("RENDER", "false")]).as_deref(),
        Some("127.0.0.1:9000")
    );
    // On Render (its own RENDER=true, or RENDER_MODE): every interface, as its router needs.
    assert_eq!(
        listen(bare, &[("PORT", "9000"), ("RENDER", "true")]).as_deref(),
        Some("0.0.0.0:9000")
    );
    assert_eq!(
        listen(FILE, &[("PORT", "9000"), ("RENDER_MODE", "1")]).as_deref(),
        Some("0.0.0.0:9000")
    );
    assert_eq!(listen(bare, &[]), None);
}

#[test]
fn agent_output_is_forwarded_by_default_only_under_render_mode_and_the_file_wins() {
    let forward = |file: &str, env: &[(&str, &str)]| {
        let env = env_of(env);
        load_from_str(file, None, Path::new("/srv"), &env)
            .unwrap()
            .config
            .self_healing
            .forwards_output(&env)
    };
    assert!(forward(FILE, &[("RENDER_MODE", "true")]));
    assert!(!forward(FILE, &[("RENDER_MODE", "0")]));
    assert!(!forward(FILE, &[]));
    let off = FILE.replace("[prevention]", "forward_output = false\n[prevention]");
    assert!(!forward(&off, &[("RENDER_MODE", "true")]));
    let on = FILE.replace("[prevention]", "forward_output = true\n[prevention]");
    assert!(forward(&on, &[]));
}
