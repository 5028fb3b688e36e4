//! The supervisor's own secrets: which environment variables hold them and what their values are.
//!
//! Two guards read this one registry: [`crate::child_env`] withholds the variables from every child
//! (agents, `pip`, probes), and [`crate::redact`] masks the values in every string that leaves the process.
//! A loaded config registers its secrets ([`crate::config_load::load_from_str`] does it), so a binary is
//! covered from the moment it knows its config; before that the defaults' names apply.

use crate::config::Config;
use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, RwLock};

/// The Key Value URL override: carries the store's password.
pub const STATE_URL_ENV: &str = "HEALING_STATE_URL";
/// The bearer token of the HTTP surface when it listens beyond loopback.
pub const HTTP_TOKEN_ENV: &str = "HEALING_HTTP_TOKEN";

/// Values shorter than this are not masked in text: hiding every `1` or `dev` would destroy the message
/// and protect nothing (such a value is no secret).
pub const MIN_SECRET_LEN: usize = 6;

/// Names and values of the secrets one process holds.
#[derive(Debug, Default, Clone)]
pub struct SecretSet {
    /// Variables children must not inherit.
    names: BTreeSet<String>,
    /// Values masked wherever they appear in outgoing text (longest first when masking).
    values: BTreeSet<String>,
}

impl SecretSet {
    /// The secrets `cfg` names, with values looked up through `env`: the alert and Render credentials,
    /// the state URL and control tokens, plus every agent `env` value and every `pass_env` value.
    pub fn from_config(cfg: &Config, env: &dyn Fn(&str) -> Option<String>) -> SecretSet {
        let mut set = SecretSet::default();
        for name in [
            cfg.alerts.telegram.token_env.as_str(),
            cfg.alerts.telegram.chat_id_env.as_str(),
            cfg.alerts.webhook.url_env.as_str(),
            cfg.recovery.render.api_key_env.as_str(),
            STATE_URL_ENV,
            HTTP_TOKEN_ENV,
        ] {
            set.names.insert(name.to_string());
        }
        if let Some(url) = &cfg.state_url {
            set.add_value(url);
        }
        for agent in &cfg.agents {
            for value in agent.env.values() {
                set.add_value(value);
            }
            for name in &agent.pass_env {
                set.names.insert(name.clone());
            }
        }
        let names: Vec<String> = set.names.iter().cloned().collect();
        for name in names {
            if let Some(value) = env(&name) {
                set.add_value(&value);
            }
        }
        set
    }

    /// Adds the control tokens (`HEALING_*TOKEN`, `…_SECRET`, `…_PASSWORD`, `…_KEY`) found in `vars`.
    pub fn with_control_tokens(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        for (name, value) in vars {
            if is_control_token(&name) {
                self.add_value(&value);
                self.names.insert(name);
            }
        }
        self
    }

    /// Masks `value` in outgoing text from now on (too short a value is ignored, see [`MIN_SECRET_LEN`]).
    pub fn add_value(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() >= MIN_SECRET_LEN {
            self.values.insert(value.to_string());
        }
    }

    /// Whether a child must not inherit the variable `name` (unless passed on purpose).
    pub fn is_secret_name(&self, name: &str) -> bool {
        self.names.contains(name) || is_control_token(name)
    }

    /// The values to mask, longest first (so a token inside a URL is not masked half-way).
    pub fn values(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.values.iter().map(String::as_str).collect();
        v.sort_by_key(|s| std::cmp::Reverse(s.len()));
        v
    }

    fn merge(&mut self, other: SecretSet) {
        self.names.extend(other.names);
        self.values.extend(other.values);
    }
}

/// `HEALING_*` variables that hold credentials by their name (this project's control tokens).
pub fn is_control_token(name: &str) -> bool {
    name == STATE_URL_ENV
        || name.strip_prefix("HEALING_").is_some_and(|rest| {
            ["TOKEN", "SECRET", "PASSWORD", "KEY"]
                .iter()
                .any(|w| rest.contains(w))
        })
}

static REGISTRY: LazyLock<RwLock<Arc<SecretSet>>> = LazyLock::new(|| {
    let env = |name: &str| std::env::var(name).ok();
    let set =
        SecretSet::from_config(&Config::default(), &env).with_control_tokens(std::env::vars());
    RwLock::new(Arc::new(set))
});

/// Adds `set` (and the control tokens in the process environment) to the process-wide registry.
/// Additive: a later config never un-registers an earlier secret.
pub fn register(set: SecretSet) {
    let set = set.with_control_tokens(std::env::vars());
    let mut guard = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let mut merged = SecretSet::clone(&guard);
    merged.merge(set);
    *guard = Arc::new(merged);
}

/// The secrets registered so far (at least those of the default config).
pub fn current() -> Arc<SecretSet> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner()).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_and_values_are_collected_and_short_values_ignored() {
        let mut cfg = Config::default();
        cfg.alerts.telegram.token_env = "MY_BOT".into();
        let mut agent: crate::config::AgentConfig =
            toml::from_str("name = \"a\"\ncommand = [\"x\"]\nenv = { K = \"agent-secret-1\", L = \"1\" }\npass_env = [\"OTHER\"]").unwrap();
        agent.env_clear = false;
        cfg.agents.push(agent);
        let env = |n: &str| match n {
            "MY_BOT" => Some("123:bot-token-value".to_string()),
            "OTHER" => Some("other-secret".to_string()),
            _ => None,
        };
        let set = SecretSet::from_config(&cfg, &env);
        assert!(set.is_secret_name("MY_BOT"));
        assert!(set.is_secret_name("HEALING_STATE_URL"));
        assert!(set.is_secret_name("HEALING_CONTROL_TOKEN"));
        assert!(!set.is_secret_name("HEALING_CONFIG"));
        assert!(!set.is_secret_name("PATH"));
        let values = set.values();
        assert!(values.contains(&"123:bot-token-value"));
        assert!(values.contains(&"agent-secret-1"));
        assert!(values.contains(&"other-secret"));
        assert!(!values.contains(&"1"));
    }
}
