//! The effective configuration as TOML, for `--print-config` and start-up diagnostics, with every secret
//! replaced by `***` so the output can be pasted into an issue.

use crate::config::Config;
use toml::Value;

const HIDDEN: &str = "***";
/// Key-name fragments that mark a value as secret (case-insensitive).
const SECRET_WORDS: [&str; 4] = ["TOKEN", "SECRET", "KEY", "PASSWORD"];

/// Renders `cfg` with secrets hidden. Never fails: a value that cannot be rendered becomes a comment.
pub(crate) fn render(cfg: &Config) -> String {
    let mut value = match Value::try_from(cfg) {
        Ok(v) => v,
        Err(e) => return format!("# the effective configuration could not be rendered: {e}\n"),
    };
    redact(&mut value);
    match toml::to_string_pretty(&value) {
        Ok(s) => s,
        Err(e) => format!("# the effective configuration could not be rendered: {e}\n"),
    }
}

/// Whether a key's value is secret by its name. Keys ending in `_env` hold the *name* of a variable
/// (`api_key_env = "RENDER_API_KEY"`), which is documentation, not a secret.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    !upper.ends_with("_ENV") && SECRET_WORDS.iter().any(|w| upper.contains(w))
}

fn redact(value: &mut Value) {
    match value {
        Value::Table(table) => {
            for (k, v) in table.iter_mut() {
                if k == "env" {
                    // Agent env values: secrets whatever their names.
                    if let Value::Table(env) = v {
                        env.iter_mut()
                            .for_each(|(_, x)| *x = Value::String(HIDDEN.into()));
                    }
                } else if is_secret_key(k) {
                    *v = Value::String(HIDDEN.into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(s) => *s = hide_url_password(s),
        _ => {}
    }
}

/// `redis://user:pw@host` → `redis://user:***@host`; anything that is not such a URL is unchanged.
fn hide_url_password(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(mut u) if u.password().is_some() => {
            if u.set_password(Some(HIDDEN)).is_ok() {
                u.to_string()
            } else {
                HIDDEN.into()
            }
        }
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_env_vars_are_not_secrets_but_tokens_are() {
        assert!(is_secret_key("api_token"));
        assert!(is_secret_key("client_secret"));
        assert!(is_secret_key("password"));
        assert!(!is_secret_key("api_key_env"));
        assert!(!is_secret_key("token_env"));
        assert!(!is_secret_key("interval"));
    }

    #[test]
    fn url_passwords_are_hidden_and_other_strings_kept() {
        assert_eq!(
            hide_url_password("redis://u:hunter2@kv:6379"),
            "redis://u:***@kv:6379"
        );
        assert_eq!(
            hide_url_password("http://127.0.0.1:8001/health"),
            "http://127.0.0.1:8001/health"
        );
        assert_eq!(hide_url_password("state"), "state");
    }
}
