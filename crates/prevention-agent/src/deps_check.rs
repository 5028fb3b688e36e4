//! The dependency part of a pass: healing-core's one workflow ([`dependencies::check_and_install`], the
//! same steps auto-recovery runs: requirements against the interpreter, missing ones installed through the
//! executor under the fix policy), its result as this binary's checks.

use crate::state_doc::{CheckResult, Outcome};
use healing_core::dependencies::{
    self, DependencyError, DependencyRun, InstallResult, ProbeCache, Status,
};
use healing_core::executor::{Executor, FixOutcome};
use std::path::Path;
use std::time::Duration;

/// What the dependency step produced.
#[derive(Debug, Default)]
pub struct DependencyOutcome {
    pub checks: Vec<CheckResult>,
    pub installs: Vec<InstallResult>,
}

/// Checks `requirements_file` against `python` (asking it only when `cache` says its answer can have
/// changed) through healing-core's one workflow; installs the missing ones when `executor` is given.
pub async fn run(
    cache: &ProbeCache,
    python: &str,
    requirements_file: Option<&Path>,
    executor: Option<&Executor>,
    timeout: Duration,
) -> DependencyOutcome {
    let mut out = DependencyOutcome::default();
    let check = |outcome, message: String| CheckResult::new("dependencies", outcome, message);
    let run = dependencies::check_and_install(cache, python, requirements_file, executor, timeout);
    let report = match run.await {
        DependencyRun::NoRequirementsFile => {
            out.checks
                .push(check(Outcome::Ok, "no requirements file configured".into()));
            return out;
        }
        DependencyRun::FileAbsent(file) => {
            let message = format!("{} does not exist: nothing to check", file.display());
            out.checks.push(check(Outcome::Ok, message));
            return out;
        }
        DependencyRun::Unreadable(e) => {
            out.checks.push(check(Outcome::Warning, e.to_string()));
            return out;
        }
        DependencyRun::ProbeFailed(e) => {
            let outcome = match e {
                DependencyError::InterpreterMissing { .. } => Outcome::Critical,
                _ => Outcome::Warning,
            };
            out.checks.push(CheckResult::new(
                "dependency:interpreter",
                outcome,
                e.to_string(),
            ));
            return out;
        }
        DependencyRun::Checked { report, installs } => {
            out.installs = installs;
            report
        }
    };
    let mut satisfied = 0usize;
    for check in &report.checks {
        let name = format!("dependency:{}", check.name);
        let result = match &check.status {
            Status::Satisfied { .. } | Status::NotApplicable => {
                satisfied += 1;
                continue;
            }
            Status::Unverifiable { installed } => CheckResult::new(
                name,
                Outcome::Ok,
                format!(
                    "{} {installed} installed; {:?} cannot be compared",
                    check.name, check.specifier
                ),
            ),
            Status::WrongVersion { installed } => CheckResult::new(
                name,
                Outcome::Warning,
                format!(
                    "{}: installed {installed}, required {} ({}:{})",
                    check.name,
                    check.specifier,
                    check.source.display(),
                    check.line
                ),
            ),
            Status::Missing => missing_result(name, &check.requirement(), &out.installs),
        };
        out.checks.push(result);
    }
    out.checks.push(CheckResult::new(
        "dependencies",
        Outcome::Ok,
        format!(
            "{satisfied} of {} requirements satisfied in {} {}",
            report.checks.len(),
            report.python,
            report.python_version
        ),
    ));
    out
}

fn missing_result(name: String, requirement: &str, installs: &[InstallResult]) -> CheckResult {
    match installs
        .iter()
        .find(|i| i.requirement == requirement)
        .map(|i| &i.outcome)
    {
        Some(FixOutcome::Succeeded { .. }) => CheckResult::new(
            name,
            Outcome::Fixed,
            format!("{requirement} was missing and has been installed"),
        ),
        Some(FixOutcome::Refused { reason }) => CheckResult::new(
            name,
            Outcome::Critical,
            format!("{requirement} is missing; install refused: {reason}"),
        ),
        Some(FixOutcome::Failed { detail }) => CheckResult::new(
            name,
            Outcome::Critical,
            format!("{requirement} is missing; install failed: {detail}"),
        ),
        Some(FixOutcome::NotNeeded) | None => {
            CheckResult::new(name, Outcome::Critical, format!("{requirement} is missing"))
        }
    }
}
