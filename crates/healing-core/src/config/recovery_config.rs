//! `[recovery]`: auto-recovery's services and the Render API it may call.

use super::secs;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

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
