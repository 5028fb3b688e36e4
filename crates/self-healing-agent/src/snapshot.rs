//! Building the state documents from the supervisor's in-memory state.

use crate::healer::breaker_key;
use crate::output::lock;
use crate::state_docs::{
    AgentStatus, AgentStatusDoc, LastExit, LastIncident, SelfHealingDoc, Snapshot, Summary, rfc3339,
};
use crate::supervisor::Supervisor;
use healing_core::breaker::BreakerState;
use std::collections::BTreeMap;

/// `RENDER_INSTANCE_ID`, else the hostname.
pub fn instance_name() -> String {
    std::env::var("RENDER_INSTANCE_ID")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn breaker_name(s: BreakerState) -> &'static str {
    match s {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

impl Supervisor {
    /// Both documents as of now.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.clock.now();
        let mut agents = BTreeMap::new();
        for a in self.agents.iter().filter(|a| !a.removed) {
            let name = &a.cfg.name;
            let key = a
                .cause
                .as_ref()
                .map(|c| breaker_key(name, c))
                .unwrap_or_else(|| format!("agent:{name}"));
            agents.insert(
                name.clone(),
                AgentStatus {
                    status: a.life.as_str(),
                    healthy: a.healthy(),
                    pid: a.pid,
                    pid_start_ticks: a.pid_start_ticks.filter(|_| a.pid.is_some()),
                    started_at: a.started_at.filter(|_| a.pid.is_some()).map(rfc3339),
                    uptime_secs: a
                        .started_at
                        .filter(|_| a.pid.is_some())
                        .and_then(|s| now.duration_since(s).ok())
                        .map(|d| d.as_secs_f64()),
                    restarts_last_hour: self.healer.restarts_last_hour(name, now),
                    restart_budget: self.config.restart.max_per_hour,
                    output_lines_dropped: a.log.as_ref().map_or(0, |l| lock(l).dropped()),
                    last_exit: a.last_exit.as_ref().map(|e| LastExit {
                        code: e.code,
                        signal: e.signal,
                        at: rfc3339(e.at),
                    }),
                    last_incident: a.last_incident.as_ref().map(|(i, at)| LastIncident {
                        kind: i.kind.to_string(),
                        severity: i.severity.to_string(),
                        line: i.line.clone(),
                        detail: i.detail.clone(),
                        fingerprint: i.fingerprint.clone(),
                        at: rfc3339(*at),
                    }),
                    next_retry_at: a.wake.as_ref().map(|w| rfc3339(w.0)),
                    breaker: breaker_name(self.healer.breaker_state(&key, now)),
                    breaker_next_trial_at: self.healer.breaker_next_trial(&key, now).map(rfc3339),
                    stopped_by: a.operator_stopped.then_some("operator"),
                    muted_until: a
                        .muted_until
                        .filter(|_| crate::mute::is_muted(a, now))
                        .map(rfc3339),
                    waiting_for: a.waiting_for.clone(),
                },
            );
        }
        let live = || self.agents.iter().filter(|a| !a.removed);
        let healthy = live().filter(|a| a.healthy()).count();
        let held = live().filter(|a| a.life.is_held()).count();
        Snapshot {
            taken_at: now,
            seq: self
                .snapshot_seq
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            status: AgentStatusDoc {
                instance: instance_name(),
                summary: Summary {
                    total: agents.len(),
                    healthy,
                    held,
                },
                agents,
            },
            state: SelfHealingDoc {
                started_at: Some(rfc3339(self.started_at)),
                last_health_pass: self.last_health_pass.map(rfc3339),
                persisted: self.healer.persisted().clone(),
                history: self.history.clone(),
                counters: self.counters.clone(),
                follow_offsets: lock(&self.follow_offsets).clone(),
                clean_shutdown: false,
                config: Some(self.config_info.clone()),
                proposals: self.proposal_docs(),
                operator_stopped: self
                    .agents
                    .iter()
                    .filter(|a| a.operator_stopped && !a.removed)
                    .map(|a| a.cfg.name.clone())
                    .collect(),
            },
        }
    }
}
