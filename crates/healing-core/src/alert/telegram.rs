//! Telegram Bot API `sendMessage`.
//!
//! The token is part of the URL path (`/bot<token>/sendMessage`), so the URL itself is a secret: it is
//! built here, used once, and never formatted into a log line or error (see [`super::transport`]).

use super::transport::{bounded_body, excerpt, retry_after_header, transport_error};
use super::{AlertError, SinkKind};
use crate::redact::Secret;
use serde::Deserialize;
use std::time::Duration;

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub(super) struct TelegramSink {
    /// Bot API base URL (tests point it at 127.0.0.1).
    pub(super) api_base: String,
    /// The bot token.
    pub(super) token: Secret,
    /// The destination chat.
    pub(super) chat_id: String,
}

/// The error shape of the Bot API: `{"ok":false,"error_code":429,"description":"...",
/// "parameters":{"retry_after":N}}`.
#[derive(Debug, Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

impl TelegramSink {
    pub(super) fn secrets(&self) -> Vec<&str> {
        vec![self.token.expose()]
    }

    /// One attempt; the caller decides about retries.
    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        text: &str,
    ) -> Result<(), AlertError> {
        let sink = SinkKind::Telegram;
        let secrets = self.secrets();
        let url = format!(
            "{}/bot{}/sendMessage",
            self.api_base.trim_end_matches('/'),
            self.token.expose()
        );
        let payload = serde_json::json!({
            "chat_id": self.chat_id,
            "text": text,
            "parse_mode": "HTML",
            "disable_web_page_preview": true,
        });
        let resp = client
            .post(url)
            .json(&payload)
            .send()
            .await
            .map_err(|e| transport_error(sink, e, &secrets))?;
        let status = resp.status().as_u16();
        let header_wait = retry_after_header(resp.headers());
        let body = bounded_body(resp).await;
        let reply: Option<Reply> = serde_json::from_slice(&body).ok();
        if (200..300).contains(&status) && reply.as_ref().is_none_or(|r| r.ok) {
            return Ok(());
        }
        let description = reply
            .as_ref()
            .and_then(|r| r.description.as_deref())
            .map(|d| excerpt(d.as_bytes(), &secrets))
            .unwrap_or_else(|| excerpt(&body, &secrets));
        if status == 429 {
            let asked = reply
                .and_then(|r| r.parameters)
                .and_then(|p| p.retry_after)
                .map(Duration::from_secs);
            return Err(AlertError::RateLimited {
                sink,
                retry_after: asked.or(header_wait).unwrap_or(Duration::from_secs(1)),
            });
        }
        if status >= 500 {
            return Err(AlertError::ServerError {
                sink,
                status,
                description,
            });
        }
        Err(AlertError::Rejected {
            sink,
            status,
            description,
        })
    }
}
