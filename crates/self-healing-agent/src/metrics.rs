//! `/metrics`: the supervisor's two documents in the Prometheus text exposition format (0.0.4).
//!
//! Rendered from the documents rather than from live counters so that the numbers a scrape sees are
//! exactly the ones `status` and `/health` show, and survive a restart of the binary (the counters are
//! persisted in `self_healing_state.json`). Every name is prefixed `healing_`.
//!
//! A missing or corrupt document does not fail the scrape: `healing_document_ok{document}` drops to 0 and
//! the metrics taken from it are left out, so an alert rule can tell "no data" from "all zero".

use crate::documents::{Doc, age, names, time_field};
use serde_json::Value;
use std::fmt::Write as _;
use std::time::SystemTime;

/// The `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Fix outcomes always present (as 0 when none happened), so rates work from the first scrape.
const FIX_OUTCOMES: [&str; 3] = ["succeeded", "failed", "refused"];

/// Breaker states, each exported as a 0/1 gauge (the usual encoding of an enum in Prometheus).
const BREAKER_STATES: [&str; 3] = ["closed", "open", "half_open"];

/// Agent statuses in which the supervisor deliberately keeps an agent down.
pub const HELD_STATUSES: [&str; 2] = ["needs_attention", "circuit_open"];

/// Renders both documents; `now` dates the status document's age.
pub fn render(agent_status: &Doc, state: &Doc, now: SystemTime) -> String {
    let mut out = Metrics::default();
    out.family(
        "healing_document_ok",
        "gauge",
        "1 when the state document was read, 0 when it is missing or corrupt.",
    );
    for (name, doc) in [
        (names::AGENT_STATUS, agent_status),
        (names::SELF_HEALING, state),
    ] {
        let ok = if doc.value().is_some() { 1.0 } else { 0.0 };
        out.sample("healing_document_ok", &[("document", name)], ok);
    }
    if let Some(status) = agent_status.value() {
        render_agents(&mut out, status, now);
    }
    if let Some(state) = state.value() {
        render_counters(&mut out, state);
        render_breakers(&mut out, state);
    }
    out.text
}

fn render_agents(out: &mut Metrics, status: &Value, now: SystemTime) {
    if let Some(written) = time_field(status, "written_at") {
        out.family(
            "healing_status_age_seconds",
            "gauge",
            "Seconds since the supervisor last wrote agent_status.json.",
        );
        out.sample(
            "healing_status_age_seconds",
            &[],
            age(written, now).as_secs_f64(),
        );
    }
    let empty = serde_json::Map::new();
    let agents = status
        .get("agents")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    out.family(
        "healing_agent_up",
        "gauge",
        "1 when the agent is running and passing its probes.",
    );
    for (name, agent) in agents {
        let up = agent.get("healthy").and_then(Value::as_bool) == Some(true);
        out.sample(
            "healing_agent_up",
            &[("agent", name)],
            f64::from(u8::from(up)),
        );
    }
    out.family(
        "healing_agent_held",
        "gauge",
        "1 when the supervisor deliberately holds the agent (needs attention, or its breaker is open).",
    );
    for (name, agent) in agents {
        let status = agent.get("status").and_then(Value::as_str).unwrap_or("");
        let held = HELD_STATUSES.contains(&status);
        out.sample(
            "healing_agent_held",
            &[("agent", name)],
            f64::from(u8::from(held)),
        );
    }
    out.family(
        "healing_agent_restarts_last_hour",
        "gauge",
        "Restarts of the agent in the rolling hour the restart budget counts.",
    );
    for (name, agent) in agents {
        if let Some(n) = agent.get("restarts_last_hour").and_then(Value::as_f64) {
            out.sample("healing_agent_restarts_last_hour", &[("agent", name)], n);
        }
    }
}

fn render_counters(out: &mut Metrics, state: &Value) {
    let counters = state.get("counters");
    let table = |key: &str| counters.and_then(|c| c.get(key)).and_then(Value::as_object);
    out.family(
        "healing_restarts_total",
        "counter",
        "Restarts of each agent by the supervisor.",
    );
    for (agent, n) in table("restarts_total").into_iter().flatten() {
        if let Some(n) = n.as_f64() {
            out.sample("healing_restarts_total", &[("agent", agent)], n);
        }
    }
    out.family(
        "healing_incidents_total",
        "counter",
        "Incidents diagnosed, by error kind.",
    );
    for (kind, n) in table("incidents_total").into_iter().flatten() {
        if let Some(n) = n.as_f64() {
            out.sample("healing_incidents_total", &[("kind", kind)], n);
        }
    }
    out.family(
        "healing_incidents_dropped_total",
        "counter",
        "Incidents dropped under an output flood (exits and restarts are never dropped).",
    );
    let dropped = counters
        .and_then(|c| c.get("incidents_dropped"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    out.sample("healing_incidents_dropped_total", &[], dropped);
    out.family(
        "healing_fixes_total",
        "counter",
        "Fix attempts, by outcome.",
    );
    let fixes = table("fixes_total");
    for outcome in FIX_OUTCOMES {
        let n = fixes
            .and_then(|f| f.get(outcome))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        out.sample("healing_fixes_total", &[("outcome", outcome)], n);
    }
    for (outcome, n) in fixes.into_iter().flatten() {
        if let (false, Some(n)) = (FIX_OUTCOMES.contains(&outcome.as_str()), n.as_f64()) {
            out.sample("healing_fixes_total", &[("outcome", outcome)], n);
        }
    }
}

fn render_breakers(out: &mut Metrics, state: &Value) {
    out.family(
        "healing_breaker_state",
        "gauge",
        "1 for the breaker's current state (closed, open, half_open), 0 for the others.",
    );
    let Some(breakers) = state.get("breakers").and_then(Value::as_object) else {
        return;
    };
    for (key, breaker) in breakers {
        // The persisted breaker is an object with a `state`; a bare string is accepted too.
        let current = breaker
            .get("state")
            .and_then(Value::as_str)
            .or_else(|| breaker.as_str())
            .unwrap_or("");
        for state in BREAKER_STATES {
            let v = f64::from(u8::from(state == current));
            out.sample(
                "healing_breaker_state",
                &[("key", key), ("state", state)],
                v,
            );
        }
    }
}

/// The text being built: HELP/TYPE headers once per family, then its samples.
#[derive(Debug, Default)]
struct Metrics {
    text: String,
}

impl Metrics {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        // The format has no representation for a missing sample; a non-finite value from a hand-edited
        // document is dropped rather than written as something a scraper rejects.
        if !value.is_finite() {
            return;
        }
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape_label(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Escapes a label value as the text format requires: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_610)
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }

    #[test]
    fn agents_counters_and_breakers_become_samples() {
        let status = json!({"written_at": "2026-01-01T00:00:00Z", "agents": {
            "web": {"status": "running", "healthy": true, "restarts_last_hour": 2},
            "flaky": {"status": "circuit_open", "healthy": false, "restarts_last_hour": 5}}});
        let state = json!({"breakers": {"agent:flaky": {"state": "open", "failures": 3}},
            "counters": {"restarts_total": {"flaky": 5}, "incidents_total": {"process_exit": 6},
                         "fixes_total": {"succeeded": 1}}});
        let text = render(&Doc::Loaded(status), &Doc::Loaded(state), now());
        for line in [
            "healing_status_age_seconds 10",
            "healing_agent_up{agent=\"web\"} 1",
            "healing_agent_up{agent=\"flaky\"} 0",
            "healing_agent_held{agent=\"flaky\"} 1",
            "healing_agent_restarts_last_hour{agent=\"flaky\"} 5",
            "healing_restarts_total{agent=\"flaky\"} 5",
            "healing_incidents_total{kind=\"process_exit\"} 6",
            "healing_fixes_total{outcome=\"succeeded\"} 1",
            "healing_fixes_total{outcome=\"refused\"} 0",
            "healing_breaker_state{key=\"agent:flaky\",state=\"open\"} 1",
            "healing_breaker_state{key=\"agent:flaky\",state=\"closed\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn missing_documents_zero_the_document_gauge_and_drop_their_metrics() {
        let text = render(&Doc::Missing, &Doc::Corrupt("x".into()), now());
        assert!(text.contains("healing_document_ok{document=\"agent_status.json\"} 0"));
        assert!(text.contains("healing_document_ok{document=\"self_healing_state.json\"} 0"));
        assert!(!text.contains("healing_agent_up{"));
        assert!(!text.contains("healing_fixes_total{"));
    }
}
