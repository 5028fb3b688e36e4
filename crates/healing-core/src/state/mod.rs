//! Atomic, versioned, single-writer state documents.
//!
//! The three binaries talk to each other only through JSON documents in one state directory. Each document
//! has exactly one writer; readers tolerate missing and extra fields. Writes replace the whole document
//! atomically (a reader sees the old version or the new one, never a mix, even if the writer is killed
//! mid-write). Reads are forgiving: a missing document means "defaults", a corrupt one — or one written by a
//! newer binary — is set aside and reported so the caller can alert, and the binary carries on.
//!
//! [`StateBackend`] is the storage seam: the state directory ([`FileBackend`]) or Render Key Value
//! ([`KeyValueBackend`]); [`StateStore`] adds the envelope (`schema_version`, `written_at`, `writer`) and the
//! read rules, and is what everything persisted (state, alert outbox) goes through. [`open_state`] picks the
//! backend from the configuration and takes the one-writer guard (file lock or lease) for a binary.

mod file_backend;
mod instances;
mod keyvalue;
mod kv_loop;
mod kv_worker;
mod lease;
mod lock;
mod open;
mod store;
mod watch;

pub use file_backend::FileBackend;
pub use instances::{DEFAULT_NAMESPACE, instance_id, namespace};
pub use keyvalue::{KeyValueBackend, KeyValueOptions, StoreHealth};
pub use lock::WriterLock;
pub use open::{
    Scope, StateGuard, open_state, open_state_reader, open_state_scoped, open_state_with,
};
pub use store::{Loaded, ReadOutcome, StateStore, rfc3339, rfc3339_millis};
pub use watch::watch_store_health;

use std::path::PathBuf;

/// The document envelope version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 1;

/// The well-known documents and their writers.
/// The instance id of service-scoped documents: writers with one copy per service rather than per
/// instance (the prevention-agent, and auto-recovery, whose cron runs get a new instance id every time
/// yet must remember what they already alerted).
pub const SERVICE_INSTANCE: &str = "service";

pub mod docs {
    /// Written by `self-healing-agent`: breakers, restart windows, history, counters.
    pub const SELF_HEALING: &str = "self_healing_state.json";
    /// Written by `self-healing-agent`: per-agent status for status views and `/health`.
    pub const AGENT_STATUS: &str = "agent_status.json";
    /// Written by `prevention-agent`.
    pub const PREVENTION: &str = "prevention_state.json";
    /// Written by `auto-recovery`.
    pub const RECOVERY: &str = "render_recovery_state.json";

    /// The alert outbox of one binary (`source` is the binary's name).
    pub fn alert_outbox(source: &str) -> String {
        format!("{source}_alert_outbox.json")
    }
}

/// Where state lives: one storage backend, synchronous and object-safe so a key-value implementation can
/// replace the directory without touching callers.
pub trait StateBackend: Send + Sync + std::fmt::Debug {
    /// Replaces document `doc` with `bytes` atomically.
    fn put(&self, doc: &str, bytes: &[u8]) -> Result<(), StateError>;
    /// The current bytes of `doc`, `None` when it does not exist.
    fn get(&self, doc: &str) -> Result<Option<Vec<u8>>, StateError>;
    /// Moves `doc` out of the way as `<doc>.corrupt-<suffix>` and says where it went.
    fn set_aside(&self, doc: &str, suffix: &str) -> Result<String, StateError>;
    /// A human description for logs ("directory /var/state"); never contains a password.
    fn describe(&self) -> String;

    /// The instance whose documents `get` and `put` address: Render's `RENDER_INSTANCE_ID`, else the host
    /// (or [`SERVICE_INSTANCE`] for service-scoped writers).
    fn instance(&self) -> String {
        instance_id()
    }

    /// `doc` as written by `instance` — how a view reads a service-scoped document (the prevention-agent's,
    /// auto-recovery's) from another service. A directory is one machine: every document is there.
    fn get_for(&self, instance: &str, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        let _ = instance;
        self.get(doc)
    }

    /// `doc` as written by every live instance (own one included), sorted by instance id. A directory is
    /// one machine, so it holds one instance; the Key Value store leaves out instances that stopped
    /// heartbeating (redeployed or scaled down) instead of showing them as failed forever.
    fn get_all_instances(&self, doc: &str) -> Result<Vec<(String, Vec<u8>)>, StateError> {
        Ok(self
            .get(doc)?
            .map(|bytes| vec![(self.instance(), bytes)])
            .unwrap_or_default())
    }

    /// Reachability of the store for backends that can lose it (`None`: a local directory, always there).
    /// Binaries watch it to raise one alert when the store goes away and log when it returns.
    fn health(&self) -> Option<tokio::sync::watch::Receiver<StoreHealth>> {
        None
    }
}

/// Everything that can go wrong with state, naming the document or file concerned.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A filesystem operation failed.
    #[error("state {action} failed for {path}: {source}")]
    Io {
        /// What we were doing ("write", "rename", "read", ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another instance of the same binary holds the writer lock.
    #[error(
        "another {owner} is already running (lock file {lock_file} is held{}); refusing to start a second writer",
        holder_pid.map(|p| format!(" by pid {p}")).unwrap_or_default()
    )]
    AlreadyRunning {
        /// The binary that holds the lock.
        owner: String,
        /// The lock file.
        lock_file: PathBuf,
        /// The PID written by the holder, when readable.
        holder_pid: Option<u32>,
    },
    /// Another process of the same binary on the same instance holds the Key Value lease.
    #[error(
        "another {owner} is already running on instance {instance} (lease {key} is held by {holder}); refusing to start a second writer"
    )]
    LeaseHeld {
        /// The binary whose lease is held.
        owner: String,
        /// The instance the lease belongs to.
        instance: String,
        /// The lease key.
        key: String,
        /// Who holds it (`<instance> pid <pid>`), as written by the holder.
        holder: String,
    },
    /// This process no longer holds its lease (it expired while the store was unreachable and another
    /// process took it, or the store was closed): writing on would interleave two writers.
    #[error(
        "{owner} lost its state lease {key}; not writing {doc} so that two writers never interleave"
    )]
    LeaseLost {
        /// The binary that lost the lease.
        owner: String,
        /// The lease key.
        key: String,
        /// The document that was not written.
        doc: String,
    },
    /// The Key Value store did not answer in time or refused the operation.
    #[error("state store {store}: {action} failed: {reason}")]
    Store {
        /// The store (URL with the password masked).
        store: String,
        /// What we were doing ("connect", "read healing:neolight:x:doc.json", ...).
        action: String,
        /// Why (library error text, scrubbed of the URL's password).
        reason: String,
    },
    /// `state_url` / `--state-url` is not a usable Key Value URL.
    #[error("invalid state URL {url}: {reason}")]
    InvalidUrl {
        /// The URL with the password masked.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A document name that could escape the state directory or is otherwise unusable.
    #[error("invalid state document name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The value to write does not serialise to a JSON object (the envelope needs one).
    #[error("state document {doc} could not be serialised: {reason}")]
    Serialize {
        /// The document.
        doc: String,
        /// Why.
        reason: String,
    },
}

/// Refuses names that are empty, hidden, or contain a path separator: a document is a plain file name.
pub(crate) fn check_name(name: &str) -> Result<(), StateError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.starts_with('.') {
        Some("must not start with '.'")
    } else if name.contains(['/', '\\', '\0']) {
        Some("must be a plain file name")
    } else if name.len() > 200 {
        Some("longer than 200 bytes")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StateError::InvalidName {
            name: name.chars().take(64).collect(),
            reason,
        }),
        None => Ok(()),
    }
}
