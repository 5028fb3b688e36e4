//! The connection loop under the HTTP endpoints, with the bounds a public listener needs.
//!
//! The supervisor's first job is its agents: their pipes, log files and restarts need file descriptors.
//! A client that opens connections and never finishes its headers (slowloris) must not use them up or
//! starve `/health`. So: headers must arrive within [`Limits::header_read_timeout`], a connection with
//! nothing in flight is closed after [`Limits::idle_timeout`], header bytes are capped, and at most
//! [`Limits::max_connections`] are open — when full, the oldest connection still sending its headers
//! is dropped for the new one (then the oldest idle one), so a fresh client is always served.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The bounds of one listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time a client has to send a complete request head.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// Open connections at most: far above real use, far below the file limit.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

/// Descriptors the connection cap always leaves to the supervisor itself: agents' pipes and log files,
/// state writes, fix commands, probes. Idle clients can never take them (see [`Limits::for_nofile`]).
pub const FD_RESERVE: u64 = 48;

impl Limits {
    /// The default limits with the connection cap lowered, when the open-files limit `nofile` is small,
    /// to what it leaves after [`FD_RESERVE`] (at least a few connections, so `/health` still answers).
    pub fn for_nofile(nofile: Option<u64>) -> Self {
        let mut limits = Self::default();
        if let Some(n) = nofile {
            let room = usize::try_from(n.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
            limits.max_connections = limits.max_connections.min(room).max(4);
        }
        limits
    }
}

/// Bytes of request head buffered at most (hyper's minimum is 8 KiB).
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How long in-flight requests may finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// One open connection, as the cap sees it.
struct Conn {
    /// A complete request head has arrived at least once.
    headers_done: Arc<AtomicBool>,
    /// Requests being answered now.
    in_flight: Arc<AtomicUsize>,
    /// Drops the connection (evicted for a newer one).
    evict: CancellationToken,
}

type Table = Arc<Mutex<VecDeque<Conn>>>;

/// Serves `router` on `listener` until `shutdown`, within `limits`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let table: Table = Arc::new(Mutex::new(VecDeque::new()));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shutdown.cancelled() => break,
        };
        while tasks.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning; the cap should prevent it.
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(conn) = admit(&table, limits.max_connections) else {
            drop(stream);
            continue;
        };
        let svc = service(router.clone(), &conn);
        let table = table.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            run_connection(stream, svc, &conn, limits, &shutdown).await;
            let mut t = table.lock().unwrap_or_else(|e| e.into_inner());
            t.retain(|c| !Arc::ptr_eq(&c.in_flight, &conn.in_flight));
        });
        // An evicted connection closes its descriptor before the next accept takes another: under a
        // burst of clients the open descriptors stay at the cap, not at cap + backlog.
        tokio::task::yield_now().await;
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE * 2, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
}

/// Makes room for one more connection, or says there is none (every slot is answering a request).
fn admit(table: &Table, max: usize) -> Option<Conn> {
    let mut t = table.lock().unwrap_or_else(|e| e.into_inner());
    if t.len() >= max.max(1) {
        let victim = t
            .iter()
            .position(|c| !c.headers_done.load(Ordering::Relaxed))
            .or_else(|| {
                t.iter()
                    .position(|c| c.in_flight.load(Ordering::Relaxed) == 0)
            })?;
        if let Some(old) = t.remove(victim) {
            old.evict.cancel();
        }
    }
    let conn = Conn {
        headers_done: Arc::new(AtomicBool::new(false)),
        in_flight: Arc::new(AtomicUsize::new(0)),
        evict: CancellationToken::new(),
    };
    t.push_back(Conn {
        headers_done: conn.headers_done.clone(),
        in_flight: conn.in_flight.clone(),
        evict: conn.evict.clone(),
    });
    Some(conn)
}

type BoxedResponse = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<axum::response::Response, std::convert::Infallible>>
            + Send,
    >,
>;

/// The router, counting requests in flight and marking the connection's headers as received.
#[derive(Clone)]
struct Svc {
    inner: TowerToHyperService<Router>,
    headers_done: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
}

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Svc {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = BoxedResponse;

    fn call(&self, req: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        self.headers_done.store(true, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let fut = self.inner.call(req);
        let in_flight = self.in_flight.clone();
        Box::pin(async move {
            let response = fut.await;
            in_flight.fetch_sub(1, Ordering::Relaxed);
            response
        })
    }
}

fn service(router: Router, conn: &Conn) -> Svc {
    Svc {
        inner: TowerToHyperService::new(router),
        headers_done: conn.headers_done.clone(),
        in_flight: conn.in_flight.clone(),
    }
}

async fn run_connection(
    stream: tokio::net::TcpStream,
    svc: Svc,
    conn: &Conn,
    limits: Limits,
    shutdown: &CancellationToken,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    let served = builder.serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(served);
    let mut idle_since = Instant::now();
    let tick = (limits.idle_timeout / 4).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = served.as_mut() => return,
            () = conn.evict.cancelled() => return,
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(tick) => {
                if conn.in_flight.load(Ordering::Relaxed) > 0 || !conn.headers_done.load(Ordering::Relaxed) {
                    // Answering, or still in its first head (the header timeout bounds that).
                    idle_since = Instant::now();
                } else if idle_since.elapsed() >= limits.idle_timeout {
                    return;
                }
            }
        }
    }
    served.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, served).await;
}

#[cfg(test)]
mod tests {
    use super::{FD_RESERVE, Limits};

    #[test]
    fn the_connection_cap_leaves_the_reserve_to_the_supervisor() {
        assert_eq!(Limits::for_nofile(None).max_connections, 512);
        assert_eq!(Limits::for_nofile(Some(1_048_576)).max_connections, 512);
        assert_eq!(
            Limits::for_nofile(Some(64)).max_connections as u64,
            64 - FD_RESERVE
        );
        assert_eq!(Limits::for_nofile(Some(20)).max_connections, 4);
    }
}
