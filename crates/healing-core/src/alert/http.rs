//! What both sinks share about talking HTTP: secret-free transport errors, bounded response bodies,
//! and the `Retry-After` header.

use super::{AlertError, SinkKind};
use crate::redact::scrub;
use std::time::Duration;

/// Response bodies are read up to this many bytes: enough for any real API error, bounded against a
/// hostile server.
const MAX_BODY: usize = 64 * 1024;

/// A reqwest failure as text with no URL (the Telegram URL holds the token) and no known secret.
pub(super) fn transport_error(sink: SinkKind, err: reqwest::Error, secrets: &[&str]) -> AlertError {
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    AlertError::Transport {
        sink,
        message: scrub(&message, secrets),
    }
}

/// Reads at most [`MAX_BODY`] bytes of the body; a broken body reads as empty.
pub(super) async fn bounded_body(mut resp: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = MAX_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY {
            break;
        }
    }
    body
}

/// `Retry-After: <seconds>` (the HTTP-date form is rare for APIs and falls back to our own backoff).
pub(super) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A short, secret-free excerpt of a server's answer for error messages.
pub(super) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text: String = String::from_utf8_lossy(body).chars().take(300).collect();
    scrub(text.trim(), secrets)
}
