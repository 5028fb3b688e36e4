//! What the prevention-agent's and auto-recovery's documents say, as findings a person reads: readings
//! against their thresholds, open warnings, dependency problems, services and their last probe.
//!
//! Their documents belong to those binaries, so this reads them forgivingly (free-form JSON, any field
//! may be missing) and both views — the status page and `status` — show the same findings from here.

use crate::documents::{age, time_field};
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// A prevention or recovery document older than this is stale: three missed passes at their default
/// 5-minute interval.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// How old the document is, when it is older than [`STALE_AFTER`].
pub fn stale_for(doc: &Value, now: SystemTime) -> Option<Duration> {
    let written = time_field(doc, "written_at")?;
    Some(age(written, now)).filter(|a| *a > STALE_AFTER)
}

/// One measurement against its budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// `memory`, `cpu`, `disk:/data`, ...
    pub key: String,
    /// Used / limit, percent.
    pub percent: f64,
    /// The warning threshold, percent, when the agent tracks one for this key.
    pub threshold: Option<f64>,
    /// "1.2 GiB of 2.0 GiB", "0.4 of 1.0 cores".
    pub amount: String,
    /// A warning is raised for it now.
    pub warning: bool,
}

/// The prevention-agent's last pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prevention {
    /// When the last pass finished.
    pub last_pass: Option<SystemTime>,
    /// Memory, CPU, disks.
    pub readings: Vec<Reading>,
    /// Raised warnings and checks that are not ok, one line each.
    pub warnings: Vec<String>,
    /// Dependency checks and install attempts that need a look, one line each.
    pub dependencies: Vec<String>,
}

/// One probed service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// As configured.
    pub name: String,
    /// Healthy at the end of its check.
    pub healthy: bool,
    /// "HTTP 200 in 84 ms", "timeout: …".
    pub probe: String,
    /// When it was probed.
    pub checked_at: Option<SystemTime>,
    /// "woke in 3.2 s", "wake-up tried", or none.
    pub wake: Option<String>,
}

/// Auto-recovery's last pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recovery {
    /// When the last pass started.
    pub last_pass: Option<SystemTime>,
    /// Nothing left to fix, per the last pass.
    pub healthy: Option<bool>,
    /// Services and their probes.
    pub services: Vec<Service>,
    /// Failed deploys, crash events, suspensions, API errors: one line each.
    pub deploys: Vec<String>,
    /// Problems and fixes the pass reported, environment problems: one line each.
    pub findings: Vec<String>,
}

/// Reads `prevention_state.json`.
pub fn prevention(doc: &Value) -> Prevention {
    let warnings = doc.get("warnings");
    let readings = items(doc, "measurements")
        .filter_map(|m| {
            let key = m.get("key")?.as_str()?.to_string();
            let percent = m.get("percent")?.as_f64()?;
            let tracked = warnings.and_then(|w| w.get(&key));
            Some(Reading {
                threshold: tracked
                    .and_then(|t| t.get("threshold"))
                    .and_then(Value::as_f64),
                warning: tracked
                    .and_then(|t| t.get("active"))
                    .and_then(Value::as_bool)
                    == Some(true),
                amount: amount(m),
                key,
                percent,
            })
        })
        .collect();
    let mut found = Vec::new();
    let mut dependencies = Vec::new();
    if let Some(map) = warnings.and_then(Value::as_object) {
        for (key, w) in map {
            if w.get("active").and_then(Value::as_bool) == Some(true) {
                let percent = w.get("percent").and_then(Value::as_f64).unwrap_or(0.0);
                let limit = w.get("threshold").and_then(Value::as_f64).unwrap_or(0.0);
                found.push(format!("{key} at {percent:.0}% (threshold {limit:.0}%)"));
            }
        }
    }
    for check in items(doc, "checks") {
        let outcome = str_of(check, "outcome");
        if outcome == "ok" {
            continue;
        }
        let line = format!(
            "{} {outcome}: {}",
            str_of(check, "name"),
            str_of(check, "message")
        );
        if str_of(check, "name").starts_with("dependency") {
            dependencies.push(line);
        } else {
            found.push(line);
        }
    }
    for install in items(doc, "installs") {
        let outcome = install
            .get("outcome")
            .map(|o| match o {
                Value::String(s) => s.clone(),
                Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        dependencies.push(format!(
            "install {}: {outcome}",
            str_of(install, "requirement")
        ));
    }
    Prevention {
        last_pass: time_field(doc, "last_pass_at"),
        readings,
        warnings: found,
        dependencies,
    }
}

/// Reads `render_recovery_state.json`.
pub fn recovery(doc: &Value) -> Recovery {
    let last = doc.get("last_pass");
    let mut findings: Vec<String> = Vec::new();
    if let Some(last) = last {
        findings.extend(
            items(last, "problems")
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
        findings.extend(
            items(last, "fixed")
                .filter_map(Value::as_str)
                .map(|f| format!("fixed: {f}")),
        );
    }
    if let Some(env) = doc.get("environment") {
        for name in items(env, "missing_env").filter_map(Value::as_str) {
            findings.push(format!("missing env {name}"));
        }
        for path in items(env, "missing_paths").filter_map(Value::as_str) {
            findings.push(format!("missing path {path}"));
        }
        if let Some(deps) = env.get("dependencies").and_then(Value::as_str) {
            findings.push(format!("dependencies: {deps}"));
        }
    }
    let services = doc
        .get("services")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, s)| service(name, s))
        .collect();
    let mut deploys = Vec::new();
    if let Some(render) = doc.get("render") {
        if let Some(error) = render.get("error").and_then(Value::as_str) {
            deploys.push(format!("Render API: {error}"));
        }
        for (id, s) in render
            .get("services")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let name = s.get("name").and_then(Value::as_str).unwrap_or(id);
            if let Some(d) = s.get("latest_deploy").filter(|d| d.is_object()) {
                let failing = s.get("deploy_failing").and_then(Value::as_bool) == Some(true);
                let mark = if failing { " (failing)" } else { "" };
                deploys.push(format!(
                    "{name}: deploy {} {}{mark}",
                    str_of(d, "id"),
                    str_of(d, "status")
                ));
            }
            if let Some(c) = s.get("crashed").filter(|c| c.is_object()) {
                deploys.push(format!("{name}: crashed: {}", str_of(c, "reason")));
            }
            if s.get("suspended").and_then(Value::as_bool) == Some(true) {
                deploys.push(format!("{name}: suspended"));
            }
            if let Some(e) = s.get("error").and_then(Value::as_str) {
                deploys.push(format!("{name}: {e}"));
            }
        }
    }
    Recovery {
        last_pass: last.and_then(|l| time_field(l, "started_at")),
        healthy: last.and_then(|l| l.get("healthy")).and_then(Value::as_bool),
        services,
        deploys,
        findings,
    }
}

fn service(name: &str, s: &Value) -> Service {
    let healthy = s.get("healthy").and_then(Value::as_bool) == Some(true);
    let latency = s.get("latency_ms").and_then(Value::as_u64).unwrap_or(0);
    let status = s.get("status").and_then(Value::as_u64);
    let probe = match (healthy, status) {
        (true, Some(code)) => format!("HTTP {code} in {latency} ms"),
        (true, None) => format!("ok in {latency} ms"),
        (false, _) => {
            let class = s.get("failure").and_then(Value::as_str).unwrap_or("failed");
            match (status, s.get("detail").and_then(Value::as_str)) {
                (Some(code), _) => format!("{class}: HTTP {code}"),
                (None, Some(detail)) => format!("{class}: {detail}"),
                (None, None) => class.to_string(),
            }
        }
    };
    let wake = match s.get("wake_ms").and_then(Value::as_u64) {
        Some(ms) => Some(format!("woke in {:.1} s", ms as f64 / 1000.0)),
        None if s.get("wake_tried").and_then(Value::as_bool) == Some(true) => {
            Some("wake-up tried, no answer".into())
        }
        None => None,
    };
    Service {
        name: name.to_string(),
        healthy,
        probe,
        checked_at: time_field(s, "checked_at"),
        wake,
    }
}

/// "1.2 GiB of 2.0 GiB" in the measurement's unit.
fn amount(m: &Value) -> String {
    let used = m.get("used").and_then(Value::as_f64).unwrap_or(0.0);
    let limit = m.get("limit").and_then(Value::as_f64).unwrap_or(0.0);
    match m.get("unit").and_then(Value::as_str) {
        Some("bytes") => format!("{} of {}", bytes(used), bytes(limit)),
        Some("cores") => format!("{used:.2} of {limit:.2} cores"),
        Some(unit) => format!("{used:.0} of {limit:.0} {unit}"),
        None => format!("{used:.0} of {limit:.0}"),
    }
}

fn bytes(n: f64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MIB: f64 = 1024.0 * 1024.0;
    if n >= GIB {
        format!("{:.1} GiB", n / GIB)
    } else {
        format!("{:.0} MiB", n / MIB)
    }
}

fn items<'a>(doc: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    doc.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn str_of<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readings_carry_their_thresholds_and_checks_become_findings() {
        let doc = json!({
            "last_pass_at": "2026-01-01T00:00:00Z",
            "measurements": [{"key": "memory", "percent": 91.0, "used": 966367641.6, "limit": 1073741824.0,
                              "unit": "bytes", "source": "cgroup_v2"}],
            "warnings": {"memory": {"active": true, "percent": 91.0, "threshold": 85.0}},
            "checks": [{"name": "dependency:numpy", "outcome": "critical", "message": "numpy missing"},
                       {"name": "config", "outcome": "ok", "message": "fine"}],
        });
        let p = prevention(&doc);
        assert_eq!(p.readings[0].threshold, Some(85.0));
        assert!(p.readings[0].warning);
        assert_eq!(p.readings[0].amount, "922 MiB of 1.0 GiB");
        assert_eq!(p.warnings, ["memory at 91% (threshold 85%)"]);
        assert_eq!(p.dependencies, ["dependency:numpy critical: numpy missing"]);
    }

    #[test]
    fn services_show_their_last_probe_and_wake_up() {
        let doc = json!({"services": {"api": {"healthy": true, "status": 200, "latency_ms": 84,
            "wake_tried": true, "wake_ms": 3200, "checked_at": "2026-01-01T00:00:00Z"},
            "db": {"healthy": false, "failure": "timeout", "detail": "no answer in 5s"}}});
        let r = recovery(&doc);
        assert_eq!(r.services[0].probe, "HTTP 200 in 84 ms");
        assert_eq!(r.services[0].wake.as_deref(), Some("woke in 3.2 s"));
        assert_eq!(r.services[1].probe, "timeout: no answer in 5s");
    }
}
