//! The Key Value backend's shared state and its synchronous operations: memory copies, the pending
//! writes, bounded-time calls into the background runtime, and health transitions.

use super::keyvalue::{KeyValueOptions, StoreHealth};
use super::lease::Lease;
use super::{StateError, kv_loop};
use crate::clock::SharedClock;
use redis::aio::MultiplexedConnection;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

/// Document bytes shared between memory and the pending queue; pointer identity tells whether a pending
/// entry was replaced while it was being written.
pub(crate) type Bytes = Arc<Vec<u8>>;

/// Key names; see the table in `keyvalue.rs`.
#[derive(Debug)]
pub(crate) struct Keys {
    pub namespace: String,
    pub instance: String,
}

impl Keys {
    pub fn doc(&self, instance: &str, doc: &str) -> String {
        format!("healing:{}:{instance}:{doc}", self.namespace)
    }
    pub fn lease(&self, owner: &str) -> String {
        format!(
            "healing:{}:~lease:{}:{owner}",
            self.namespace, self.instance
        )
    }
    pub fn registry(&self) -> String {
        format!("healing:{}:~instances", self.namespace)
    }
}

/// What this process knows about documents.
#[derive(Debug, Default)]
pub(crate) struct Docs {
    /// Written by this process: the truth, served from memory.
    pub owned: HashMap<String, Bytes>,
    /// Last copies fetched of documents written elsewhere: the fallback while the store is away.
    pub seen: HashMap<String, Vec<u8>>,
    /// Latest bytes per document not yet stored.
    pub pending: BTreeMap<String, Bytes>,
}

/// Everything the backend and its background writer share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub keys: Keys,
    /// The URL with the password masked.
    pub store: String,
    /// Password and user name, scrubbed from library error text.
    secrets: Vec<String>,
    pub opts: KeyValueOptions,
    pub clock: SharedClock,
    pub lease: Option<Lease>,
    handle: tokio::runtime::Handle,
    docs: Mutex<Docs>,
    conn: Mutex<Option<MultiplexedConnection>>,
    /// Rung by `put`: there is something to write.
    pub wake: Notify,
    /// Held by the writer while it stores a batch and by `set_aside` while it renames: a batch taken
    /// before a document was set aside must land before the rename, never after it.
    pub io: Arc<tokio::sync::Mutex<()>>,
    /// Cancelled by `shutdown`.
    pub stop: CancellationToken,
    pub health: watch::Sender<StoreHealth>,
    pub lease_lost: AtomicBool,
    /// Signalled when the writer thread has finished (final flush and release done).
    finished: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the writer thread, connects and (for an owner) takes the lease, all bounded by `op_timeout`.
pub(crate) fn start(
    client: redis::Client,
    store: String,
    secrets: Vec<String>,
    opts: KeyValueOptions,
    clock: SharedClock,
    owner: Option<&str>,
) -> Result<Arc<Shared>, StateError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StateError::Store {
            store: store.clone(),
            action: "start the state writer runtime".into(),
            reason: e.to_string(),
        })?;
    let handle = rt.handle().clone();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let (fin_tx, fin_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("healing-kv".into())
        .spawn(move || {
            // Ends when the writer says it is done, or when the sender is dropped (start failed).
            let _ = rt.block_on(done_rx);
            let _ = fin_tx.send(());
        })
        .map_err(|e| StateError::Store {
            store: store.clone(),
            action: "start the state writer thread".into(),
            reason: e.to_string(),
        })?;
    let keys = Keys {
        namespace: opts.namespace.clone(),
        instance: opts.instance.clone(),
    };
    let lease = owner.map(|o| Lease::new(o, keys.lease(o), &keys.instance, opts.lease_ttl));
    let (health, _) = watch::channel(StoreHealth::Reachable);
    let shared = Arc::new(Shared {
        keys,
        store,
        secrets,
        opts,
        clock,
        lease,
        handle,
        docs: Mutex::new(Docs::default()),
        conn: Mutex::new(None),
        wake: Notify::new(),
        io: Arc::new(tokio::sync::Mutex::new(())),
        stop: CancellationToken::new(),
        health,
        lease_lost: AtomicBool::new(false),
        finished: Mutex::new(Some(fin_rx)),
    });
    let s = shared.clone();
    let c = client.clone();
    shared.bounded("connect", async move { kv_loop::claim(&s, &c).await })??;
    shared
        .handle
        .spawn(kv_loop::run(shared.clone(), client, done_tx));
    Ok(shared)
}

impl Shared {
    /// Runs `fut` on the writer runtime and waits for it at most `op_timeout` (plus a margin).
    pub fn bounded<T: Send + 'static>(
        &self,
        action: &str,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StateError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let limit = self.opts.op_timeout;
        self.handle.spawn(async move {
            if let Ok(r) = tokio::time::timeout(limit, fut).await {
                let _ = tx.send(r);
            }
        });
        rx.recv_timeout(limit + Duration::from_millis(200))
            .map_err(|_| {
                self.error(
                    action,
                    format!("no answer within {}", humantime::format_duration(limit)),
                )
            })
    }

    /// Runs a store command with [`Shared::bounded`], naming `action` in any error.
    pub fn command<T: Send + 'static>(
        &self,
        action: &str,
        fut: impl Future<Output = Result<T, redis::RedisError>> + Send + 'static,
    ) -> Result<T, StateError> {
        self.bounded(action, fut)?
            .map_err(|e| self.error(action, e))
    }

    /// A [`StateError::Store`] with library text scrubbed of the URL's secrets.
    pub fn error(&self, action: impl Into<String>, reason: impl std::fmt::Display) -> StateError {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        StateError::Store {
            store: self.store.clone(),
            action: action.into(),
            reason: crate::redact::scrub(&reason.to_string(), &secrets),
        }
    }

    pub fn connection(&self) -> Option<MultiplexedConnection> {
        lock(&self.conn).clone()
    }
    pub fn set_connection(&self, conn: Option<MultiplexedConnection>) {
        *lock(&self.conn) = conn;
    }
    pub fn docs(&self) -> MutexGuard<'_, Docs> {
        lock(&self.docs)
    }
    pub fn pending_len(&self) -> usize {
        self.docs().pending.len()
    }
    pub fn now_ms(&self) -> u64 {
        let since = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    }

    pub fn put(&self, doc: &str, bytes: &[u8]) -> Result<(), StateError> {
        if self.stop.is_cancelled() || self.lease_lost.load(Ordering::SeqCst) {
            return Err(StateError::LeaseLost {
                owner: self
                    .lease
                    .as_ref()
                    .map(|l| l.owner.clone())
                    .unwrap_or_default(),
                key: self
                    .lease
                    .as_ref()
                    .map(|l| l.key.clone())
                    .unwrap_or_default(),
                doc: doc.to_string(),
            });
        }
        let bytes: Bytes = Arc::new(bytes.to_vec());
        let mut docs = self.docs();
        docs.owned.insert(doc.to_string(), bytes.clone());
        docs.pending.insert(doc.to_string(), bytes);
        drop(docs);
        self.wake.notify_one();
        Ok(())
    }

    pub fn get(&self, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        if let Some(bytes) = self.docs().owned.get(doc) {
            return Ok(Some(bytes.to_vec()));
        }
        let key = self.keys.doc(&self.keys.instance, doc);
        let fetched = match self.connection() {
            None => Err(self.error(format!("read {key}"), "not connected")),
            Some(mut conn) => self.command(&format!("read {key}"), async move {
                redis::cmd("GET")
                    .arg(&key)
                    .query_async::<Option<Vec<u8>>>(&mut conn)
                    .await
            }),
        };
        let mut docs = self.docs();
        match fetched {
            Ok(Some(bytes)) => {
                docs.seen.insert(doc.to_string(), bytes.clone());
                Ok(Some(bytes))
            }
            Ok(None) => {
                docs.seen.remove(doc);
                Ok(None)
            }
            Err(e) => docs.seen.get(doc).cloned().map(Some).ok_or(e),
        }
    }

    /// Another instance's copy of `doc`, fetched with the usual bound (no memory fallback: it is not ours).
    pub fn get_other(&self, instance: &str, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        let key = self.keys.doc(instance, doc);
        match self.connection() {
            None => Err(self.error(format!("read {key}"), "not connected")),
            Some(mut conn) => self.command(&format!("read {key}"), async move {
                redis::cmd("GET")
                    .arg(&key)
                    .query_async::<Option<Vec<u8>>>(&mut conn)
                    .await
            }),
        }
    }

    pub fn get_all_instances(&self, doc: &str) -> Result<Vec<(String, Vec<u8>)>, StateError> {
        let own = self.docs().owned.get(doc).map(|b| b.to_vec());
        let min = self
            .now_ms()
            .saturating_sub(u64::try_from(self.opts.age_out.as_millis()).unwrap_or(u64::MAX));
        let fetched = match self.connection() {
            None => Err(self.error("list instances", "not connected")),
            Some(mut conn) => {
                let (registry, keys_ns, doc_s) = (
                    self.keys.registry(),
                    self.keys.namespace.clone(),
                    doc.to_string(),
                );
                self.command("list instances", async move {
                    kv_loop::fetch_all(&mut conn, &registry, &keys_ns, &doc_s, min).await
                })
            }
        };
        let mut all: BTreeMap<String, Vec<u8>> = match fetched {
            Ok(found) => found.into_iter().collect(),
            Err(e) if own.is_none() => return Err(e),
            Err(_) => BTreeMap::new(),
        };
        if let Some(bytes) = own {
            all.insert(self.keys.instance.clone(), bytes);
        }
        Ok(all.into_iter().collect())
    }

    pub fn set_aside(&self, doc: &str, suffix: &str) -> Result<String, StateError> {
        let mut docs = self.docs();
        // A copy written by this process may not be stored yet: set aside the bytes it read.
        let copy = docs.owned.remove(doc).map(|b| b.to_vec());
        docs.seen.remove(doc);
        docs.pending.remove(doc);
        drop(docs);
        let key = self.keys.doc(&self.keys.instance, doc);
        let Some(mut conn) = self.connection() else {
            return Err(self.error(format!("set aside {key}"), "not connected"));
        };
        let base = format!("{key}.corrupt-{suffix}");
        let action = format!("set aside {key}");
        let io = self.io.clone();
        self.command(&action, async move {
            let _writing = io.lock().await;
            kv_loop::rename_aside(&mut conn, &key, &base, copy).await
        })
    }

    /// Publishes "unreachable" once per outage, with one warning.
    pub fn mark_unreachable(&self, error: &StateError) {
        let error = error.to_string();
        self.health.send_if_modified(|h| match h {
            StoreHealth::Reachable => {
                tracing::warn!(store = %self.store, %error,
                    "state store unreachable; keeping state in memory and retrying with backoff");
                *h = StoreHealth::Unreachable { error };
                true
            }
            _ => false,
        });
    }

    /// Publishes "reachable" after an outage, with one log line.
    pub fn mark_reachable(&self) {
        self.health.send_if_modified(|h| match h {
            StoreHealth::Unreachable { .. } => {
                tracing::info!(store = %self.store, pending = self.pending_len(),
                    "state store reachable again; writing pending documents");
                *h = StoreHealth::Reachable;
                true
            }
            _ => false,
        });
    }

    pub fn mark_lease_lost(&self) {
        self.lease_lost.store(true, Ordering::SeqCst);
        if let Some(lease) = &self.lease {
            tracing::error!(owner = %lease.owner, key = %lease.key,
                "state lease taken by another process; no longer writing state");
        }
        self.health.send_replace(StoreHealth::LeaseLost);
    }

    /// Stops the writer after its final flush and lease release, waiting at most `timeout`.
    pub fn shutdown(&self, timeout: Duration) {
        self.stop.cancel();
        let finished = lock(&self.finished).take();
        if let Some(rx) = finished
            && !timeout.is_zero()
        {
            let _ = rx.recv_timeout(timeout);
        }
    }
}
