//! The dependency part of a pass: healing-core's one workflow ([`dependencies::check_and_install`]: the
//! same steps the prevention-agent runs), its result turned into this binary's findings and status line.

use crate::check_findings::Findings;
use crate::pass::PassContext;
use healing_core::dependencies::{self, DependencyRun};
use healing_core::executor::FixOutcome;
use healing_core::kind::Severity;
use std::time::Duration;

/// How long the interpreter may take to list its distributions.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks the declared requirements against the agents' interpreter and installs what is missing.
/// Returns the findings and the line for the state document's `environment.dependencies`.
pub async fn check(ctx: &PassContext) -> (Findings, String) {
    let mut found = Findings::default();
    let run = dependencies::check_and_install(
        &ctx.probes,
        &ctx.python,
        ctx.requirements.as_deref(),
        Some(&ctx.executor),
        PROBE_TIMEOUT,
    )
    .await;
    let (report, installs) = match run {
        DependencyRun::NoRequirementsFile => {
            return (found, "no requirements file configured".into());
        }
        DependencyRun::FileAbsent(path) => {
            return (
                found,
                format!("{} not found; nothing to check", path.display()),
            );
        }
        DependencyRun::Unreadable(err) => {
            let line = format!("requirements unreadable: {err}");
            return (problem(&mut found, Severity::High, line.clone()), line);
        }
        DependencyRun::ProbeFailed(err) => {
            let line = err.to_string();
            return (problem(&mut found, err.severity(), line.clone()), line);
        }
        DependencyRun::Checked { report, installs } => (report, installs),
    };
    for wrong in report.wrong_versions() {
        tracing::warn!(name = %wrong.name, specifier = %wrong.specifier, status = ?wrong.status, "installed version outside the requirement");
    }
    let mut still_missing = Vec::new();
    for result in installs {
        match &result.outcome {
            FixOutcome::Succeeded { .. } => {
                found.fixed(format!("installed {}", result.requirement))
            }
            FixOutcome::NotNeeded => {}
            FixOutcome::Failed { detail } => {
                still_missing.push(format!("{} (install failed: {detail})", result.requirement))
            }
            FixOutcome::Refused { reason } => {
                still_missing.push(format!("{} (not installed: {reason})", result.requirement))
            }
        }
    }
    if still_missing.is_empty() {
        let line = format!(
            "{} requirements checked against {} {}",
            report.checks.len(),
            report.python,
            report.python_version
        );
        return (found, line);
    }
    let line = format!("missing dependencies: {}", still_missing.join("; "));
    (problem(&mut found, Severity::High, line.clone()), line)
}

fn problem(found: &mut Findings, severity: Severity, line: String) -> Findings {
    found.alert(
        "recovery:dependencies".into(),
        severity,
        None,
        "Python dependencies are not satisfied".into(),
        line.clone(),
    );
    found.problem(line);
    std::mem::take(found)
}
