//! Keeping secrets out of logs, state files, error messages and HTTP responses.
//!
//! Secrets reach text in three ways, each with its own guard: URLs that embed them (a Telegram bot URL
//! carries the token in its path, webhook URLs carry credentials in userinfo or the query), values held in
//! memory that might be printed with `{:?}` ([`Secret`]), and error text from libraries that echo what they
//! were given ([`scrub`]).

mod text;

pub use text::{json, line, line_with};

use std::fmt;

/// What every hidden value is replaced with.
pub const MASK: &str = "***";

/// A URL with its secrets masked: userinfo, query values and `/bot<token>` path segments.
///
/// `https://api.telegram.org/bot123:abc/sendMessage` becomes `https://api.telegram.org/bot***/sendMessage`;
/// `https://user:pw@host/x?key=v` becomes `https://***@host/x?key=***`. Text that is not a URL is treated
/// the same way, segment by segment, so a malformed URL cannot slip through unmasked.
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((head, _)) => (head, Some(MASK)),
        None => (url, None),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((head, q)) => (head, Some(q)),
        None => (before_fragment, None),
    };
    let (scheme, rest) = match before_query.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, before_query),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) if scheme.is_some() => (Some(&rest[..i]), &rest[i..]),
        _ if scheme.is_some() => (Some(rest), ""),
        _ => (None, rest),
    };

    let mut out = String::with_capacity(url.len());
    if let Some(s) = scheme {
        out.push_str(s);
        out.push_str("://");
    }
    if let Some(auth) = authority {
        match auth.rsplit_once('@') {
            Some((_, host)) => {
                out.push_str(MASK);
                out.push('@');
                out.push_str(host);
            }
            None => out.push_str(auth),
        }
    }
    let segments: Vec<String> = path.split('/').map(redact_segment).collect();
    out.push_str(&segments.join("/"));
    if let Some(q) = query {
        out.push('?');
        let pairs: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) => format!("{k}={MASK}"),
                None if pair.is_empty() => String::new(),
                None => MASK.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// `bot<token>` (the Telegram Bot API form, `bot` followed by `<digits>:<secret>`) becomes `bot***`.
fn redact_segment(segment: &str) -> String {
    match segment.strip_prefix("bot") {
        Some(rest) if rest.contains(':') || rest.len() >= 20 => format!("bot{MASK}"),
        _ => segment.to_string(),
    }
}

/// Replaces every occurrence of each known secret value in `text` with [`MASK`].
///
/// Used on text we did not produce (library errors, server responses) before it is logged or stored.
/// Empty and very short values are skipped: masking every `1` in a message would hide everything and
/// protect nothing.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let registered = crate::secrets::current();
    let mut known: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 4).collect();
    known.extend(registered.values());
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
    line_with(text, &known)
}

/// A secret value (token, API key, webhook URL) that prints as `***` with both `{}` and `{:?}`, so it can
/// sit inside config and error structs without leaking through a stray log line.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The real value, for the one place that must use it (building the request).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_bot_token_in_the_path_is_masked() {
        assert_eq!(
            redact_url("https://api.telegram.org/bot123456:AAH-secret_token/sendMessage"),
            "https://api.telegram.org/bot***/sendMessage"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/bot42:xyz/sendMessage"),
            "http://127.0.0.1:8080/bot***/sendMessage"
        );
    }

    #[test]
    fn userinfo_query_values_and_fragments_are_masked_but_shape_is_kept() {
        assert_eq!(
            redact_url("https://user:pw@hooks.example.com/hook?token=abc&x=1#frag"),
            "https://***@hooks.example.com/hook?token=***&x=***#***"
        );
        assert_eq!(
            redact_url("redis://:p%40ss@cache:6379/0"),
            "redis://***@cache:6379/0"
        );
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "https://example.com/health",
            "http://127.0.0.1:9000",
            "https://api.telegram.org/botany/page",
            "not a url at all",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn scrub_removes_known_values_and_ignores_trivial_ones() {
        let text = "error sending to http://h/bot99:tok-abc/sendMessage: tok-abc rejected (1)";
        let out = scrub(text, &["99:tok-abc", "tok-abc", "", "1"]);
        assert!(!out.contains("tok-abc"), "{out}");
        assert!(out.contains("(1)"), "{out}");
    }

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        assert_eq!(s.expose(), "hunter22");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: Secret,
        }
        assert!(!format!("{:?}", Holder { token: s }).contains("hunter"));
    }
}
