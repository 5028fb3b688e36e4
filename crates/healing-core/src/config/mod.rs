//! The shape of `healing.toml`, shared by all three binaries (each reads its own section).
//!
//! Field names are a public contract: users and acceptance trials write configs against them. Every
//! section has per-field defaults (the deployment doc's numbers), so an empty file — or none at all — is a
//! valid configuration. Durations are strings (`"500ms"`, `"60s"`, `"5m"`, `"1h"`).
//!
//! Loading, env overrides, path resolution and validation live in [`crate::config_load`]. Unknown keys are
//! an error there, reported all at once with their line and column; the structs themselves do not use
//! `deny_unknown_fields` because that stops at the first unknown key (see `config_load`'s docs).

mod agent_config;
mod alerts_config;
mod fixes_config;
mod prevention_config;
mod recovery_config;
mod self_healing_config;

pub use agent_config::AgentConfig;
pub use alerts_config::{AlertsConfig, TelegramConfig, WebhookConfig};
pub use fixes_config::{FixMode, FixesConfig, PatternConfig};
pub use prevention_config::PreventionConfig;
pub use recovery_config::{RecoveryConfig, RenderApiConfig, ServiceConfig};
pub use self_healing_config::{BreakerConfig, RestartConfig, SelfHealingConfig};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

pub(crate) const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where the state documents live (env `HEALING_STATE_DIR` overrides).
    pub state_dir: PathBuf,
    /// Optional Key Value store URL (`redis://…`); env `HEALING_STATE_URL` overrides. Secret-bearing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_url: Option<String>,
    /// The supervisor's own settings.
    pub self_healing: SelfHealingConfig,
    /// Restart backoff and budget.
    pub restart: RestartConfig,
    /// Circuit breaker around failed fixes.
    pub breaker: BreakerConfig,
    /// The supervised agents.
    pub agents: Vec<AgentConfig>,
    /// What fixes may do.
    pub fixes: FixesConfig,
    /// User patterns, checked before the built-in catalogue.
    pub patterns: Vec<PatternConfig>,
    /// Alert routing.
    pub alerts: AlertsConfig,
    /// prevention-agent settings.
    pub prevention: PreventionConfig,
    /// auto-recovery settings.
    pub recovery: RecoveryConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from("state"),
            state_url: None,
            self_healing: SelfHealingConfig::default(),
            restart: RestartConfig::default(),
            breaker: BreakerConfig::default(),
            agents: Vec::new(),
            fixes: FixesConfig::default(),
            patterns: Vec::new(),
            alerts: AlertsConfig::default(),
            prevention: PreventionConfig::default(),
            recovery: RecoveryConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::{ActionKind, ErrorKind};

    #[test]
    fn an_empty_file_is_the_default_configuration() {
        let config: Config = toml::from_str("").unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.restart.max_per_hour, 5);
        assert_eq!(config.self_healing.interval, Duration::from_secs(60));
    }

    #[test]
    fn the_documented_example_parses() {
        let src = r#"
state_dir = "state"
[self_healing]
interval = "60s"
listen = "127.0.0.1:8080"
grace_period = "25s"
stable_after = "60s"
[restart]
initial_delay = "1s"
multiplier = 2.0
max_delay = "5m"
jitter = true
max_per_hour = 5
[breaker]
failure_threshold = 3
cooldown = "5m"
reset_after = "1h"
[[agents]]
name = "sports_analytics"
command = ["python3", "agents/sports_analytics.py"]
cwd = "."
env = { PYTHONUNBUFFERED = "1" }
log_file = "logs/sports_analytics.log"
health_url = "http://127.0.0.1:8001/health"
health_start_period = "10s"
heartbeat_file = "state/heartbeat/sports_analytics"
heartbeat_max_age = "3m"
[fixes]
install_command = ["python3", "-m", "pip", "install", "--no-input"]
requirements = "requirements.txt"
allow_packages = []
package_map = { }
create_path_roots = ["data", "logs"]
create_files = []
command_timeout = "120s"
[[patterns]]
name = "redis_down"
regex = 'redis\.exceptions\.ConnectionError'
kind = "connection_error"
severity = "high"
action = "retry"
[alerts]
min_severity = "high"
dedup_window = "15m"
[alerts.telegram]
api_base = "https://api.telegram.org"
[alerts.webhook]
url_env = "HEALING_WEBHOOK_URL"
[prevention]
[recovery]
"#;
        let config: Config = toml::from_str(src).unwrap();
        assert_eq!(config.agents[0].heartbeat_max_age, Duration::from_secs(180));
        assert_eq!(
            config.agents[0].health_start_period,
            Duration::from_secs(10)
        );
        assert_eq!(config.restart.max_delay, Duration::from_secs(300));
        assert_eq!(config.patterns[0].kind, ErrorKind::ConnectionError);
        assert_eq!(config.patterns[0].action, Some(ActionKind::Retry));
    }
}
