//! `[[agents]]`: one supervised process and how its health is judged.

use super::secs;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

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
