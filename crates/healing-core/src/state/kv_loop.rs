//! The Key Value backend's background writer: connect, renew the lease, heartbeat the instance, write
//! pending documents; on any failure drop the connection, report the outage once, back off, reconnect
//! and write everything owned again (the store may have come back empty).

use super::StateError;
use super::kv_worker::Shared;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisError};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

/// Opens a connection bounded by `op_timeout` for both connecting and every later answer.
async fn connect(
    shared: &Shared,
    client: &redis::Client,
) -> Result<MultiplexedConnection, StateError> {
    let limit = Some(shared.opts.op_timeout);
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(limit)
        .set_response_timeout(limit);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| shared.error("connect", e))
}

/// The first connection: take the lease (refusing a second writer) and register the instance.
pub(crate) async fn claim(shared: &Shared, client: &redis::Client) -> Result<(), StateError> {
    let mut conn = connect(shared, client).await?;
    if let Some(lease) = &shared.lease {
        let refused = lease
            .acquire(&mut conn)
            .await
            .map_err(|e| shared.error(format!("take lease {}", lease.key), e))?;
        if let Some(holder) = refused {
            return Err(StateError::LeaseHeld {
                owner: lease.owner.clone(),
                instance: shared.keys.instance.clone(),
                key: lease.key.clone(),
                holder,
            });
        }
        heartbeat(shared, &mut conn)
            .await
            .map_err(|e| shared.error("register instance", e))?;
    }
    shared.set_connection(Some(conn));
    Ok(())
}

/// Records this instance as alive now and forgets instances silent for 100 age-outs (bounded registry).
async fn heartbeat(shared: &Shared, conn: &mut MultiplexedConnection) -> Result<(), RedisError> {
    let now = shared.now_ms();
    let forget_before = now.saturating_sub(
        u64::try_from(shared.opts.age_out.as_millis().saturating_mul(100)).unwrap_or(u64::MAX),
    );
    redis::pipe()
        .cmd("ZADD")
        .arg(shared.keys.registry())
        .arg(now)
        .arg(&shared.keys.instance)
        .ignore()
        .cmd("ZREMRANGEBYSCORE")
        .arg(shared.keys.registry())
        .arg("-inf")
        .arg(format!("({forget_before}"))
        .ignore()
        .query_async::<()>(conn)
        .await
}

/// The writer loop; ends after the final flush and lease release once `stop` is cancelled.
pub(crate) async fn run(
    shared: Arc<Shared>,
    client: redis::Client,
    done: tokio::sync::oneshot::Sender<()>,
) {
    let beat_every = (shared.opts.lease_ttl / 3).max(Duration::from_millis(10));
    let mut next_beat = Instant::now() + beat_every;
    let mut failures = 0u32;
    loop {
        let stopping = shared.stop.is_cancelled();
        let conn = match shared.connection() {
            Some(conn) => Some(conn),
            None if stopping => break,
            None => match connect(&shared, &client).await {
                Ok(conn) => {
                    shared.set_connection(Some(conn.clone()));
                    requeue_owned(&shared);
                    next_beat = Instant::now();
                    Some(conn)
                }
                Err(e) => {
                    shared.mark_unreachable(&e);
                    None
                }
            },
        };
        if let Some(mut conn) = conn {
            match tick(&shared, &mut conn, &mut next_beat, beat_every).await {
                Ok(()) => {
                    failures = 0;
                    shared.mark_reachable();
                    if stopping {
                        if let Some(lease) = &shared.lease
                            && !shared.lease_lost.load(Ordering::SeqCst)
                        {
                            let _ = lease.release(&mut conn).await;
                        }
                        break;
                    }
                    tokio::select! {
                        () = shared.wake.notified() => {}
                        () = tokio::time::sleep_until(next_beat) => {}
                        () = shared.stop.cancelled() => {}
                    }
                    continue;
                }
                Err(e) => {
                    shared.set_connection(None);
                    shared.mark_unreachable(&shared.error("write", e));
                }
            }
        }
        if stopping {
            break;
        }
        let delay = backoff(&shared, failures);
        failures = failures.saturating_add(1);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shared.stop.cancelled() => {}
        }
    }
    if !shared.docs().pending.is_empty() {
        tracing::warn!(store = %shared.store, pending = shared.pending_len(),
            "state writer stopped with documents not yet stored");
    }
    let _ = done.send(());
}

/// After a reconnect every owned document is written again: a store restarted without persistence
/// lost them, and rewriting identical bytes is harmless.
fn requeue_owned(shared: &Shared) {
    let mut docs = shared.docs();
    let owned: Vec<_> = docs
        .owned
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (doc, bytes) in owned {
        docs.pending.entry(doc).or_insert(bytes);
    }
}

/// One round: heartbeat when due, then every pending document, latest bytes only.
async fn tick(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
    next_beat: &mut Instant,
    beat_every: Duration,
) -> Result<(), RedisError> {
    if shared.lease_lost.load(Ordering::SeqCst) {
        return Ok(());
    }
    if Instant::now() >= *next_beat {
        if let Some(lease) = &shared.lease {
            if !lease.renew(conn).await? {
                shared.mark_lease_lost();
                return Ok(());
            }
            heartbeat(shared, conn).await?;
        }
        *next_beat = Instant::now() + beat_every;
    }
    let io = shared.io.clone();
    let _writing = io.lock().await;
    let batch: Vec<_> = shared
        .docs()
        .pending
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (doc, bytes) in batch {
        let key = shared.keys.doc(&shared.keys.instance, &doc);
        let written = match &shared.lease {
            Some(lease) => lease.write(conn, &key, &bytes).await?,
            None => {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(bytes.as_slice())
                    .query_async::<()>(conn)
                    .await?;
                true
            }
        };
        if !written {
            shared.mark_lease_lost();
            return Ok(());
        }
        let mut docs = shared.docs();
        if docs
            .pending
            .get(&doc)
            .is_some_and(|p| Arc::ptr_eq(p, &bytes))
        {
            docs.pending.remove(&doc);
        }
    }
    Ok(())
}

/// Doubling from `reconnect_min` to `reconnect_max`, with ±20 % jitter so instances do not stampede.
fn backoff(shared: &Shared, failures: u32) -> Duration {
    let base = shared
        .opts
        .reconnect_min
        .saturating_mul(1u32 << failures.min(16))
        .min(shared.opts.reconnect_max);
    base.mul_f64(0.8 + 0.4 * fastrand::f64())
}

/// `doc` of every instance heartbeating since `min_ms`.
pub(crate) async fn fetch_all(
    conn: &mut MultiplexedConnection,
    registry: &str,
    namespace: &str,
    doc: &str,
    min_ms: u64,
) -> Result<Vec<(String, Vec<u8>)>, RedisError> {
    let instances: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(registry)
        .arg(min_ms)
        .arg("+inf")
        .query_async(conn)
        .await?;
    if instances.is_empty() {
        return Ok(Vec::new());
    }
    let mut mget = redis::cmd("MGET");
    for instance in &instances {
        mget.arg(format!("healing:{namespace}:{instance}:{doc}"));
    }
    let values: Vec<Option<Vec<u8>>> = mget.query_async(conn).await?;
    Ok(instances
        .into_iter()
        .zip(values)
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect())
}

/// Moves `key` to `base` (or `base-1`, `base-2`, ...), never over an earlier set-aside copy. With `copy`
/// (bytes this process holds that may not be stored yet) those bytes are set aside and `key` deleted.
pub(crate) async fn rename_aside(
    conn: &mut MultiplexedConnection,
    key: &str,
    base: &str,
    copy: Option<Vec<u8>>,
) -> Result<String, RedisError> {
    for n in 0..1000u32 {
        let to = if n == 0 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let moved: bool = match &copy {
            Some(bytes) => {
                let set: Option<String> = redis::cmd("SET")
                    .arg(&to)
                    .arg(bytes.as_slice())
                    .arg("NX")
                    .query_async(conn)
                    .await?;
                if set.is_some() {
                    redis::cmd("DEL").arg(key).query_async::<()>(conn).await?;
                }
                set.is_some()
            }
            None => {
                redis::cmd("RENAMENX")
                    .arg(key)
                    .arg(&to)
                    .query_async(conn)
                    .await?
            }
        };
        if moved {
            return Ok(to);
        }
    }
    Err(RedisError::from((
        redis::ErrorKind::Client,
        "too many set-aside copies",
    )))
}
