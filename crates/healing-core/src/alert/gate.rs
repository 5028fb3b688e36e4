//! Which alerts go out: severity filter, de-duplication, rate limit. Applied in
//! [`super::AlertHandle::send`], before the queue, so a storm of alerts that will never be sent
//! cannot fill the queue and crowd out an alert about another agent.

use super::dedup::Dedup;
use super::rate::RateLimit;
use super::{Alert, AlertStats, lock};
use crate::clock::SharedClock;
use crate::kind::Severity;
use std::sync::Mutex;

/// The admission rules of one alerter.
#[derive(Debug)]
pub(super) struct Gate {
    pub(super) min_severity: Severity,
    pub(super) dedup: Dedup,
    pub(super) rate: RateLimit,
    pub(super) has_sinks: bool,
    pub(super) clock: SharedClock,
}

impl Gate {
    /// Whether `alert` is to be delivered; logs and counts why not.
    pub(super) fn admit(&mut self, alert: &Alert, stats: &Mutex<AlertStats>) -> bool {
        let now = self.clock.now();
        if alert.severity < self.min_severity {
            lock(stats).below_threshold += 1;
            super::note_recent(stats, now, alert, "below_threshold", None);
            tracing::info!(alert = alert.key, severity = %alert.severity, title = alert.title,
                outcome = "below_threshold", "alert recorded, not sent");
            return false;
        }
        if !self.dedup.admit(&alert.key, now) {
            lock(stats).duplicates += 1;
            super::note_recent(stats, now, alert, "duplicate", None);
            tracing::debug!(alert = alert.key, severity = %alert.severity,
                outcome = "duplicate", "alert dropped as duplicate within the dedup window");
            return false;
        }
        if !self.rate.admit(alert, now) {
            lock(stats).rate_limited += 1;
            super::note_recent(stats, now, alert, "rate_limited", None);
            tracing::debug!(
                alert = alert.key,
                outcome = "rate_limited",
                "alert held back by the rate limit (summarised when the window ends)"
            );
            return false;
        }
        if !self.has_sinks {
            lock(stats).no_sink += 1;
            super::note_recent(stats, now, alert, "no_sink", None);
            tracing::warn!(alert = alert.key, severity = %alert.severity, title = alert.title,
                outcome = "no_sink", "alert (no sink configured)");
            return false;
        }
        true
    }
}
