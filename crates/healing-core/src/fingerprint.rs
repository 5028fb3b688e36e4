//! A stable identity for every incident: the same bug gets the same short string across runs, machines
//! and deploys, and two different bugs (almost) never share one.
//!
//! A traceback's fingerprint is built from its exception type, the module (file stem) and function of
//! its in-app frames — library frames (site-packages, the standard library, `<frozen …>`) only when
//! there is no in-app frame — and its message with the variable parts masked. Line numbers and path
//! prefixes never enter it, so a redeploy to another directory or an edit above the failing line keeps
//! it. A line without a traceback gets a template fingerprint: its kind plus the masked line. The
//! string is the FNV-1a hash of those parts, which is stable across Rust versions and platforms (unlike
//! `std`'s hasher, which may change).

use crate::matcher::record_text::truncate as cut;
use std::fmt::Write as _;

/// In-app frames kept per traceback (the ones nearest the raise matter; the rest is the same entry
/// path for every bug). Library frames are kept the same way, for tracebacks with no in-app frame.
const MAX_FRAMES: usize = 8;
/// Characters of a masked message that enter the hash (and are shown by `scan --summary`).
pub const MAX_MESSAGE: usize = 160;

/// The frames of one traceback, bounded whatever its length.
#[derive(Debug, Default, Clone)]
pub struct Frames {
    app: Vec<String>,
    library: Vec<String>,
}

impl Frames {
    /// Records a `  File "…/pkg/mod.py", line 12, in handler` line; other lines are ignored.
    pub fn push_line(&mut self, text: &str) {
        let Some((path, function)) = parse_frame(text) else {
            return;
        };
        let entry = format!("{}.{function}", module_of(path));
        let list = if is_library(path) {
            &mut self.library
        } else {
            &mut self.app
        };
        if list.len() == MAX_FRAMES {
            list.remove(0);
        }
        list.push(entry);
    }

    /// The frames that identify the bug: in-app ones, or library ones when there are none.
    fn identifying(&self) -> &[String] {
        if self.app.is_empty() {
            &self.library
        } else {
            &self.app
        }
    }
}

/// The fingerprint of a traceback whose decisive exception is `exception` with `message`.
pub fn of_traceback(exception: &str, message: &str, frames: &Frames) -> String {
    let mut parts = String::with_capacity(128);
    parts.push_str(short_type(exception));
    for f in frames.identifying() {
        parts.push('|');
        parts.push_str(f);
    }
    parts.push('|');
    parts.push_str(&mask(message));
    hex(fnv1a(parts.as_bytes()))
}

/// The template fingerprint of a line that is no traceback: its kind plus the masked line.
pub fn of_line(kind: &str, line: &str) -> String {
    let mut parts = String::with_capacity(line.len() + kind.len() + 1);
    parts.push_str(kind);
    parts.push('|');
    parts.push_str(&mask(line));
    hex(fnv1a(parts.as_bytes()))
}

/// `requests.exceptions.ConnectionError` and `ConnectionError` are printed differently by different
/// formatters for the same exception; the last component identifies it.
fn short_type(exception: &str) -> &str {
    exception.rsplit('.').next().unwrap_or(exception)
}

/// `(path, function)` of a Python frame line.
fn parse_frame(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim_start().strip_prefix("File \"")?;
    let (path, after) = rest.split_once('"')?;
    let function = after.rsplit_once(", in ").map_or("?", |(_, f)| f.trim());
    Some((path, function))
}

/// The file stem: the part of a path that stays the same wherever the app is deployed.
fn module_of(path: &str) -> &str {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file.strip_suffix(".py").unwrap_or(file)
}

/// Installed packages, the standard library and the import machinery.
fn is_library(path: &str) -> bool {
    path.contains("site-packages")
        || path.contains("dist-packages")
        || path.starts_with('<')
        || path.contains("/lib/python")
        || path.contains("\\lib\\")
        || path.contains("\\Lib\\")
}

/// The message with its variable parts replaced: quoted values (`<q>`), paths (`<path>`), uuids
/// (`<uuid>`), hex and long ids (`<id>`), numbers (`<n>`). Bounded to [`MAX_MESSAGE`] characters.
pub fn mask(message: &str) -> String {
    let mut out = String::with_capacity(MAX_MESSAGE + 8);
    let mut rest = cut(message.trim(), 4 * MAX_MESSAGE);
    while let Some(c) = rest.chars().next() {
        if out.len() >= MAX_MESSAGE {
            break;
        }
        let after_gap = out.is_empty() || out.ends_with([' ', '(', '=', ':', '<', '>']);
        let (token, replacement) = next_token(rest, c, after_gap);
        match replacement {
            Some(r) => {
                if !out.ends_with(r) {
                    out.push_str(r);
                }
            }
            None => out.push_str(token),
        }
        rest = &rest[token.len()..];
    }
    let keep = cut(&out, MAX_MESSAGE).len();
    out.truncate(keep);
    out
}

/// The next token of `rest` (starting with `c`) and what replaces it, if it is variable. A path
/// starts after a gap (`ERROR/MainProcess` is no path) and has a second component or an extension.
fn next_token(rest: &str, c: char, after_gap: bool) -> (&str, Option<&'static str>) {
    if c == '\'' || c == '"' {
        if let Some(end) = rest[1..].find(c) {
            return (&rest[..end + 2], Some("<q>"));
        }
        return (&rest[..1], None);
    }
    let word_end = rest
        .find(|ch: char| {
            ch.is_whitespace() || matches!(ch, ',' | ';' | ')' | '(' | '[' | ']' | '\'' | '"')
        })
        .unwrap_or(rest.len())
        .max(c.len_utf8());
    let word = &rest[..word_end];
    let unix_path =
        c == '/' && after_gap && word.len() > 1 && (word[1..].contains('/') || word.contains('.'));
    if unix_path || looks_like_windows_path(word) {
        return (word, Some("<path>"));
    }
    if is_uuid(word) {
        return (word, Some("<uuid>"));
    }
    if c.is_ascii_digit()
        || (c == '-' && word.len() > 1 && word[1..].starts_with(|d: char| d.is_ascii_digit()))
    {
        let end = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '-'))
            .unwrap_or(rest.len())
            .max(1);
        let token = &rest[..end];
        let replacement = if token.starts_with("0x") || is_hex_id(token) {
            "<id>"
        } else {
            "<n>"
        };
        return (token, Some(replacement));
    }
    if c.is_ascii_alphabetic() || c == '_' {
        let end = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        let token = &rest[..end];
        // Letters and digits mixed (`tok_1Nx3Fz2e`, `worker17`, `deadbeef12`) make an id, not a word.
        let mixed = token.bytes().any(|b| b.is_ascii_digit());
        if is_hex_id(token) || (mixed && token.len() >= 4) {
            return (token, Some("<id>"));
        }
        return (token, None);
    }
    (&rest[..c.len_utf8()], None)
}

fn looks_like_windows_path(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

fn is_uuid(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b[..36]
            .iter()
            .enumerate()
            .all(|(i, c)| [8, 13, 18, 23].contains(&i) || c.is_ascii_hexdigit())
}

/// A run of ≥ 8 hex digits that holds at least one digit and one letter (a commit, a request id).
fn is_hex_id(token: &str) -> bool {
    token.len() >= 8
        && token.bytes().all(|b| b.is_ascii_hexdigit())
        && token.bytes().any(|b| b.is_ascii_digit())
        && token.bytes().any(|b| b.is_ascii_alphabetic())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn hex(value: u64) -> String {
    let mut s = String::with_capacity(16);
    let _ = write!(s, "{value:016x}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_parts_are_masked() {
        assert_eq!(
            mask("invalid literal for int() with base 10: 'N/A' at /srv/app/data.csv row 1234"),
            "invalid literal for int() with base <n>: <q> at <path> row <n>"
        );
        assert_eq!(
            mask("id 0x7f3a2b and 550e8400-e29b-41d4-a716-446655440000"),
            "id <id> and <uuid>"
        );
        assert_eq!(mask("commit deadbeef12 failed"), "commit <id> failed");
        assert_eq!(
            mask("[ERROR/MainProcess] lost /tmp/x"),
            "[ERROR/MainProcess] lost <path>"
        );
        assert_eq!(mask("worker17 lost card tok_1Nx3Fz"), "<id> lost card <id>");
        assert!(mask(&"x".repeat(10_000)).len() <= MAX_MESSAGE);
    }

    #[test]
    fn line_numbers_and_path_prefixes_do_not_matter() {
        let mut a = Frames::default();
        a.push_line("  File \"/app/jobs/sync.py\", line 10, in run");
        a.push_line(
            "  File \"/usr/local/lib/python3.12/site-packages/requests/api.py\", line 73, in get",
        );
        let mut b = Frames::default();
        b.push_line("  File \"/home/deploy/releases/42/jobs/sync.py\", line 97, in run");
        b.push_line(
            "  File \"/opt/venv/lib/python3.11/site-packages/requests/api.py\", line 59, in get",
        );
        assert_eq!(
            of_traceback("KeyError", "'user_17'", &a),
            of_traceback("builtins.KeyError", "'user_98'", &b)
        );
        let mut c = Frames::default();
        c.push_line("  File \"/app/jobs/sync.py\", line 10, in load");
        assert_ne!(
            of_traceback("KeyError", "'x'", &a),
            of_traceback("KeyError", "'x'", &c)
        );
        assert_eq!(of_traceback("KeyError", "'x'", &a).len(), 16);
    }
}
