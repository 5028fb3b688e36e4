//! One supervisor instance: whether its documents are fresh, a row per agent with the control buttons,
//! and each agent's 24-hour timeline.

use super::render::{excerpt, field, missing, relative, time_of, time_tag};
use super::{Instance, PageData, shown, timeline};
use crate::documents::{age, names, uptime};
use crate::status_cmd::format::human;
use serde_json::{Map, Value};
use std::fmt::Write;
use std::time::SystemTime;

/// Characters of a log line shown as an incident's excerpt.
const EXCERPT_CHARS: usize = 140;

/// The control verbs offered per agent (the operator's `POST /control/<verb>/<name>`).
const VERBS: [(&str, &str); 4] = [
    ("restart", "Restart"),
    ("stop", "Stop"),
    ("start", "Start"),
    ("resume", "Resume"),
];

/// The instance's section: freshness line, agents table, timelines.
pub fn section(out: &mut String, instance: &Instance, several: bool, data: &PageData) {
    let now = data.now;
    out.push_str("<section class=\"agents\">");
    if several {
        let _ = write!(out, "<h2>Agents on {}</h2>", shown(&instance.id));
    } else {
        out.push_str("<h2>Agents</h2>");
    }
    missing(out, &instance.status, "Supervisor");
    let Some(status) = instance.status.value() else {
        out.push_str("</section>");
        return;
    };
    let written = time_of(status, "written_at");
    let stale = written.is_none_or(|at| age(at, now) > data.stale_after);
    if stale {
        let seen = written.map_or("never".to_string(), |at| relative(at, now));
        let _ = write!(
            out,
            "<p class=\"notice bad\" data-stale=\"true\">Supervisor not running; last seen {}. \
             What follows is its last word ({} is stale).</p>",
            shown(&seen),
            names::AGENT_STATUS
        );
    }
    let empty = Map::new();
    let agents = status
        .get("agents")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if agents.is_empty() {
        out.push_str("<p class=\"notice\">No agents configured.</p></section>");
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table class=\"agents-table\"><thead><tr><th>Agent</th><th>State</th>\
         <th>PID</th><th>Uptime</th><th>Restarts (1 h)</th><th>Breaker</th><th>Last incident</th>\
         <th>Next retry</th><th>Control</th></tr></thead><tbody>",
    );
    for (name, agent) in agents {
        row(out, name, agent, stale, now);
    }
    out.push_str("</tbody></table></div>");
    let history = instance
        .state
        .value()
        .and_then(|s| s.get("history"))
        .and_then(Value::as_array);
    out.push_str("<h3>Last 24 hours</h3>");
    out.push_str(timeline::LEGEND);
    out.push_str("<div class=\"timelines\">");
    for name in agents.keys() {
        let entries = history
            .into_iter()
            .flatten()
            .filter(|e| e.get("agent").and_then(Value::as_str) == Some(name.as_str()));
        let drawn = timeline::svg(name, entries, now);
        let _ = write!(
            out,
            "<div class=\"timeline\" data-agent=\"{n}\"><span class=\"tl-name\">{n}\
             <small>{}</small></span>{}</div>",
            shown(&drawn.summary),
            drawn.svg,
            n = shown(name),
        );
    }
    out.push_str(timeline::AXIS);
    out.push_str("</div></section>");
}

/// How a state reads, with colour class and a symbol, so colour is never the only signal.
fn state_label(agent: &Value) -> (&'static str, &'static str, String) {
    let status = agent
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let healthy = agent.get("healthy").and_then(Value::as_bool) == Some(true);
    let (class, symbol, text) = match status {
        "running" if healthy => ("ok", "●", "running"),
        "running" => ("warn", "◐", "running, not healthy"),
        "starting" => ("warn", "◐", "starting"),
        "backoff" => ("warn", "↻", "waiting to restart"),
        "circuit_open" => ("bad", "‖", "held: breaker open"),
        "needs_attention" => ("bad", "!", "held: needs attention"),
        "stopped" => ("off", "■", "stopped"),
        _ => ("off", "?", status),
    };
    (class, symbol, text.to_string())
}

fn row(out: &mut String, name: &str, agent: &Value, stale: bool, now: SystemTime) {
    let (class, symbol, text) = state_label(agent);
    let status = agent.get("status").and_then(Value::as_str).unwrap_or("");
    let uptime = uptime(agent).map_or("–".into(), human);
    let restarts = agent
        .get("restarts_last_hour")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let budget = match agent.get("restart_budget").and_then(Value::as_u64) {
        Some(b) => {
            let spent = if restarts >= b { " spent" } else { "" };
            format!("<span class=\"budget{spent}\">{restarts} / {b}</span>")
        }
        None => restarts.to_string(),
    };
    let breaker = agent.get("breaker").and_then(Value::as_str).unwrap_or("–");
    let mut breaker_cell = format!(
        "<span class=\"breaker {b}\">{}</span>",
        shown(&breaker.replace('_', "-")),
        b = if breaker == "closed" { "ok" } else { "bad" }
    );
    if let Some(at) = time_of(agent, "breaker_next_trial_at") {
        let _ = write!(
            breaker_cell,
            "<br><span class=\"trial\">next trial {}</span>",
            time_tag(at, now)
        );
    }
    let retry = match time_of(agent, "next_retry_at") {
        // Nobody will retry while the supervisor is not running.
        Some(_) if stale => "– (supervisor not running)".to_string(),
        Some(at) if at <= now => "due now".to_string(),
        Some(at) => time_tag(at, now),
        None => "–".into(),
    };
    let _ = write!(
        out,
        "<tr data-agent=\"{n}\" data-state=\"{st}\"><th scope=\"row\" data-label=\"Agent\">{n}</th>\
         <td data-label=\"State\"><span class=\"state {class}\">{symbol} {text}</span></td>\
         <td data-label=\"PID\">{pid}</td><td data-label=\"Uptime\">{uptime}</td>\
         <td data-label=\"Restarts (1 h)\">{budget}</td><td data-label=\"Breaker\">{breaker_cell}</td>\
         <td data-label=\"Last incident\">{incident}</td><td data-label=\"Next retry\">{retry}</td>\
         <td data-label=\"Control\" class=\"controls\">",
        n = shown(name),
        st = shown(status),
        text = shown(&text),
        pid = field(agent, "pid"),
        incident = incident(agent.get("last_incident"), now),
    );
    for (verb, label) in VERBS {
        let _ = write!(
            out,
            "<button type=\"button\" data-verb=\"{verb}\" data-agent=\"{}\">{label}</button>",
            shown(name)
        );
    }
    out.push_str("</td></tr>");
}

/// Kind, fingerprint when the diagnosis gave one, when, and the (redacted) line.
fn incident(incident: Option<&Value>, now: SystemTime) -> String {
    let Some(i) = incident.filter(|i| i.is_object()) else {
        return "–".into();
    };
    let mut out = format!("<strong>{}</strong>", field(i, "kind"));
    let fingerprint = i
        .get("fingerprint")
        .or_else(|| i.get("detail").and_then(|d| d.get("fingerprint")))
        .and_then(Value::as_str);
    if let Some(fp) = fingerprint {
        let _ = write!(out, " <code class=\"fp\">{}</code>", shown(fp));
    }
    if let Some(at) = time_of(i, "at") {
        let _ = write!(out, " {}", time_tag(at, now));
    }
    if let Some(line) = i.get("line").and_then(Value::as_str) {
        let _ = write!(
            out,
            "<div class=\"excerpt\">{}</div>",
            shown(&excerpt(line, EXCERPT_CHARS))
        );
    }
    out
}
