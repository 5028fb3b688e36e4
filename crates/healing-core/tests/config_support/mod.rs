//! Shared helpers of the `config_*` integration tests.
#![allow(dead_code)]

use healing_core::config_load::{ConfigError, Problem};
use std::path::PathBuf;

/// An environment with nothing set.
pub fn no_env(_: &str) -> Option<String> {
    None
}

/// An environment holding exactly `vars`.
pub fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// The problems of a load that must have failed validation.
pub fn problems(
    result: Result<healing_core::config_load::LoadedConfig, ConfigError>,
) -> Vec<Problem> {
    match result {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(other) => panic!("expected validation problems, got {other}"),
        Ok(_) => panic!("expected validation problems, the config loaded"),
    }
}

/// `(key, line)` of each problem, for compact assertions.
pub fn keys_and_lines(problems: &[Problem]) -> Vec<(String, Option<usize>)> {
    problems.iter().map(|p| (p.key.clone(), p.line)).collect()
}
