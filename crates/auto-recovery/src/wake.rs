//! Probing every configured service at once, and waking the ones that look asleep.
//!
//! A free Render web service spins down after 15 idle minutes and needs up to a minute to come back; while
//! it does, requests hang (timeout) or Render's edge answers 502/503. Such a service is pinged again with
//! exponential backoff until it answers or its `wake_timeout` runs out, and the time the wake took is
//! recorded. Every service runs in its own task, so one sleeping service never delays the others.

use crate::service_probe::{ProbeOutcome, probe};
use healing_core::backoff::Backoff;
use healing_core::config::ServiceConfig;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// One service to probe, with its health URL already built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Name shown in state and alerts.
    pub name: String,
    /// Full health URL (may carry credentials: never logged or stored).
    pub health_url: String,
    /// Status that counts as healthy (any 2xx when unset).
    pub expect_status: Option<u16>,
    /// Timeout of one probe.
    pub timeout: Duration,
    /// How long to keep pinging a service that looks asleep.
    pub wake_timeout: Duration,
    /// The Render service behind it, when known (for a restart of a service that stays down).
    pub render_service_id: Option<String>,
}

impl Target {
    /// A configured `[[recovery.services]]` entry.
    pub fn from_config(cfg: &ServiceConfig) -> Self {
        Self {
            name: cfg.name.clone(),
            health_url: join_url(&cfg.url, &cfg.health_path),
            expect_status: cfg.expect_status,
            timeout: cfg.timeout,
            wake_timeout: cfg.wake_timeout,
            render_service_id: cfg.render_service_id.clone(),
        }
    }
}

/// `url` + `path` with exactly one `/` between them.
pub fn join_url(url: &str, path: &str) -> String {
    let path = path.trim();
    if path.is_empty() {
        return url.to_string();
    }
    format!(
        "{}/{}",
        url.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// What one service looked like at the end of its check.
#[derive(Debug, Clone)]
pub struct ServiceCheck {
    /// The target checked.
    pub target: Target,
    /// The first probe (the state before any wake-up).
    pub first: ProbeOutcome,
    /// The last probe (equal to `first` when no wake-up was tried).
    pub last: ProbeOutcome,
    /// Probes sent in total.
    pub attempts: u32,
    /// A wake-up was tried because the first probe looked like sleep.
    pub wake_tried: bool,
    /// From the first probe to the first healthy answer, when a wake-up succeeded.
    pub wake_duration: Option<Duration>,
}

impl ServiceCheck {
    /// Healthy at the end of the check.
    pub fn healthy(&self) -> bool {
        self.last.is_healthy()
    }

    /// Healthy, but the answer took more than half the probe timeout.
    pub fn slow(&self) -> bool {
        self.healthy() && self.last.latency() * 2 > self.target.timeout
    }
}

/// The wake-up curve scales with `wake_timeout` so that a 90 s wake pings at 1 s, 2 s, 4 s … 15 s and a
/// 500 ms wake (tests) at 25 ms … 83 ms: about a dozen pings either way.
pub fn wake_backoff(wake_timeout: Duration) -> Backoff {
    Backoff {
        initial: (wake_timeout / 20).min(Duration::from_secs(1)),
        multiplier: 2.0,
        max: wake_timeout / 6,
        jitter: false,
    }
}

/// Probes one service; wakes it when the first answer looks like sleep.
pub async fn check_service(
    client: &reqwest::Client,
    target: Target,
    token: &CancellationToken,
) -> ServiceCheck {
    let started = Instant::now();
    let first = probe(
        client,
        &target.health_url,
        target.expect_status,
        target.timeout,
    )
    .await;
    let mut check = ServiceCheck {
        last: first.clone(),
        first,
        attempts: 1,
        wake_tried: false,
        wake_duration: None,
        target,
    };
    if !check.first.maybe_sleeping() {
        return check;
    }
    check.wake_tried = true;
    let t = &check.target;
    let deadline = started + t.wake_timeout;
    let backoff = wake_backoff(t.wake_timeout);
    let mut attempt = 0;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        let pause = backoff.delay(attempt, 0.0).min(remaining);
        tokio::select! {
            () = token.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        let timeout = t.timeout.min(remaining);
        check.last = probe(client, &t.health_url, t.expect_status, timeout).await;
        check.attempts += 1;
        attempt += 1;
        if check.last.is_healthy() {
            check.wake_duration = Some(started.elapsed());
            break;
        }
        if !check.last.maybe_sleeping() {
            // Awake but broken (or gone): more pings will not help.
            break;
        }
    }
    check
}

/// Checks every target concurrently and returns the results in the order of `targets`.
pub async fn check_all(
    client: &reqwest::Client,
    targets: Vec<Target>,
    token: &CancellationToken,
) -> Vec<ServiceCheck> {
    let mut set = JoinSet::new();
    let count = targets.len();
    for (index, target) in targets.into_iter().enumerate() {
        let client = client.clone();
        let token = token.clone();
        set.spawn(async move { (index, check_service(&client, target, &token).await) });
    }
    let mut slots: Vec<Option<ServiceCheck>> = vec![None; count];
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((index, check)) => slots[index] = Some(check),
            Err(err) => tracing::error!(error = %err, "a service probe task failed"),
        }
    }
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_paths_join_with_exactly_one_slash() {
        assert_eq!(
            join_url("https://a.onrender.com/", "/health"),
            "https://a.onrender.com/health"
        );
        assert_eq!(
            join_url("https://a.onrender.com", "health"),
            "https://a.onrender.com/health"
        );
        assert_eq!(
            join_url("https://a.onrender.com", ""),
            "https://a.onrender.com"
        );
    }

    #[test]
    fn the_wake_curve_scales_with_the_wake_timeout() {
        let long = wake_backoff(Duration::from_secs(90));
        assert_eq!(long.initial, Duration::from_secs(1));
        assert_eq!(long.max, Duration::from_secs(15));
        let short = wake_backoff(Duration::from_millis(600));
        assert_eq!(short.initial, Duration::from_millis(30));
        assert_eq!(short.max, Duration::from_millis(100));
    }
}
