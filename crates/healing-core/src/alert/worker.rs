//! The worker task: filter, de-duplicate, deliver with retries, park failures in the outbox.

use super::gate::Gate;
use super::message::{Style, render};
use super::outbox::Outbox;
use super::telegram::TelegramSink;
use super::webhook::WebhookSink;
use super::{Alert, AlertError, AlertOptions, AlertSinks, AlertStats, Command, SinkKind, lock};
use crate::clock::SharedClock;
use crate::config::AlertsConfig;
use crate::state::{StateStore, docs};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How many requested waits [`AlertStats`] remembers.
const WAITS_KEPT: usize = 64;

/// One configured destination.
#[derive(Debug)]
enum Sink {
    Telegram(TelegramSink),
    Webhook(WebhookSink),
}

impl Sink {
    fn kind(&self) -> SinkKind {
        match self {
            Sink::Telegram(_) => SinkKind::Telegram,
            Sink::Webhook(_) => SinkKind::Webhook,
        }
    }

    async fn send(&self, client: &reqwest::Client, alert: &Alert) -> Result<(), AlertError> {
        match self {
            Sink::Telegram(t) => t.send(client, &render(alert, Style::TelegramHtml)).await,
            Sink::Webhook(w) => w.send(client, &render(alert, Style::Slack)).await,
        }
    }
}

/// The state of one running alerter.
#[derive(Debug)]
pub(super) struct Worker {
    sinks: Vec<Sink>,
    /// Built on the first delivery: a supervisor that never alerts never initialises the TLS stack,
    /// which keeps its code out of memory (the idle RSS goal) and its set-up off the start path.
    client: OnceLock<Result<reqwest::Client, String>>,
    options: AlertOptions,
    gate: Arc<Mutex<Gate>>,
    outbox: Outbox,
    clock: SharedClock,
    stats: Arc<Mutex<AlertStats>>,
    source: String,
}

impl Worker {
    // The alerter's parts, each from where it is built (config, environment, caller, shared state).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        cfg: &AlertsConfig,
        sinks: AlertSinks,
        options: AlertOptions,
        store: Arc<StateStore>,
        source: &str,
        clock: SharedClock,
        stats: Arc<Mutex<AlertStats>>,
        gate: Arc<Mutex<Gate>>,
    ) -> Self {
        let mut list = Vec::new();
        if let Some((token, chat_id)) = sinks.telegram {
            list.push(Sink::Telegram(TelegramSink {
                api_base: cfg.telegram.api_base.clone(),
                token,
                chat_id,
            }));
        }
        if let Some(url) = sinks.webhook {
            list.push(Sink::Webhook(WebhookSink { url }));
        }
        if list.is_empty() {
            tracing::info!(
                source,
                bot_token_from = cfg.telegram.token_env,
                url_env = cfg.webhook.url_env,
                "no alert sink configured; alerts are logged only"
            );
        } else {
            let names: Vec<String> = list.iter().map(|s| s.kind().to_string()).collect();
            tracing::info!(source, sinks = names.join(","), "alert sinks configured");
        }
        let outbox = Outbox::load(store, docs::alert_outbox(source), options.outbox_limit);
        Self {
            sinks: list,
            client: OnceLock::new(),
            gate,
            outbox,
            clock,
            stats,
            source: source.to_string(),
            options,
        }
    }

    pub(super) async fn run(
        mut self,
        mut rx: mpsc::Receiver<Command>,
        shutdown: CancellationToken,
    ) {
        self.update_pending();
        self.resend_outbox(&shutdown).await;
        let period = self
            .options
            .outbox_retry_every
            .max(Duration::from_millis(10));
        let mut retry = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let mut summaries = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                cmd = rx.recv() => match cmd {
                    Some(Command::Alert(alert)) => self.deliver_all(alert, &shutdown).await,
                    Some(Command::Flush(done)) => { let _ = done.send(()); }
                    None => break,
                },
                _ = retry.tick(), if !self.outbox.entries.is_empty() => self.resend_outbox(&shutdown).await,
                _ = summaries.tick() => {
                    let due = crate::alert::lock_gate(&self.gate).rate.due_summaries(&self.source, self.clock.now());
                    for summary in due {
                        self.deliver_all(summary, &shutdown).await;
                    }
                }
            }
        }
        // Stopping: whatever is still queued goes to the outbox without touching the network.
        rx.close();
        while let Ok(cmd) = rx.try_recv() {
            match cmd {
                Command::Alert(alert) => {
                    for kind in self.sinks.iter().map(Sink::kind).collect::<Vec<_>>() {
                        self.park(alert.clone(), kind, "not sent before shutdown".into());
                    }
                }
                Command::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
        self.outbox.persist();
        self.update_pending();
    }

    /// Delivers to every sink; failures go to the outbox.
    async fn deliver_all(&mut self, alert: Alert, shutdown: &CancellationToken) {
        for i in 0..self.sinks.len() {
            let kind = self.sinks[i].kind();
            match self.deliver(i, &alert, shutdown).await {
                Ok(()) => {
                    lock(&self.stats).sent += 1;
                    self.note(&alert, "sent", Some(kind));
                    tracing::info!(source = self.source, alert = alert.key, severity = %alert.severity,
                        sink = %kind, title = alert.title, outcome = "sent", "alert sent");
                }
                Err(e) => self.failed(alert.clone(), kind, e),
            }
        }
    }

    /// Remembers what became of `alert` for the status views (bounded).
    fn note(&self, alert: &Alert, outcome: &'static str, sink: Option<SinkKind>) {
        super::note_recent(&self.stats, self.clock.now(), alert, outcome, sink);
    }

    fn failed(&mut self, alert: Alert, kind: SinkKind, error: AlertError) {
        let text = error.to_string();
        lock(&self.stats).last_error = Some(text.clone());
        if let AlertError::Rejected { .. } = error {
            lock(&self.stats).rejected += 1;
            self.note(&alert, "rejected", Some(kind));
            tracing::error!(alert = alert.key, sink = %kind, error = %text, outcome = "rejected",
                "alert rejected by the server; not retried");
            return;
        }
        tracing::warn!(source = self.source, alert = alert.key, sink = %kind, error = %text, outcome = "outbox",
            "alert not delivered; kept in the outbox");
        lock(&self.stats).failed += 1;
        self.note(&alert, "outbox", Some(kind));
        self.park(alert, kind, text);
        self.outbox.persist();
        self.update_pending();
    }

    fn park(&mut self, alert: Alert, kind: SinkKind, error: String) {
        self.outbox.push(alert, kind, error, self.clock.now());
    }

    /// Re-sends outbox entries oldest first; entries that fail again stay (their sink is retried later).
    async fn resend_outbox(&mut self, shutdown: &CancellationToken) {
        if self.outbox.entries.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut self.outbox.entries);
        let mut keep = Vec::new();
        for mut entry in entries {
            let Some(i) = self.sinks.iter().position(|s| s.kind() == entry.sink) else {
                tracing::warn!(alert = entry.alert.key, sink = %entry.sink,
                    "outbox alert dropped: its sink is no longer configured");
                continue;
            };
            if shutdown.is_cancelled() {
                keep.push(entry);
                continue;
            }
            match self.deliver(i, &entry.alert, shutdown).await {
                Ok(()) => {
                    let mut stats = lock(&self.stats);
                    stats.sent += 1;
                    stats.resent_from_outbox += 1;
                    tracing::info!(alert = entry.alert.key, sink = %entry.sink, attempts = entry.attempts + 1,
                        outcome = "sent", "alert from the outbox sent");
                }
                Err(AlertError::Rejected { .. }) => {
                    lock(&self.stats).rejected += 1;
                    tracing::error!(alert = entry.alert.key, sink = %entry.sink, outcome = "rejected",
                        "outbox alert rejected by the server; dropped");
                }
                Err(e) => {
                    entry.attempts += 1;
                    entry.last_error = e.to_string();
                    lock(&self.stats).last_error = Some(entry.last_error.clone());
                    keep.push(entry);
                }
            }
        }
        self.outbox.entries = keep;
        self.outbox.persist();
        self.update_pending();
    }

    /// Up to `max_attempts` requests; waits between them as the server asks (429) or with backoff.
    async fn deliver(
        &self,
        i: usize,
        alert: &Alert,
        shutdown: &CancellationToken,
    ) -> Result<(), AlertError> {
        let sink = &self.sinks[i];
        let client = self.client().map_err(|message| AlertError::Transport {
            sink: sink.kind(),
            message,
        })?;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let error = match sink.send(client, alert).await {
                Ok(()) => return Ok(()),
                Err(e @ AlertError::Rejected { .. }) => return Err(e),
                Err(e) => e,
            };
            let wait = match &error {
                AlertError::RateLimited { retry_after, .. } => *retry_after,
                _ => self.backoff(attempt),
            };
            if attempt >= self.options.max_attempts.max(1) || wait > self.options.max_retry_wait {
                return Err(error);
            }
            {
                let mut stats = lock(&self.stats);
                if stats.requested_waits.len() >= WAITS_KEPT {
                    stats.requested_waits.remove(0);
                }
                stats.requested_waits.push(wait);
            }
            tracing::info!(alert = alert.key, sink = %sink.kind(), attempt, wait_secs = wait.as_secs_f64(),
                error = %error, "alert delivery failed; retrying");
            let scaled = wait.mul_f64(self.options.time_scale.clamp(0.0, 1e6));
            tokio::select! {
                _ = tokio::time::sleep(scaled) => {}
                _ = shutdown.cancelled() => return Err(error),
            }
        }
    }

    /// The HTTP client, built once on first use; a failure to build it is remembered and reported
    /// as a transport error, so the alert is parked in the outbox instead of lost.
    fn client(&self) -> Result<&reqwest::Client, String> {
        let built = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(self.options.request_timeout)
                .redirect(crate::redirects::same_origin())
                .build()
                .map_err(|e| {
                    let message = e.without_url().to_string();
                    tracing::error!(error = %message, "alert HTTP client unavailable");
                    message
                })
        });
        built.as_ref().map_err(Clone::clone)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.options
            .first_backoff
            .saturating_mul(factor)
            .min(self.options.max_backoff)
    }

    fn update_pending(&self) {
        lock(&self.stats).outbox_pending = self.outbox.entries.len();
    }
}
