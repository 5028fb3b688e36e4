//! Liveness beyond "the process exists": the periodic health pass checks each running agent's
//! `heartbeat_file` age and `health_url`, logs the summary line and refreshes the state files. A
//! failed probe reports `ProbeFailed`; the agent is then restarted like a dead one.

use crate::agent_state::Lifecycle;
use crate::event::Event;
use crate::supervisor::Supervisor;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// Created on first use so agents without `health_url` cost no HTTP client memory.
static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();

/// No idle connections are kept: probes are an `interval` apart, and a kept-alive connection that the
/// agent's server closes just as a probe reuses it would fail that probe and kill a healthy agent.
pub(crate) fn client() -> Option<&'static reqwest::Client> {
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .redirect(healing_core::redirects::same_origin())
                .build()
                .ok()
        })
        .as_ref()
}

/// Whether `health_url` may be probed yet: not before the process has had `start_period` to come up.
pub fn health_probe_due(started_at: SystemTime, start_period: Duration, now: SystemTime) -> bool {
    now.duration_since(started_at).unwrap_or_default() >= start_period
}

/// Why a heartbeat file says the agent is hung (None = fine or too early to tell).
pub fn heartbeat_problem(
    file: &std::path::Path,
    max_age: Duration,
    started_at: SystemTime,
    now: SystemTime,
) -> Option<String> {
    let since_start = now.duration_since(started_at).unwrap_or_default();
    match std::fs::metadata(file).and_then(|m| m.modified()) {
        Ok(mtime) => {
            let age = now.duration_since(mtime).unwrap_or_default();
            let fresh_enough = age <= max_age || since_start <= max_age;
            (!fresh_enough).then(|| format!("heartbeat {} is {age:.0?} old", file.display()))
        }
        Err(_) if since_start > max_age => Some(format!("heartbeat {} missing", file.display())),
        Err(_) => None,
    }
}

impl Supervisor {
    /// Probes `health_url` of agent `id` in the background; the answer arrives as
    /// [`Event::HealthProbe`] (`failure: None` for a 2xx).
    pub(crate) fn spawn_health_probe(&self, id: usize) {
        let a = &self.agents[id];
        let timeout = self.config.self_healing.health_timeout;
        // The client (TLS roots and all) is built only for an agent that has a `health_url`.
        if let Some(url) = &a.cfg.health_url
            && let Some(client) = client()
        {
            let tx = self.tx.clone();
            let generation = a.generation;
            let request = client.get(url.as_str()).timeout(timeout);
            tokio::spawn(async move {
                let failure = match request.send().await {
                    Ok(r) if r.status().is_success() => None,
                    Ok(r) => Some(format!("health check answered {}", r.status())),
                    Err(e) if e.is_timeout() => {
                        Some(format!("health check timed out after {timeout:?}"))
                    }
                    Err(_) => Some("health check failed to connect".to_string()),
                };
                let _ = tx.send(Event::HealthProbe {
                    agent: id,
                    generation,
                    failure,
                });
            });
        }
    }

    /// The periodic pass: heartbeats, summary, state refresh.
    pub fn health_pass(&mut self) {
        let now = self.clock.now();
        for (id, a) in self.agents.iter().enumerate() {
            if a.life != Lifecycle::Running || a.kill_reason.is_some() {
                continue;
            }
            let started = a.started_at.unwrap_or(now);
            if let Some(file) = &a.cfg.heartbeat_file
                && let Some(reason) = heartbeat_problem(file, a.cfg.heartbeat_max_age, started, now)
            {
                let _ = self.tx.send(Event::ProbeFailed {
                    agent: id,
                    generation: a.generation,
                    reason,
                });
            }
            // `health_url` is probed on its own schedule (`health_period`, see `crate::hang`).
        }
        let total = self.agents.len();
        let healthy = self.agents.iter().filter(|a| a.healthy()).count();
        tracing::info!(
            healthy,
            total,
            "Health check complete: {healthy}/{total} agents healthy"
        );
        self.last_health_pass = Some(now);
        self.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_heartbeat_means_hung_but_only_after_the_agent_had_time_to_write_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hb");
        let max = Duration::from_secs(10);
        let now = SystemTime::now();
        // Missing right after start: too early to tell.
        assert_eq!(heartbeat_problem(&file, max, now, now), None);
        // Missing long after start: hung.
        let long_ago = now - Duration::from_secs(60);
        assert!(
            heartbeat_problem(&file, max, long_ago, now)
                .unwrap()
                .contains("missing")
        );
        std::fs::write(&file, b"").unwrap();
        assert_eq!(heartbeat_problem(&file, max, long_ago, now), None);
        let later = now + Duration::from_secs(30);
        assert!(
            heartbeat_problem(&file, max, long_ago, later)
                .unwrap()
                .contains("old")
        );
    }

    #[test]
    fn health_url_is_probed_only_after_the_start_period() {
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let period = Duration::from_secs(10);
        assert!(!health_probe_due(started, period, started));
        assert!(!health_probe_due(
            started,
            period,
            started + Duration::from_millis(9_999)
        ));
        assert!(health_probe_due(started, period, started + period));
        // A clock that went backwards is "just started", not "long ago".
        assert!(!health_probe_due(
            started,
            period,
            started - Duration::from_secs(60)
        ));
        assert!(health_probe_due(started, Duration::ZERO, started));
    }
}
