//! Several agents failing on the same dependency (the same refused `host:port`, the same missing
//! module) within `correlation_window` are one incident: they share one breaker and one failure count
//! per round, so N agents do not open the shared breaker N times faster.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

/// One round of correlated failures on a dependency.
/// Rounds kept before expired ones are pruned.
pub const MAX_ROUNDS: usize = 256;

#[derive(Debug, Clone)]
struct Round {
    /// When the round's first failure was counted.
    started: SystemTime,
    /// Agents that failed within the round.
    agents: BTreeSet<String>,
}

/// Groups failures on the same dependency key.
#[derive(Debug, Clone)]
pub struct Correlator {
    /// How long a round stays open.
    window: Duration,
    /// Open rounds by breaker key.
    rounds: BTreeMap<String, Round>,
}

impl Correlator {
    /// A correlator with the configured window.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            rounds: BTreeMap::new(),
        }
    }

    /// Records that `agent` failed on `key`. True when the failure must be counted (it starts a new
    /// round, or the same agent failed again); false when another agent already counted this round.
    pub fn count_failure(&mut self, key: &str, agent: &str, now: SystemTime) -> bool {
        if !key.starts_with("dependency:") {
            return true;
        }
        if let Some(round) = self.rounds.get_mut(key) {
            let open = now
                .duration_since(round.started)
                .map(|d| d < self.window)
                .unwrap_or(true);
            if open && !round.agents.contains(agent) {
                round.agents.insert(agent.to_string());
                return false;
            }
        }
        self.rounds.insert(
            key.to_string(),
            Round {
                started: now,
                agents: BTreeSet::from([agent.to_string()]),
            },
        );
        true
    }

    /// The agents that failed on `key` in its current round (for an alert naming the common cause).
    /// Forgets rounds whose window ended once more than [`MAX_ROUNDS`] are kept: dependency keys
    /// come from log text.
    pub fn prune(&mut self, now: SystemTime) {
        if self.rounds.len() > MAX_ROUNDS {
            let window = self.window;
            self.rounds.retain(|_, r| {
                now.duration_since(r.started)
                    .map_or(true, |age| age < window)
            });
        }
    }

    pub fn agents(&self, key: &str) -> Vec<String> {
        self.rounds
            .get(key)
            .map(|r| r.agents.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_failing_on_one_dependency_within_the_window_count_once() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut c = Correlator::new(Duration::from_secs(30));
        let key = "dependency:endpoint:127.0.0.1:6379";
        assert!(c.count_failure(key, "a", t0));
        assert!(!c.count_failure(key, "b", t0 + Duration::from_secs(1)));
        assert!(!c.count_failure(key, "c", t0 + Duration::from_secs(2)));
        assert_eq!(c.agents(key), vec!["a", "b", "c"]);
        // The same agent failing again is a new attempt; so is anything after the window.
        assert!(c.count_failure(key, "a", t0 + Duration::from_secs(3)));
        assert!(c.count_failure(key, "b", t0 + Duration::from_secs(40)));
    }

    #[test]
    fn agent_keys_are_never_correlated() {
        let t0 = SystemTime::UNIX_EPOCH;
        let mut c = Correlator::new(Duration::from_secs(30));
        assert!(c.count_failure("agent:a", "a", t0));
        assert!(c.count_failure("agent:a", "b", t0));
    }
}
