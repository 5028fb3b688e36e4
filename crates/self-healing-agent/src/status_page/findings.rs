//! The page's lower sections: the prevention-agent's readings and warnings, auto-recovery's services,
//! the supervisor's recent history, and the latest alerts.

use super::render::{excerpt, missing, time_cell, time_tag};
use super::{Instance, shown};
use crate::documents::Doc;
use crate::findings;
use crate::status_cmd::format::human;
use healing_core::alert::AlertRecord;
use serde_json::Value;
use std::fmt::Write;
use std::time::SystemTime;

/// History entries shown per instance, newest first.
const HISTORY_SHOWN: usize = 30;
/// Characters of a history message shown.
const MESSAGE_CHARS: usize = 160;

/// Memory, CPU and disks as bars against their thresholds; warnings and dependency findings.
pub fn prevention(out: &mut String, doc: &Doc, now: SystemTime) {
    out.push_str("<section class=\"prevention\"><h2>Prevention agent</h2>");
    missing(out, doc, "Prevention agent");
    if let Some(doc) = doc.value() {
        let p = findings::prevention(doc);
        let _ = write!(
            out,
            "<p class=\"muted\">Last pass {}{}</p>",
            p.last_pass.map_or("–".into(), |t| time_tag(t, now)),
            stale(doc, now)
        );
        if p.readings.is_empty() {
            out.push_str("<p>No readings yet.</p>");
        }
        for r in &p.readings {
            let class = if r.warning { "bar warn" } else { "bar" };
            let threshold = r.threshold.map_or(String::new(), |t| {
                format!(
                    "<span class=\"threshold\" style=\"left:{:.1}%\" title=\"threshold {t:.0}%\"></span>",
                    t.clamp(0.0, 100.0)
                )
            });
            let limit = r
                .threshold
                .map_or(String::new(), |t| format!(" · warns at {t:.0}%"));
            let _ = write!(
                out,
                "<div class=\"reading\" data-key=\"{k}\"><span class=\"label\">{k}</span>\
                 <span class=\"{class}\" role=\"meter\" aria-valuenow=\"{p:.0}\" aria-valuemin=\"0\" aria-valuemax=\"100\">\
                 <span class=\"fill\" style=\"width:{w:.1}%\"></span>{threshold}</span>\
                 <span class=\"value\">{p:.0}% · {amount}{limit}</span></div>",
                k = shown(&r.key),
                p = r.percent,
                w = r.percent.clamp(0.0, 100.0),
                amount = shown(&r.amount),
            );
        }
        list(out, "Warnings", &p.warnings, "No open warnings.");
        list(
            out,
            "Dependencies",
            &p.dependencies,
            "No dependency findings.",
        );
    }
    out.push_str("</section>");
}

/// Services with their last probe and wake-up; deploy and event findings.
pub fn recovery(out: &mut String, doc: &Doc, now: SystemTime) {
    out.push_str("<section class=\"recovery\"><h2>Auto-recovery</h2>");
    missing(out, doc, "Auto-recovery");
    if let Some(doc) = doc.value() {
        let r = findings::recovery(doc);
        let verdict = match r.healthy {
            Some(true) => "<span class=\"state ok\">● nothing to fix</span>",
            Some(false) => "<span class=\"state bad\">! problems found</span>",
            None => "",
        };
        let _ = write!(
            out,
            "<p class=\"muted\">Last pass {} {verdict}{}</p>",
            r.last_pass.map_or("–".into(), |t| time_tag(t, now)),
            stale(doc, now)
        );
        if !r.services.is_empty() {
            out.push_str(
                "<div class=\"scroll\"><table><thead><tr><th>Service</th><th>Health</th><th>Last probe</th>\
                 <th>Checked</th><th>Wake-up</th></tr></thead><tbody>",
            );
            for s in &r.services {
                let health = if s.healthy {
                    "<span class=\"state ok\">● healthy</span>"
                } else {
                    "<span class=\"state bad\">✕ failing</span>"
                };
                let _ = write!(
                    out,
                    "<tr><th scope=\"row\" data-label=\"Service\">{}</th><td data-label=\"Health\">{health}</td>\
                     <td data-label=\"Last probe\">{}</td><td data-label=\"Checked\">{}</td>\
                     <td data-label=\"Wake-up\">{}</td></tr>",
                    shown(&s.name),
                    shown(&s.probe),
                    s.checked_at.map_or("–".into(), |t| time_tag(t, now)),
                    shown(s.wake.as_deref().unwrap_or("–")),
                );
            }
            out.push_str("</tbody></table></div>");
        }
        list(
            out,
            "Deploys and events",
            &r.deploys,
            "No deploy or event findings.",
        );
        list(out, "Findings", &r.findings, "Nothing else found.");
    }
    out.push_str("</section>");
}

/// Incidents, fixes, restarts and holds, newest first, bounded.
pub fn history(out: &mut String, instance: &Instance, several: bool, now: SystemTime) {
    let Some(history) = instance
        .state
        .value()
        .and_then(|s| s.get("history"))
        .and_then(Value::as_array)
    else {
        return;
    };
    let on = if several {
        format!(" on {}", shown(&instance.id))
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<section class=\"history\"><h2>Recent history{on}</h2>"
    );
    if history.is_empty() {
        out.push_str("<p>Nothing has happened yet.</p></section>");
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th>When</th><th>Agent</th><th>Event</th><th>What</th>\
         </tr></thead><tbody>",
    );
    for e in history.iter().rev().take(HISTORY_SHOWN) {
        let event = e.get("event").and_then(Value::as_str).unwrap_or("?");
        let mut what = String::new();
        for key in ["kind", "action", "target", "outcome"] {
            if let Some(v) = e.get(key).and_then(Value::as_str) {
                let _ = write!(what, "<span class=\"tag\">{}</span> ", shown(v));
            }
        }
        let message = e
            .get("refused")
            .and_then(Value::as_str)
            .or_else(|| e.get("message").and_then(Value::as_str))
            .unwrap_or("");
        let _ = write!(
            out,
            "<tr class=\"ev-{ev}\"><td data-label=\"When\">{}</td><td data-label=\"Agent\">{}</td>\
             <td data-label=\"Event\">{ev}</td><td data-label=\"What\">{what}<span class=\"excerpt\">{}</span></td></tr>",
            time_cell(e, "at", now),
            shown(e.get("agent").and_then(Value::as_str).unwrap_or("?")),
            shown(&excerpt(message, MESSAGE_CHARS)),
            ev = shown(event),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

/// This supervisor's latest alerts, newest first, and whether each was sent.
pub fn alerts(out: &mut String, alerts: &[AlertRecord], now: SystemTime) {
    out.push_str("<section class=\"alerts\"><h2>Recent alerts</h2>");
    if alerts.is_empty() {
        out.push_str("<p>No alerts since the supervisor started.</p></section>");
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th>When</th><th>Severity</th><th>Alert</th><th>Sent?</th>\
         </tr></thead><tbody>",
    );
    for a in alerts.iter().rev() {
        let (class, sent) = match a.outcome {
            "sent" => ("ok", "sent".to_string()),
            "outbox" => ("bad", "not yet: kept to retry".to_string()),
            "rejected" => ("bad", "no: rejected".to_string()),
            "no_sink" => ("off", "no: no destination configured".to_string()),
            "duplicate" => ("off", "no: duplicate".to_string()),
            "below_threshold" => ("off", "no: below min_severity".to_string()),
            other => ("off", other.to_string()),
        };
        let via = a.sink.map_or(String::new(), |s| format!(" ({s})"));
        let title = match &a.agent {
            Some(agent) => format!("{agent}: {}", a.title),
            None => a.title.clone(),
        };
        let _ = write!(
            out,
            "<tr><td data-label=\"When\">{}</td><td data-label=\"Severity\">{}</td><td data-label=\"Alert\">{}</td>\
             <td data-label=\"Sent?\"><span class=\"state {class}\">{}</span></td></tr>",
            time_tag(a.at, now),
            a.severity,
            shown(&title),
            shown(&format!("{sent}{via}")),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

/// A badge for a document too old to believe.
fn stale(doc: &Value, now: SystemTime) -> String {
    findings::stale_for(doc, now).map_or(String::new(), |a| {
        format!(
            " <span class=\"state bad\" data-stale=\"true\">stale: written {} ago</span>",
            human(a)
        )
    })
}

fn list(out: &mut String, title: &str, items: &[String], none: &str) {
    let _ = write!(out, "<h3>{title}</h3>");
    if items.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{none}</p>");
        return;
    }
    out.push_str("<ul>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", shown(item));
    }
    out.push_str("</ul>");
}
