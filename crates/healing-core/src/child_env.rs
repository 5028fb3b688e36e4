//! The environment every child starts with: agents, fix commands (`pip` and whatever its build scripts
//! run) and the dependency probe.
//!
//! Children run other people's code, so they get the supervisor's environment **minus its secrets**
//! ([`crate::secrets`]): a package imported by an agent cannot read the bot token, the Key Value password
//! or the Render API key and then forge state or alerts. An agent may be handed a secret on purpose
//! (`pass_env`), or start from an almost empty environment (`env_clear`).

use crate::config::AgentConfig;
use crate::secrets::{self, SecretSet};
use std::ffi::OsString;

/// What an `env_clear` agent keeps from the supervisor's environment (besides `pass_env` and `env`).
pub const CLEAR_KEEPS: [&str; 4] = ["PATH", "HOME", "LANG", "TZ"];

/// The environment of a child, from the supervisor's `base` environment.
///
/// Without an agent (fix commands, probes): `base` minus the secrets. For an agent: the same, or only
/// [`CLEAR_KEEPS`] with `env_clear`; then its `pass_env` variables from `base`, then its `env` (which wins).
pub fn compute(
    base: impl IntoIterator<Item = (OsString, OsString)>,
    secrets: &SecretSet,
    agent: Option<&AgentConfig>,
) -> Vec<(OsString, OsString)> {
    let clear = agent.is_some_and(|a| a.env_clear);
    let passed = |name: &str| agent.is_some_and(|a| a.pass_env.iter().any(|p| p == name));
    let mut out: Vec<(OsString, OsString)> = base
        .into_iter()
        .filter(|(name, _)| {
            // A name that is not UTF-8 is none of ours, but it is nobody's business either.
            let Some(name) = name.to_str() else {
                return !clear;
            };
            if passed(name) {
                return true;
            }
            if clear {
                CLEAR_KEEPS.contains(&name)
            } else {
                !secrets.is_secret_name(name)
            }
        })
        .collect();
    if let Some(agent) = agent {
        for (k, v) in &agent.env {
            out.retain(|(name, _)| name.as_os_str() != k.as_str());
            out.push((k.into(), v.into()));
        }
    }
    out
}

/// Gives `cmd` exactly the environment [`compute`] says, from the process environment and the
/// registered secrets. Every place that starts a child calls this.
pub fn apply(cmd: &mut tokio::process::Command, agent: Option<&AgentConfig>) {
    let env = compute(std::env::vars_os(), &secrets::current(), agent);
    cmd.env_clear().envs(env);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn base() -> Vec<(OsString, OsString)> {
        [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/u"),
            ("TELEGRAM_BOT_TOKEN", "123:abc"),
            ("HEALING_STATE_URL", "redis://:pw@kv:6379"),
            ("HEALING_HTTP_TOKEN", "tok"),
            ("VIRTUAL_ENV", "/venv"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
    }

    fn names(env: &[(OsString, OsString)]) -> Vec<String> {
        let mut v: Vec<String> = env
            .iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn agent(extra: &str) -> AgentConfig {
        toml::from_str(&format!("name = \"a\"\ncommand = [\"x\"]\n{extra}")).unwrap()
    }

    #[test]
    fn fix_commands_get_everything_but_the_secrets() {
        let set = SecretSet::from_config(&Config::default(), &|_| None);
        let env = compute(base(), &set, None);
        assert_eq!(names(&env), ["HOME", "PATH", "VIRTUAL_ENV"]);
    }

    #[test]
    fn pass_env_hands_one_secret_over_and_env_wins() {
        let set = SecretSet::from_config(&Config::default(), &|_| None);
        let a = agent("pass_env = [\"TELEGRAM_BOT_TOKEN\"]\nenv = { PATH = \"/opt/bin\" }");
        let env = compute(base(), &set, Some(&a));
        assert_eq!(
            names(&env),
            ["HOME", "PATH", "TELEGRAM_BOT_TOKEN", "VIRTUAL_ENV"]
        );
        assert!(env.contains(&("PATH".into(), "/opt/bin".into())));
    }

    #[test]
    fn env_clear_keeps_only_the_basics_pass_env_and_env() {
        let set = SecretSet::from_config(&Config::default(), &|_| None);
        let a = agent("env_clear = true\nenv = { MODE = \"x\" }");
        let env = compute(base(), &set, Some(&a));
        assert_eq!(names(&env), ["HOME", "MODE", "PATH"]);
    }
}
