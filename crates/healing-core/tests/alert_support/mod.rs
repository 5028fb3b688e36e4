//! A fake Telegram / webhook server on 127.0.0.1 speaking the Bot API's response shapes, plus helpers to
//! start an alerter against it.

#![allow(dead_code, clippy::unwrap_used)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::routing::post;
use healing_core::alert::{Alert, AlertHandle, AlertOptions, AlertSinks, Alerter};
use healing_core::clock::SharedClock;
use healing_core::config::AlertsConfig;
use healing_core::kind::Severity;
use healing_core::redact::Secret;
use healing_core::state::{FileBackend, StateStore};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "123456789:AAH-very-secret-token_value";
pub const CHAT: &str = "-100424242";

/// One scripted answer: status, JSON body, optional `Retry-After` header.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: serde_json::Value,
    pub retry_after_header: Option<u64>,
}

impl Reply {
    pub fn ok() -> Self {
        Self {
            status: 200,
            body: serde_json::json!({"ok": true, "result": {"message_id": 1}}),
            retry_after_header: None,
        }
    }
    pub fn telegram_429(retry_after: u64) -> Self {
        Self {
            status: 429,
            body: serde_json::json!({"ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {retry_after}"),
                "parameters": {"retry_after": retry_after}}),
            retry_after_header: None,
        }
    }
    pub fn error(status: u16, description: &str) -> Self {
        Self {
            status,
            body: serde_json::json!({"ok": false, "error_code": status, "description": description}),
            retry_after_header: None,
        }
    }
}

/// What the server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub json: serde_json::Value,
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Reply>,
    received: Vec<Received>,
}

#[derive(Clone)]
pub struct FakeServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    stop: CancellationToken,
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let mut inner = inner.lock().unwrap();
    inner.received.push(Received {
        path: uri.path().to_string(),
        json: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    let reply = inner.script.pop_front().unwrap_or_else(Reply::ok);
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(secs) = reply.retry_after_header {
        headers.insert(
            "retry-after",
            HeaderValue::from_str(&secs.to_string()).unwrap(),
        );
    }
    (
        StatusCode::from_u16(reply.status).unwrap(),
        headers,
        reply.body.to_string(),
    )
}

impl FakeServer {
    /// Starts on a free port (or on `addr` when given, to come back "up" after being down).
    pub async fn start_on(addr: Option<SocketAddr>) -> Self {
        let listener =
            tokio::net::TcpListener::bind(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap()))
                .await
                .unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{*path}", post(handle))
            .with_state(inner.clone());
        let stop = CancellationToken::new();
        let s = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(s.cancelled_owned())
                .await;
        });
        Self { addr, inner, stop }
    }

    pub async fn start() -> Self {
        Self::start_on(None).await
    }

    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.lock().unwrap().script.extend(replies);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

pub fn config(api_base: &str) -> AlertsConfig {
    let mut cfg = AlertsConfig {
        min_severity: Severity::Medium,
        dedup_window: Duration::from_secs(600),
        ..AlertsConfig::default()
    };
    cfg.telegram.api_base = api_base.to_string();
    cfg
}

/// Production behaviour with waits scaled down 1000× (a `retry_after: 7` waits 7 ms).
pub fn fast_options() -> AlertOptions {
    AlertOptions {
        time_scale: 0.001,
        request_timeout: Duration::from_secs(5),
        ..AlertOptions::default()
    }
}

pub fn telegram_sinks() -> AlertSinks {
    AlertSinks {
        telegram: Some((Secret::new(TOKEN), CHAT.to_string())),
        webhook: None,
    }
}

pub fn store(dir: &Path, clock: SharedClock) -> Arc<StateStore> {
    Arc::new(
        StateStore::new(Arc::new(FileBackend::new(dir).unwrap()), clock)
            .with_writer("self-healing-agent"),
    )
}

pub struct Running {
    pub handle: AlertHandle,
    pub task: tokio::task::JoinHandle<()>,
    pub shutdown: CancellationToken,
}

impl Running {
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap();
    }
}

/// [`spawn`] with the fast retry options and a directory state store, as most tests run it.
pub fn spawn_fast(
    cfg: &AlertsConfig,
    sinks: AlertSinks,
    dir: &Path,
    clock: SharedClock,
) -> Running {
    spawn(cfg, sinks, fast_options(), store(dir, clock.clone()), clock)
}

pub fn spawn(
    cfg: &AlertsConfig,
    sinks: AlertSinks,
    options: AlertOptions,
    store: Arc<StateStore>,
    clock: SharedClock,
) -> Running {
    let shutdown = CancellationToken::new();
    let (handle, task) = Alerter::spawn_with(
        cfg,
        sinks,
        options,
        store,
        "self-healing-agent",
        clock,
        shutdown.clone(),
    );
    Running {
        handle,
        task,
        shutdown,
    }
}

pub fn alert(key: &str, severity: Severity) -> Alert {
    Alert {
        key: key.to_string(),
        severity,
        source: "self-healing-agent".into(),
        agent: Some("trader".into()),
        title: format!("{key} in trader"),
        body: "Traceback (most recent call last):\nModuleNotFoundError: No module named 'yaml'"
            .into(),
    }
}
