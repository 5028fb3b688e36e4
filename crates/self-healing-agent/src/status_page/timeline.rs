//! An agent's last 24 hours as inline SVG, drawn from the history: exits, restarts, hangs, fixes
//! (applied, refused, failed) and the spans it was held — so "it crash-looped from 03:10 to 03:40 and
//! the breaker caught it" is one glance. Each mark carries a `<title>` (time and message) as its tooltip.

use super::render::{excerpt, time_of, when_text};
use super::shown;
use serde_json::Value;
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// The window drawn.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The SVG's user-space width: one unit is 86.4 s.
const WIDTH: f64 = 1000.0;
/// Tooltip text kept per mark.
const TOOLTIP_CHARS: usize = 160;

/// The key under the timelines, in the same shapes and classes.
pub const LEGEND: &str = "<p class=\"legend\">\
    <span><i class=\"k exit\"></i>exit</span><span><i class=\"k restart\"></i>restart</span>\
    <span><i class=\"k hang\"></i>hang</span><span><i class=\"k incident\"></i>incident</span>\
    <span><i class=\"k fix-ok\"></i>fix applied</span><span><i class=\"k fix-refused\"></i>fix refused</span>\
    <span><i class=\"k fix-failed\"></i>fix failed</span><span><i class=\"k held\"></i>held</span>\
    <span class=\"axis\">24 h ago → now</span></p>";

/// The hour scale under the timelines, aligned with the SVGs' column.
pub const AXIS: &str = "<div class=\"timeline tl-axis-row\"><span></span><div class=\"tl-axis\">\
    <span style=\"left:0\">24 h ago</span><span style=\"left:25%\">18 h</span><span style=\"left:50%\">12 h</span>\
    <span style=\"left:75%\">6 h</span><span style=\"left:100%\">now</span></div></div>";

/// What one history entry draws: a CSS class, vertical placement and width (user units).
fn mark(entry: &Value) -> Option<(&'static str, f64, f64, f64)> {
    let event = entry.get("event").and_then(Value::as_str)?;
    let outcome = entry.get("outcome").and_then(Value::as_str).unwrap_or("");
    Some(match event {
        "exit" => ("exit", 5.0, 18.0, 2.5),
        "hang" => ("hang", 1.0, 26.0, 4.0),
        "restart" => ("restart", 19.0, 8.0, 2.0),
        "incident" => ("incident", 1.0, 5.0, 2.0),
        "fix" => match outcome {
            "refused" => ("fix-refused", 1.0, 8.0, 6.0),
            "failed" => ("fix-failed", 1.0, 8.0, 6.0),
            "pending" => ("fix-pending", 1.0, 8.0, 6.0),
            _ => ("fix-ok", 1.0, 8.0, 6.0),
        },
        _ => return None,
    })
}

/// Events that start a held span, and those that end it.
fn holds(event: &str) -> Option<bool> {
    match event {
        "held" | "breaker_open" => Some(true),
        "restart" | "breaker_closed" | "breaker_half_open" => Some(false),
        _ => None,
    }
}

/// One agent's drawing and its counts in words ("6 exits · 2 hangs").
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The inline SVG.
    pub svg: String,
    /// What the window holds, in words; "quiet" when nothing happened.
    pub summary: String,
}

/// The SVG for one agent's entries (oldest first, as the history keeps them).
pub fn svg<'a>(agent: &str, entries: impl Iterator<Item = &'a Value>, now: SystemTime) -> Drawn {
    let start = now.checked_sub(WINDOW).unwrap_or(SystemTime::UNIX_EPOCH);
    let x = |at: SystemTime| -> f64 {
        let secs = at.duration_since(start).unwrap_or_default().as_secs_f64();
        (secs / WINDOW.as_secs_f64() * WIDTH).clamp(0.0, WIDTH)
    };
    let mut bands = String::new();
    let mut marks = String::new();
    let (mut count, mut exits) = (0usize, 0usize);
    let mut tally: Vec<(&'static str, usize)> = Vec::new();
    let mut held_since: Option<f64> = None;
    for entry in entries {
        let Some(at) = time_of(entry, "at") else {
            continue;
        };
        let event = entry.get("event").and_then(Value::as_str).unwrap_or("");
        match holds(event) {
            Some(true) if at >= start => {
                held_since.get_or_insert(x(at));
            }
            Some(true) => held_since = Some(0.0),
            Some(false) => {
                if let Some(from) = held_since.take().filter(|_| at >= start) {
                    band(&mut bands, from, x(at));
                }
            }
            None => {}
        }
        if at < start || at > now {
            continue;
        }
        let Some((class, y, h, w)) = mark(entry) else {
            continue;
        };
        count += 1;
        exits += usize::from(class == "exit");
        let noun = class.split('-').next().unwrap_or(class);
        match tally.iter_mut().find(|(n, _)| *n == noun) {
            Some((_, n)) => *n += 1,
            None => tally.push((noun, 1)),
        }
        let message = entry.get("message").and_then(Value::as_str).unwrap_or("");
        let kind = entry.get("kind").and_then(Value::as_str).unwrap_or("");
        let tip = format!("{} {event} {kind}: {message}", when_text(at));
        let _ = write!(
            marks,
            "<rect class=\"m {class}\" x=\"{:.1}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"><title>{}</title></rect>",
            (x(at) - w / 2.0).max(0.0),
            shown(&excerpt(&tip, TOOLTIP_CHARS)),
        );
    }
    if let Some(from) = held_since {
        band(&mut bands, from, WIDTH);
    }
    let mut grid = String::new();
    for i in 1..4 {
        let gx = WIDTH * f64::from(i) / 4.0;
        let _ = write!(
            grid,
            "<line class=\"grid\" x1=\"{gx}\" x2=\"{gx}\" y1=\"0\" y2=\"28\"/>"
        );
    }
    let summary = if tally.is_empty() {
        "quiet".to_string()
    } else {
        let words: Vec<String> = tally.iter().map(|(noun, n)| plural(noun, *n)).collect();
        words.join(" · ")
    };
    let svg = format!(
        "<svg class=\"tl\" viewBox=\"0 0 {WIDTH} 28\" preserveAspectRatio=\"none\" role=\"img\" \
         data-marks=\"{count}\" data-exits=\"{exits}\" aria-label=\"{}: {exits} exits, {count} events in 24 h\">\
         <rect class=\"bg\" x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"28\"/>{grid}{bands}{marks}</svg>",
        shown(agent)
    );
    Drawn { svg, summary }
}

/// "1 exit", "3 fixes".
fn plural(noun: &str, n: usize) -> String {
    match (n, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "fix") => format!("{n} fixes"),
        _ => format!("{n} {noun}s"),
    }
}

fn band(out: &mut String, from: f64, to: f64) {
    let width = (to - from).max(2.0);
    let _ = write!(
        out,
        "<rect class=\"held\" x=\"{from:.1}\" y=\"0\" width=\"{width:.1}\" height=\"28\"><title>held</title></rect>"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exits_inside_the_window_are_marked_and_older_ones_are_not() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + 2 * 86_400);
        let entries = [
            json!({"at": "2026-01-01T00:00:00Z", "event": "exit", "message": "too old"}),
            json!({"at": "2026-01-02T12:00:00Z", "event": "breaker_open", "message": "open"}),
            json!({"at": "2026-01-02T12:00:00Z", "event": "exit", "message": "<b>boom</b>"}),
            json!({"at": "2026-01-02T13:00:00Z", "event": "restart", "message": "trial"}),
        ];
        let drawn = svg("a", entries.iter(), now);
        assert_eq!(drawn.summary, "1 exit · 1 restart");
        let svg = drawn.svg;
        assert!(svg.contains("data-exits=\"1\""), "{svg}");
        assert!(svg.contains("class=\"m exit\" x=\"498.8\""), "{svg}");
        assert!(svg.contains("&lt;b&gt;boom"), "{svg}");
        assert!(svg.contains("class=\"held\" x=\"500.0\""), "{svg}");
    }
}
