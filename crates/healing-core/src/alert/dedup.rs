//! De-duplication: the same incident key is sent at most once per window, so a crash loop becomes one
//! message instead of hundreds. Keys are remembered as a 64-bit fingerprint, not as their text: a
//! key derived from log lines costs eight bytes however long the line.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Keys kept at most; beyond that the oldest are forgotten (memory stays bounded on a flood of keys).
const MAX_KEYS: usize = 4096;

/// When each key was last let through.
#[derive(Debug)]
pub(super) struct Dedup {
    /// How long a key stays "recently sent".
    window: Duration,
    /// Key fingerprint → time it was last admitted.
    seen: HashMap<u64, SystemTime>,
}

impl Dedup {
    pub(super) fn new(window: Duration) -> Self {
        Self {
            window,
            seen: HashMap::new(),
        }
    }

    fn within_window(&self, at: SystemTime, now: SystemTime) -> bool {
        // A clock that stepped backwards counts as "still within the window": better one missed
        // duplicate alert than a burst.
        now.duration_since(at).map_or(true, |age| age < self.window)
    }

    /// True when `key` should be sent now (and remembers it); false for a duplicate.
    pub(super) fn admit(&mut self, key: &str, now: SystemTime) -> bool {
        let key = fingerprint(key);
        if let Some(&at) = self.seen.get(&key)
            && self.within_window(at, now)
        {
            return false;
        }
        if self.seen.len() >= MAX_KEYS {
            let window = self.window;
            self.seen
                .retain(|_, at| now.duration_since(*at).map_or(true, |age| age < window));
            if self.seen.len() >= MAX_KEYS {
                // Still full of live keys: forget the oldest quarter at once (amortised, not per insert).
                let mut by_age: Vec<(SystemTime, u64)> =
                    self.seen.iter().map(|(k, at)| (*at, *k)).collect();
                by_age.sort();
                for (_, k) in by_age.into_iter().take(MAX_KEYS / 4) {
                    self.seen.remove(&k);
                }
            }
        }
        self.seen.insert(key, now);
        true
    }
}

/// A stable 64-bit fingerprint of a key (SipHash with fixed keys: the same in every run).
fn fingerprint(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_admitted_once_per_window_and_others_are_independent() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut d = Dedup::new(Duration::from_secs(60));
        assert!(d.admit("a", t0));
        assert!(!d.admit("a", t0 + Duration::from_secs(59)));
        assert!(d.admit("b", t0 + Duration::from_secs(59)));
        assert!(d.admit("a", t0 + Duration::from_secs(60)));
        assert!(!d.admit("a", t0), "clock stepped back: still a duplicate");
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_distinct_keys() {
        let t0 = SystemTime::UNIX_EPOCH;
        let mut d = Dedup::new(Duration::from_secs(3600));
        for i in 0..(MAX_KEYS * 3) {
            assert!(d.admit(&format!("k{i}"), t0 + Duration::from_millis(i as u64)));
        }
        assert!(d.seen.len() <= MAX_KEYS);
    }
}
