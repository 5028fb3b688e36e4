//! Reading a Render service's deploys and events: what failed, what is new, and what is still broken.
//!
//! A failed deploy or a `server_failed` event is alerted exactly once per id, across runs: the ids already
//! alerted are remembered in the state file ([`Remembered`]), bounded so that the file cannot grow forever.

use healing_core::render::{Deploy, Service, ServiceEvent};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Ids kept per kind; far more than a few pages of deploys or an hour of events.
const REMEMBER_LIMIT: usize = 500;

/// Ids already alerted, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    /// Failed deploys (`dep-…`) already alerted.
    #[serde(default)]
    pub deploys: VecDeque<String>,
    /// `server_failed` events (`evt-…`) already alerted.
    #[serde(default)]
    pub events: VecDeque<String>,
}

impl Remembered {
    /// Records `id`; true when it was not known yet (so the caller alerts).
    fn first_time(list: &mut VecDeque<String>, id: &str) -> bool {
        if list.iter().any(|known| known == id) {
            return false;
        }
        list.push_back(id.to_string());
        while list.len() > REMEMBER_LIMIT {
            list.pop_front();
        }
        true
    }
}

/// What one Render service looks like after reading its deploys and events.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    /// Failed deploys not alerted before.
    pub new_failed_deploys: Vec<Deploy>,
    /// `server_failed` events not alerted before.
    pub new_server_failures: Vec<ServiceEvent>,
    /// The newest deploy that finished (newest in-progress ones say nothing yet).
    pub latest_finished: Option<Deploy>,
    /// The newest deploy that went live (a redeploy target).
    pub last_successful: Option<Deploy>,
    /// The newest instance event is a `server_failed`: the service is down right now.
    pub crashed: Option<ServiceEvent>,
}

impl Assessment {
    /// The newest finished deploy failed: what is running is not what was meant to run.
    pub fn deploy_failing(&self) -> bool {
        self.latest_finished.as_ref().is_some_and(Deploy::is_failed)
    }
}

/// Events that tell whether an instance is up; the newest of them decides.
fn is_instance_event(event_type: &str) -> bool {
    matches!(
        event_type,
        "server_failed" | "server_available" | "server_restarted" | "deploy_ended"
    )
}

/// Reads deploys (newest first, as Render lists them) and events (any order) against what was already
/// alerted, recording the new ids in `memory`.
pub fn assess(deploys: &[Deploy], events: &[ServiceEvent], memory: &mut Remembered) -> Assessment {
    let mut out = Assessment {
        latest_finished: deploys.iter().find(|d| !d.in_progress()).cloned(),
        last_successful: deploys.iter().find(|d| d.was_successful()).cloned(),
        ..Assessment::default()
    };
    for deploy in deploys.iter().filter(|d| d.is_failed()) {
        if Remembered::first_time(&mut memory.deploys, &deploy.id) {
            out.new_failed_deploys.push(deploy.clone());
        }
    }
    for event in events.iter().filter(|e| e.event_type == "server_failed") {
        if Remembered::first_time(&mut memory.events, &event.id) {
            out.new_server_failures.push(event.clone());
        }
    }
    // RFC 3339 timestamps from one API share one format, so they order as strings.
    out.crashed = events
        .iter()
        .filter(|e| is_instance_event(&e.event_type))
        .max_by(|a, b| a.timestamp.cmp(&b.timestamp))
        .filter(|e| e.event_type == "server_failed")
        .cloned();
    out
}

/// The alert title for a failed deploy.
pub fn deploy_title(service: &Service, deploy: &Deploy) -> String {
    format!(
        "Render deploy {} of {}: {}",
        deploy.id,
        label(service),
        deploy.status
    )
}

/// The alert title for a failed instance.
pub fn event_title(service: &Service, event: &ServiceEvent) -> String {
    let reason = event
        .failure_reason()
        .unwrap_or_else(|| "unknown reason".into());
    format!("Render instance of {} failed: {reason}", label(service))
}

/// `name (srv-…)`, or the id alone.
pub fn label(service: &Service) -> String {
    if service.name.is_empty() {
        service.id.clone()
    } else {
        format!("{} ({})", service.name, service.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(id: &str, status: &str) -> Deploy {
        serde_json::from_value(serde_json::json!({"id": id, "status": status})).unwrap()
    }

    fn event(id: &str, ty: &str, at: &str) -> ServiceEvent {
        serde_json::from_value(serde_json::json!({
            "id": id, "type": ty, "timestamp": at,
            "details": {"reason": {"nonZeroExit": 1}}
        }))
        .unwrap()
    }

    #[test]
    fn a_failed_deploy_is_reported_once_across_passes() {
        let mut memory = Remembered::default();
        let deploys = [
            deploy("dep-3", "build_in_progress"),
            deploy("dep-2", "build_failed"),
            deploy("dep-1", "live"),
        ];
        let first = assess(&deploys, &[], &mut memory);
        assert_eq!(first.new_failed_deploys.len(), 1);
        assert!(first.deploy_failing());
        assert_eq!(first.last_successful.unwrap().id, "dep-1");
        let second = assess(&deploys, &[], &mut memory);
        assert!(second.new_failed_deploys.is_empty());
        assert!(second.deploy_failing(), "still failing, just not news");
    }

    #[test]
    fn a_later_live_deploy_clears_the_failure() {
        let mut memory = Remembered::default();
        let deploys = [deploy("dep-3", "live"), deploy("dep-2", "update_failed")];
        let a = assess(&deploys, &[], &mut memory);
        assert!(!a.deploy_failing());
        assert_eq!(a.new_failed_deploys.len(), 1, "still worth one alert");
    }

    #[test]
    fn a_server_failed_followed_by_server_available_is_not_a_crash() {
        let mut memory = Remembered::default();
        let recovered = [
            event("evt-1", "server_failed", "2026-01-01T00:00:00Z"),
            event("evt-2", "server_available", "2026-01-01T00:01:00Z"),
        ];
        let a = assess(&[], &recovered, &mut memory);
        assert!(a.crashed.is_none());
        assert_eq!(a.new_server_failures.len(), 1);
        let down = [
            event("evt-3", "server_failed", "2026-01-01T00:02:00Z"),
            recovered[1].clone(),
        ];
        assert_eq!(assess(&[], &down, &mut memory).crashed.unwrap().id, "evt-3");
    }

    #[test]
    fn remembered_ids_stay_bounded() {
        let mut memory = Remembered::default();
        for i in 0..(REMEMBER_LIMIT + 50) {
            assess(&[deploy(&format!("dep-{i}"), "canceled")], &[], &mut memory);
        }
        assert_eq!(memory.deploys.len(), REMEMBER_LIMIT);
        assert_eq!(memory.deploys.front().map(String::as_str), Some("dep-50"));
    }
}
