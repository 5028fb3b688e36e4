//! `[self_healing]`, `[restart]` and `[breaker]`: the supervisor's own settings, its restart backoff and
//! budget, and the breaker around failed fixes.

use super::secs;
use serde::{Deserialize, Serialize};
use std::time::Duration;

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
