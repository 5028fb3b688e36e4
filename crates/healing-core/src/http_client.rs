//! What every outgoing HTTP call shares (alert sinks, the Render API, service probes): the `Retry-After`
//! header read one way, response bodies read with a bound, and transport errors described without their
//! URL. One place, so the three callers cannot drift apart again.

use reqwest::header::HeaderMap;
use std::time::Duration;

/// A response body read up to a bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capped {
    /// At most the bound's worth of bytes.
    pub body: Vec<u8>,
    /// The server sent more than the bound; the rest was not read.
    pub truncated: bool,
}

/// Reads at most `max` bytes of `response`'s body: memory stays bounded whatever a server sends.
pub async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Capped, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok(Capped {
                body,
                truncated: true,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Capped {
        body,
        truncated: false,
    })
}

/// `Retry-After` as a wait: whole seconds, or fractional seconds (some proxies send them) rounded up. The
/// HTTP-date form is rare for APIs and reads as `None`, so the caller falls back to its own backoff.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_seconds(headers, reqwest::header::RETRY_AFTER.as_str())
}

/// A header holding a non-negative number of seconds (rounded up), `None` when absent or not a number.
pub fn header_seconds(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let text = headers.get(name)?.to_str().ok()?.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Some(Duration::from_secs(n));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
        .map(|f| Duration::from_secs(f.ceil() as u64))
}

/// The error and its causes on one line, bounded to 300 bytes. Strip the URL first
/// (`reqwest::Error::without_url`): it may hold a token.
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    if text.len() > 300 {
        let mut cut = 300;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// Headers from name/value pairs, for the tests of every header reader.
#[cfg(test)]
pub(crate) fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, reqwest::header::HeaderValue::from_static(v));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_whole_and_fractional_seconds_and_ignores_dates() {
        let wait = |v| retry_after(&headers(&[("retry-after", v)]));
        assert_eq!(wait("7"), Some(Duration::from_secs(7)));
        assert_eq!(wait(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(wait("1.2"), Some(Duration::from_secs(2)));
        assert_eq!(wait("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(wait("-3"), None);
        assert_eq!(wait("1e300"), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn descriptions_are_bounded_and_do_not_repeat_causes() {
        let inner = std::io::Error::other("connection refused");
        let text = describe(&inner);
        assert_eq!(text, "connection refused");
        let long = std::io::Error::other("x".repeat(1000));
        assert!(describe(&long).len() <= 304);
    }
}
