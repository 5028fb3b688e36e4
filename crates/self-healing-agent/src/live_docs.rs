//! The supervisor's own documents as the HTTP views see them: taken from the event loop's latest
//! snapshot, not from the last file that could be written. With a full or unwritable state directory
//! `/health` still shows an agent that died seconds ago as dead, and names the problem.

use crate::documents::{Doc, Documents, names};
use crate::state_docs::{Snapshot, StateWriter, rfc3339};
use healing_core::state::{SCHEMA_VERSION, StateStore};
use serde_json::{Map, Value};
use std::sync::Arc;
use tokio::sync::watch;

/// The live snapshot, and the store for everything else (other binaries' documents, other instances).
#[derive(Debug, Clone)]
pub struct LiveDocs {
    /// The store the supervisor writes through.
    pub store: Arc<StateStore>,
    /// The event loop's snapshots.
    pub snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    /// The writer, whose failure to write is shown as `state_problem` in the status.
    pub writer: Arc<StateWriter>,
}

impl LiveDocs {
    /// `name` from the live snapshot when it is one of the supervisor's own documents.
    pub fn own(&self, name: &str) -> Option<Doc> {
        let snap = self.snapshots.borrow().clone()?;
        let body = match name {
            names::AGENT_STATUS => serde_json::to_value(&snap.status),
            names::SELF_HEALING => serde_json::to_value(&snap.state),
            _ => return None,
        };
        let Ok(Value::Object(fields)) = body else {
            return Some(Doc::Corrupt(format!("{name}: cannot be shown")));
        };
        let mut doc = Map::new();
        doc.insert("schema_version".into(), SCHEMA_VERSION.into());
        doc.insert("written_at".into(), rfc3339(snap.taken_at).into());
        doc.insert("writer".into(), crate::SOURCE.into());
        if let (names::AGENT_STATUS, Some(problem)) = (name, self.writer.problem()) {
            doc.insert("state_problem".into(), problem.into());
        }
        for (k, v) in fields {
            doc.entry(k).or_insert(v);
        }
        Some(Doc::Loaded(Value::Object(doc)))
    }

    /// The same documents read from the store.
    pub fn stored(&self) -> Documents {
        Documents::Store(self.store.clone())
    }
}
