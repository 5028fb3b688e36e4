//! Ending processes: TERM to the whole group, a bounded wait, KILL, and every child reaped by its
//! watcher. Used for hung agents and for the supervisor's own shutdown.

use crate::agent_state::Transition;
use crate::event::Event;
use crate::spawn::signal_group;
use crate::supervisor::Supervisor;
use rustix::process::{Pid, Signal, test_kill_process_group};
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
        let live: Vec<u32> = self.agents.iter().filter_map(|a| a.pid).collect();
        tracing::info!(agents = live.len(), "shutting down: stopping agents");
        for pid in &live {
            signal_group(*pid, Signal::TERM);
        }
        let grace = self.config.self_healing.grace_period;
        self.drain_exits(rx, grace).await;
        let left: Vec<u32> = self.agents.iter().filter_map(|a| a.pid).collect();
        if !left.is_empty() {
            tracing::warn!(
                agents = left.len(),
                "grace period over: killing what is left"
            );
            for pid in left {
                signal_group(pid, Signal::KILL);
            }
            self.drain_exits(rx, REAP_WAIT).await;
        }
        // Whatever left the agents' groups (setsid) and was re-parented to us.
        crate::lifetime::stop_all_descendants(grace).await;
        for a in &mut self.agents {
            a.go(Transition::Shutdown);
        }
        self.dirty = true;
    }

    /// Handles events until no agent has a live process or `limit` passes.
    async fn drain_exits(&mut self, rx: &mut mpsc::UnboundedReceiver<Event>, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.agents.iter().any(|a| a.pid.is_some()) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(ev)) => self.on_event(ev),
                Ok(None) | Err(_) => break,
            }
        }
    }
}
