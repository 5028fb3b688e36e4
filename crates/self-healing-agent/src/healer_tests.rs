//! Healing decisions driven by a hand-moved clock.

use super::*;
use healing_core::clock::{Clock, ManualClock};
use healing_core::incident::{Detail, Incident};
use healing_core::kind::{ActionKind, ErrorKind, Severity};

fn cfg() -> HealerConfig {
    HealerConfig {
        restart: RestartConfig {
            initial_delay: Duration::from_secs(1),
            multiplier: 2.0,
            max_delay: Duration::from_secs(300),
            jitter: false,
            max_per_hour: 5,
            retry_initial_delay: Duration::from_secs(10),
        },
        breaker: BreakerConfig {
            failure_threshold: 3,
            cooldown: Duration::from_secs(300),
            reset_after: Duration::from_secs(3600),
        },
        stable_after: Duration::from_secs(60),
        correlation_window: Duration::from_secs(30),
    }
}

fn incident(kind: ErrorKind) -> Incident {
    Incident {
        kind,
        severity: Severity::High,
        action: ActionKind::Restart,
        pattern: kind.to_string(),
        line_no: 1,
        line: kind.to_string(),
        detail: Detail {
            exit_code: Some(1),
            ..Detail::default()
        },
        fingerprint: String::new(),
    }
}

fn refused(port: u16) -> Incident {
    let mut i = incident(ErrorKind::ConnectionRefusedLocal);
    i.detail.host = Some("127.0.0.1".into());
    i.detail.port = Some(port);
    i
}

/// Crashes the agent right after each decided restart; returns the decisions.
fn crash_loop(h: &mut Healer, clock: &ManualClock, cause: &Incident, n: usize) -> Vec<Decision> {
    let mut out = Vec::new();
    for _ in 0..n {
        let d = h.on_exit("a", cause, false, clock.now());
        if let Decision::Restart {
            at,
            ref breaker_key,
            ..
        } = d
        {
            clock.set(at);
            h.count_start("a", clock.now());
            h.on_restarted("a", breaker_key, clock.now());
            clock.advance(Duration::from_millis(100));
        }
        out.push(d);
    }
    out
}

#[test]
fn a_crash_loop_follows_the_backoff_curve_until_the_breaker_opens() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    // Three failed restart attempts (the threshold) open the breaker.
    let ds = crash_loop(&mut h, &clock, &incident(ErrorKind::ProcessExit), 4);
    let delays: Vec<_> = ds
        .iter()
        .filter_map(|d| match d {
            Decision::Restart { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(delays, vec![1, 2, 3]);
    assert!(matches!(
        ds[3],
        Decision::Hold {
            reason: HoldReason::CircuitOpen,
            ..
        }
    ));
}

#[test]
fn the_first_restart_waits_the_initial_delay_and_doubles_after_each_failed_attempt() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    let t0 = clock.now();
    let d = h.on_exit("a", &incident(ErrorKind::ProcessExit), false, t0);
    let Decision::Restart { at, .. } = d else {
        panic!("{d:?}")
    };
    assert_eq!(at, t0 + Duration::from_secs(1));
    h.count_start("a", at);
    h.on_restarted("a", "agent:a", at);
    let t1 = at + Duration::from_millis(10);
    let Decision::Restart { at, .. } = h.on_exit("a", &incident(ErrorKind::ProcessExit), false, t1)
    else {
        panic!()
    };
    assert_eq!(at, t1 + Duration::from_secs(2));
}

#[test]
fn an_open_breaker_allows_exactly_one_trial_after_the_cooldown() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    let cause = incident(ErrorKind::ProcessExit);
    let ds = crash_loop(&mut h, &clock, &cause, 4);
    let Decision::Hold {
        retry_at: Some(retry_at),
        ..
    } = ds[3]
    else {
        panic!()
    };
    clock.set(retry_at);
    let trial = h.retry("a", &cause, clock.now());
    assert!(
        matches!(trial, Decision::Restart { trial: true, .. }),
        "{trial:?}"
    );
    // The trial is in flight: asking again is refused.
    assert!(matches!(
        h.retry("a", &cause, clock.now()),
        Decision::Hold { .. }
    ));
}

#[test]
fn a_restart_that_stays_up_closes_the_breaker_and_resets_the_curve() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    let cause = incident(ErrorKind::ProcessExit);
    crash_loop(&mut h, &clock, &cause, 3);
    assert_eq!(h.persisted().backoff_attempts.get("a"), Some(&2));
    clock.advance(Duration::from_secs(61));
    assert!(h.on_stable("a", clock.now()));
    assert_eq!(h.persisted().backoff_attempts.get("a"), None);
    let d = h.on_exit("a", &cause, false, clock.now());
    assert!(matches!(d, Decision::Restart { attempt: 1, .. }), "{d:?}");
}

#[test]
fn code_problems_and_refused_fixes_hold_the_agent_instead_of_restarting() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    for kind in [
        ErrorKind::SyntaxError,
        ErrorKind::EnvVarMissing,
        ErrorKind::PermissionDenied,
    ] {
        let d = h.on_exit("a", &incident(kind), false, clock.now());
        assert!(
            matches!(
                d,
                Decision::Hold {
                    reason: HoldReason::NeedsAttention,
                    retry_at: Some(at),
                    ..
                } if at == clock.now() + Duration::from_secs(3600)
            ),
            "{kind}: {d:?}"
        );
    }
    let d = h.on_exit("a", &incident(ErrorKind::ModuleNotFound), true, clock.now());
    assert!(matches!(
        d,
        Decision::Hold {
            reason: HoldReason::NeedsAttention,
            ..
        }
    ));
}

#[test]
fn a_needs_attention_hold_gets_one_trial_restart_after_reset_after_within_the_budget() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    let cause = incident(ErrorKind::SyntaxError);
    let Decision::Hold {
        retry_at: Some(at), ..
    } = h.on_exit("a", &cause, false, clock.now())
    else {
        panic!("a syntax error must hold the agent with a retry time")
    };
    clock.set(at);
    let d = h.attention_trial("a", &cause, clock.now());
    assert!(
        matches!(d, Decision::Restart { at, trial: false, fix_first: false, .. } if at == clock.now()),
        "{d:?}"
    );
    // With the hourly budget spent, the trial waits for the budget instead.
    for _ in 0..5 {
        h.count_start("a", clock.now());
        h.on_restarted("a", "agent:a", clock.now());
    }
    let d = h.attention_trial("a", &cause, clock.now());
    assert!(
        matches!(
            d,
            Decision::Hold {
                reason: HoldReason::Budget,
                retry_at: Some(_),
                ..
            }
        ),
        "{d:?}"
    );
}

#[test]
fn transient_failures_use_the_slow_curve_and_fixable_ones_restart_at_once() {
    let clock = ManualClock::at_epoch_2026();
    let now = clock.now();
    let mut h = Healer::new(cfg(), Persisted::default());
    let Decision::Restart { at, .. } = h.on_exit("a", &incident(ErrorKind::Timeout), false, now)
    else {
        panic!()
    };
    assert_eq!(at, now + Duration::from_secs(10));
    let d = h.on_exit("b", &incident(ErrorKind::ModuleNotFound), false, now);
    assert!(matches!(d, Decision::Restart { at, fix_first: true, .. } if at == now));
}

#[test]
fn the_hourly_budget_holds_restarts_until_the_window_allows_one() {
    let clock = ManualClock::at_epoch_2026();
    let mut c = cfg();
    c.breaker.failure_threshold = 100;
    let mut h = Healer::new(c, Persisted::default());
    let ds = crash_loop(&mut h, &clock, &incident(ErrorKind::ProcessExit), 6);
    let Decision::Hold {
        reason: HoldReason::Budget,
        retry_at: Some(retry_at),
        ..
    } = ds[5]
    else {
        panic!("{:?}", ds[5])
    };
    assert!(retry_at > clock.now() && retry_at <= clock.now() + Duration::from_secs(3600));
}

#[test]
fn budgets_and_breakers_survive_a_restart_of_the_binary() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    crash_loop(&mut h, &clock, &incident(ErrorKind::ProcessExit), 5);
    let json = serde_json::to_string(h.persisted()).unwrap();
    let mut again = Healer::new(cfg(), serde_json::from_str(&json).unwrap());
    assert_eq!(again.restarts_last_hour("a", clock.now()), 3);
    let d = again.at_boot("a", clock.now());
    assert!(
        matches!(
            d,
            Some(Decision::Hold {
                reason: HoldReason::CircuitOpen,
                ..
            })
        ),
        "{d:?}"
    );
    assert!(again.at_boot("fresh", clock.now()).is_none());
}

#[test]
fn agents_failing_on_one_dependency_share_a_breaker_and_count_once_per_round() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    let cause = refused(6379);
    let now = clock.now();
    for agent in ["a", "b", "c"] {
        let d = h.on_exit(agent, &cause, false, now);
        let Decision::Restart { breaker_key, .. } = d else {
            panic!()
        };
        assert_eq!(breaker_key, "dependency:endpoint:127.0.0.1:6379");
        h.count_start(agent, now);
        h.on_restarted(agent, &breaker_key, now);
    }
    let later = now + Duration::from_secs(1);
    for agent in ["a", "b", "c"] {
        h.on_exit(agent, &cause, false, later);
    }
    let b = &h.persisted().breakers["dependency:endpoint:127.0.0.1:6379"];
    assert_eq!(b.failures(), 1);
    assert_eq!(
        h.correlated("dependency:endpoint:127.0.0.1:6379"),
        vec!["a", "b", "c"]
    );
}

#[test]
fn breakers_for_endless_distinct_dependencies_stay_bounded() {
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000));
    let mut h = Healer::new(cfg(), Persisted::default());
    for i in 0..2_000 {
        let mut inc = incident(ErrorKind::ConnectionRefusedLocal);
        inc.detail.host = Some("127.0.0.1".into());
        inc.detail.port = Some(10_000 + u16::try_from(i).unwrap());
        let _ = h.on_exit(&format!("a{}", i % 3), &inc, false, clock.now());
        clock.advance(Duration::from_millis(10));
    }
    assert!(
        h.persisted().breakers.len() <= MAX_BREAKERS + 1,
        "{} breakers",
        h.persisted().breakers.len()
    );
}

#[test]
fn resume_clears_a_dependency_breaker_the_budget_and_the_backoff() {
    let clock = ManualClock::at_epoch_2026();
    let mut h = Healer::new(cfg(), Persisted::default());
    let cause = refused(5432);
    let key = breaker_key("a", &cause);
    assert!(key.starts_with("dependency:"), "{key}");
    crash_loop(&mut h, &clock, &cause, 6);
    assert!(matches!(
        h.on_exit("a", &cause, false, clock.now()),
        Decision::Hold { .. }
    ));
    assert_ne!(h.breaker_state(&key, clock.now()), BreakerState::Closed);
    h.resume("a", &key);
    assert_eq!(h.breaker_state(&key, clock.now()), BreakerState::Closed);
    assert_eq!(h.restarts_last_hour("a", clock.now()), 0);
    // The next failure starts the curve over: attempt 1, not a hold.
    assert!(matches!(
        h.on_exit("a", &cause, false, clock.now()),
        Decision::Restart { attempt: 1, .. }
    ));
}
