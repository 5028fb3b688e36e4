//! The event loop: one task waits on events, agent timers, the health pass and the snapshot
//! deadline, and dispatches each to the supervisor's reactions.

use crate::agent::Wake;
use crate::event::Event;
use crate::supervisor::Supervisor;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

impl Supervisor {
    /// The earliest pending agent timer.
    fn next_wake(&self) -> Option<SystemTime> {
        let timers = self
            .agents
            .iter()
            .filter_map(|a| a.wake.as_ref().map(|w| w.0));
        let stable = self
            .agents
            .iter()
            .filter(|a| a.pid.is_some())
            .filter_map(|a| self.healer.stable_at(&a.cfg.name));
        let probes = self
            .agents
            .iter()
            .filter(|a| a.pid.is_some())
            .filter_map(|a| a.next_probe);
        let proposals = self.proposals.values().map(|p| p.expires_at);
        timers.chain(stable).chain(probes).chain(proposals).min()
    }

    /// Fires every due timer.
    fn on_timers(&mut self) {
        let now = self.clock.now();
        self.probes_due(now);
        self.expire_proposals(now);
        for id in 0..self.agents.len() {
            let name = self.agents[id].cfg.name.clone();
            if self.agents[id].pid.is_some()
                && self.healer.stable_at(&name).is_some_and(|t| t <= now)
                && self.healer.on_stable(&name, now)
            {
                tracing::info!(agent = %name, "✅ {name} is stable again");
                self.record(
                    &name,
                    "breaker_closed",
                    None,
                    None,
                    None,
                    "restart succeeded",
                );
                self.dirty = true;
            }
            let due = self.agents[id]
                .wake
                .as_ref()
                .is_some_and(|(at, _)| *at <= now);
            if !due || self.stopping {
                continue;
            }
            match self.agents[id].wake.take().map(|w| w.1) {
                Some(Wake::Restart {
                    breaker_key,
                    attempt,
                    trial,
                }) => self.restart_now(id, &breaker_key, attempt, trial),
                Some(Wake::Retry) => self.retry_hold(id),
                Some(Wake::Dependencies) => self.on_dependencies_timer(id),
                None => {}
            }
        }
    }

    /// The event loop. Returns when `shutdown` fires (agents are then stopped by the caller).
    pub async fn run(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<Event>,
        shutdown: &CancellationToken,
    ) {
        let interval = self
            .config
            .self_healing
            .interval
            .max(Duration::from_millis(100));
        let next = |from: tokio::time::Instant| {
            from.checked_add(interval)
                .unwrap_or(from + healing_core::duration_bound::MAX)
        };
        let mut next_pass = next(tokio::time::Instant::now());
        self.publish();
        let mut last_publish = tokio::time::Instant::now();
        loop {
            // Under a flood of events the snapshot is built at most every PUBLISH_EVERY, not per event.
            let publish_at = self
                .dirty
                .then_some(last_publish + crate::publishing::PUBLISH_EVERY);
            let wake_in = self
                .next_wake()
                .map(|t| t.duration_since(self.clock.now()).unwrap_or(Duration::ZERO));
            let timer = async {
                match wake_in {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                ev = rx.recv() => match ev {
                    Some(ev) => self.on_event(ev),
                    None => return,
                },
                _ = timer => self.on_timers(),
                _ = tokio::time::sleep_until(next_pass) => {
                    next_pass = next(tokio::time::Instant::now());
                    self.health_pass();
                }
                _ = async { tokio::time::sleep_until(publish_at.unwrap_or(next_pass)).await }, if publish_at.is_some() => {}
            }
            if publish_at.is_none_or(|at| tokio::time::Instant::now() >= at) && self.dirty {
                self.publish();
                last_publish = tokio::time::Instant::now();
            }
        }
    }

    /// Dispatches one event.
    pub fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Exited {
                agent,
                generation,
                exit,
                incidents,
            } => self.on_exit(agent, generation, exit, incidents),
            Event::Incidents {
                agent,
                generation,
                incidents,
            } => {
                self.backlog.release();
                self.on_incidents(agent, generation, incidents);
            }
            Event::LogIncidents { agent, incidents } => {
                self.backlog.release();
                self.on_log_incidents(agent, incidents);
            }
            Event::FollowProgress => self.dirty = true,
            Event::FixDone { target, outcome } => self.on_fix_done(target, outcome),
            Event::ProbeFailed {
                agent,
                generation,
                reason,
            } => self.on_probe_failed(agent, generation, reason),
            Event::HealthProbe {
                agent,
                generation,
                failure,
            } => self.on_health_probe(agent, generation, failure),
            Event::HangDump {
                agent,
                generation,
                text,
            } => self.on_hang_dump(agent, generation, text),
            Event::Ready {
                agent,
                generation,
                ok,
            } => self.on_ready(agent, generation, ok),
            Event::Control {
                request,
                source,
                reply,
            } => self.on_control(request, source, reply),
        }
    }
}
