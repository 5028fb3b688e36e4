//! The circuit breaker that stops a failing fix (or a failing dependency) from being retried in a loop.
//!
//! closed → open after `failure_threshold` failures; open → half-open after `cooldown`, where exactly one
//! guarded trial is admitted; the trial's success closes the breaker, its failure re-opens it (and the
//! cooldown starts again). `reset_after` without a failure forgets the count. Every transition is one row
//! of [`transition`]; the methods only feed it events and apply its effects. Time is always passed in and
//! the whole breaker is serde, so it survives a restart of the supervisor.

use crate::config::BreakerConfig;
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// The state shown in status documents.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// The states the transition table works on: half-open split by whether the one trial is in flight.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Closed,
    Open,
    HalfOpen,
    Trial,
}

/// What happened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Event {
    /// Someone asks to act.
    Admit,
    /// A fix attempt (or the trial) succeeded.
    Success,
    /// A fix attempt failed; `threshold_reached` when this failure makes `failure_threshold`.
    Failure { threshold_reached: bool },
    /// `cooldown` has passed since the breaker opened.
    CooldownElapsed,
    /// The trial has not reported within `cooldown` (e.g. the supervisor restarted mid-trial).
    TrialExpired,
    /// `reset_after` has passed since the last failure.
    QuietPeriodElapsed,
}

/// What the breaker does about it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Effect {
    Nothing,
    /// Let the action through.
    Allow,
    /// Let the one trial through and remember it is in flight.
    StartTrial,
    /// Refuse the action.
    Reject,
    /// Count the failure.
    CountFailure,
    /// Count the failure and (re)start the cooldown.
    Trip,
    /// Forget every count.
    Close,
    /// Forget the failure count (the breaker was quiet for `reset_after`).
    Forget,
}

/// The whole state machine. Anything not listed leaves the state unchanged and does nothing.
pub fn transition(phase: Phase, event: Event) -> (Phase, Effect) {
    use Effect as E;
    use Event::*;
    use Phase::*;
    match (phase, event) {
        (Closed, Admit) => (Closed, E::Allow),
        (
            Closed,
            Failure {
                threshold_reached: false,
            },
        ) => (Closed, E::CountFailure),
        (
            Closed,
            Failure {
                threshold_reached: true,
            },
        ) => (Open, E::Trip),
        (Closed, QuietPeriodElapsed) => (Closed, E::Forget),
        (Open, Admit) => (Open, E::Reject),
        (Open, Failure { .. }) => (Open, E::CountFailure),
        (Open, CooldownElapsed) => (HalfOpen, E::Nothing),
        (HalfOpen, Admit) => (Trial, E::StartTrial),
        (HalfOpen | Trial, Success) => (Closed, E::Close),
        (HalfOpen | Trial, Failure { .. }) => (Open, E::Trip),
        (Trial, Admit) => (Trial, E::Reject),
        (Trial, TrialExpired) => (Open, E::Trip),
        (phase, _) => (phase, E::Nothing),
    }
}

/// The answer to [`Breaker::admit`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Admission {
    /// Closed: go ahead.
    Allowed,
    /// The one half-open trial: go ahead and report the result.
    Trial,
    /// Not now; ask again at `retry_at`.
    Rejected { retry_at: SystemTime },
}

/// One breaker (per agent, or per shared dependency).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Breaker {
    state: BreakerState,
    failures: u32,
    #[serde(default, with = "humantime_serde")]
    opened_at: Option<SystemTime>,
    #[serde(default, with = "humantime_serde")]
    last_failure_at: Option<SystemTime>,
    #[serde(default)]
    trial_in_flight: bool,
    #[serde(default, with = "humantime_serde")]
    trial_started_at: Option<SystemTime>,
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new()
    }
}

impl Breaker {
    /// A closed breaker with no failures.
    pub fn new() -> Self {
        Self {
            state: BreakerState::Closed,
            failures: 0,
            opened_at: None,
            last_failure_at: None,
            trial_in_flight: false,
            trial_started_at: None,
        }
    }

    /// The state at `now` (time-driven transitions applied, nothing mutated).
    pub fn state(&self, now: SystemTime, cfg: &BreakerConfig) -> BreakerState {
        let mut probe = self.clone();
        probe.advance_time(now, cfg);
        probe.state
    }

    /// Asks to act. In half-open exactly one caller gets [`Admission::Trial`] until it reports back.
    pub fn admit(&mut self, now: SystemTime, cfg: &BreakerConfig) -> Admission {
        self.advance_time(now, cfg);
        match self.apply(Event::Admit, now) {
            Effect::Allow => Admission::Allowed,
            Effect::StartTrial => Admission::Trial,
            _ => Admission::Rejected {
                retry_at: self.retry_at(now, cfg),
            },
        }
    }

    /// Reports a successful attempt.
    pub fn on_success(&mut self, now: SystemTime, cfg: &BreakerConfig) {
        self.advance_time(now, cfg);
        self.apply(Event::Success, now);
    }

    /// Reports a failed attempt.
    pub fn on_failure(&mut self, now: SystemTime, cfg: &BreakerConfig) {
        self.advance_time(now, cfg);
        let threshold_reached = self.failures.saturating_add(1) >= cfg.failure_threshold.max(1);
        self.apply(Event::Failure { threshold_reached }, now);
    }

    /// Failures counted since the last reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// When the breaker last opened, while it is not closed.
    pub fn opened_at(&self) -> Option<SystemTime> {
        self.opened_at
    }

    /// The phase the transition table sees.
    pub fn phase(&self) -> Phase {
        match (self.state, self.trial_in_flight) {
            (BreakerState::Closed, _) => Phase::Closed,
            (BreakerState::Open, _) => Phase::Open,
            (BreakerState::HalfOpen, false) => Phase::HalfOpen,
            (BreakerState::HalfOpen, true) => Phase::Trial,
        }
    }

    /// Feeds the events that the passage of time alone produces, each stamped with the moment it
    /// happened (a trial that expired at 10:05 re-opened the breaker at 10:05, not when someone looked).
    fn advance_time(&mut self, now: SystemTime, cfg: &BreakerConfig) {
        // Each step moves forward in the table; four bounds any chain (trial → open → half-open).
        for _ in 0..4 {
            let due = |since: Option<SystemTime>, wait| {
                let at = since.and_then(|s| s.checked_add(wait)).unwrap_or(now);
                (at <= now).then_some(at)
            };
            let (event, at) = match self.phase() {
                Phase::Open => match due(self.opened_at, cfg.cooldown) {
                    Some(at) => (Event::CooldownElapsed, at),
                    None => return,
                },
                Phase::Trial => match due(self.trial_started_at, cfg.cooldown) {
                    Some(at) => (Event::TrialExpired, at),
                    None => return,
                },
                Phase::Closed if self.failures > 0 => {
                    match due(self.last_failure_at, cfg.reset_after) {
                        Some(at) => (Event::QuietPeriodElapsed, at),
                        None => return,
                    }
                }
                _ => return,
            };
            self.apply(event, at);
        }
    }

    fn apply(&mut self, event: Event, now: SystemTime) -> Effect {
        let (next, effect) = transition(self.phase(), event);
        match effect {
            Effect::Nothing | Effect::Allow | Effect::Reject => {}
            Effect::StartTrial => self.trial_started_at = Some(now),
            Effect::CountFailure => self.count_failure(now),
            Effect::Trip => {
                self.count_failure(now);
                self.opened_at = Some(now);
            }
            Effect::Close => {
                self.failures = 0;
                self.opened_at = None;
                self.last_failure_at = None;
            }
            Effect::Forget => self.failures = 0,
        }
        self.state = match next {
            Phase::Closed => BreakerState::Closed,
            Phase::Open => BreakerState::Open,
            Phase::HalfOpen | Phase::Trial => BreakerState::HalfOpen,
        };
        self.trial_in_flight = next == Phase::Trial;
        if !self.trial_in_flight {
            self.trial_started_at = None;
        }
        effect
    }

    fn count_failure(&mut self, now: SystemTime) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure_at = Some(now);
    }

    fn retry_at(&self, now: SystemTime, cfg: &BreakerConfig) -> SystemTime {
        let since = match self.phase() {
            Phase::Trial => self.trial_started_at,
            _ => self.opened_at,
        };
        since
            .and_then(|at| at.checked_add(cfg.cooldown))
            .unwrap_or(now)
            .max(now)
    }
}
