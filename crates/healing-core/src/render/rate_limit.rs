//! Render's rate-limit headers, turned into waits: the one rate limiter of [`super::RenderClient`].
//!
//! Render answers every request with `Ratelimit-Limit`, `Ratelimit-Remaining` and `Ratelimit-Reset`, and a
//! 429 with `Retry-After`. Waiting before sending is cheaper than burning a request on a 429, so a
//! `Remaining: 0` closes a [`RateGate`] until the reset; a wait longer than the caller allows fails the call
//! instead of stalling the whole pass.

use super::RenderApiError;
use crate::http_client::{header_seconds, retry_after};
use reqwest::header::HeaderMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Values above this are read as a Unix timestamp rather than a number of seconds.
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// A shared "not before" instant for all requests of one client.
#[derive(Debug, Clone, Default)]
pub struct RateGate {
    not_before: Arc<Mutex<Option<Instant>>>,
}

impl RateGate {
    /// Records what an answer said about the remaining budget.
    pub fn observe(&self, headers: &HeaderMap) {
        let remaining = header_seconds(headers, "ratelimit-remaining");
        if remaining == Some(Duration::ZERO)
            && let Some(reset) = header_seconds(headers, "ratelimit-reset").map(reset_delay)
        {
            let mut gate = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            *gate = Some(Instant::now() + reset);
        }
    }

    /// Waits until the gate opens, or fails when that is further away than `max_wait`.
    pub async fn wait_turn(
        &self,
        max_wait: Duration,
        endpoint: &str,
    ) -> Result<(), RenderApiError> {
        let until = *self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = until {
            let wait = until.saturating_duration_since(Instant::now());
            if wait > max_wait {
                return Err(RenderApiError::RateLimited {
                    endpoint: endpoint.to_string(),
                    retry_after: wait,
                });
            }
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        Ok(())
    }
}

/// How long a 429 asks us to wait: `Retry-After` (seconds), else `Ratelimit-Reset`.
pub fn wait_from_headers(headers: &HeaderMap) -> Option<Duration> {
    retry_after(headers).or_else(|| header_seconds(headers, "ratelimit-reset").map(reset_delay))
}

/// `Ratelimit-Reset` is seconds until the window resets; accept a Unix timestamp too, as some APIs send one.
fn reset_delay(value: Duration) -> Duration {
    let value = value.as_secs();
    if value >= EPOCH_THRESHOLD {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Duration::from_secs(value.saturating_sub(now))
    } else {
        Duration::from_secs(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http_client::headers;

    #[test]
    fn retry_after_wins_over_ratelimit_reset() {
        let h = headers(&[("retry-after", "2"), ("ratelimit-reset", "30")]);
        assert_eq!(wait_from_headers(&h), Some(Duration::from_secs(2)));
        let h = headers(&[("ratelimit-reset", "7")]);
        assert_eq!(wait_from_headers(&h), Some(Duration::from_secs(7)));
        assert_eq!(wait_from_headers(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn an_exhausted_budget_longer_than_allowed_fails_fast() {
        let gate = RateGate::default();
        gate.observe(&headers(&[
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "60"),
        ]));
        let err = gate
            .wait_turn(Duration::from_secs(1), "GET /services")
            .await
            .unwrap_err();
        assert!(matches!(err, RenderApiError::RateLimited { .. }));
        let open = RateGate::default();
        open.observe(&headers(&[
            ("ratelimit-remaining", "5"),
            ("ratelimit-reset", "60"),
        ]));
        assert!(
            open.wait_turn(Duration::ZERO, "GET /services")
                .await
                .is_ok()
        );
    }
}
