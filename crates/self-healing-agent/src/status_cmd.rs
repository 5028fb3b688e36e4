//! `self-healing-agent status`: every state document as one screen of plain text.
//!
//! Meant for a human on a shell (Render's, or the demo's): it answers "what is running, what was fixed,
//! what is held and why" without a browser or `jq`. It only reads, so it works next to a running
//! supervisor and after it stopped — and then says so first, instead of promising retries nobody will
//! make. The other binaries' documents are shown as their findings ([`crate::findings`]).

mod binaries;
pub(crate) mod format;
mod proposals;

use crate::documents::{Doc, Documents, age, names, parse_time, time_field, uptime};
use crate::http::DEFAULT_STALE_AFTER;
use crate::metrics::HELD_STATUSES;
use format::{ago, cell, human, row, table, text};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

/// Fix events shown, newest first.
const RECENT_FIXES: usize = 10;

/// Prints the status of everything found in `state_dir`, with "now" given so ages are reproducible.
pub fn run_at(state_dir: &Path, now: SystemTime, out: &mut dyn Write) -> anyhow::Result<()> {
    run_docs(&Documents::Dir(state_dir.to_path_buf()), now, out)
}

/// Prints the status from any document source (a directory, or the state store — file or Key Value);
/// with several live instances, one section per instance.
pub fn run_docs(docs: &Documents, now: SystemTime, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "{}", docs.describe())?;
    let statuses = docs.read_instances(names::AGENT_STATUS);
    let states = docs.read_instances(names::SELF_HEALING);
    let several = statuses.len() > 1 || states.len() > 1;
    let mut instances: Vec<&str> = statuses
        .iter()
        .chain(&states)
        .map(|(i, _)| i.as_str())
        .collect();
    instances.sort_unstable();
    instances.dedup();
    if instances.is_empty() {
        supervisor_line(&Doc::Missing, &Doc::Missing, now, out)?;
    }
    let find = |list: &[(String, Doc)], instance: &str| {
        list.iter()
            .find(|(i, _)| i == instance)
            .map_or(Doc::Missing, |(_, d)| d.clone())
    };
    for instance in instances {
        if several {
            writeln!(out, "\n== instance {} ==", cell(instance))?;
        }
        let status = find(&statuses, instance);
        let state = find(&states, instance);
        let stale = status.value().and_then(stale_since(now));
        if let Some(seen) = &stale {
            writeln!(
                out,
                "supervisor not running; last seen {seen} ago ({} is stale: below is its last word)",
                names::AGENT_STATUS
            )?;
        }
        supervisor_line(&status, &state, now, out)?;
        if let Some(status) = status.value() {
            agents_table(status, stale.is_some(), now, out)?;
        }
        if let Some(state) = state.value() {
            breakers_table(state, now, out)?;
            fixes_table(state, now, out)?;
            proposals::lines(state, out)?;
            counters_line(state, out)?;
        }
    }
    binaries::print(docs, now, out)
}

/// How long ago the supervisor last wrote its status, when that is too long ago to believe it runs.
fn stale_since(now: SystemTime) -> impl Fn(&Value) -> Option<String> {
    move |status| {
        let written = time_field(status, "written_at")?;
        let seen = age(written, now);
        (seen > DEFAULT_STALE_AFTER).then(|| human(seen))
    }
}

fn supervisor_line(
    status: &Doc,
    state: &Doc,
    now: SystemTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut parts = Vec::new();
    match status {
        Doc::Missing => parts.push(format!("no {} (not started here yet)", names::AGENT_STATUS)),
        Doc::Corrupt(e) => parts.push(format!("unreadable: {}", cell(e))),
        Doc::Loaded(doc) => {
            if let Some(instance) = doc.get("instance").and_then(Value::as_str) {
                parts.push(format!("instance {}", cell(instance)));
            }
            parts.push(format!("status written {}", ago(doc, "written_at", now)));
            let agents = doc.get("agents").and_then(Value::as_object);
            let total = agents.map_or(0, Map::len);
            let healthy = agents.map_or(0, |a| a.values().filter(|v| is_healthy(v)).count());
            let held = agents.map_or(0, |a| a.values().filter(|v| is_held(v)).count());
            parts.push(format!("{healthy}/{total} healthy, {held} held"));
        }
    }
    match state {
        Doc::Corrupt(e) => parts.push(format!("{} unreadable: {}", names::SELF_HEALING, cell(e))),
        Doc::Loaded(doc) => {
            if doc.get("started_at").is_some() {
                parts.push(format!("started {}", ago(doc, "started_at", now)));
            }
            if let Some(c) = doc.get("config").filter(|c| c.is_object()) {
                parts.push(format!(
                    "config loaded {} (hash {})",
                    ago(c, "loaded_at", now),
                    text(c.get("hash"))
                ));
            }
            if doc.get("last_health_pass").is_some() {
                parts.push(format!(
                    "last health pass {}",
                    ago(doc, "last_health_pass", now)
                ));
            }
        }
        Doc::Missing => {}
    }
    writeln!(out, "self-healing-agent: {}", parts.join(", "))?;
    Ok(())
}

/// `stale`: the supervisor is not running, so no retry is promised.
fn agents_table(
    status: &Value,
    stale: bool,
    now: SystemTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let Some(agents) = status.get("agents").and_then(Value::as_object) else {
        return Ok(());
    };
    let mut rows = vec![row(&[
        "AGENT",
        "STATUS",
        "HEALTH",
        "PID",
        "UPTIME",
        "RESTARTS/H",
        "BREAKER",
        "LAST EXIT",
        "LAST INCIDENT",
        "NEXT RETRY",
    ])];
    for (name, a) in agents {
        let health = if is_healthy(a) {
            "healthy"
        } else if is_held(a) {
            "held"
        } else if a.get("status").and_then(Value::as_str) == Some("stopped") {
            // Stopped by the supervisor's own shutdown: not a failure to report.
            "-"
        } else {
            "unhealthy"
        };
        let uptime = uptime(a).map_or("-".into(), human);
        let incident = a
            .get("last_incident")
            .filter(|v| v.is_object())
            .map_or("-".into(), |i| {
                format!("{} {}", text(i.get("kind")), ago(i, "at", now))
            });
        let retry = match a
            .get("next_retry_at")
            .and_then(Value::as_str)
            .and_then(parse_time)
            .filter(|_| !stale)
        {
            Some(t) => match t.duration_since(now) {
                Ok(d) => format!("in {}", human(d)),
                Err(_) => "due".into(),
            },
            None => "-".into(),
        };
        let mut status = match a.get("stopped_by").and_then(Value::as_str) {
            Some(by) => format!("{} by {}", text(a.get("status")), cell(by)),
            None => text(a.get("status")),
        };
        if a.get("muted_until").and_then(Value::as_str).is_some() {
            status.push_str(" (muted)");
        }
        rows.push(vec![
            cell(name),
            status,
            health.into(),
            text(a.get("pid")),
            uptime,
            text(a.get("restarts_last_hour")),
            text(a.get("breaker")),
            last_exit(a.get("last_exit")),
            incident,
            retry,
        ]);
    }
    writeln!(out)?;
    table(&rows, out)
}

fn breakers_table(state: &Value, now: SystemTime, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(breakers) = state
        .get("breakers")
        .and_then(Value::as_object)
        .filter(|b| !b.is_empty())
    else {
        return Ok(());
    };
    let mut rows = vec![row(&["BREAKER", "STATE", "FAILURES", "OPENED"])];
    for (key, b) in breakers {
        let opened = if b.get("opened_at").and_then(Value::as_str).is_some() {
            ago(b, "opened_at", now)
        } else {
            "-".into()
        };
        let state = b.get("state").or(Some(b)).filter(|s| s.is_string());
        rows.push(vec![
            cell(key),
            text(state),
            text(b.get("failures")),
            opened,
        ]);
    }
    writeln!(out)?;
    table(&rows, out)
}

fn fixes_table(state: &Value, now: SystemTime, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(history) = state.get("history").and_then(Value::as_array) else {
        return Ok(());
    };
    // Newest first, each fix once: a `pending` entry that a later outcome for the same agent settled
    // (documents written before fixes were settled in place) is not shown again.
    let mut settled = std::collections::BTreeSet::new();
    let fixes: Vec<&Value> = history
        .iter()
        .rev()
        .filter(|e| e.get("event").and_then(Value::as_str) == Some("fix"))
        .filter(|e| {
            let agent = e.get("agent").and_then(Value::as_str).unwrap_or("");
            match e.get("outcome").and_then(Value::as_str) {
                Some("pending") => !settled.contains(agent),
                _ => {
                    settled.insert(agent.to_string());
                    true
                }
            }
        })
        .take(RECENT_FIXES)
        .collect();
    writeln!(out)?;
    if fixes.is_empty() {
        writeln!(out, "recent fixes: none")?;
        return Ok(());
    }
    let mut rows = vec![row(&[
        "FIXED", "AGENT", "KIND", "ACTION", "TARGET", "OUTCOME", "DETAIL",
    ])];
    for f in fixes {
        let detail = f
            .get("refused")
            .filter(|r| r.is_string())
            .or_else(|| f.get("message"));
        rows.push(vec![
            ago(f, "at", now),
            text(f.get("agent")),
            text(f.get("kind")),
            text(f.get("action")),
            text(f.get("target")),
            text(f.get("outcome")),
            text(detail),
        ]);
    }
    table(&rows, out)
}

fn counters_line(state: &Value, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(counters) = state.get("counters") else {
        return Ok(());
    };
    let list = |key: &str| {
        let items: Vec<String> = counters
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{}={}", cell(k), text(Some(v))))
            .collect();
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(" ")
        }
    };
    writeln!(out)?;
    writeln!(out, "restarts: {}", list("restarts_total"))?;
    writeln!(out, "incidents: {}", list("incidents_total"))?;
    writeln!(out, "fixes: {}", list("fixes_total"))?;
    Ok(())
}

fn is_healthy(agent: &Value) -> bool {
    agent.get("healthy").and_then(Value::as_bool) == Some(true)
}

fn is_held(agent: &Value) -> bool {
    let status = agent.get("status").and_then(Value::as_str).unwrap_or("");
    !is_healthy(agent) && HELD_STATUSES.contains(&status)
}

fn last_exit(exit: Option<&Value>) -> String {
    let Some(exit) = exit.filter(|e| e.is_object()) else {
        return "-".into();
    };
    match (
        exit.get("code").and_then(Value::as_i64),
        exit.get("signal").and_then(Value::as_i64),
    ) {
        (Some(code), _) => format!("code {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "?".into(),
    }
}
