//! Alerts to humans: Telegram and a Slack-compatible webhook behind one [`Alerter`].
//!
//! Healing must never wait on the network, so [`AlertHandle::send`] only puts the alert on a bounded
//! queue (dropping, with a warning, when full). A worker task filters by severity, de-duplicates by key
//! within `dedup_window`, formats (escaped, under 4096 characters), and delivers with retries: HTTP 429's
//! `retry_after` is honoured, 5xx and network errors back off exponentially. What still fails goes to an
//! outbox document in the state directory and is re-sent first on the next start.
//!
//! Secrets (bot token, webhook URL) live in [`Secret`]s, are scrubbed from every error text, and never
//! reach a log line, the outbox or an error message.

mod dedup;
mod gate;
mod message;
mod outbox;
mod rate;
mod stats;
mod telegram;
mod transport;
mod webhook;
mod worker;

pub use message::{MAX_MESSAGE_UNITS, escape};
pub use outbox::{OutboxDoc, OutboxEntry};
pub use stats::{AlertRecord, AlertStats, RECENT_ALERTS_KEPT};
use stats::{lock, note_recent};

use crate::clock::SharedClock;
use crate::config::AlertsConfig;
use crate::kind::Severity;
use crate::redact::Secret;
use crate::state::StateStore;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// One message for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// De-duplication key (e.g. `Incident::key()`, optionally prefixed by the agent).
    pub key: String,
    /// Compared with `min_severity`.
    pub severity: Severity,
    /// The sending binary.
    pub source: String,
    /// The agent concerned, if any.
    pub agent: Option<String>,
    /// One line.
    pub title: String,
    /// Details, typically log text (escaped and truncated when sent).
    pub body: String,
}

/// A destination kind; how sinks are named in logs and the outbox (never by URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// Telegram Bot API.
    Telegram,
    /// Slack-compatible webhook.
    Webhook,
}

impl std::fmt::Display for SinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SinkKind::Telegram => "telegram",
            SinkKind::Webhook => "webhook",
        })
    }
}

/// Why one delivery attempt failed. Never contains a token or webhook URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// HTTP 429: the server said when to come back.
    #[error("{sink} rate-limited the alert; asked to retry after {}s", retry_after.as_secs())]
    RateLimited {
        /// The destination.
        sink: SinkKind,
        /// The server's `retry_after` (Telegram body) or `Retry-After` header.
        retry_after: Duration,
    },
    /// HTTP 5xx: retried with backoff.
    #[error("{sink} answered HTTP {status}: {description}")]
    ServerError {
        /// The destination.
        sink: SinkKind,
        /// HTTP status.
        status: u16,
        /// The server's explanation, secret-free and shortened.
        description: String,
    },
    /// Any other non-success answer (bad chat id, revoked token, ...): retrying cannot help.
    #[error("{sink} rejected the alert with HTTP {status}: {description}")]
    Rejected {
        /// The destination.
        sink: SinkKind,
        /// HTTP status.
        status: u16,
        /// The server's explanation, secret-free and shortened.
        description: String,
    },
    /// The request did not complete (connection refused, timeout, TLS).
    #[error("{sink} unreachable: {message}")]
    Transport {
        /// The destination.
        sink: SinkKind,
        /// The error chain without URL or secrets.
        message: String,
    },
}

/// Where alerts go, resolved from the environment once at start-up.
#[derive(Debug, Clone, Default)]
pub struct AlertSinks {
    /// Bot token and chat id, when both are set.
    pub telegram: Option<(Secret, String)>,
    /// Webhook URL, when set.
    pub webhook: Option<Secret>,
}

impl AlertSinks {
    /// From the process environment, using the variable names in `cfg`.
    pub fn from_env(cfg: &AlertsConfig) -> Self {
        Self::from_lookup(cfg, &|name| std::env::var(name).ok())
    }

    /// From any lookup (tests pass a map); empty values count as unset.
    pub fn from_lookup(cfg: &AlertsConfig, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let telegram = match (get(&cfg.telegram.token_env), get(&cfg.telegram.chat_id_env)) {
            (Some(token), Some(chat)) => Some((Secret::new(token), chat)),
            _ => None,
        };
        Self {
            telegram,
            webhook: get(&cfg.webhook.url_env).map(Secret::new),
        }
    }
}

/// Delivery tuning. The defaults suit production; tests shrink `time_scale` so a server's
/// `retry_after: 7` is honoured as 7 ms while still being recorded as 7 s in [`AlertStats`].
#[derive(Debug, Clone)]
pub struct AlertOptions {
    /// Queue length between [`AlertHandle::send`] and the worker.
    pub queue_capacity: usize,
    /// HTTP requests per delivery before parking the alert in the outbox.
    pub max_attempts: u32,
    /// First backoff after a 5xx or network error; doubles per attempt.
    pub first_backoff: Duration,
    /// Cap on the backoff.
    pub max_backoff: Duration,
    /// A server asking to wait longer than this parks the alert in the outbox instead of stalling.
    pub max_retry_wait: Duration,
    /// Multiplier applied to every wait before sleeping (1.0 in production).
    pub time_scale: f64,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// How often the outbox is retried while the worker runs.
    pub outbox_retry_every: Duration,
    /// Outbox entries kept at most (oldest dropped first).
    pub outbox_limit: usize,
    /// Rate-limit window: each agent may send `per_agent_burst` alerts in it, all together
    /// `total_burst`; the rest become one summary per agent when it ends.
    pub rate_window: Duration,
    /// Alerts per agent per `rate_window`.
    pub per_agent_burst: u32,
    /// Alerts overall per `rate_window`.
    pub total_burst: u32,
}

impl Default for AlertOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 1024,
            max_attempts: 4,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_wait: Duration::from_secs(120),
            time_scale: 1.0,
            request_timeout: Duration::from_secs(10),
            outbox_retry_every: Duration::from_secs(60),
            outbox_limit: 500,
            rate_window: Duration::from_secs(600),
            per_agent_burst: 3,
            total_burst: 30,
        }
    }
}

enum Command {
    Alert(Alert),
    Flush(oneshot::Sender<()>),
}

/// The sending side; cheap to clone. `send` never blocks and never awaits the network.
#[derive(Clone)]
pub struct AlertHandle {
    /// `None` for a disabled handle.
    tx: Option<mpsc::Sender<Command>>,
    /// Shared with the worker.
    stats: Arc<Mutex<AlertStats>>,
    /// Admission (severity, dedup, rate limit), shared with the worker for its summaries.
    gate: Option<Arc<Mutex<gate::Gate>>>,
}

impl std::fmt::Debug for AlertHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertHandle")
            .field("enabled", &self.tx.is_some())
            .finish()
    }
}

impl AlertHandle {
    /// A handle that records nothing and sends nothing.
    pub fn disabled() -> AlertHandle {
        AlertHandle {
            tx: None,
            stats: Arc::default(),
            gate: None,
        }
    }

    /// Queues an alert. Never blocks: a full queue drops the alert with a warning.
    pub fn send(&self, alert: Alert) {
        let Some(tx) = &self.tx else { return };
        if let Some(gate) = &self.gate
            && !lock_gate(gate).admit(&alert, &self.stats)
        {
            return;
        }
        match tx.try_send(Command::Alert(alert)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(Command::Alert(a))) => {
                lock(&self.stats).dropped_queue_full += 1;
                tracing::warn!(alert = a.key, severity = %a.severity, "alert queue full; alert dropped");
            }
            Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(Command::Alert(a))) => {
                tracing::warn!(alert = a.key, "alert worker stopped; alert not sent");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Waits until everything queued before this call has been handled, then returns the stats.
    pub async fn flush(&self) -> AlertStats {
        if let Some(tx) = &self.tx {
            let (done, wait) = oneshot::channel();
            if tx.send(Command::Flush(done)).await.is_ok() {
                let _ = wait.await;
            }
        }
        self.stats()
    }

    /// A snapshot of what happened so far.
    pub fn stats(&self) -> AlertStats {
        lock(&self.stats).clone()
    }
}

fn lock_gate(gate: &Mutex<gate::Gate>) -> std::sync::MutexGuard<'_, gate::Gate> {
    gate.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts alert workers.
#[derive(Debug)]
pub struct Alerter;

impl Alerter {
    /// Sinks from the environment (Telegram when token and chat id are set, the webhook when its URL
    /// variable is set); outbox in `<source>_alert_outbox.json`. Returns the handle and the worker task,
    /// which re-sends the outbox first and ends when `shutdown` is cancelled (parking queued alerts in
    /// the outbox).
    pub fn spawn(
        cfg: &AlertsConfig,
        store: Arc<StateStore>,
        source: &str,
        clock: SharedClock,
        shutdown: CancellationToken,
    ) -> (AlertHandle, tokio::task::JoinHandle<()>) {
        let sinks = AlertSinks::from_env(cfg);
        Self::spawn_with(
            cfg,
            sinks,
            AlertOptions::default(),
            store,
            source,
            clock,
            shutdown,
        )
    }

    /// As [`Alerter::spawn`] with explicit sinks and options.
    pub fn spawn_with(
        cfg: &AlertsConfig,
        sinks: AlertSinks,
        options: AlertOptions,
        store: Arc<StateStore>,
        source: &str,
        clock: SharedClock,
        shutdown: CancellationToken,
    ) -> (AlertHandle, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(options.queue_capacity.max(1));
        let stats = Arc::new(Mutex::new(AlertStats::default()));
        let gate = Arc::new(Mutex::new(gate::Gate {
            min_severity: cfg.min_severity,
            dedup: dedup::Dedup::new(cfg.dedup_window),
            rate: rate::RateLimit::new(
                options.rate_window,
                options.per_agent_burst,
                options.total_burst,
                clock.now(),
            ),
            has_sinks: sinks.telegram.is_some() || sinks.webhook.is_some(),
            clock: clock.clone(),
        }));
        let worker = worker::Worker::new(
            cfg,
            sinks,
            options,
            store,
            source,
            clock,
            stats.clone(),
            gate.clone(),
        );
        let task = tokio::spawn(worker.run(rx, shutdown));
        (
            AlertHandle {
                tx: Some(tx),
                stats,
                gate: Some(gate),
            },
            task,
        )
    }
}
