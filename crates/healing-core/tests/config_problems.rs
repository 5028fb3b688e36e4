//! A user fixing a config sees every mistake at once, each with its key and line.

mod config_support;

use config_support::{fixture, keys_and_lines, no_env, problems};
use healing_core::config_load::{ConfigError, load_from_str, load_with};
use std::path::Path;

#[test]
fn every_mistake_in_the_file_is_reported_at_once_with_its_line() {
    let path = fixture("many_mistakes.toml");
    let err = load_with(Some(&path), Path::new("/"), &no_env).unwrap_err();
    let found = problems(Err(err));
    let got = keys_and_lines(&found);
    let expected: Vec<(String, Option<usize>)> = [
        ("self_healing.listen", 6),
        ("restart.multipler", 10),
        ("restart.max_per_hour", 11),
        ("breaker.cooldown", 14),
        ("breaker.threshold", 15),
        ("agents[1].name", 22),
        ("agents[1].command", 23),
        ("agents[1].restart_policy", 24),
        ("patterns[0].regex", 28),
        ("alerts.telegram.api_base", 32),
        ("alerts.telegram.chat", 33),
        ("recovery.services[0].url", 37),
        ("recovery.services[0].colour", 38),
    ]
    .iter()
    .map(|(k, l)| (k.to_string(), Some(*l)))
    .collect();
    assert_eq!(got, expected, "all problems: {found:#?}");
    assert!(
        found.iter().all(|p| p.column == Some(1)),
        "every key starts its line: {found:#?}"
    );
}

#[test]
fn the_error_prints_one_path_line_column_key_message_line_per_problem() {
    let path = fixture("many_mistakes.toml");
    let err = load_with(Some(&path), Path::new("/"), &no_env).unwrap_err();
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 13, "{text}");
    let prefix = format!("{}:", path.display());
    assert!(lines.iter().all(|l| l.starts_with(&prefix)), "{text}");
    assert!(
        lines
            .contains(&format!("{}:10:1: restart.multipler: unknown key", path.display()).as_str()),
        "{text}"
    );
    assert!(text.contains(":14:1: breaker.cooldown: "), "{text}");
    assert!(
        text.contains(":28:1: patterns[0].regex: does not compile: "),
        "{text}"
    );
}

#[test]
fn a_wrong_type_does_not_hide_the_problems_after_it() {
    let src = r#"
[[agents]]
name = "a"
command = "python3 a.py"
cwd = 7
colour = "red"

[[agents]]
name = "b"
command = ["b"]
enabeld = false
"#;
    let found = problems(load_from_str(src, None, Path::new("/srv"), &no_env));
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "agents[0].command",
            "agents[0].cwd",
            "agents[0].colour",
            "agents[1].enabeld"
        ],
        "{found:#?}"
    );
    assert!(
        found[0].message.contains("invalid type"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].line, Some(4));
}

#[test]
fn a_missing_required_key_points_at_the_table_that_lacks_it() {
    let src = "\n[[agents]]\ncommand = [\"x\"]\n";
    let found = problems(load_from_str(src, None, Path::new("/srv"), &no_env));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, "agents[0].name");
    assert_eq!(found[0].message, "required key is missing");
    assert!(matches!(found[0].line, Some(2) | Some(3)), "{found:#?}");
}

#[test]
fn unknown_sections_and_keys_deep_in_nested_tables_are_errors() {
    let src = "[restrat]\nmultiplier = 2.0\n\n[recovery.render]\napi_key = \"x\"\n\n[alerts.webhook]\nurl = \"https://hooks.example\"\n";
    let found = problems(load_from_str(src, None, Path::new("/srv"), &no_env));
    assert_eq!(
        keys_and_lines(&found),
        [
            ("restrat".to_string(), Some(1)),
            ("recovery.render.api_key".to_string(), Some(5)),
            ("alerts.webhook.url".to_string(), Some(8)),
        ]
    );
}

#[test]
fn syntax_errors_are_reported_with_their_line_and_nothing_else_is_guessed() {
    let src = "[restart]\nmultiplier = 2.0\nmax_per_hour = = 3\n";
    let found = problems(load_from_str(src, None, Path::new("/srv"), &no_env));
    assert!(!found.is_empty());
    assert!(found.iter().all(|p| p.key == "toml"), "{found:#?}");
    assert_eq!(found[0].line, Some(3), "{found:#?}");
}

#[test]
fn duplicate_agent_names_and_nonsense_numbers_are_rejected() {
    let src = r#"
[restart]
multiplier = 0.5
[breaker]
failure_threshold = 0
cooldown = "0s"
[prevention]
memory_percent = 120.0
[[agents]]
name = "w"
command = ["a"]
[[agents]]
name = "w"
command = ["b"]
"#;
    let found = problems(load_from_str(src, None, Path::new("/srv"), &no_env));
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "restart.multiplier",
            "breaker.failure_threshold",
            "breaker.cooldown",
            "prevention.memory_percent",
            "agents[1].name"
        ],
        "{found:#?}"
    );
}

#[test]
fn a_zero_initial_delay_is_allowed_and_a_long_grace_period_only_warns() {
    let src = "[restart]\ninitial_delay = \"0s\"\n[self_healing]\ngrace_period = \"40s\"\n";
    let loaded = load_from_str(src, None, Path::new("/srv"), &no_env).unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(loaded.warnings[0].key, "self_healing.grace_period");
    assert_eq!(loaded.warnings[0].line, Some(4));
}

#[test]
fn an_oversized_regex_is_rejected_before_it_reaches_the_matcher() {
    let src = "[[patterns]]\nname = \"huge\"\nregex = '\\w{1000}\\w{1000}\\w{1000}'\nkind = \"timeout\"\n";
    let found = problems(load_from_str(src, None, Path::new("/srv"), &no_env));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, "patterns[0].regex");
    assert!(
        found[0].message.contains("does not compile"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_secret_value_with_the_wrong_type_is_not_echoed() {
    let src = "[[agents]]\nname = \"a\"\ncommand = [\"a\"]\nenv = { API_TOKEN = 987654321 }\n";
    let err = load_from_str(src, None, Path::new("/srv"), &no_env).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("agents[0].env.API_TOKEN"), "{text}");
    assert!(!text.contains("987654321"), "{text}");
    assert!(matches!(err, ConfigError::Invalid { .. }));
}

#[test]
fn a_duplicate_key_names_the_key_and_its_table_in_the_documented_format() {
    let src = "[self_healing]\ninterval = \"1s\"\ninterval = \"2s\"\n\n[[agents]]\nname = \"a\"\ncommand = [\"x\"]\ncommand = [\"y\"]\n";
    let err = load_from_str(src, Some(Path::new("h.toml")), Path::new("/"), &no_env).unwrap_err();
    let text = err.to_string();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "h.toml:3:1: toml: duplicate key `interval` in table `self_healing`",
            "h.toml:8:1: toml: duplicate key `command` in table `agents`",
        ],
        "{text}"
    );
}
