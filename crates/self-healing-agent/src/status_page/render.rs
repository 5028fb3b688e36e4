//! The page's frame (head, header, sections in order) and the small formatting helpers the sections share.

use super::{PageData, REFRESH_SECS, agents, findings, shown};
use crate::documents::{Doc, age, names, parse_time, time_field};
use crate::status_cmd::format::human;
use serde_json::Value;
use std::fmt::Write;
use std::time::SystemTime;

/// The stylesheet, compiled in.
const CSS: &str = include_str!("page.css");
/// The refresh and control script, compiled in.
const SCRIPT: &str = include_str!("page.js");

/// The whole document.
pub fn page(data: &PageData) -> String {
    let reload =
        format!("<noscript><meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\"></noscript>");
    frame(&shown(&title(data)), &reload, "", &body(data))
}

/// The page without data, for a request without the token: the script asks for the token
/// (`data-locked`) and loads the body with it; without script the page says what is needed.
pub fn shell() -> String {
    let main = "<section><h2>Token needed</h2><p class=\"notice\" id=\"locked\">This status page \
        is reachable from the network, so it shows agent data only to holders of the operator's token \
        (<code>HEALING_HTTP_TOKEN</code>).</p><noscript><p class=\"notice\">It needs JavaScript to ask \
        for the token; without it, read <code>/status/page.json</code> with \
        <code>Authorization: Bearer &lt;token&gt;</code>.</p></noscript></section>";
    frame("NeoLight self-healing", "", " data-locked=\"1\"", main)
}

/// The document around `main`: head (with `head_extra`), header, the script.
fn frame(title: &str, head_extra: &str, body_attrs: &str, main: &str) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>{head_extra}\
         <style>{CSS}</style></head>\
         <body data-refresh-secs=\"{REFRESH_SECS}\"{body_attrs}>\
         <header><h1>NeoLight self-healing</h1>\
         <p class=\"muted\">Refreshes every {REFRESH_SECS}s · <span id=\"refreshed\"></span></p>\
         <p id=\"outcome\" role=\"status\" aria-live=\"polite\"></p></header>\
         <main id=\"main\">{main}</main>\
         <script>{SCRIPT}</script></body></html>"
    );
    out
}

/// The part the script refreshes: everything between the header and the script.
pub fn body(data: &PageData) -> String {
    let mut out = String::with_capacity(12 * 1024);
    let _ = write!(
        out,
        "<p class=\"generated\">As of {}</p>",
        when_text(data.now)
    );
    if data.instances.is_empty() {
        let _ = write!(
            out,
            "<section><h2>Agents</h2><p class=\"notice\">Supervisor not running: no {} yet.</p></section>",
            names::AGENT_STATUS
        );
    }
    let several = data.instances.len() > 1;
    for instance in &data.instances {
        agents::section(&mut out, instance, several, data);
    }
    findings::prevention(&mut out, &data.prevention, data.now);
    findings::recovery(&mut out, &data.recovery, data.now);
    for instance in &data.instances {
        findings::history(&mut out, instance, several, data.now);
    }
    findings::alerts(&mut out, &data.alerts, data.now);
    out
}

/// "3 of 4 healthy" in the tab title, so a pinned tab says it at a glance.
fn title(data: &PageData) -> String {
    let (mut healthy, mut total) = (0, 0);
    for instance in &data.instances {
        if let Some(agents) = instance
            .status
            .value()
            .and_then(|d| d.get("agents"))
            .and_then(Value::as_object)
        {
            total += agents.len();
            healthy += agents
                .values()
                .filter(|a| a.get("healthy").and_then(Value::as_bool) == Some(true))
                .count();
        }
    }
    format!("{healthy}/{total} healthy · self-healing")
}

/// A document that could not be shown: "not running" when absent, the reason when corrupt.
pub fn missing(out: &mut String, doc: &Doc, what: &str) {
    match doc {
        Doc::Missing => {
            let _ = write!(out, "<p class=\"notice\">{} not running.</p>", shown(what));
        }
        Doc::Corrupt(e) => {
            let _ = write!(
                out,
                "<p class=\"notice bad\">{} unreadable: {}</p>",
                shown(what),
                shown(e)
            );
        }
        Doc::Loaded(_) => {}
    }
}

/// A time relative to now: "4m ago", "in 20s".
pub fn relative(at: SystemTime, now: SystemTime) -> String {
    match at.duration_since(now) {
        Ok(ahead) if ahead.as_secs() > 0 => format!("in {}", human(ahead)),
        Ok(_) => "now".into(),
        Err(_) => format!("{} ago", human(age(at, now))),
    }
}

/// `<time>` for the field `key` of `doc`, or "–".
pub fn time_cell(doc: &Value, key: &str, now: SystemTime) -> String {
    match time_field(doc, key) {
        Some(at) => time_tag(at, now),
        None => "–".into(),
    }
}

/// `<time datetime=…>4m ago</time>`; the exact time as the tooltip.
pub fn time_tag(at: SystemTime, now: SystemTime) -> String {
    let exact = when_text(at);
    format!(
        "<time datetime=\"{exact}\" title=\"{exact}\">{}</time>",
        relative(at, now)
    )
}

/// RFC 3339 to the second.
pub fn when_text(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A string field, shown; "–" when absent.
pub fn field(doc: &Value, key: &str) -> String {
    match doc.get(key) {
        None | Some(Value::Null) => "–".into(),
        Some(Value::String(s)) => shown(s),
        Some(other) => shown(&other.to_string()),
    }
}

/// Parses an RFC 3339 string field.
pub fn time_of(doc: &Value, key: &str) -> Option<SystemTime> {
    doc.get(key).and_then(Value::as_str).and_then(parse_time)
}

/// Text cut to `max` characters (an ellipsis marks the cut), before it is shown.
pub fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
