//! Start order (`agents[].depends_on`): an agent starts only once each dependency is ready — its
//! `health_url` answers 2xx, or its `heartbeat_file` was touched since it started, or (with neither)
//! it has run for `ready_after`. While a dependency is down, its dependants' exits are not failures:
//! they wait for it instead of spending their budget. Shutdown order lives in [`crate::shutdown`].

use crate::agent::Wake;
use crate::agent_state::{Lifecycle, Transition};
use crate::event::{AgentId, Event};
use crate::supervisor::Supervisor;
use std::time::{Duration, SystemTime};

/// How often an agent waiting for its dependencies checks them again.
const DEPS_POLL: Duration = Duration::from_millis(200);

impl Supervisor {
    /// The live agents `id` depends on (config validation guarantees they exist).
    pub(crate) fn dependencies(&self, id: AgentId) -> Vec<AgentId> {
        let deps = &self.agents[id].cfg.depends_on;
        (0..self.agents.len())
            .filter(|&d| !self.agents[d].removed && deps.contains(&self.agents[d].cfg.name))
            .collect()
    }

    /// The dependencies of `id` that are not ready yet, by name.
    pub(crate) fn unready_dependencies(&mut self, id: AgentId) -> Vec<String> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for d in self.dependencies(id) {
            if !self.is_ready(d, now) {
                out.push(self.agents[d].cfg.name.clone());
            }
        }
        out
    }

    /// Whether dependants of `id` may start. A `health_url` is asked in the background; its answer
    /// arrives as [`Event::Ready`].
    fn is_ready(&mut self, id: AgentId, now: SystemTime) -> bool {
        let agent = &mut self.agents[id];
        if agent.pid.is_none() || agent.life != Lifecycle::Running {
            return false;
        }
        if agent.ready {
            return true;
        }
        let started = agent.started_at.unwrap_or(now);
        let ready = if let Some(url) = &agent.cfg.health_url {
            if !agent.ready_probe {
                agent.ready_probe = true;
                spawn_ready_probe(self.tx.clone(), id, agent.generation, url.clone());
            }
            false
        } else if let Some(file) = &agent.cfg.heartbeat_file {
            std::fs::metadata(file)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= started)
        } else {
            now.duration_since(started).unwrap_or_default() >= agent.cfg.ready_after
        };
        agent.ready = ready;
        ready
    }

    /// A readiness probe answered.
    pub(crate) fn on_ready(&mut self, id: AgentId, generation: u64, ok: bool) {
        let agent = &mut self.agents[id];
        if agent.generation == generation {
            agent.ready_probe = false;
            agent.ready |= ok;
        }
    }

    /// When a dependency of `id` is not ready: holds it as waiting (checked every [`DEPS_POLL`]) and
    /// returns true. Otherwise false: the caller starts it.
    pub(crate) fn wait_for_dependencies(&mut self, id: AgentId) -> bool {
        let waiting = self.unready_dependencies(id);
        if waiting.is_empty() {
            self.agents[id].waiting_for.clear();
            return false;
        }
        let name = self.agents[id].cfg.name.clone();
        if self.agents[id].waiting_for != waiting {
            tracing::info!(agent = %name, "{name} waits for {}", waiting.join(", "));
        }
        let now = self.clock.now();
        let agent = &mut self.agents[id];
        agent.waiting_for = waiting;
        agent.wake = Some((now + DEPS_POLL, Wake::Dependencies));
        self.dirty = true;
        true
    }

    /// The dependencies timer: start the agent once they are all ready.
    pub(crate) fn on_dependencies_timer(&mut self, id: AgentId) {
        if self.agents[id].pid.is_some() || self.wait_for_dependencies(id) {
            return;
        }
        let name = self.agents[id].cfg.name.clone();
        self.agents[id].go(Transition::Prepare);
        if self.spawn_agent(id) {
            tracing::info!(agent = %name, pid = ?self.agents[id].pid, "Started {name} (dependencies ready)");
        }
    }

    /// An agent ended while one of its dependencies is down: not a failure of its own. It waits for
    /// the dependency instead of being judged by the healer. Returns false when all are up.
    pub(crate) fn exit_while_dependency_down(&mut self, id: AgentId) -> bool {
        if self
            .dependencies(id)
            .iter()
            .all(|&d| self.agents[d].pid.is_some())
        {
            return false;
        }
        let name = self.agents[id].cfg.name.clone();
        self.healer.forget_attempt(&name);
        self.agents[id].run_cause = None;
        self.wait_for_dependencies(id);
        let deps = self.agents[id].waiting_for.join(", ");
        tracing::warn!(agent = %name, "{name} stopped while {deps} is down: not counted, waiting for it");
        self.record(
            &name,
            "waiting",
            None,
            None,
            None,
            &format!("stopped while {deps} is down; not counted as a failure"),
        );
        true
    }
}

fn spawn_ready_probe(
    tx: tokio::sync::mpsc::UnboundedSender<Event>,
    agent: AgentId,
    generation: u64,
    url: String,
) {
    tokio::spawn(async move {
        let ok = match crate::health_probe::client() {
            Some(c) => c
                .get(url.as_str())
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success()),
            None => false,
        };
        let _ = tx.send(Event::Ready {
            agent,
            generation,
            ok,
        });
    });
}
