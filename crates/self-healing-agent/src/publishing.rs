//! Getting the supervisor's state out: snapshots for the coalescing writer (at most every
//! [`PUBLISH_EVERY`], however many events arrive), synchronous writes before a spawn, and the count
//! of incidents dropped under overload.

use crate::supervisor::Supervisor;
use std::sync::Arc;
use std::time::Duration;

/// Shortest interval between two snapshots while events keep coming.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(100);

/// Shortest interval between two log lines about dropped incidents.
const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

impl Supervisor {
    /// Writes the state now, before the caller spawns: a start the budget counted is on disk even if
    /// the supervisor is killed the next instant.
    pub fn persist_now(&mut self) {
        self.account_drops();
        if let Some(w) = self.durable.clone() {
            let snap = self.snapshot();
            w.write(&snap);
        }
    }

    /// Hands a snapshot to the state writer when something changed.
    pub fn publish(&mut self) {
        self.account_drops();
        if self.dirty {
            self.dirty = false;
            let snap = self.snapshot();
            self.snapshots.send_replace(Some(Arc::new(snap)));
        }
    }

    /// Moves the incidents the readers dropped into the counters (`/metrics`) and says so in the
    /// log, at most every [`DROP_LOG_EVERY`].
    fn account_drops(&mut self) {
        let dropped = self.backlog.dropped();
        if dropped <= self.dropped_reported {
            return;
        }
        self.counters.incidents_dropped += dropped - self.dropped_reported;
        self.dirty = true;
        let now = self.clock.now();
        let due = self.drops_logged_at.is_none_or(|at| {
            now.duration_since(at)
                .map_or(true, |age| age >= DROP_LOG_EVERY)
        });
        if due {
            tracing::warn!(
                dropped = dropped - self.dropped_logged,
                total = self.counters.incidents_dropped,
                "overloaded: incident lines dropped (exits and restarts are unaffected)"
            );
            self.dropped_logged = dropped;
            self.drops_logged_at = Some(now);
        }
        self.dropped_reported = dropped;
    }
}
