//! The shape of `healing.toml`, shared by all three binaries (each reads its own section).
//!
//! Field names are a public contract: users and acceptance trials write configs against them. Every
//! section has per-field defaults (the deployment doc's numbers), so an empty file — or none at all — is a
//! valid configuration. Durations are strings (`"500ms"`, `"60s"`, `"5m"`, `"1h"`).
//!
//! Loading, env overrides, path resolution and validation live in [`crate::config_load`]. Unknown keys are
//! an error there, reported all at once with their line and column; the structs themselves do not use
//! `deny_unknown_fields` because that stops at the first unknown key (see `config_load`'s docs).

use crate::kind::{ActionKind, ErrorKind, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const fn secs(s: u64) -> Duration {
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

/// `[self_healing]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelfHealingConfig {
    /// Period of the health pass (summaries and probes, not crash detection). Env `SELF_HEALING_INTERVAL`
    /// (seconds) overrides.
    #[serde(with = "crate::duration_bound")]
    pub interval: Duration,
    /// Address of the HTTP endpoints; none when unset. On Render, env `PORT` means `0.0.0.0:$PORT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// SIGTERM → SIGKILL grace for agents at shutdown (must stay under Render's 30 s).
    #[serde(with = "crate::duration_bound")]
    pub grace_period: Duration,
    /// Uptime after which a restart or fix counts as successful and the backoff resets.
    #[serde(with = "crate::duration_bound")]
    pub stable_after: Duration,
    /// Window in which failures of several agents on the same dependency are treated as one incident.
    #[serde(with = "crate::duration_bound")]
    pub correlation_window: Duration,
    /// Longest log line kept; longer lines are truncated (never buffered without bound).
    pub max_line_bytes: usize,
    /// Size at which `state_dir/logs/<agent>.log` is rotated.
    pub log_max_bytes: u64,
    /// Rotated log files kept per agent.
    pub log_backups: u32,
    /// Timeout of one `health_url` probe.
    #[serde(with = "crate::duration_bound")]
    pub health_timeout: Duration,
    /// Incidents and fixes kept in the state file's history.
    pub history_limit: usize,
    /// An incident is the cause of an exit only if it was printed at most this long before it; older
    /// ones stay in the history as incidents of their own (a handled error at start-up must not
    /// explain an exit an hour later).
    #[serde(with = "humantime_serde")]
    pub exit_cause_window: Duration,
    /// … and at most this many output lines before it.
    pub exit_cause_lines: u64,
    /// Also write every agent line to the supervisor's stdout as `[agent] line`, so the platform's log
    /// stream shows it. Unset: on under `RENDER_MODE`, off elsewhere (resolved by the config loader).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_output: Option<bool>,
}

impl Default for SelfHealingConfig {
    fn default() -> Self {
        Self {
            interval: secs(60),
            listen: None,
            grace_period: secs(25),
            stable_after: secs(60),
            correlation_window: secs(30),
            max_line_bytes: 64 * 1024,
            log_max_bytes: 10 * 1024 * 1024,
            log_backups: 3,
            health_timeout: secs(5),
            history_limit: 200,
            exit_cause_window: secs(30),
            exit_cause_lines: 50,
            forward_output: None,
        }
    }
}

impl SelfHealingConfig {
    /// Whether agent output goes to stdout: the file's `forward_output`, else on under `RENDER_MODE`
    /// (Render's log stream is the service's stdout).
    pub fn forwards_output(&self, env: crate::config_load::EnvLookup<'_>) -> bool {
        self.forward_output
            .unwrap_or_else(|| crate::config_load::render_mode(env))
    }
}

/// `[restart]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestartConfig {
    /// First delay of the normal curve.
    #[serde(with = "crate::duration_bound")]
    pub initial_delay: Duration,
    /// Growth factor per attempt (≥ 1).
    pub multiplier: f64,
    /// Cap of both curves.
    #[serde(with = "crate::duration_bound")]
    pub max_delay: Duration,
    /// Full jitter (AWS "Exponential Backoff And Jitter"): the delay is uniform in `[0, computed]`.
    pub jitter: bool,
    /// Restarts allowed per agent in any rolling 60 minutes.
    pub max_per_hour: u32,
    /// First delay of the slower curve used for transient failures (`retry`).
    #[serde(with = "crate::duration_bound")]
    pub retry_initial_delay: Duration,
}

impl Default for RestartConfig {
    fn default() -> Self {
        Self {
            initial_delay: secs(1),
            multiplier: 2.0,
            max_delay: secs(300),
            jitter: true,
            max_per_hour: 5,
            retry_initial_delay: secs(10),
        }
    }
}

/// `[breaker]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreakerConfig {
    /// Failed fix attempts that open the breaker.
    pub failure_threshold: u32,
    /// Open → half-open after this long (one guarded trial).
    #[serde(with = "crate::duration_bound")]
    pub cooldown: Duration,
    /// All counts reset after this long without a new failure.
    #[serde(with = "crate::duration_bound")]
    pub reset_after: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 3,
            cooldown: secs(300),
            reset_after: secs(3600),
        }
    }
}

/// One `[[agents]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// Unique name (`[A-Za-z0-9_.-]+`), used in file names, metrics and alerts.
    pub name: String,
    /// argv, never a shell string. `command[0]` is looked up on PATH when it has no `/`.
    pub command: Vec<String>,
    /// Working directory (relative: against the config file's directory).
    #[serde(default = "default_cwd")]
    pub cwd: PathBuf,
    /// Extra environment. Values are secrets as far as output is concerned: never logged or written.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Supervisor secrets this agent may see on purpose (`["TELEGRAM_BOT_TOKEN"]`): by default every
    /// child gets the supervisor's environment minus its secrets (see [`crate::child_env`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pass_env: Vec<String>,
    /// Start from an empty environment: only `PATH`, `HOME`, `LANG`, `TZ`, `pass_env` and `env`.
    #[serde(default)]
    pub env_clear: bool,
    /// A log file the agent writes itself, followed with tail -F semantics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_file: Option<PathBuf>,
    /// HTTP liveness probe (2xx within `health_timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_url: Option<String>,
    /// How long a fresh process has to come up before `health_url` is first probed (Docker's
    /// `start_period`): a web agent still binding its port is starting, not hung.
    #[serde(
        default = "default_health_start_period",
        with = "crate::duration_bound"
    )]
    pub health_start_period: Duration,
    /// A file the agent touches; stale beyond `heartbeat_max_age` means hung.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_file: Option<PathBuf>,
    /// Maximum age of `heartbeat_file`.
    #[serde(default = "default_heartbeat_max_age", with = "crate::duration_bound")]
    pub heartbeat_max_age: Duration,
    /// Set false to keep an agent in the config without running it.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Agents that must be ready before this one starts; while one is down this agent's failures are
    /// not counted, and at shutdown it is stopped before them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Ready for its dependants after running this long (when it has neither `health_url`, which must
    /// answer 2xx, nor `heartbeat_file`, which must be fresh).
    #[serde(default = "default_ready_after", with = "humantime_serde")]
    pub ready_after: Duration,
    /// Consecutive failed `health_url` probes before the agent counts as hung (one slow answer is not).
    #[serde(default = "default_health_failure_threshold")]
    pub health_failure_threshold: u32,
    /// How often `health_url` is probed (default: `self_healing.interval`).
    #[serde(
        default,
        with = "humantime_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_period: Option<Duration>,
    /// Asks a hung agent where it is stuck before it is killed, `{pid}` replaced by its pid (e.g.
    /// `["py-spy", "dump", "--pid", "{pid}"]`). Without it the agent gets SIGABRT (Python's faulthandler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dump_command: Option<Vec<String>>,
}

fn default_cwd() -> PathBuf {
    PathBuf::from(".")
}
fn default_heartbeat_max_age() -> Duration {
    secs(180)
}
fn default_health_start_period() -> Duration {
    secs(10)
}
fn default_ready_after() -> Duration {
    secs(2)
}
fn default_health_failure_threshold() -> u32 {
    3
}
fn default_true() -> bool {
    true
}

/// `[fixes]`: what the executor may do. Everything not allowed here is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FixesConfig {
    /// argv prefix of the installer; the requirement (`name==version` or `name`) is appended.
    pub install_command: Vec<String>,
    /// Requirements file whose distributions may be installed (at their pinned version). Optional: a
    /// missing file means nothing is allowed from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirements: Option<PathBuf>,
    /// Further distributions that may be installed.
    pub allow_packages: Vec<String>,
    /// Extra import-name → distribution entries, over the built-in table.
    pub package_map: BTreeMap<String, String>,
    /// Directories under which missing directories may be created.
    pub create_path_roots: Vec<PathBuf>,
    /// Globs (relative to the config dir, or absolute) of files that may be created empty when missing.
    pub create_files: Vec<String>,
    /// Timeout of one fix command.
    #[serde(with = "crate::duration_bound")]
    pub command_timeout: Duration,
    /// `auto` runs planned fixes; `propose` sends each as a proposal a human applies or skips.
    pub mode: FixMode,
    /// How long a proposal waits for an answer before it expires (the agent stays held).
    #[serde(with = "humantime_serde")]
    pub proposal_ttl: Duration,
}

/// Whether planned fixes run by themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixMode {
    /// Fixes the policy allows run at once.
    #[default]
    Auto,
    /// Each fix waits for a human's Apply (Telegram button or `self-healing-agent apply ID`).
    Propose,
}

impl Default for FixesConfig {
    fn default() -> Self {
        Self {
            install_command: ["python3", "-m", "pip", "install", "--no-input"]
                .map(String::from)
                .to_vec(),
            requirements: Some(PathBuf::from("requirements.txt")),
            allow_packages: Vec::new(),
            package_map: BTreeMap::new(),
            create_path_roots: ["data", "logs"].map(PathBuf::from).to_vec(),
            create_files: Vec::new(),
            command_timeout: secs(120),
            mode: FixMode::Auto,
            proposal_ttl: secs(3600),
        }
    }
}

/// One `[[patterns]]` entry (user pattern, checked before the built-in catalogue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternConfig {
    /// Name shown in incidents.
    pub name: String,
    /// Rust `regex` syntax, matched against one (ANSI-stripped) line.
    pub regex: String,
    /// The kind it reports.
    pub kind: ErrorKind,
    /// Defaults to the kind's default severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Defaults to the kind's default action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionKind>,
}

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertsConfig {
    /// Alerts below this severity are recorded, not sent.
    pub min_severity: Severity,
    /// The same incident key is sent at most once per window.
    #[serde(with = "crate::duration_bound")]
    pub dedup_window: Duration,
    /// Telegram (active when `TELEGRAM_BOT_TOKEN` and `TELEGRAM_CHAT_ID` are set).
    pub telegram: TelegramConfig,
    /// Slack-compatible webhook (active when the env var named by `url_env` is set).
    pub webhook: WebhookConfig,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            min_severity: Severity::High,
            dedup_window: secs(900),
            telegram: TelegramConfig::default(),
            webhook: WebhookConfig::default(),
        }
    }
}

/// `[alerts.telegram]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TelegramConfig {
    /// Bot API base URL (tests point it at 127.0.0.1).
    pub api_base: String,
    /// Env var holding the bot token.
    pub token_env: String,
    /// Env var holding the chat id.
    pub chat_id_env: String,
    /// Answer `/status`, `/logs`, `/restart`, `/stop`, `/start`, `/resume` from the chat (long-polls
    /// `getUpdates`: outbound only) and put Resume/Restart/Mute buttons under hold notices.
    pub commands: bool,
    /// When non-empty, only these Telegram user ids may command (besides being in the chat).
    pub allowed_user_ids: Vec<i64>,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            api_base: "https://api.telegram.org".into(),
            token_env: "TELEGRAM_BOT_TOKEN".into(),
            chat_id_env: "TELEGRAM_CHAT_ID".into(),
            commands: false,
            allowed_user_ids: Vec::new(),
        }
    }
}

/// `[alerts.webhook]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookConfig {
    /// Env var holding the webhook URL (a URL is a secret: it is never written anywhere).
    pub url_env: String,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url_env: "HEALING_WEBHOOK_URL".into(),
        }
    }
}

/// `[prevention]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreventionConfig {
    /// Pass period; env `PREVENTION_INTERVAL` (seconds) overrides.
    #[serde(with = "crate::duration_bound")]
    pub interval: Duration,
    /// Memory warning threshold, % of the container limit (or host memory).
    pub memory_percent: f64,
    /// CPU warning threshold, % of the quota (or host cores).
    pub cpu_percent: f64,
    /// Disk warning threshold, % used.
    pub disk_percent: f64,
    /// Consecutive samples over a threshold before a warning alerts.
    pub sustained_samples: u32,
    /// A warning recovers below `threshold - hysteresis_percent`.
    pub hysteresis_percent: f64,
    /// Paths whose filesystems are watched.
    pub disk_paths: Vec<PathBuf>,
    /// Env var names that must be present and non-empty (names only; values never leave the process).
    pub required_env: Vec<String>,
    /// The agents' interpreter, asked for its installed distributions.
    pub python: String,
    /// Root of the cgroup filesystem (tests point it at fixture trees).
    pub cgroup_root: PathBuf,
    /// Root of procfs (tests point it at fixture trees).
    pub proc_root: PathBuf,
    /// Install missing required distributions through the fix policy.
    pub install_missing: bool,
    /// Shortest span between the two CPU readings of a pass (the checks run inside it): too short and
    /// one busy moment decides the reading.
    #[serde(with = "crate::duration_bound")]
    pub cpu_sample_window: Duration,
}

impl Default for PreventionConfig {
    fn default() -> Self {
        Self {
            interval: secs(300),
            memory_percent: 85.0,
            cpu_percent: 90.0,
            disk_percent: 90.0,
            sustained_samples: 2,
            hysteresis_percent: 5.0,
            disk_paths: vec![PathBuf::from(".")],
            required_env: Vec::new(),
            python: "python3".into(),
            cgroup_root: PathBuf::from("/sys/fs/cgroup"),
            proc_root: PathBuf::from("/proc"),
            install_missing: true,
            cpu_sample_window: Duration::from_millis(250),
        }
    }
}

/// `[recovery]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecoveryConfig {
    /// Loop period when not run with `--once`.
    #[serde(with = "crate::duration_bound")]
    pub interval: Duration,
    /// Env var names that must be present and non-empty.
    pub required_env: Vec<String>,
    /// Paths that must exist (created through the fix policy when allowed).
    pub required_paths: Vec<PathBuf>,
    /// Also probe this service's own `RENDER_EXTERNAL_URL` when set.
    pub check_self: bool,
    /// Check and install dependencies (same code as the prevention-agent).
    pub check_dependencies: bool,
    /// Services to probe and wake.
    pub services: Vec<ServiceConfig>,
    /// Render API access.
    pub render: RenderApiConfig,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self {
            interval: secs(300),
            required_env: Vec::new(),
            required_paths: Vec::new(),
            check_self: true,
            check_dependencies: true,
            services: Vec::new(),
            render: RenderApiConfig::default(),
        }
    }
}

/// One `[[recovery.services]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceConfig {
    /// Name shown in state and alerts.
    pub name: String,
    /// Base URL of the service.
    pub url: String,
    /// Path of the health endpoint, appended to `url`.
    #[serde(default = "default_health_path")]
    pub health_path: String,
    /// Status that counts as healthy (any 2xx when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<u16>,
    /// Timeout of one probe.
    #[serde(default = "default_probe_timeout", with = "crate::duration_bound")]
    pub timeout: Duration,
    /// How long to keep waking a sleeping service.
    #[serde(default = "default_wake_timeout", with = "crate::duration_bound")]
    pub wake_timeout: Duration,
    /// The Render service (`srv-…`) behind this URL, so one that stays down can be restarted
    /// (`[recovery.render] auto_restart`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_service_id: Option<String>,
}

fn default_health_path() -> String {
    "/health".into()
}
fn default_probe_timeout() -> Duration {
    secs(10)
}
fn default_wake_timeout() -> Duration {
    secs(90)
}

/// `[recovery.render]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RenderApiConfig {
    /// API base URL.
    pub api_base: String,
    /// Services to watch; all services of the key when empty.
    pub service_ids: Vec<String>,
    /// Env var holding the API key (a root credential: never logged, never written).
    pub api_key_env: String,
    /// Restart a service that is down (off by default).
    pub auto_restart: bool,
    /// Redeploy the last successful build of a service whose deploy failed (off by default).
    pub auto_redeploy: bool,
    /// Restarts/redeploys allowed per service per hour.
    pub max_actions_per_hour: u32,
    /// Timeout of one API request.
    #[serde(with = "crate::duration_bound")]
    pub request_timeout: Duration,
    /// Longest rate-limit wait (`Retry-After`, `Ratelimit-Reset`) honoured inside a pass; a longer one
    /// skips the call until the next pass.
    #[serde(with = "crate::duration_bound")]
    pub max_retry_wait: Duration,
    /// Page size of list calls (`limit`, 1–100).
    pub page_limit: u32,
    /// Pages read per list call (deploys, events, services).
    pub max_pages: u32,
}

impl Default for RenderApiConfig {
    fn default() -> Self {
        Self {
            api_base: "https://api.render.com/v1".into(),
            service_ids: Vec::new(),
            api_key_env: "RENDER_API_KEY".into(),
            auto_restart: false,
            auto_redeploy: false,
            max_actions_per_hour: 3,
            request_timeout: secs(30),
            max_retry_wait: secs(60),
            page_limit: 20,
            max_pages: 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
