//! The circuit breaker: its transition table row by row, then the scenarios a supervisor lives through
//! (a fix failing repeatedly, the one half-open trial, persistence across a restart).

use healing_core::breaker::{Admission, Breaker, BreakerState, Effect, Event, Phase, transition};
use healing_core::config::BreakerConfig;
use std::time::{Duration, SystemTime};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn cfg() -> BreakerConfig {
    BreakerConfig {
        failure_threshold: 3,
        cooldown: Duration::from_secs(300),
        reset_after: Duration::from_secs(3600),
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn every_row_of_the_transition_table() {
    use Effect as E;
    use Event::*;
    use Phase::*;
    let fail = Failure {
        threshold_reached: false,
    };
    let trip = Failure {
        threshold_reached: true,
    };
    let table = [
        (Closed, Admit, Closed, E::Allow),
        (Closed, Success, Closed, E::Nothing),
        (Closed, fail, Closed, E::CountFailure),
        (Closed, trip, Open, E::Trip),
        (Closed, CooldownElapsed, Closed, E::Nothing),
        (Closed, TrialExpired, Closed, E::Nothing),
        (Closed, QuietPeriodElapsed, Closed, E::Forget),
        (Open, Admit, Open, E::Reject),
        (Open, Success, Open, E::Nothing),
        (Open, fail, Open, E::CountFailure),
        (Open, trip, Open, E::CountFailure),
        (Open, CooldownElapsed, HalfOpen, E::Nothing),
        (Open, TrialExpired, Open, E::Nothing),
        (Open, QuietPeriodElapsed, Open, E::Nothing),
        (HalfOpen, Admit, Trial, E::StartTrial),
        (HalfOpen, Success, Closed, E::Close),
        (HalfOpen, fail, Open, E::Trip),
        (HalfOpen, trip, Open, E::Trip),
        (HalfOpen, CooldownElapsed, HalfOpen, E::Nothing),
        (HalfOpen, QuietPeriodElapsed, HalfOpen, E::Nothing),
        (Trial, Admit, Trial, E::Reject),
        (Trial, Success, Closed, E::Close),
        (Trial, fail, Open, E::Trip),
        (Trial, trip, Open, E::Trip),
        (Trial, TrialExpired, Open, E::Trip),
        (Trial, CooldownElapsed, Trial, E::Nothing),
        (Trial, QuietPeriodElapsed, Trial, E::Nothing),
    ];
    for (from, event, to, effect) in table {
        assert_eq!(
            transition(from, event),
            (to, effect),
            "{from:?} + {event:?}"
        );
    }
}

#[test]
fn the_breaker_opens_after_the_threshold_and_rejects_until_the_cooldown() {
    let cfg = cfg();
    let mut b = Breaker::new();
    for i in 0..2 {
        assert_eq!(b.admit(t0() + secs(i), &cfg), Admission::Allowed);
        b.on_failure(t0() + secs(i), &cfg);
        assert_eq!(b.state(t0() + secs(i), &cfg), BreakerState::Closed);
    }
    b.on_failure(t0() + secs(10), &cfg);
    assert_eq!(b.state(t0() + secs(10), &cfg), BreakerState::Open);
    assert_eq!(b.failures(), 3);
    assert_eq!(b.opened_at(), Some(t0() + secs(10)));
    assert_eq!(
        b.admit(t0() + secs(20), &cfg),
        Admission::Rejected {
            retry_at: t0() + secs(310)
        }
    );
    assert_eq!(b.state(t0() + secs(309), &cfg), BreakerState::Open);
    assert_eq!(b.state(t0() + secs(310), &cfg), BreakerState::HalfOpen);
}

#[test]
fn half_open_admits_exactly_one_trial_and_its_success_closes_the_breaker() {
    let cfg = cfg();
    let mut b = Breaker::new();
    for _ in 0..3 {
        b.on_failure(t0(), &cfg);
    }
    let later = t0() + secs(300);
    assert_eq!(b.admit(later, &cfg), Admission::Trial);
    assert!(matches!(
        b.admit(later + secs(1), &cfg),
        Admission::Rejected { .. }
    ));
    b.on_success(later + secs(2), &cfg);
    assert_eq!(b.state(later + secs(2), &cfg), BreakerState::Closed);
    assert_eq!(b.failures(), 0);
    assert_eq!(b.opened_at(), None);
    assert_eq!(b.admit(later + secs(3), &cfg), Admission::Allowed);
}

#[test]
fn a_failed_trial_reopens_and_restarts_the_cooldown() {
    let cfg = cfg();
    let mut b = Breaker::new();
    for _ in 0..3 {
        b.on_failure(t0(), &cfg);
    }
    let trial_at = t0() + secs(400);
    assert_eq!(b.admit(trial_at, &cfg), Admission::Trial);
    b.on_failure(trial_at + secs(5), &cfg);
    assert_eq!(b.state(trial_at + secs(5), &cfg), BreakerState::Open);
    assert_eq!(
        b.admit(trial_at + secs(6), &cfg),
        Admission::Rejected {
            retry_at: trial_at + secs(305)
        }
    );
    assert_eq!(b.admit(trial_at + secs(305), &cfg), Admission::Trial);
}

#[test]
fn a_trial_that_never_reports_counts_as_failed_after_a_cooldown() {
    let cfg = cfg();
    let mut b = Breaker::new();
    for _ in 0..3 {
        b.on_failure(t0(), &cfg);
    }
    assert_eq!(b.admit(t0() + secs(300), &cfg), Admission::Trial);
    // Still in flight: a second caller waits for it.
    assert!(matches!(
        b.admit(t0() + secs(599), &cfg),
        Admission::Rejected { .. }
    ));
    // Its cooldown passed without a report: the breaker re-opens instead of staying stuck.
    assert_eq!(b.state(t0() + secs(600), &cfg), BreakerState::Open);
    assert_eq!(b.admit(t0() + secs(900), &cfg), Admission::Trial);
}

#[test]
fn failures_are_forgotten_after_a_quiet_reset_period() {
    let cfg = cfg();
    let mut b = Breaker::new();
    b.on_failure(t0(), &cfg);
    b.on_failure(t0() + secs(60), &cfg);
    // An hour without failures: the count starts over, so two more do not open it.
    let later = t0() + secs(60 + 3600);
    b.on_failure(later, &cfg);
    b.on_failure(later + secs(1), &cfg);
    assert_eq!(b.failures(), 2);
    assert_eq!(b.state(later + secs(1), &cfg), BreakerState::Closed);
    b.on_failure(later + secs(2), &cfg);
    assert_eq!(b.state(later + secs(2), &cfg), BreakerState::Open);
}

#[test]
fn an_open_breaker_survives_a_round_trip_through_json() {
    let cfg = cfg();
    let mut b = Breaker::new();
    for _ in 0..3 {
        b.on_failure(t0(), &cfg);
    }
    b.admit(t0() + secs(300), &cfg);
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["state"], "half_open");
    assert_eq!(json["trial_in_flight"], true);
    assert_eq!(json["opened_at"], "2026-01-01T00:00:00Z");
    let mut back: Breaker = serde_json::from_value(json).unwrap();
    assert_eq!(back, b);
    assert!(matches!(
        back.admit(t0() + secs(301), &cfg),
        Admission::Rejected { .. }
    ));
    assert_eq!(
        serde_json::to_string(&BreakerState::HalfOpen).unwrap(),
        "\"half_open\""
    );
}
