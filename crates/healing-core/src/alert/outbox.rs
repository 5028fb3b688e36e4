//! Alerts that could not be delivered, persisted through the [`StateStore`] so they survive a restart
//! and are re-sent first by the next worker.

use super::{Alert, SinkKind};
use crate::state::{ReadOutcome, StateStore, rfc3339};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::SystemTime;

/// One undelivered alert for one sink (a message delivered to Telegram but not to the webhook is only
/// re-sent to the webhook).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The alert as queued (no secrets: sinks are named by kind, never by URL or token).
    pub alert: Alert,
    /// Which destination still owes it.
    pub sink: SinkKind,
    /// Delivery attempts so far (rounds, not HTTP requests).
    pub attempts: u32,
    /// When it first failed (RFC 3339).
    pub first_failed_at: String,
    /// The last error, secret-free.
    pub last_error: String,
}

/// The persisted document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboxDoc {
    /// Oldest first.
    #[serde(default)]
    pub entries: Vec<OutboxEntry>,
}

/// The in-memory outbox and its document.
#[derive(Debug)]
pub(super) struct Outbox {
    /// Where it is persisted.
    store: Arc<StateStore>,
    /// `<source>_alert_outbox.json`.
    doc: String,
    /// Oldest dropped first beyond this many entries.
    limit: usize,
    /// Current content.
    pub(super) entries: Vec<OutboxEntry>,
}

impl Outbox {
    /// Loads what a previous run left; a corrupt outbox was set aside by the store and starts empty.
    pub(super) fn load(store: Arc<StateStore>, doc: String, limit: usize) -> Self {
        let entries = match store.read::<OutboxDoc>(&doc) {
            ReadOutcome::Loaded(d) => d.entries,
            ReadOutcome::Missing => Vec::new(),
            ReadOutcome::Corrupt { moved_to, error } => {
                tracing::warn!(
                    doc,
                    moved_to,
                    error,
                    "alert outbox unusable; starting empty"
                );
                Vec::new()
            }
        };
        Self {
            store,
            doc,
            limit: limit.max(1),
            entries,
        }
    }

    pub(super) fn push(&mut self, alert: Alert, sink: SinkKind, error: String, now: SystemTime) {
        if self.entries.len() >= self.limit {
            let dropped = self.entries.remove(0);
            tracing::warn!(alert = dropped.alert.key, sink = %dropped.sink,
                "alert outbox full; oldest undelivered alert dropped");
        }
        self.entries.push(OutboxEntry {
            alert,
            sink,
            attempts: 1,
            first_failed_at: rfc3339(now),
            last_error: error,
        });
    }

    /// Writes the document; a failure is logged (the entries stay in memory and are retried).
    pub(super) fn persist(&self) {
        let doc = OutboxDoc {
            entries: self.entries.clone(),
        };
        if let Err(e) = self.store.write(&self.doc, &doc) {
            tracing::warn!(doc = self.doc, error = %e, "could not persist alert outbox");
        }
    }
}
