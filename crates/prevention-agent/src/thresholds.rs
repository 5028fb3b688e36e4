//! The warning episode: sustained before it alerts, once per episode, recovered with hysteresis.
//!
//! A reading hovering around its threshold must not produce an alert per pass. A warning therefore
//! raises only after `sustained` consecutive samples over the threshold, stays raised (silently) while the
//! reading is above `threshold - hysteresis`, and recovers — with one message — only below that.
//! The tracker is plain data so it survives restarts in the state file (`--once` runs rely on that).

use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// Where one watched value stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tracker {
    /// Consecutive samples over the threshold while not yet raised.
    pub over_count: u32,
    /// When the current run of over-threshold samples began.
    #[serde(default, with = "crate::state_doc::rfc3339_opt")]
    pub over_since: Option<SystemTime>,
    /// Set while the warning is raised: since when it has held.
    #[serde(default, with = "crate::state_doc::rfc3339_opt")]
    pub active_since: Option<SystemTime>,
}

/// The rule a tracker applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Percent above which a sample counts as over.
    pub threshold: f64,
    /// Recovery needs a sample below `threshold - hysteresis`.
    pub hysteresis: f64,
    /// Consecutive over samples needed to raise (0 behaves as 1).
    pub sustained: u32,
}

/// What one sample did to the episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Under the threshold, nothing raised.
    Clear,
    /// Over the threshold, not yet sustained.
    Pending,
    /// The warning was raised by this sample: alert now.
    Raised,
    /// Still raised: no new alert.
    Holding,
    /// Fell below the hysteresis band: send the "recovered" message.
    Recovered,
}

impl Tracker {
    /// Whether the warning is raised.
    pub fn is_active(&self) -> bool {
        self.active_since.is_some()
    }

    /// Feeds one sample taken at `now`.
    pub fn observe(&mut self, percent: f64, rule: Rule, now: SystemTime) -> Transition {
        if self.active_since.is_some() {
            if percent < rule.threshold - rule.hysteresis {
                *self = Tracker::default();
                return Transition::Recovered;
            }
            return Transition::Holding;
        }
        if percent <= rule.threshold {
            *self = Tracker::default();
            return Transition::Clear;
        }
        self.over_count = self.over_count.saturating_add(1);
        let since = *self.over_since.get_or_insert(now);
        if self.over_count >= rule.sustained.max(1) {
            self.active_since = Some(since);
            self.over_count = 0;
            return Transition::Raised;
        }
        Transition::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Transition::*;
    use healing_core::clock::{Clock, ManualClock};
    use std::time::Duration;

    const RULE: Rule = Rule {
        threshold: 85.0,
        hysteresis: 5.0,
        sustained: 2,
    };

    /// Runs samples one minute apart and returns the transitions.
    fn run(rule: Rule, samples: &[f64]) -> (Vec<Transition>, Tracker, ManualClock) {
        let clock = ManualClock::at_epoch_2026();
        let mut tracker = Tracker::default();
        let mut out = Vec::new();
        for &s in samples {
            out.push(tracker.observe(s, rule, clock.now()));
            clock.advance(Duration::from_secs(60));
        }
        (out, tracker, clock)
    }

    #[test]
    fn episodes_follow_the_table() {
        let table: &[(&str, &[f64], &[Transition])] = &[
            (
                "stays clear under the threshold",
                &[50.0, 85.0, 84.9],
                &[Clear, Clear, Clear],
            ),
            (
                "one spike does not alert",
                &[90.0, 50.0, 90.0],
                &[Pending, Clear, Pending],
            ),
            (
                "sustained readings alert once",
                &[90.0, 91.0, 95.0, 99.0],
                &[Pending, Raised, Holding, Holding],
            ),
            (
                "inside the hysteresis band it holds",
                &[90.0, 90.0, 82.0, 80.0],
                &[Pending, Raised, Holding, Holding],
            ),
            (
                "below the band it recovers once",
                &[90.0, 90.0, 79.9, 50.0],
                &[Pending, Raised, Recovered, Clear],
            ),
            (
                "a new episode needs sustaining again",
                &[90.0, 90.0, 10.0, 90.0, 90.0],
                &[Pending, Raised, Recovered, Pending, Raised],
            ),
        ];
        for (name, samples, expected) in table {
            let (got, _, _) = run(RULE, samples);
            assert_eq!(&got, expected, "{name}");
        }
    }

    #[test]
    fn sustained_of_one_or_zero_raises_on_the_first_sample() {
        for sustained in [0, 1] {
            let rule = Rule { sustained, ..RULE };
            assert_eq!(run(rule, &[86.0]).0, vec![Raised]);
        }
    }

    #[test]
    fn a_raised_warning_dates_from_its_first_over_sample() {
        let (_, tracker, clock) = run(RULE, &[90.0, 90.0, 90.0]);
        let start = clock.now() - Duration::from_secs(180);
        assert_eq!(tracker.active_since, Some(start));
    }

    #[test]
    fn a_tracker_survives_a_round_trip_through_json() {
        let (_, tracker, _) = run(RULE, &[90.0, 90.0]);
        let json = serde_json::to_string(&tracker).unwrap();
        let back: Tracker = serde_json::from_str(&json).unwrap();
        assert_eq!(back, tracker);
        assert!(back.is_active());
    }
}
