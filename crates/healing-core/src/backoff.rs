//! Exponential backoff with full jitter, as pure functions of the attempt number and a random draw.
//!
//! `delay = min(max, initial * multiplier^attempt)`, then with jitter a uniform draw in `[0, delay]`
//! ("full jitter", AWS Architecture Blog, *Exponential Backoff And Jitter*): many agents crashing on the
//! same dependency do not all come back in the same second. Everything saturates: a huge attempt number
//! or multiplier yields `max`, never an overflow or a panic.

use crate::config::RestartConfig;
use std::time::Duration;

/// One backoff curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay before the first restart of a streak (attempt 0).
    pub initial: Duration,
    /// Growth factor per attempt; values below 1 (or NaN) are treated as 1 so the curve never shrinks.
    pub multiplier: f64,
    /// Cap of the curve.
    pub max: Duration,
    /// Full jitter: the delay is `unit * computed` for a uniform `unit` in `[0, 1)`.
    pub jitter: bool,
}

impl Backoff {
    /// The normal restart curve of `[restart]`.
    pub fn from_restart(cfg: &RestartConfig) -> Backoff {
        Backoff {
            initial: cfg.initial_delay,
            multiplier: cfg.multiplier,
            max: cfg.max_delay,
            jitter: cfg.jitter,
        }
    }

    /// The slower curve for transient failures: same growth and cap, starting at `retry_initial_delay`.
    pub fn retry_curve(cfg: &RestartConfig) -> Backoff {
        Backoff {
            initial: cfg.retry_initial_delay,
            ..Backoff::from_restart(cfg)
        }
    }

    /// The un-jittered delay of `attempt` (0 = first restart of a streak), capped at `max`.
    pub fn computed(&self, attempt: u32) -> Duration {
        let multiplier = if self.multiplier.is_nan() || self.multiplier < 1.0 {
            1.0
        } else {
            self.multiplier
        };
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        let secs = self.initial.as_secs_f64() * multiplier.powi(exponent);
        // NaN (0 * inf) lands on the cap too.
        if secs.is_nan() || secs >= self.max.as_secs_f64() {
            return self.max;
        }
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// The delay before restart number `attempt`, given a random `unit` in `[0, 1)` (ignored without
    /// jitter; clamped into `[0, 1]`, NaN counting as 0). Pure, so tests pass the draw in.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let computed = self.computed(attempt);
        if !self.jitter {
            return computed;
        }
        let unit = if unit.is_nan() {
            0.0
        } else {
            unit.clamp(0.0, 1.0)
        };
        Duration::try_from_secs_f64(computed.as_secs_f64() * unit)
            .unwrap_or(computed)
            .min(computed)
    }

    /// [`Backoff::delay`] with a fresh random draw.
    pub fn delay_random(&self, attempt: u32) -> Duration {
        self.delay(attempt, fastrand::f64())
    }
}

/// The attempt index for the restart that follows a run of `uptime`.
///
/// A run that stayed up for `stable_after` proves the agent healthy again, so the curve starts over at
/// attempt 0; otherwise the streak goes on at `prev_attempt`. The caller stores the counter and
/// increments it after each restart it schedules.
pub fn attempt_after_uptime(prev_attempt: u32, uptime: Duration, stable_after: Duration) -> u32 {
    if uptime >= stable_after {
        0
    } else {
        prev_attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn curve(jitter: bool) -> Backoff {
        Backoff {
            initial: Duration::from_secs(1),
            multiplier: 2.0,
            max: Duration::from_secs(300),
            jitter,
        }
    }

    #[test]
    fn delays_double_until_the_cap() {
        let b = curve(false);
        let secs: Vec<u64> = (0..11).map(|n| b.delay(n, 0.5).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    }

    #[test]
    fn full_jitter_scales_the_computed_delay_by_the_draw() {
        let b = curve(true);
        assert_eq!(b.delay(3, 0.0), Duration::ZERO);
        assert_eq!(b.delay(3, 0.25), Duration::from_secs(2));
        assert_eq!(b.delay(20, 0.5), Duration::from_secs(150));
        assert_eq!(b.delay(3, f64::NAN), Duration::ZERO);
        assert_eq!(b.delay(3, 7.0), Duration::from_secs(8));
    }

    #[test]
    fn the_retry_curve_starts_at_the_retry_delay_and_shares_the_cap() {
        let cfg = RestartConfig::default();
        let retry = Backoff::retry_curve(&cfg);
        assert_eq!(retry.computed(0), cfg.retry_initial_delay);
        assert_eq!(retry.computed(1), cfg.retry_initial_delay * 2);
        assert_eq!(retry.computed(50), cfg.max_delay);
        assert!(retry.computed(0) > Backoff::from_restart(&cfg).computed(0));
    }

    #[test]
    fn a_stable_run_resets_the_streak_and_a_short_one_continues_it() {
        let stable = Duration::from_secs(60);
        assert_eq!(attempt_after_uptime(7, Duration::from_secs(60), stable), 0);
        assert_eq!(attempt_after_uptime(7, Duration::from_secs(59), stable), 7);
    }

    #[test]
    fn random_delays_stay_within_the_computed_delay() {
        let b = curve(true);
        for _ in 0..200 {
            assert!(b.delay_random(4) <= Duration::from_secs(16));
        }
    }

    proptest! {
        #[test]
        fn no_attempt_or_multiplier_overflows_or_exceeds_the_cap(
            attempt in any::<u32>(),
            multiplier in prop_oneof![any::<f64>(), Just(f64::INFINITY), Just(f64::MAX), 0.0f64..1e6],
            initial_ms in any::<u64>(),
            max_ms in any::<u64>(),
            unit in any::<f64>(),
            jitter in any::<bool>(),
        ) {
            let b = Backoff {
                initial: Duration::from_millis(initial_ms),
                multiplier,
                max: Duration::from_millis(max_ms),
                jitter,
            };
            let d = b.delay(attempt, unit);
            prop_assert!(d <= b.max);
            prop_assert!(b.computed(attempt) <= b.max);
            prop_assert!(b.computed(attempt.saturating_add(1)) >= b.computed(attempt));
        }
    }
}
