//! `self-healing-agent scan FILE...`: replay log files through the catalogue and the fix policy, and
//! print what the supervisor would have diagnosed and done, one JSON object per incident per line.
//!
//! Useful before deploying a config (does my `[[patterns]]` catch this? would the policy install
//! that?) and after an outage (what was in yesterday's log?). Nothing is executed. Files of any size are
//! read in bounded memory by the bulk scanner (large files on all cores), which reports exactly what the
//! live matcher would.

use anyhow::Context;
use healing_core::catalogue::Catalogue;
use healing_core::config_load::LoadedConfig;
use healing_core::incident::Incident;
use healing_core::kind::ErrorKind;
use healing_core::matcher::scan_file;
use healing_core::policy::Policy;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Longest line kept when no config says otherwise (the config's default too).
const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// What a scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Files scanned to the end.
    pub files: usize,
    /// Lines read over all files.
    pub lines: u64,
    /// Incidents printed.
    pub incidents: u64,
    /// Incidents per kind.
    pub by_kind: BTreeMap<ErrorKind, u64>,
    /// Plans the policy refused.
    pub refused: u64,
}

/// Why a scan could not do its job. The CLI maps [`ScanError::exit_code`] to the process exit status
/// (2 for unreadable input or a bad config); find it with `anyhow::Error::downcast_ref`.
#[derive(Debug)]
pub enum ScanError {
    /// A log file could not be opened or read (the other files were still scanned).
    Unreadable { path: PathBuf, source: io::Error },
    /// The config's patterns, package map or fix policy cannot be built.
    BadConfig { message: String },
}

impl ScanError {
    /// The exit status the CLI should use.
    pub fn exit_code(&self) -> i32 {
        2
    }
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::Unreadable { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            ScanError::BadConfig { message } => write!(f, "bad config: {message}"),
        }
    }
}

impl std::error::Error for ScanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScanError::Unreadable { source, .. } => Some(source),
            ScanError::BadConfig { .. } => None,
        }
    }
}

/// One output line.
#[derive(Debug, Serialize)]
struct Record<'a> {
    file: String,
    line: u64,
    kind: ErrorKind,
    severity: healing_core::kind::Severity,
    fingerprint: &'a str,
    detail: &'a healing_core::incident::Detail,
    action: &'static str,
    target: Option<String>,
    refused: Option<String>,
    /// What the supervisor would verify first (scan runs no interpreter).
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<String>,
}

/// How a scan reports.
#[derive(Debug)]
enum Sink {
    /// One JSON object per incident, as they are found.
    Json,
    /// One row per fingerprint, printed at the end.
    Summary(summary::Table),
}

/// Scans `files` in order and writes one JSON object per incident to `out`. Without a config the
/// built-in catalogue and a deny-all policy are used (nothing installable, no path creatable), so the
/// output shows what would be refused. An unreadable file is reported after the others were scanned.
pub fn run_scan(
    config: Option<&LoadedConfig>,
    files: &[PathBuf],
    out: &mut dyn Write,
) -> anyhow::Result<ScanSummary> {
    scan_into(config, files, out, &mut Sink::Json)
}

/// `scan --summary`: the same scan, printed as one row per fingerprint (see [`summary::Table`]).
pub fn run_scan_summary(
    config: Option<&LoadedConfig>,
    files: &[PathBuf],
    out: &mut dyn Write,
) -> anyhow::Result<ScanSummary> {
    let mut sink = Sink::Summary(summary::Table::default());
    let result = scan_into(config, files, out, &mut sink);
    if let Sink::Summary(table) = &mut sink {
        table.write(out).context("writing scan output")?;
        out.flush().context("writing scan output")?;
    }
    result
}

fn scan_into(
    config: Option<&LoadedConfig>,
    files: &[PathBuf],
    out: &mut dyn Write,
    sink: &mut Sink,
) -> anyhow::Result<ScanSummary> {
    let (catalogue, policy, max_line) = match config {
        Some(loaded) => {
            let c = &loaded.config;
            let catalogue = Catalogue::new(&c.patterns, &c.fixes.package_map).map_err(|e| {
                ScanError::BadConfig {
                    message: e.to_string(),
                }
            })?;
            let policy =
                Policy::for_service(c, &loaded.base_dir).map_err(|e| ScanError::BadConfig {
                    message: e.to_string(),
                })?;
            (catalogue, policy, c.self_healing.max_line_bytes)
        }
        None => (Catalogue::builtin(), Policy::deny_all(), DEFAULT_MAX_LINE),
    };
    let mut summary = ScanSummary::default();
    let mut first_error: Option<ScanError> = None;
    for path in files {
        let cwd = agent_cwd(config, path);
        let mut write_error: Option<io::Error> = None;
        let result = scan_file(path, &catalogue, max_line, |incident| {
            if write_error.is_some() {
                return;
            }
            if let Err(e) = emit(out, sink, path, &incident, &policy, &cwd, &mut summary) {
                write_error = Some(e);
            }
        });
        if let Some(e) = write_error {
            return Err(e).context("writing scan output");
        }
        match result {
            Ok(stats) => {
                summary.files += 1;
                summary.lines += stats.lines;
            }
            Err(source) => {
                first_error.get_or_insert(ScanError::Unreadable {
                    path: path.clone(),
                    source,
                });
            }
        }
    }
    out.flush().context("writing scan output")?;
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(summary),
    }
}

/// Plans one incident and prints it.
fn emit(
    out: &mut dyn Write,
    sink: &mut Sink,
    path: &Path,
    incident: &Incident,
    policy: &Policy,
    cwd: &Path,
    summary: &mut ScanSummary,
) -> io::Result<()> {
    let plan = policy.plan(incident, cwd);
    let action = plan.action.kind().as_str();
    match sink {
        Sink::Summary(table) => table.add(path, incident, action),
        Sink::Json => {
            let install = matches!(
                plan.action,
                healing_core::fix::FixAction::InstallPackage { .. }
            );
            let record = Record {
                file: path.display().to_string(),
                line: incident.line_no,
                kind: incident.kind,
                severity: incident.severity,
                fingerprint: &incident.fingerprint,
                detail: &incident.detail,
                action,
                target: plan.target.clone().or_else(|| incident.detail.host_port()),
                refused: plan.refused.clone(),
                check: incident
                    .detail
                    .module
                    .as_deref()
                    .filter(|_| install)
                    .map(crate::import_check::would_check),
            };
            // Incident text is log text: it leaves through the one redactor like every other output.
            let mut value = serde_json::to_value(&record).map_err(io::Error::other)?;
            healing_core::redact::json(&mut value);
            serde_json::to_writer(&mut *out, &value).map_err(io::Error::other)?;
            out.write_all(b"\n")?;
        }
    }
    summary.incidents += 1;
    *summary.by_kind.entry(incident.kind).or_default() += 1;
    summary.refused += u64::from(plan.refused.is_some());
    Ok(())
}

/// Relative paths in a log are relative to the agent that wrote it: the agent whose `log_file` is this
/// file, else the config's directory, else the current directory.
fn agent_cwd(config: Option<&LoadedConfig>, file: &Path) -> PathBuf {
    let Some(loaded) = config else {
        return std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let target = canonical(file);
    loaded
        .config
        .agents
        .iter()
        .find(|a| {
            a.log_file
                .as_deref()
                .is_some_and(|l| canonical(l) == target)
        })
        .map_or_else(|| loaded.base_dir.clone(), |a| a.cwd.clone())
}

mod summary;

#[cfg(test)]
mod tests;
