//! Durations longer than ten years are configuration errors naming their key and line, not a
//! panic at run time (`"10000y"` overflowed the first clock addition and orphaned the agents).

mod config_support;

use config_support::{no_env, problems};
use healing_core::config_load::load_from_str;
use std::path::Path;

#[test]
fn overlong_durations_are_reported_with_key_and_line() {
    let src = r#"
[restart]
initial_delay = "500000000000y"
[breaker]
cooldown = "10000y"
reset_after = "10y"
[[agents]]
name = "a"
command = ["a"]
heartbeat_max_age = "3653days"
"#;
    let found = problems(load_from_str(src, None, Path::new("/srv"), &no_env));
    let got: Vec<(&str, Option<usize>)> = found.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert_eq!(
        got,
        [
            ("restart.initial_delay", Some(3)),
            ("breaker.cooldown", Some(5)),
            ("agents[0].heartbeat_max_age", Some(10)),
        ],
        "{found:#?}"
    );
    assert!(
        found.iter().all(|p| p.message.contains("at most 10 years")),
        "{found:#?}"
    );
}

#[test]
fn an_overlong_interval_from_the_environment_is_refused() {
    let env = |k: &str| (k == "SELF_HEALING_INTERVAL").then(|| "999999999999".to_string());
    let err = load_from_str("", None, Path::new("/srv"), &env).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("SELF_HEALING_INTERVAL") && text.contains("at most 10 years"),
        "{text}"
    );
}
