//! The effective config can be printed and pasted anywhere: secrets are `***`, everything else is real.

mod config_support;

use config_support::{env_of, no_env};
use healing_core::config_load::load_from_str;
use std::path::Path;

const SRC: &str = r#"
state_url = "redis://default:kv-password-1@kv.internal:6379"
[[agents]]
name = "worker"
command = ["python3", "worker.py"]
env = { OPENAI_API_KEY = "sk-live-abc123", PLAIN = "visible-but-still-hidden" }
health_url = "http://monitor:probe-pw-2@127.0.0.1:8001/health"
[fixes.package_map]
secret_tool = "secret-tool-dist"
[restart]
max_per_hour = 7
"#;

#[test]
fn secrets_are_shown_as_stars_in_the_effective_config() {
    let loaded = load_from_str(SRC, None, Path::new("/srv"), &no_env).unwrap();
    let text = loaded.effective_toml();
    for secret in [
        "kv-password-1",
        "sk-live-abc123",
        "visible-but-still-hidden",
        "probe-pw-2",
        "secret-tool-dist",
    ] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
    assert!(
        text.contains("redis://default:***@kv.internal:6379"),
        "{text}"
    );
    assert!(
        text.contains("OPENAI_API_KEY"),
        "variable names stay visible:\n{text}"
    );
    assert!(
        text.contains("api_key_env = \"RENDER_API_KEY\""),
        "names of env vars are not secrets:\n{text}"
    );
}

#[test]
fn the_effective_config_is_toml_holding_the_real_values() {
    let env = env_of(&[("PORT", "10000"), ("RENDER", "true")]);
    let loaded = load_from_str(SRC, None, Path::new("/srv"), &env).unwrap();
    let value: toml::Table = toml::from_str(&loaded.effective_toml()).unwrap();
    assert_eq!(value["restart"]["max_per_hour"].as_integer(), Some(7));
    assert_eq!(
        value["self_healing"]["listen"].as_str(),
        Some("0.0.0.0:10000")
    );
    assert_eq!(value["self_healing"]["interval"].as_str(), Some("1m"));
    assert_eq!(value["state_dir"].as_str(), Some("/srv/state"));
    assert_eq!(value["agents"][0]["command"][1].as_str(), Some("worker.py"));
}
