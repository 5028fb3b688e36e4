//! What became of the alerts so far: counts per outcome and the bounded list of recent alerts (read
//! by tests, the status views and `/metrics`).

use super::{Alert, SinkKind};
use crate::kind::Severity;
use std::sync::Mutex;
use std::time::Duration;

/// What happened to alerts so far (for tests, status views and metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertStats {
    /// Deliveries that succeeded (one per sink).
    pub sent: u64,
    /// Of those, deliveries of outbox entries from an earlier failure or run.
    pub resent_from_outbox: u64,
    /// Dropped as a duplicate within the window.
    pub duplicates: u64,
    /// Below `min_severity`: logged, not sent.
    pub below_threshold: u64,
    /// Accepted but no sink is configured: logged only.
    pub no_sink: u64,
    /// Deliveries that failed and went to the outbox.
    pub failed: u64,
    /// Deliveries refused by the server (4xx): dropped, not retried.
    pub rejected: u64,
    /// Dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Held back by the rate limit (reported in summaries).
    pub rate_limited: u64,
    /// Waits requested before a retry (server `retry_after` or backoff), unscaled; last 64.
    pub requested_waits: Vec<Duration>,
    /// Entries currently in the outbox.
    pub outbox_pending: usize,
    /// The last delivery error, secret-free.
    pub last_error: Option<String>,
    /// What became of the latest alerts, oldest first, at most [`RECENT_ALERTS_KEPT`] (the status page
    /// shows whether each was sent).
    pub recent: std::collections::VecDeque<AlertRecord>,
}

/// Alerts remembered in [`AlertStats::recent`].
pub const RECENT_ALERTS_KEPT: usize = 20;

/// Remembers what became of `alert` in the bounded list of recent alerts.
pub(super) fn note_recent(
    stats: &Mutex<AlertStats>,
    at: std::time::SystemTime,
    alert: &Alert,
    outcome: &'static str,
    sink: Option<SinkKind>,
) {
    let mut stats = lock(stats);
    if stats.recent.len() >= RECENT_ALERTS_KEPT {
        stats.recent.pop_front();
    }
    stats.recent.push_back(AlertRecord {
        at,
        severity: alert.severity,
        agent: alert.agent.clone(),
        title: alert.title.clone(),
        outcome,
        sink,
    });
}

/// One alert and what the worker did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// When the worker handled it.
    pub at: std::time::SystemTime,
    /// Its severity.
    pub severity: Severity,
    /// The agent concerned, if any.
    pub agent: Option<String>,
    /// Its one-line title.
    pub title: String,
    /// `sent`, `outbox` (failed, will be retried), `rejected`, `duplicate`, `below_threshold` or `no_sink`.
    pub outcome: &'static str,
    /// The sink, for `sent`, `outbox` and `rejected`.
    pub sink: Option<SinkKind>,
}

pub(super) fn lock(stats: &Mutex<AlertStats>) -> std::sync::MutexGuard<'_, AlertStats> {
    stats.lock().unwrap_or_else(|e| e.into_inner())
}
