//! A generic Slack-compatible webhook: `POST {"text": ...}`. The whole URL is a secret (Slack-style
//! webhook URLs are bearer credentials), so it is never logged, not even redacted.

use super::transport::{bounded_body, excerpt, retry_after_header, transport_error};
use super::{AlertError, SinkKind};
use crate::redact::Secret;
use std::time::Duration;

/// The webhook destination.
#[derive(Debug, Clone)]
pub(super) struct WebhookSink {
    /// The full URL.
    pub(super) url: Secret,
}

impl WebhookSink {
    pub(super) fn secrets(&self) -> Vec<&str> {
        vec![self.url.expose()]
    }

    /// One attempt; the caller decides about retries.
    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        text: &str,
    ) -> Result<(), AlertError> {
        let sink = SinkKind::Webhook;
        let secrets = self.secrets();
        let resp = client
            .post(self.url.expose())
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .map_err(|e| transport_error(sink, e, &secrets))?;
        let status = resp.status().as_u16();
        let header_wait = retry_after_header(resp.headers());
        let body = bounded_body(resp).await;
        match status {
            200..=299 => Ok(()),
            429 => Err(AlertError::RateLimited {
                sink,
                retry_after: header_wait.unwrap_or(Duration::from_secs(1)),
            }),
            500.. => Err(AlertError::ServerError {
                sink,
                status,
                description: excerpt(&body, &secrets),
            }),
            _ => Err(AlertError::Rejected {
                sink,
                status,
                description: excerpt(&body, &secrets),
            }),
        }
    }
}
