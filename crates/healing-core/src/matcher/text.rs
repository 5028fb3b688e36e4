//! Turning a raw output record into text the rules can read: CRLF, invalid UTF-8, ANSI colour codes,
//! JSON-structured log lines, and the shapes of Python traceback lines.

use std::borrow::Cow;

/// Keys of a JSON log object whose string values can carry the error (structlog's `event`/`exception`,
/// logging JSON formatters' `message`/`msg`, loguru's `text`), most specific first: a formatted
/// traceback beats the one-line message that announced it.
const JSON_KEYS: &[&str] = &[
    "exception",
    "exc_info",
    "exc_text",
    "text",
    "message",
    "msg",
    "event",
    "error",
];

/// Decodes a record: trailing `'\r'` dropped, invalid UTF-8 replaced, ANSI escape sequences removed.
pub(crate) fn clean(raw: &[u8]) -> Cow<'_, str> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let text = String::from_utf8_lossy(raw);
    if text.contains('\x1b') {
        Cow::Owned(strip_ansi(&text))
    } else {
        text
    }
}

/// Removes CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ESC \`) and two-byte escape sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameters and intermediates, then one final byte in '@'..='~'.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' {
                        if chars.peek() == Some(&'\\') {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The string values worth matching in a JSON log line, or `None` when the line is no JSON object.
/// Looks at the top level and one level down (loguru nests its record under `record`).
pub(crate) fn json_texts(text: &str) -> Option<Vec<String>> {
    let trimmed = text.trim();
    if !(trimmed.starts_with('{') && trimmed.ends_with('}')) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(trimmed).ok()?;
    let object = value.as_object()?;
    let mut texts = Vec::new();
    let nested: Vec<&serde_json::Map<String, serde_json::Value>> =
        object.values().filter_map(|v| v.as_object()).collect();
    for key in JSON_KEYS {
        for map in std::iter::once(object).chain(nested.iter().copied()) {
            if let Some(s) = map.get(*key).and_then(|v| v.as_str()) {
                texts.push(s.to_string());
            }
        }
    }
    Some(texts)
}

/// The exception type when `text` has the shape of Python's final traceback line: `Type: message`
/// or a bare `Type` (e.g. `MemoryError`), where `Type` is a dotted identifier.
pub(crate) fn exception_name(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.'))
        .unwrap_or(bytes.len());
    let rest = &text[end..];
    (rest.is_empty() || rest == ":" || rest.starts_with(": ")).then(|| &text[..end])
}

/// The first line of every Python traceback.
pub(crate) fn is_traceback_header(text: &str) -> bool {
    text.contains("Traceback (most recent call last):")
}

/// The sentences Python prints between the tracebacks of a chain.
pub(crate) fn is_chain_marker(text: &str) -> bool {
    text.starts_with("During handling of the above exception")
        || text.starts_with("The above exception was the direct cause")
}

/// Frame lines, source lines, carets and notes are indented.
pub(crate) fn is_indented(text: &str) -> bool {
    text.starts_with([' ', '\t'])
}

/// At most `max` bytes of `text`, cut on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_crlf_and_bad_utf8_are_cleaned() {
        assert_eq!(
            clean(b"\x1b[31mModuleNotFoundError\x1b[0m: No module named 'x'\r"),
            "ModuleNotFoundError: No module named 'x'"
        );
        assert_eq!(clean(b"caf\xff ok"), "caf\u{fffd} ok");
        assert_eq!(clean(b"\x1b]0;title\x07KeyError: 'A'"), "KeyError: 'A'");
    }

    #[test]
    fn exception_lines_are_recognised_by_shape() {
        assert_eq!(exception_name("MemoryError"), Some("MemoryError"));
        assert_eq!(
            exception_name("requests.exceptions.ConnectionError: boom"),
            Some("requests.exceptions.ConnectionError")
        );
        assert_eq!(exception_name("2024-05-14 12:00:00 INFO x"), None);
        assert_eq!(exception_name("ERROR:root:failed"), None);
        assert_eq!(exception_name("  File \"x.py\", line 1"), None);
    }

    #[test]
    fn json_lines_yield_their_message_strings() {
        let texts = json_texts(
            r#"{"level":"error","event":"boom","exception":"Traceback (most recent call last):\nKeyError: 'A'"}"#,
        );
        assert_eq!(
            texts,
            Some(vec![
                "Traceback (most recent call last):\nKeyError: 'A'".to_string(),
                "boom".to_string()
            ])
        );
        assert_eq!(json_texts("{not json}"), None);
        assert_eq!(json_texts("plain"), None);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("ééé", 3), "é");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
