//! Keeping secrets out of logs, state files, error messages and HTTP responses.
//!
//! One redactor for every string that leaves the process: [`line`] (free text: the registered secret
//! values of [`crate::secrets`] and credential shapes, URLs included) and [`json`] (every string of a
//! document). [`scrub`] is [`line`] with a few extra values only one client knows (the Key Value URL's
//! password, an alert sink's token). Values held in memory that might be printed with `{:?}` are
//! wrapped in [`Secret`].

mod text;

pub use text::{json, line, line_with};

use std::fmt;

/// What every hidden value is replaced with.
pub const MASK: &str = "***";

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
    fn urls_lose_their_credentials_but_keep_their_shape() {
        assert_eq!(
            line("https://api.telegram.org/bot123456:AAH-secret_token/sendMessage"),
            "https://api.telegram.org/bot***/sendMessage"
        );
        assert_eq!(
            line("https://user:pw@hooks.example.com/hook?token=abc&x=1"),
            "https://***@hooks.example.com/hook?token=***&x=1"
        );
        assert_eq!(
            line("redis://:p%40ss@cache:6379/0"),
            "redis://***@cache:6379/0"
        );
        for url in [
            "https://example.com/health",
            "http://127.0.0.1:9000",
            "https://api.telegram.org/botany/page",
            "not a url at all",
        ] {
            assert_eq!(line(url), url);
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
