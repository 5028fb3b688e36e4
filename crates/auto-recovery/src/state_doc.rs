//! `render_recovery_state.json`: what the last pass saw, plus what must survive between runs (the ids
//! already alerted and the per-service action budgets).
//!
//! Health URLs are not stored (a URL may carry credentials), nor any env value or the API key; service
//! names, Render ids, statuses and error classes are.

use crate::deploys::Remembered;
use crate::service_probe::{FailureClass, ProbeOutcome};
use crate::wake::ServiceCheck;
use healing_core::budget::RestartBudget;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Actions kept in the history.
const ACTION_HISTORY: usize = 50;

/// The whole document (the store adds `schema_version`, `written_at`, `writer`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecoveryState {
    /// The last finished pass.
    #[serde(default)]
    pub last_pass: Option<PassSummary>,
    /// Per `[[recovery.services]]` name (and `self`).
    #[serde(default)]
    pub services: BTreeMap<String, ServiceStatus>,
    /// What the Render API said.
    #[serde(default)]
    pub render: RenderStatus,
    /// Env, paths, dependencies.
    #[serde(default)]
    pub environment: EnvironmentStatus,
    /// Failed deploys and events already alerted (kept across runs so each is alerted once).
    #[serde(default)]
    pub alerted: Remembered,
    /// Restarts/redeploys per Render service id in the last hour.
    #[serde(default)]
    pub action_budgets: BTreeMap<String, RestartBudget>,
    /// Restarts and redeploys, newest last.
    #[serde(default)]
    pub actions: VecDeque<ActionRecord>,
}

impl RecoveryState {
    /// Appends to the bounded action history.
    pub fn record_action(&mut self, action: ActionRecord) {
        self.actions.push_back(action);
        while self.actions.len() > ACTION_HISTORY {
            self.actions.pop_front();
        }
    }
}

/// One pass in a line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PassSummary {
    /// RFC 3339 start.
    pub started_at: String,
    /// Wall time of the pass.
    pub duration_ms: u64,
    /// Nothing left to fix.
    pub healthy: bool,
    /// What is still wrong, one line each.
    pub problems: Vec<String>,
    /// What this pass fixed or triggered.
    pub fixed: Vec<String>,
}

/// One probed service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// Healthy at the end of the check (after any wake-up).
    pub healthy: bool,
    /// Healthy but slower than half its timeout.
    pub slow: bool,
    /// Why it failed, when it did.
    pub failure: Option<FailureClass>,
    /// HTTP status of the last answer.
    pub status: Option<u16>,
    /// Latency of the last probe.
    pub latency_ms: u64,
    /// Probes sent.
    pub attempts: u32,
    /// It looked asleep and a wake-up was tried.
    pub wake_tried: bool,
    /// How long the wake-up took, when it succeeded.
    pub wake_ms: Option<u64>,
    /// Short error text (never the URL).
    pub detail: Option<String>,
    /// RFC 3339.
    pub checked_at: String,
}

impl ServiceStatus {
    /// The state view of one check.
    pub fn from_check(check: &ServiceCheck, checked_at: String) -> Self {
        let (failure, status, detail) = match &check.last {
            ProbeOutcome::Healthy { status, .. } => (None, Some(*status), None),
            ProbeOutcome::Failed {
                class,
                status,
                detail,
                ..
            } => (Some(*class), *status, Some(detail.clone())),
        };
        Self {
            healthy: check.healthy(),
            slow: check.slow(),
            failure,
            status,
            latency_ms: millis(check.last.latency()),
            attempts: check.attempts,
            wake_tried: check.wake_tried,
            wake_ms: check.wake_duration.map(millis),
            detail,
            checked_at,
        }
    }
}

/// The Render API part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderStatus {
    /// An API key was configured.
    pub enabled: bool,
    /// The last API error, if the pass could not read everything.
    pub error: Option<String>,
    /// Per service id.
    pub services: BTreeMap<String, RenderServiceStatus>,
}

/// One Render service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderServiceStatus {
    /// Display name.
    pub name: String,
    /// Suspended by anyone.
    pub suspended: bool,
    /// Who suspended it.
    pub suspenders: Vec<String>,
    /// The newest finished deploy: `(id, status)`.
    pub latest_deploy: Option<DeployRef>,
    /// The newest finished deploy failed.
    pub deploy_failing: bool,
    /// The newest instance event is a failure.
    pub crashed: Option<CrashRef>,
    /// Reading this service failed.
    pub error: Option<String>,
}

/// A deploy, briefly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployRef {
    pub id: String,
    pub status: String,
    pub finished_at: Option<String>,
}

/// A `server_failed` event, briefly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrashRef {
    pub event_id: String,
    pub reason: Option<String>,
    pub at: Option<String>,
}

/// A restart or redeploy asked of Render.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// RFC 3339.
    pub at: String,
    /// `srv-…`.
    pub service_id: String,
    /// `restart` or `redeploy`.
    pub action: String,
    /// Why it was taken.
    pub reason: String,
    /// `accepted`, `failed: …` or `skipped: budget`.
    pub outcome: String,
}

/// Env, paths, dependencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentStatus {
    /// Names of required env vars that are missing or empty (never values).
    pub missing_env: Vec<String>,
    /// Required paths still missing, with the reason.
    pub missing_paths: Vec<String>,
    /// Required paths created by this pass.
    pub created_paths: Vec<String>,
    /// Dependency check summary.
    pub dependencies: Option<String>,
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
