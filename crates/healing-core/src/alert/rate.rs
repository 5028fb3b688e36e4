//! Rate limiting on top of de-duplication: an agent printing thousands of distinct tracebacks has
//! thousands of distinct keys, so de-duplication alone lets every one through (7,144 webhook posts
//! for 10,000 tracebacks). Each agent gets a burst per window and all alerts together a larger one;
//! what is held back becomes one summary per agent and window ("… and N more like this"). Buckets
//! are per agent, so a storm from one agent never uses up another agent's burst.

use super::Alert;
use crate::kind::Severity;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Buckets kept at most (alerts without a configured agent name still cannot grow memory).
const MAX_BUCKETS: usize = 1024;

/// Alerts let through in one window, and what was held back.
#[derive(Debug, Clone)]
struct Bucket {
    start: SystemTime,
    sent: u32,
    held: u32,
    worst: Severity,
    last_title: String,
}

impl Bucket {
    fn new(now: SystemTime) -> Self {
        Self {
            start: now,
            sent: 0,
            held: 0,
            worst: Severity::Low,
            last_title: String::new(),
        }
    }
}

/// The limiter of one alert worker (every sink receives the same limited stream).
#[derive(Debug)]
pub(super) struct RateLimit {
    window: Duration,
    per_agent: u32,
    total: u32,
    agents: HashMap<String, Bucket>,
    all: Bucket,
}

impl RateLimit {
    /// `per_agent` alerts per agent and `total` alerts overall per `window`.
    pub(super) fn new(window: Duration, per_agent: u32, total: u32, now: SystemTime) -> Self {
        Self {
            window,
            per_agent,
            total,
            agents: HashMap::new(),
            all: Bucket::new(now),
        }
    }

    fn expired(&self, b: &Bucket, now: SystemTime) -> bool {
        now.duration_since(b.start)
            .is_ok_and(|age| age >= self.window)
    }

    /// True when `alert` may be sent now; otherwise it is counted for the summary.
    pub(super) fn admit(&mut self, alert: &Alert, now: SystemTime) -> bool {
        if self.expired(&self.all, now) {
            self.all = Bucket::new(now);
        }
        // Alerts about no agent (a state store, a Render service) are each de-duplicated by key
        // and limited by the total only.
        let Some(name) = alert.agent.clone() else {
            if self.all.sent < self.total {
                self.all.sent += 1;
                return true;
            }
            return false;
        };
        if !self.agents.contains_key(&name) && self.agents.len() >= MAX_BUCKETS {
            let window = self.window;
            self.agents.retain(|_, b| {
                b.held > 0 || now.duration_since(b.start).map_or(true, |a| a < window)
            });
            if self.agents.len() >= MAX_BUCKETS {
                return false;
            }
        }
        let window = self.window;
        let bucket = self.agents.entry(name).or_insert_with(|| Bucket::new(now));
        // An expired bucket with nothing held back starts a new window; one with a pending
        // summary keeps counting until the summary is taken.
        if bucket.held == 0 && now.duration_since(bucket.start).is_ok_and(|a| a >= window) {
            *bucket = Bucket::new(now);
        }
        if bucket.sent < self.per_agent && self.all.sent < self.total {
            bucket.sent += 1;
            self.all.sent += 1;
            return true;
        }
        bucket.held += 1;
        bucket.worst = bucket.worst.max(alert.severity);
        bucket.last_title.clone_from(&alert.title);
        false
    }

    /// One summary per agent whose window ended with alerts held back; those buckets start over.
    pub(super) fn due_summaries(&mut self, source: &str, now: SystemTime) -> Vec<Alert> {
        let window = self.window;
        let mut out = Vec::new();
        for (agent, b) in &mut self.agents {
            if b.held == 0 || now.duration_since(b.start).map_or(true, |a| a < window) {
                continue;
            }
            let who = agent;
            out.push(Alert {
                key: format!("rate-summary:{agent}"),
                severity: b.worst,
                source: source.to_string(),
                agent: Some(agent.clone()),
                title: format!("{who}: … and {} more like this", b.held),
                body: format!(
                    "{} alerts about {who} were held back in the last {} (rate limit); the last one: {}",
                    b.held,
                    humantime::format_duration(window),
                    b.last_title
                ),
            });
            *b = Bucket::new(now);
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn alert(agent: &str, n: usize) -> Alert {
        Alert {
            key: format!("{agent}:{n}"),
            severity: Severity::High,
            source: "t".into(),
            agent: Some(agent.into()),
            title: format!("{agent}: error {n}"),
            body: String::new(),
        }
    }

    #[test]
    fn a_storm_is_a_burst_then_one_summary_and_never_blocks_another_agent() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut r = RateLimit::new(Duration::from_secs(600), 3, 20, t0);
        let sent = (0..10_000)
            .filter(|&n| r.admit(&alert("storm", n), t0))
            .count();
        assert_eq!(sent, 3);
        assert!(
            r.admit(&alert("calm", 0), t0),
            "another agent's first alert"
        );
        assert!(
            r.due_summaries("t", t0).is_empty(),
            "not before the window ends"
        );
        let later = t0 + Duration::from_secs(600);
        let summaries = r.due_summaries("t", later);
        assert_eq!(summaries.len(), 1);
        assert!(
            summaries[0].title.contains("and 9997 more like this"),
            "{:?}",
            summaries[0]
        );
        assert!(
            r.admit(&alert("storm", 1), later),
            "a new window, a new burst"
        );
    }

    #[test]
    fn the_total_caps_many_agents_at_once() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut r = RateLimit::new(Duration::from_secs(600), 3, 5, t0);
        let sent = (0..100)
            .filter(|&n| r.admit(&alert(&format!("a{n}"), n), t0))
            .count();
        assert_eq!(sent, 5);
        assert!(r.agents.len() <= MAX_BUCKETS);
    }
}
