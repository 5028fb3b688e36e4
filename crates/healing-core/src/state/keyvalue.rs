//! The Key Value backend: state documents in Render Key Value (any Redis-compatible store).
//!
//! Key layout (namespace from `HEALING_NAMESPACE`, default `neolight`; instance from `RENDER_INSTANCE_ID`,
//! neither can contain `:` or `~`):
//!
//! | key | holds |
//! |---|---|
//! | `healing:<ns>:<instance>:<doc>` | one document of one instance, replaced whole by one `SET`; service-scoped writers (prevention-agent, auto-recovery) use the instance `service`, so cron runs and redeploys find the previous run's document |
//! | `healing:<ns>:~lease:<instance>:<owner>` | the one-writer lease of binary `<owner>` on `<instance>` |
//! | `healing:<ns>:~instances` | sorted set: instance → last heartbeat (unix ms), for every-instance views |
//!
//! The trait stays synchronous and never waits on the network for a write: callers run on a
//! current-thread runtime and the supervisor's restart path must not stall because the store is away.
//! `put` updates an in-memory copy and hands the bytes to a background writer (its own thread and
//! runtime) that keeps the latest bytes per document pending until a `SET` succeeds, reconnecting with
//! backoff — nothing is lost or reordered, and everything owned is written again after a reconnect (the
//! store may have restarted empty). `get` of a document this process wrote is served from memory; other
//! reads fetch with a bounded timeout and fall back to the last copy seen.

use super::kv_worker::{self, Shared};
use super::{StateBackend, StateError, check_name};
use crate::clock::SharedClock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Whether the store can be used; published on a `watch` channel by [`StateBackend::health`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreHealth {
    /// Connected; writes go through.
    Reachable,
    /// Not answering: documents are kept in memory and written when it returns.
    Unreachable {
        /// Why (password-free).
        error: String,
    },
    /// The lease was taken by another process: this one stops writing and should exit.
    LeaseLost,
}

/// Tunables of the Key Value backend; [`KeyValueOptions::from_env`] gives the production values.
#[derive(Debug, Clone)]
pub struct KeyValueOptions {
    /// Key namespace (`HEALING_NAMESPACE`).
    pub namespace: String,
    /// This instance (`RENDER_INSTANCE_ID`).
    pub instance: String,
    /// Lease lifetime; renewed every third of it. A crashed holder is replaced after at most this long.
    pub lease_ttl: Duration,
    /// Instances whose heartbeat is older than this are left out of every-instance views.
    pub age_out: Duration,
    /// Upper bound of every network operation (connect, read, write).
    pub op_timeout: Duration,
    /// First reconnect delay; doubles (with jitter) up to `reconnect_max`.
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
}

impl KeyValueOptions {
    /// Namespace and instance from the environment; a 30 s lease, age-out after three lease lifetimes.
    pub fn from_env() -> Self {
        let lease_ttl = Duration::from_secs(30);
        Self {
            namespace: super::namespace(),
            instance: super::instance_id(),
            lease_ttl,
            age_out: lease_ttl * 3,
            op_timeout: Duration::from_secs(3),
            reconnect_min: Duration::from_millis(200),
            reconnect_max: Duration::from_secs(10),
        }
    }
}

/// State documents in a Key Value store; see the module docs for the key layout.
#[derive(Debug)]
pub struct KeyValueBackend {
    shared: Arc<Shared>,
}

impl KeyValueBackend {
    /// Connects (bounded by `op_timeout`) and, when `owner` is given, takes its lease and registers the
    /// instance; `owner: None` opens a reader (status views) that holds no lease and writes nothing.
    /// Fails with [`StateError::LeaseHeld`] when another process of `owner` runs on this instance.
    pub fn connect(
        url: &str,
        opts: KeyValueOptions,
        clock: SharedClock,
        owner: Option<&str>,
    ) -> Result<Self, StateError> {
        let shown = crate::redact::line(url);
        let parsed = url::Url::parse(url).map_err(|e| StateError::InvalidUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(StateError::InvalidUrl {
                url: shown,
                reason: format!("scheme must be redis or rediss, not {:?}", parsed.scheme()),
            });
        }
        let secrets = secrets_of(&parsed);
        let client = redis::Client::open(url).map_err(|e| {
            let hidden: Vec<&str> = secrets.iter().map(String::as_str).collect();
            StateError::InvalidUrl {
                url: shown.clone(),
                reason: crate::redact::scrub(&e.to_string(), &hidden),
            }
        })?;
        if let Some(owner) = owner {
            check_name(owner)?;
        }
        let shared = kv_worker::start(client, shown, secrets, opts, clock, owner)?;
        Ok(Self { shared })
    }

    /// Writes everything still pending and releases the lease, waiting at most `timeout`. Later writes
    /// are refused with [`StateError::LeaseLost`]. Called by the guard that [`super::open_state`] returns.
    pub fn shutdown(&self, timeout: Duration) {
        self.shared.shutdown(timeout);
    }

    /// Documents written locally but not yet stored (0 once the store has caught up).
    pub fn pending(&self) -> usize {
        self.shared.pending_len()
    }

    /// The key of `doc` for this instance, e.g. `healing:neolight:srv-1:agent_status.json`.
    pub fn key_of(&self, doc: &str) -> Result<String, StateError> {
        check_name(doc)?;
        Ok(self.shared.keys.doc(&self.shared.keys.instance, doc))
    }
}

impl Drop for KeyValueBackend {
    fn drop(&mut self) {
        // Without waiting: the guard already flushed on a clean shutdown; this only stops the thread.
        self.shared.shutdown(Duration::ZERO);
    }
}

/// The URL parts that must never appear in text: password and user name.
fn secrets_of(url: &url::Url) -> Vec<String> {
    [url.password().unwrap_or(""), url.username()]
        .into_iter()
        .filter(|s| s.len() >= 3)
        .map(str::to_string)
        .collect()
}

impl StateBackend for KeyValueBackend {
    fn put(&self, doc: &str, bytes: &[u8]) -> Result<(), StateError> {
        check_name(doc)?;
        self.shared.put(doc, bytes)
    }

    fn get(&self, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        check_name(doc)?;
        self.shared.get(doc)
    }

    fn set_aside(&self, doc: &str, suffix: &str) -> Result<String, StateError> {
        check_name(doc)?;
        check_name(&format!("{doc}.corrupt-{suffix}"))?;
        self.shared.set_aside(doc, suffix)
    }

    fn describe(&self) -> String {
        format!(
            "key value store {} (namespace {}, instance {})",
            self.shared.store, self.shared.keys.namespace, self.shared.keys.instance
        )
    }

    fn instance(&self) -> String {
        self.shared.keys.instance.clone()
    }

    fn get_for(&self, instance: &str, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        check_name(doc)?;
        if instance == self.shared.keys.instance {
            return self.shared.get(doc);
        }
        self.shared.get_other(instance, doc)
    }

    fn get_all_instances(&self, doc: &str) -> Result<Vec<(String, Vec<u8>)>, StateError> {
        check_name(doc)?;
        self.shared.get_all_instances(doc)
    }

    fn health(&self) -> Option<watch::Receiver<StoreHealth>> {
        Some(self.shared.health.subscribe())
    }
}
