//! The healing decisions as a pure state machine: exits, stable runs and fix results go in with a
//! `now`; restart times and holds come out. No process, file or network I/O happens here, so every
//! rule (backoff curve, hourly budget, breaker, treatment classes, correlation) is tested with a
//! hand-driven clock.

use crate::correlation::Correlator;
pub use crate::decision::{Decision, HoldReason};
use healing_core::backoff::Backoff;
use healing_core::breaker::{Admission, Breaker, BreakerState};
use healing_core::budget::RestartBudget;
use healing_core::config::{BreakerConfig, RestartConfig};
use healing_core::duration_bound::later;
use healing_core::incident::Incident;
use healing_core::kind::Treatment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// Breakers kept before idle dependency breakers are forgotten.
pub const MAX_BREAKERS: usize = 256;

/// The settings the decisions depend on.
#[derive(Debug, Clone)]
pub struct HealerConfig {
    /// Backoff curves and the hourly budget.
    pub restart: RestartConfig,
    /// Breaker threshold and cooldown.
    pub breaker: BreakerConfig,
    /// Uptime after which a restart counts as a success.
    pub stable_after: Duration,
    /// Window for correlating failures on one dependency.
    pub correlation_window: Duration,
}

/// What survives a restart of the binary (part of `self_healing_state.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Persisted {
    /// Breakers by key (`agent:<name>` or `dependency:<dep>`).
    #[serde(default)]
    pub breakers: BTreeMap<String, Breaker>,
    /// Restart timestamps of the last hour, per agent.
    #[serde(default)]
    pub restart_windows: BTreeMap<String, RestartBudget>,
    /// Consecutive failed attempts, per agent (position on the backoff curve).
    #[serde(default)]
    pub backoff_attempts: BTreeMap<String, u32>,
}

/// A restart whose success is not known yet.
#[derive(Debug, Clone)]
struct InFlight {
    started_at: SystemTime,
    breaker_key: String,
}

/// All healing decisions for all agents.
#[derive(Debug)]
pub struct Healer {
    cfg: HealerConfig,
    state: Persisted,
    in_flight: BTreeMap<String, InFlight>,
    correlator: Correlator,
}

/// The breaker key an incident is counted against: the shared dependency when it names one.
pub fn breaker_key(agent: &str, cause: &Incident) -> String {
    match cause.dependency() {
        Some(dep) => format!("dependency:{dep}"),
        None => format!("agent:{agent}"),
    }
}

impl Healer {
    /// A healer resuming from persisted state.
    pub fn new(cfg: HealerConfig, state: Persisted) -> Self {
        let correlator = Correlator::new(cfg.correlation_window);
        Self {
            cfg,
            state,
            in_flight: BTreeMap::new(),
            correlator,
        }
    }

    /// New settings from a reload; breakers, budgets and backoff positions are kept.
    pub fn set_config(&mut self, cfg: HealerConfig) {
        if cfg.correlation_window != self.cfg.correlation_window {
            self.correlator = Correlator::new(cfg.correlation_window);
        }
        self.cfg = cfg;
    }

    /// What to persist.
    pub fn persisted(&self) -> &Persisted {
        &self.state
    }

    /// Whether an agent may be spawned at start-up, given what an earlier run of the binary left:
    /// `None` = spawn now; a hold when its breaker is open or its hourly budget is spent.
    pub fn at_boot(&mut self, agent: &str, now: SystemTime) -> Option<Decision> {
        let key = format!("agent:{agent}");
        let open = self
            .state
            .breakers
            .get(&key)
            .is_some_and(|b| b.state(now, &self.cfg.breaker) != BreakerState::Closed);
        let spent = !self
            .budget(agent)
            .allows(now, self.cfg.restart.max_per_hour);
        if open || spent {
            Some(self.admit(agent, key, Treatment::Restart, now))
        } else {
            None
        }
    }

    /// The agent's process ended (or was killed as hung) with `cause`. `fix_refused` says the policy
    /// refused the planned fix.
    pub fn on_exit(
        &mut self,
        agent: &str,
        cause: &Incident,
        fix_refused: bool,
        now: SystemTime,
    ) -> Decision {
        if let Some(prev) = self.in_flight.remove(agent) {
            if now < later(prev.started_at, self.cfg.stable_after) {
                self.record_failure(agent, &prev.breaker_key, now);
            } else {
                self.record_success(agent, &prev.breaker_key, now);
            }
        }
        self.prune(now);
        let key = breaker_key(agent, cause);
        let treatment = cause.kind.treatment();
        if treatment == Treatment::NeedsHuman || fix_refused {
            return Decision::Hold {
                reason: HoldReason::NeedsAttention,
                retry_at: Some(self.attention_retry_at(now)),
                breaker_key: key,
            };
        }
        self.admit(agent, key, treatment, now)
    }

    /// A hold's `retry_at` has come: ask again for the same cause.
    pub fn retry(&mut self, agent: &str, cause: &Incident, now: SystemTime) -> Decision {
        self.admit(
            agent,
            breaker_key(agent, cause),
            cause.kind.treatment(),
            now,
        )
    }

    /// When a `needs_attention` hold that starts now gets its trial restart.
    ///
    /// Such a hold is never forever: the cause (a syntax error, a missing env var, a refused install)
    /// is something a human fixes outside the supervisor — a deploy, a new secret, a manual install —
    /// and nothing tells the supervisor it happened. So after `breaker.reset_after` the agent gets one
    /// trial restart; if the cause is still there it fails fast and is held again for another period.
    pub fn attention_retry_at(&self, now: SystemTime) -> SystemTime {
        later(now, self.cfg.breaker.reset_after)
    }

    /// The trial restart of a `needs_attention` hold (see [`Healer::attention_retry_at`]): now, unless
    /// the hourly budget is spent. The breaker is not consulted: the hold already stopped the loop.
    pub fn attention_trial(&mut self, agent: &str, cause: &Incident, now: SystemTime) -> Decision {
        let key = breaker_key(agent, cause);
        let max = self.cfg.restart.max_per_hour;
        let budget = self.budget(agent);
        if !budget.allows(now, max) {
            return Decision::Hold {
                reason: HoldReason::Budget,
                retry_at: budget.next_allowed(now, max),
                breaker_key: key,
            };
        }
        let attempts = self.state.backoff_attempts.get(agent).copied().unwrap_or(0);
        Decision::Restart {
            at: now,
            attempt: attempts + 1,
            trial: false,
            breaker_key: key,
            fix_first: false,
        }
    }

    /// The planned fix failed, or the spawn failed for want of a resource: a failed attempt, then
    /// decide again on the backoff curve.
    pub fn on_failed_attempt(
        &mut self,
        agent: &str,
        cause: &Incident,
        now: SystemTime,
    ) -> Decision {
        let key = breaker_key(agent, cause);
        self.record_failure(agent, &key, now);
        self.admit(agent, key, Treatment::Restart, now)
    }

    /// Counts a start against the agent's hourly budget. Called before the spawn (and persisted by
    /// the caller before it), so no start escapes the count however the supervisor dies.
    pub fn count_start(&mut self, agent: &str, now: SystemTime) {
        self.state
            .restart_windows
            .entry(agent.to_string())
            .or_default()
            .record(now);
    }

    /// The agent was respawned by a restart decision (its start was counted by
    /// [`Healer::count_start`]).
    pub fn on_restarted(&mut self, agent: &str, breaker_key: &str, now: SystemTime) {
        self.in_flight.insert(
            agent.to_string(),
            InFlight {
                started_at: now,
                breaker_key: breaker_key.to_string(),
            },
        );
    }

    /// The running attempt ended for a reason that is not the agent's (a dependency went down).
    pub fn forget_attempt(&mut self, agent: &str) {
        self.in_flight.remove(agent);
    }

    /// The operator stopped or restarted the agent: the running attempt is neither a success nor a
    /// failure, and the backoff curve starts over.
    pub fn operator_reset(&mut self, agent: &str) {
        self.in_flight.remove(agent);
        self.state.backoff_attempts.remove(agent);
    }

    /// The operator resumes a held agent: its breaker (`key`, which may be a shared dependency's) and
    /// its own, its hourly budget and its backoff are cleared, so the next start is a fresh one.
    pub fn resume(&mut self, agent: &str, key: &str) {
        self.operator_reset(agent);
        self.state.breakers.remove(key);
        self.state.breakers.remove(&format!("agent:{agent}"));
        self.state.restart_windows.remove(agent);
    }

    /// When the agent's running restart will count as a success (if it keeps running).
    pub fn stable_at(&self, agent: &str) -> Option<SystemTime> {
        self.in_flight
            .get(agent)
            .map(|f| later(f.started_at, self.cfg.stable_after))
    }

    /// Called once the agent has run for `stable_after`: true when a restart attempt just succeeded.
    pub fn on_stable(&mut self, agent: &str, now: SystemTime) -> bool {
        match self.in_flight.get(agent) {
            Some(f) if now >= later(f.started_at, self.cfg.stable_after) => {
                let key = f.breaker_key.clone();
                self.in_flight.remove(agent);
                self.record_success(agent, &key, now);
                true
            }
            _ => false,
        }
    }

    /// Breaker state for a key.
    pub fn breaker_state(&self, key: &str, now: SystemTime) -> BreakerState {
        self.state
            .breakers
            .get(key)
            .map(|b| b.state(now, &self.cfg.breaker))
            .unwrap_or(BreakerState::Closed)
    }

    /// When an open breaker lets its one trial through (None unless it is open now).
    pub fn breaker_next_trial(&self, key: &str, now: SystemTime) -> Option<SystemTime> {
        let breaker = self.state.breakers.get(key)?;
        if breaker.state(now, &self.cfg.breaker) != BreakerState::Open {
            return None;
        }
        breaker.opened_at()?.checked_add(self.cfg.breaker.cooldown)
    }

    /// Restarts in the last hour.
    pub fn restarts_last_hour(&self, agent: &str, now: SystemTime) -> u32 {
        self.budget(agent).count(now)
    }

    /// Agents correlated on a dependency key in its current round.
    pub fn correlated(&self, key: &str) -> Vec<String> {
        self.correlator.agents(key)
    }

    /// Keeps the maps keyed by dependencies (text from the logs) bounded: beyond [`MAX_BREAKERS`],
    /// dependency breakers that are closed and clean are forgotten (they hold no information), and
    /// expired correlation rounds.
    fn prune(&mut self, now: SystemTime) {
        self.correlator.prune(now);
        if self.state.breakers.len() <= MAX_BREAKERS {
            return;
        }
        let cfg = &self.cfg.breaker;
        // Clean closed ones first, then closed ones with a few failures; open breakers stay.
        for clean_only in [true, false] {
            let closed: Vec<String> = self
                .state
                .breakers
                .iter()
                .filter(|(k, b)| {
                    k.starts_with("dependency:")
                        && (!clean_only || b.failures() == 0)
                        && b.state(now, cfg) == BreakerState::Closed
                })
                .map(|(k, _)| k.clone())
                .collect();
            let excess = self.state.breakers.len().saturating_sub(MAX_BREAKERS);
            for k in closed.into_iter().take(excess) {
                self.state.breakers.remove(&k);
            }
        }
    }

    fn budget(&self, agent: &str) -> RestartBudget {
        self.state
            .restart_windows
            .get(agent)
            .cloned()
            .unwrap_or_default()
    }

    fn record_failure(&mut self, agent: &str, key: &str, now: SystemTime) {
        *self
            .state
            .backoff_attempts
            .entry(agent.to_string())
            .or_default() += 1;
        if self.correlator.count_failure(key, agent, now) {
            let breaker = self.state.breakers.entry(key.to_string()).or_default();
            breaker.on_failure(now, &self.cfg.breaker);
        }
    }

    fn record_success(&mut self, agent: &str, key: &str, now: SystemTime) {
        self.state.backoff_attempts.remove(agent);
        if let Some(b) = self.state.breakers.get_mut(key) {
            b.on_success(now, &self.cfg.breaker);
        }
    }

    fn admit(
        &mut self,
        agent: &str,
        key: String,
        treatment: Treatment,
        now: SystemTime,
    ) -> Decision {
        let max = self.cfg.restart.max_per_hour;
        let budget = self.budget(agent);
        if !budget.allows(now, max) {
            return Decision::Hold {
                reason: HoldReason::Budget,
                retry_at: budget.next_allowed(now, max),
                breaker_key: key,
            };
        }
        let breaker = self.state.breakers.entry(key.clone()).or_default();
        let trial = match breaker.admit(now, &self.cfg.breaker) {
            Admission::Allowed => false,
            Admission::Trial => true,
            Admission::Rejected { retry_at } => {
                return Decision::Hold {
                    reason: HoldReason::CircuitOpen,
                    retry_at: Some(retry_at),
                    breaker_key: key,
                };
            }
        };
        let attempts = self.state.backoff_attempts.get(agent).copied().unwrap_or(0);
        let delay = match treatment {
            Treatment::FixThenRestart if attempts == 0 => Duration::ZERO,
            Treatment::Transient => Backoff::retry_curve(&self.cfg.restart).delay_random(attempts),
            _ => Backoff::from_restart(&self.cfg.restart).delay_random(attempts),
        };
        Decision::Restart {
            at: later(now, delay),
            attempt: attempts + 1,
            trial,
            breaker_key: key,
            fix_first: treatment == Treatment::FixThenRestart,
        }
    }
}

#[cfg(test)]
#[path = "healer_tests.rs"]
mod tests;
