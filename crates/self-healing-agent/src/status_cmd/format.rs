//! Plain-text formatting for the status screen: ages, cells that stay on one line, aligned columns.

use crate::documents::{age, time_field};
use serde_json::Value;
use std::io::Write;
use std::time::{Duration, SystemTime};

/// Widest cell; longer text (an error line, a hostile name) is cut so the table stays a table.
pub(super) const MAX_CELL: usize = 48;

/// "12s ago" for the timestamp at `key`, the raw text when it is not a timestamp, "-" when absent.
pub(super) fn ago(doc: &Value, key: &str, now: SystemTime) -> String {
    match (time_field(doc, key), doc.get(key)) {
        (Some(t), _) => format!("{} ago", human(age(t, now))),
        (None, v) => text(v),
    }
}

/// A duration the way people read it on a status screen: the two largest units.
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

pub(super) fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => cell(s),
        Some(other) => cell(&other.to_string()),
    }
}

/// Printable, single-line, at most [`MAX_CELL`] characters.
pub(super) fn cell(s: &str) -> String {
    clip(s, MAX_CELL)
}

/// Printable, single-line, at most `max` characters (a finding on a line of its own gets more room).
pub(super) fn clip(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.pop();
        out.push('…');
    }
    out
}

pub(super) fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

pub(super) fn table(rows: &[Vec<String>], out: &mut dyn Write) -> anyhow::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_two_units() {
        assert_eq!(human(Duration::from_secs(5)), "5s");
        assert_eq!(human(Duration::from_secs(200)), "3m20s");
        assert_eq!(human(Duration::from_secs(7500)), "2h05m");
        assert_eq!(human(Duration::from_secs(90_000)), "1d01h");
    }

    #[test]
    fn cells_are_single_line_and_bounded() {
        let hostile = format!("a\nb\u{1b}[31m{}", "x".repeat(500));
        let c = cell(&hostile);
        assert!(!c.contains('\n') && !c.contains('\u{1b}'));
        assert_eq!(c.chars().count(), MAX_CELL);
    }
}
