//! Turning a raw output record into text the rules can read: CRLF, invalid UTF-8, ANSI colour codes,
//! JSON-structured log lines, and the shapes of Python traceback lines.

use memchr::memmem;
use std::borrow::Cow;
use std::sync::LazyLock;

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
pub fn clean(raw: &[u8]) -> Cow<'_, str> {
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

/// The program's own line, without what a log collector put before it — docker compose's
/// `service_1  | `, Heroku's `2019-02-22T14:11:06+00:00 app[web.1]: `, syslog/journald's
/// `Jul 05 09:13:44 host unit[123]: ` — and without the `| ` bar of Python 3.11's exception-group
/// layout. Tracebacks relayed this way keep their indentation, so their frames are recognised again.
pub(crate) fn unwrap(text: &str) -> &str {
    group_body(strip_collector(text))
}

fn strip_collector(text: &str) -> &str {
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(text.len());
    if name_end > 0 {
        let after = &text[name_end..];
        let padded = after.trim_start_matches(' ');
        if padded.len() < after.len() {
            if let Some(rest) = padded.strip_prefix("| ") {
                return rest;
            }
            if padded == "|" {
                return "";
            }
        }
    }
    let mut heroku = text.splitn(3, ' ');
    if let (Some(stamp), Some(source), Some(rest)) = (heroku.next(), heroku.next(), heroku.next())
        && is_iso_stamp(stamp)
        && source.ends_with("]:")
    {
        return rest;
    }
    let mut syslog = text.splitn(6, ' ');
    if let (Some(month), Some(day), Some(time), Some(_host), Some(ident), Some(rest)) = (
        syslog.next(),
        syslog.next(),
        syslog.next(),
        syslog.next(),
        syslog.next(),
        syslog.next(),
    ) && month.len() == 3
        && month.bytes().all(|b| b.is_ascii_alphabetic())
        && !day.is_empty()
        && day.bytes().all(|b| b.is_ascii_digit())
        && time.len() >= 8
        && time.as_bytes()[2] == b':'
        && ident.ends_with(':')
    {
        return rest;
    }
    text
}

/// `2019-02-22T14:11:06.724908+00:00`-like: a date, a `T`, a time.
fn is_iso_stamp(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() >= 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T'
}

/// Inside an exception group every line is prefixed by `| ` (at the depth of the group).
fn group_body(text: &str) -> &str {
    let trimmed = text.trim_start_matches(' ');
    match trimmed.strip_prefix("| ") {
        Some(rest) => rest,
        None if trimmed == "|" => "",
        None => text,
    }
}

/// The first line of every Python traceback.
/// rich draws it as the title of a box: `╭──── Traceback (most recent call last) ────╮`.
pub(crate) fn is_traceback_header(text: &str) -> bool {
    // One search with a searcher built once: this runs on every line that passes the prefilter and
    // every line of a traceback, and `str::contains` builds a new two-way searcher per call.
    static HEADER: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("Traceback (most recent call last)"));
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = HEADER.find(&bytes[from..]) {
        let rest = &bytes[from + at + HEADER.needle().len()..];
        if rest.starts_with(b":") || rest.starts_with(" ─".as_bytes()) {
            return true;
        }
        from += at + 1;
    }
    false
}

/// The sentences Python prints between the tracebacks of a chain.
pub(crate) fn is_chain_marker(text: &str) -> bool {
    text.starts_with("During handling of the above exception")
        || text.starts_with("The above exception was the direct cause")
        // The separators of an exception group (`+-+---- 1 ----`, `+------------`).
        || text.trim_start_matches(' ').starts_with("+-")
}

/// Frame lines, source lines, carets and notes are indented; rich draws its frames inside a box.
pub(crate) fn is_indented(text: &str) -> bool {
    text.starts_with([' ', '\t', '│', '╭', '╰'])
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
    fn collector_prefixes_and_group_bars_are_removed() {
        assert_eq!(
            unwrap("celery-slow_1  |   File \"x.py\", line 1, in f"),
            "  File \"x.py\", line 1, in f"
        );
        assert_eq!(
            unwrap("2019-02-22T14:11:06.724908+00:00 app[scheduler.5408]: KeyError: 1"),
            "KeyError: 1"
        );
        assert_eq!(
            unwrap("Jul 05 09:13:44 webapps wsgi.sh[3129704]: [INFO] Booting"),
            "[INFO] Booting"
        );
        assert_eq!(unwrap("    | ValueError: x"), "ValueError: x");
        assert_eq!(unwrap("KeyError: 'A'"), "KeyError: 'A'");
        assert_eq!(unwrap("  File \"a | b.py\""), "  File \"a | b.py\"");
        assert!(is_chain_marker("  +-+---------------- 1 ----------------"));
    }

    #[test]
    fn traceback_headers_plain_and_boxed() {
        assert!(is_traceback_header("Traceback (most recent call last):"));
        assert!(is_traceback_header(
            "web_1  | Traceback (most recent call last):"
        ));
        assert!(is_traceback_header(
            "╭──── Traceback (most recent call last) ────╮"
        ));
        assert!(is_traceback_header(
            "x Traceback (most recent call last) y, Traceback (most recent call last):"
        ));
        assert!(!is_traceback_header("Traceback (most recent call last)"));
        assert!(!is_traceback_header(
            "Traceback (most recent call last) skipped"
        ));
        assert!(!is_traceback_header("Traceback (most recent call"));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("ééé", 3), "é");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
