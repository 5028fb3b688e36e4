//! What both sinks share about talking HTTP: secret-free transport errors, bounded response bodies,
//! and the `Retry-After` header (the last two from [`crate::http_client`]).

use super::{AlertError, SinkKind};
use crate::redact::scrub;

/// Response bodies are read up to this many bytes: enough for any real API error, bounded against a
/// hostile server.
const MAX_BODY: usize = 64 * 1024;

/// A reqwest failure as text with no URL (the Telegram URL holds the token) and no known secret.
pub(super) fn transport_error(sink: SinkKind, err: reqwest::Error, secrets: &[&str]) -> AlertError {
    let message = crate::http_client::describe(&err.without_url());
    AlertError::Transport {
        sink,
        message: scrub(&message, secrets),
    }
}

/// Reads at most [`MAX_BODY`] bytes of the body; a broken body reads as empty.
pub(super) async fn bounded_body(resp: reqwest::Response) -> Vec<u8> {
    crate::http_client::read_capped(resp, MAX_BODY)
        .await
        .map(|capped| capped.body)
        .unwrap_or_default()
}

/// `Retry-After` read the one way every HTTP caller reads it.
pub(super) use crate::http_client::retry_after as retry_after_header;

/// A short, secret-free excerpt of a server's answer for error messages.
pub(super) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text: String = String::from_utf8_lossy(body).chars().take(300).collect();
    scrub(text.trim(), secrets)
}
