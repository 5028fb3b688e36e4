//! Ending processes: TERM to the whole group, a bounded wait, KILL, and every child reaped by its
//! watcher. Used for hung agents and for the supervisor's own shutdown.

use crate::agent_state::Transition;
use crate::event::{AgentId, Event};
use crate::spawn::signal_group;
use crate::supervisor::Supervisor;
use rustix::process::{Pid, Signal, test_kill_process_group};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long to wait for the reaping watchers after the final KILL.
const REAP_WAIT: Duration = Duration::from_secs(2);

/// TERM the group, wait up to `grace` for it to be gone, then KILL it.
pub async fn terminate_group(pid: u32, grace: Duration) {
    signal_group(pid, Signal::TERM);
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline && group_alive(pid) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal_group(pid, Signal::KILL);
}

fn group_alive(pid: u32) -> bool {
    i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .is_some_and(|p| test_kill_process_group(p).is_ok())
}

impl Supervisor {
    /// Stops every agent: no more restarts, TERM to each group, up to `grace_period`, KILL what is
    /// left, and wait until every watcher has reaped its child.
    pub async fn stop_all(&mut self, rx: &mut mpsc::UnboundedReceiver<Event>) {
        self.stopping = true;
        // Held agents keep their retry time so the final status still says when they resume.
        for a in self.agents.iter_mut().filter(|a| !a.life.is_held()) {
            a.wake = None;
        }
        let live = self.agents.iter().filter(|a| a.pid.is_some()).count();
        tracing::info!(agents = live, "shutting down: stopping agents");
        let deadline = tokio::time::Instant::now() + self.config.self_healing.grace_period;
        // Dependants first: each wave is the live agents no other live agent depends on.
        loop {
            let wave = self.next_stop_wave();
            if wave.is_empty() {
                break;
            }
            for pid in wave.iter().filter_map(|&id| self.agents[id].pid) {
                signal_group(pid, Signal::TERM);
            }
            self.drain_exits(rx, deadline, &wave).await;
            let stuck = wave.iter().any(|&id| self.agents[id].pid.is_some());
            if stuck || tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        let left: Vec<u32> = self.agents.iter().filter_map(|a| a.pid).collect();
        if !left.is_empty() {
            tracing::warn!(
                agents = left.len(),
                "grace period over: killing what is left"
            );
            for pid in left {
                signal_group(pid, Signal::KILL);
            }
            let all: Vec<AgentId> = (0..self.agents.len()).collect();
            let reap = tokio::time::Instant::now() + REAP_WAIT;
            self.drain_exits(rx, reap, &all).await;
        }
        // Whatever left the agents' groups (setsid) and was re-parented to us.
        crate::lifetime::stop_all_descendants(self.config.self_healing.grace_period).await;
        for a in &mut self.agents {
            a.go(Transition::Shutdown);
        }
        self.dirty = true;
    }

    /// The agents to stop next: live ones no other live agent depends on (all live ones if a cycle,
    /// which validation rules out, ever left none).
    fn next_stop_wave(&self) -> Vec<AgentId> {
        let live: Vec<AgentId> = (0..self.agents.len())
            .filter(|&i| self.agents[i].pid.is_some())
            .collect();
        let needed: BTreeSet<AgentId> = live.iter().flat_map(|&i| self.dependencies(i)).collect();
        let wave: Vec<AgentId> = live
            .iter()
            .copied()
            .filter(|i| !needed.contains(i))
            .collect();
        if wave.is_empty() { live } else { wave }
    }

    /// Handles events until none of `ids` has a live process or `deadline` passes.
    async fn drain_exits(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<Event>,
        deadline: tokio::time::Instant,
        ids: &[AgentId],
    ) {
        while ids.iter().any(|&id| self.agents[id].pid.is_some()) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(ev)) => self.on_event(ev),
                Ok(None) | Err(_) => break,
            }
        }
    }
}
