//! The rolling restart budget: at most `max_per_hour` restarts of one agent in any 60 minutes.
//!
//! Backoff alone restarts forever; the budget is what turns a crash loop into a held agent and an alert.
//! It is a list of restart timestamps (persisted in the state file, so a restart of the supervisor does not
//! hand a crash-looping agent a fresh budget), pruned to the last hour and capped in length.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

/// The rolling window.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Most timestamps kept, whatever the caller records: memory and state-file size stay bounded.
pub const MAX_STAMPS: usize = 1024;

/// One restart time, serialised as RFC 3339 so state files stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
struct Stamp(#[serde(with = "humantime_serde")] SystemTime);

/// Restart timestamps of one agent within the last hour.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartBudget {
    /// Oldest first.
    #[serde(default)]
    restarts: VecDeque<Stamp>,
}

impl RestartBudget {
    /// An empty budget.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether one more restart fits into the window ending at `now`.
    pub fn allows(&self, now: SystemTime, max_per_hour: u32) -> bool {
        self.count(now) < max_per_hour
    }

    /// Records a restart at `now`, dropping what fell out of the window.
    pub fn record(&mut self, now: SystemTime) {
        self.prune(now);
        // Keep the list ordered even if the wall clock stepped backwards.
        let at = match self.restarts.back() {
            Some(last) if last.0 > now => *last,
            _ => Stamp(now),
        };
        self.restarts.push_back(at);
        while self.restarts.len() > MAX_STAMPS {
            self.restarts.pop_front();
        }
    }

    /// Restarts counted in the window ending at `now` (a stamp in the future, after a clock step
    /// backwards, still counts: the budget errs towards holding).
    pub fn count(&self, now: SystemTime) -> u32 {
        let n = self.restarts.iter().filter(|s| in_window(s.0, now)).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// When the next restart is allowed: `Some(now)` if it is allowed now, `Some(t)` when the oldest
    /// counted restart leaves the window, `None` if restarts are never allowed (`max_per_hour == 0`).
    pub fn next_allowed(&self, now: SystemTime, max_per_hour: u32) -> Option<SystemTime> {
        if max_per_hour == 0 {
            return None;
        }
        let counted: Vec<SystemTime> = self
            .restarts
            .iter()
            .map(|s| s.0)
            .filter(|t| in_window(*t, now))
            .collect();
        let max = usize::try_from(max_per_hour).unwrap_or(usize::MAX);
        if counted.len() < max {
            return Some(now);
        }
        // The restart that must expire is the one `max - 1` places before the newest.
        let idx = counted.len() - max;
        let expires = counted[idx].checked_add(WINDOW)?;
        Some(expires.max(now))
    }

    /// The recorded restart times, oldest first (for status views).
    pub fn timestamps(&self) -> impl Iterator<Item = SystemTime> + '_ {
        self.restarts.iter().map(|s| s.0)
    }

    fn prune(&mut self, now: SystemTime) {
        while let Some(front) = self.restarts.front() {
            if in_window(front.0, now) {
                break;
            }
            self.restarts.pop_front();
        }
    }
}

fn in_window(at: SystemTime, now: SystemTime) -> bool {
    match now.duration_since(at) {
        Ok(age) => age < WINDOW,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
    }

    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    #[test]
    fn a_sixth_restart_within_an_hour_is_refused_until_the_first_expires() {
        let mut budget = RestartBudget::new();
        for m in [0, 10, 20, 30, 40] {
            assert!(budget.allows(t0() + mins(m), 5));
            budget.record(t0() + mins(m));
        }
        let now = t0() + mins(50);
        assert!(!budget.allows(now, 5));
        assert_eq!(budget.count(now), 5);
        assert_eq!(budget.next_allowed(now, 5), Some(t0() + mins(60)));
        assert!(budget.allows(t0() + mins(60), 5));
        assert_eq!(budget.count(t0() + mins(60)), 4);
    }

    #[test]
    fn the_window_is_rolling_not_a_fixed_hour() {
        let mut budget = RestartBudget::new();
        for m in [50, 55, 58] {
            budget.record(t0() + mins(m));
        }
        // 3 restarts between :50 and :58 still count at 1:45.
        assert_eq!(budget.count(t0() + mins(105)), 3);
        assert_eq!(budget.count(t0() + mins(111)), 2);
        assert_eq!(budget.count(t0() + mins(116)), 1);
        assert_eq!(
            budget.next_allowed(t0() + mins(60), 3),
            Some(t0() + mins(110))
        );
    }

    #[test]
    fn zero_restarts_per_hour_never_allows_one() {
        let budget = RestartBudget::new();
        assert!(!budget.allows(t0(), 0));
        assert_eq!(budget.next_allowed(t0(), 0), None);
        assert_eq!(budget.next_allowed(t0(), 1), Some(t0()));
    }

    #[test]
    fn storage_stays_bounded_under_a_restart_storm() {
        let mut budget = RestartBudget::new();
        for i in 0..5000u64 {
            budget.record(t0() + Duration::from_millis(i));
        }
        assert_eq!(budget.timestamps().count(), MAX_STAMPS);
        assert!(!budget.allows(t0() + Duration::from_secs(10), 5));
    }

    #[test]
    fn a_budget_survives_a_round_trip_through_json() {
        let mut budget = RestartBudget::new();
        budget.record(t0());
        budget.record(t0() + mins(1));
        let json = serde_json::to_string(&budget).unwrap();
        assert!(json.contains("2026-01-01T00:01:00Z"), "{json}");
        let back: RestartBudget = serde_json::from_str(&json).unwrap();
        assert_eq!(back, budget);
        assert_eq!(back.count(t0() + mins(2)), 2);
    }
}
