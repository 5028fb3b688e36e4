//! The parts of Render's API objects the healer reads (render-oss/cli `types_gen.go` shapes). Unknown fields
//! are ignored and unknown enum values kept as strings, so a new status never breaks a pass.

use serde::{Deserialize, Serialize};

/// A Render service (`GET /services`, `GET /services/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// `srv-…`.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// API enum: `web_service`, `private_service`, `background_worker`, `cron_job`, `static_site`.
    #[serde(default, rename = "type")]
    pub service_type: String,
    /// `"suspended"` or `"not_suspended"`.
    #[serde(default)]
    pub suspended: String,
    /// Who suspended it (`user`, `billing`, `stuck_crashlooping`, …).
    #[serde(default)]
    pub suspenders: Vec<String>,
}

impl Service {
    /// Render stopped the service (any suspender).
    pub fn is_suspended(&self) -> bool {
        self.suspended == "suspended"
    }

    /// Render gave up on a crash loop: the one suspension that is a failure, not a choice.
    pub fn is_stuck_crashlooping(&self) -> bool {
        self.suspenders.iter().any(|s| s == "stuck_crashlooping")
    }
}

/// The commit a deploy built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Full SHA.
    #[serde(default)]
    pub id: String,
}

/// A deploy (`GET /services/{id}/deploys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deploy {
    /// `dep-…`.
    pub id: String,
    /// `created` … `live`, `deactivated`, `build_failed`, `update_failed`, `pre_deploy_failed`, `canceled`.
    #[serde(default)]
    pub status: String,
    /// `new_commit`, `manual`, `api`, …
    #[serde(default)]
    pub trigger: Option<String>,
    /// The commit, when built from git.
    #[serde(default)]
    pub commit: Option<Commit>,
    /// RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// RFC 3339, when finished.
    #[serde(default)]
    pub finished_at: Option<String>,
}

impl Deploy {
    /// The terminal failure statuses (`deactivated` is a superseded success, not a failure).
    pub fn is_failed(&self) -> bool {
        matches!(
            self.status.as_str(),
            "build_failed" | "update_failed" | "pre_deploy_failed" | "canceled"
        )
    }

    /// A build that once went live and can be redeployed.
    pub fn was_successful(&self) -> bool {
        matches!(self.status.as_str(), "live" | "deactivated")
    }

    /// Still running; says nothing yet.
    pub fn in_progress(&self) -> bool {
        !self.is_failed() && !self.was_successful()
    }
}

/// A service event (`GET /services/{id}/events`): `{id, serviceId, timestamp, type, details}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    /// `evt-…`.
    pub id: String,
    /// RFC 3339.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// `server_failed`, `server_available`, `deploy_ended`, …
    #[serde(default, rename = "type")]
    pub event_type: String,
    /// Type-specific; for `server_failed`: `{instanceID, reason: {nonZeroExit | oomKilled | evicted | …}}`.
    #[serde(default)]
    pub details: serde_json::Value,
}

impl ServiceEvent {
    /// Why an instance failed, in a few words (`oom_killed (memory limit 512Mi)`, `exit code 1`, …).
    pub fn failure_reason(&self) -> Option<String> {
        let reason = self.details.get("reason")?;
        if let Some(oom) = reason.get("oomKilled").filter(|v| !v.is_null()) {
            let limit = oom.get("memoryLimit").and_then(|v| v.as_str());
            return Some(match limit {
                Some(l) => format!("oom_killed (memory limit {})", clip(l)),
                None => "oom_killed".into(),
            });
        }
        if let Some(code) = reason.get("nonZeroExit").and_then(|v| v.as_i64()) {
            return Some(format!("exit code {code}"));
        }
        if reason.get("evicted").and_then(|v| v.as_bool()) == Some(true) {
            return Some("evicted".into());
        }
        if reason.get("earlyExit").and_then(|v| v.as_bool()) == Some(true) {
            return Some("early exit".into());
        }
        if let Some(u) = reason.get("unhealthy").and_then(|v| v.as_str()) {
            return Some(format!("unhealthy: {}", clip(u)));
        }
        if let Some(t) = reason.get("timedOutSeconds").and_then(|v| v.as_i64()) {
            return Some(format!("timed out after {t}s"));
        }
        None
    }

    /// The instance failed and was killed for memory.
    pub fn is_oom(&self) -> bool {
        self.details
            .get("reason")
            .and_then(|r| r.get("oomKilled"))
            .is_some_and(|v| !v.is_null())
    }
}

/// API text is untrusted: keep it short.
fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oom_server_failed_event_names_its_memory_limit() {
        let ev: ServiceEvent = serde_json::from_value(serde_json::json!({
            "id": "evt-1", "serviceId": "srv-1", "timestamp": "2026-01-01T00:00:00Z",
            "type": "server_failed",
            "details": {"instanceID": "srv-1-abc", "reason": {"oomKilled": {"memoryLimit": "512Mi"}}}
        }))
        .unwrap();
        assert!(ev.is_oom());
        assert_eq!(
            ev.failure_reason().as_deref(),
            Some("oom_killed (memory limit 512Mi)")
        );
        let exit: ServiceEvent = serde_json::from_value(serde_json::json!({
            "id": "evt-2", "type": "server_failed", "details": {"reason": {"nonZeroExit": 3}}
        }))
        .unwrap();
        assert!(!exit.is_oom());
        assert_eq!(exit.failure_reason().as_deref(), Some("exit code 3"));
    }

    #[test]
    fn deploy_statuses_split_into_failed_successful_and_running() {
        let d = |s: &str| Deploy {
            id: "dep".into(),
            status: s.into(),
            trigger: None,
            commit: None,
            created_at: None,
            finished_at: None,
        };
        for s in [
            "build_failed",
            "update_failed",
            "pre_deploy_failed",
            "canceled",
        ] {
            assert!(d(s).is_failed(), "{s}");
        }
        assert!(d("live").was_successful() && d("deactivated").was_successful());
        assert!(d("build_in_progress").in_progress());
        assert!(d("some_future_status").in_progress());
    }
}
