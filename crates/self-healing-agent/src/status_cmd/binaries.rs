//! The prevention-agent's and auto-recovery's sections of `status`: their findings (readings against
//! thresholds, warnings, dependency problems, services and their last probe), not counts of fields.

use super::format::{ago, cell, clip, human, row, table};

/// Characters of a finding printed on its own line.
const LINE: usize = 150;
use crate::documents::{Doc, age, names};
use crate::findings;
use serde_json::Value;
use std::io::Write;
use std::time::SystemTime;

/// Both sections.
pub fn print(
    docs: &crate::documents::Documents,
    now: SystemTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    writeln!(out)?;
    match docs.read_service(names::PREVENTION) {
        Doc::Loaded(doc) => prevention(&doc, now, out)?,
        other => absent("prevention-agent", names::PREVENTION, &other, out)?,
    }
    writeln!(out)?;
    match docs.read_service(names::RECOVERY) {
        Doc::Loaded(doc) => recovery(&doc, now, out)?,
        other => absent("auto-recovery", names::RECOVERY, &other, out)?,
    }
    Ok(())
}

fn absent(binary: &str, name: &str, doc: &Doc, out: &mut dyn Write) -> anyhow::Result<()> {
    match doc {
        Doc::Corrupt(e) => writeln!(out, "{binary}: unreadable: {}", cell(e))?,
        _ => writeln!(out, "{binary}: not running (no {name})")?,
    }
    Ok(())
}

/// "STALE (written 2h00m ago), " when the document is older than [`findings::STALE_AFTER`].
fn staleness(doc: &Value, now: SystemTime) -> String {
    findings::stale_for(doc, now).map_or(String::new(), |a| {
        format!("STALE (written {} ago), ", human(a))
    })
}

fn prevention(doc: &Value, now: SystemTime, out: &mut dyn Write) -> anyhow::Result<()> {
    let p = findings::prevention(doc);
    let last = if p.last_pass.is_some() {
        format!("last pass {}", ago(doc, "last_pass_at", now))
    } else {
        "no pass finished yet".into()
    };
    let verdict = match p.warnings.len() {
        0 => "no warnings".to_string(),
        1 => "1 warning".to_string(),
        n => format!("{n} warnings"),
    };
    writeln!(
        out,
        "prevention-agent: {}{last}, {verdict}",
        staleness(doc, now)
    )?;
    let mut rows = Vec::new();
    for r in &p.readings {
        let limit = r
            .threshold
            .map_or("-".to_string(), |t| format!("warns at {t:.0}%"));
        let flag = if r.warning { "WARNING" } else { "" };
        rows.push(vec![
            format!("  {}", cell(&r.key)),
            format!("{:.0}%", r.percent),
            cell(&r.amount),
            limit,
            flag.to_string(),
        ]);
    }
    table(&rows, out)?;
    for w in &p.warnings {
        writeln!(out, "  warning: {}", clip(w, LINE))?;
    }
    for d in &p.dependencies {
        writeln!(out, "  dependency: {}", clip(d, LINE))?;
    }
    Ok(())
}

fn recovery(doc: &Value, now: SystemTime, out: &mut dyn Write) -> anyhow::Result<()> {
    let r = findings::recovery(doc);
    let last = match doc.get("last_pass") {
        Some(pass) if r.last_pass.is_some() => {
            format!("last pass {}", ago(pass, "started_at", now))
        }
        _ => "no pass finished yet".into(),
    };
    let verdict = match r.healthy {
        Some(true) => ", nothing to fix",
        Some(false) => ", problems found",
        None => "",
    };
    writeln!(out, "auto-recovery: {}{last}{verdict}", staleness(doc, now))?;
    if !r.services.is_empty() {
        let mut rows = vec![row(&[
            "  SERVICE",
            "HEALTH",
            "LAST PROBE",
            "CHECKED",
            "WAKE-UP",
        ])];
        for s in &r.services {
            let checked = s
                .checked_at
                .map_or("-".into(), |t| format!("{} ago", human(age(t, now))));
            rows.push(vec![
                format!("  {}", cell(&s.name)),
                if s.healthy { "healthy" } else { "FAILING" }.into(),
                cell(&s.probe),
                checked,
                s.wake.as_deref().map_or("-".into(), cell),
            ]);
        }
        table(&rows, out)?;
    }
    for d in &r.deploys {
        writeln!(out, "  render: {}", clip(d, LINE))?;
    }
    for f in &r.findings {
        writeln!(out, "  finding: {}", clip(f, LINE))?;
    }
    Ok(())
}
