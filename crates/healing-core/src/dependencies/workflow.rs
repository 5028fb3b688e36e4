//! The one dependency-check workflow both binaries run (the prevention-agent every pass, auto-recovery
//! when `check_dependencies` is on): find the requirements file, parse it, ask the interpreter (cached),
//! compare, install what is missing through the executor, forget the cached answer after an install.
//! What each binary makes of the result — checks in a state document, a problem line and an alert — is its
//! own; the steps and their order are here once.

use super::{DependencyError, DependencyReport, InstallResult, ProbeCache, install_missing};
use crate::executor::{Executor, FixOutcome};
use crate::requirements::{self, RequirementsError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a dependency check ended.
#[derive(Debug)]
pub enum DependencyRun {
    /// `[fixes] requirements` is not set: nothing to check.
    NoRequirementsFile,
    /// The requirements file does not exist (yet): nothing to check.
    FileAbsent(PathBuf),
    /// The requirements file could not be read or parsed.
    Unreadable(RequirementsError),
    /// The interpreter could not be asked (a missing interpreter is critical).
    ProbeFailed(DependencyError),
    /// The comparison, and the installs tried for what was missing (empty without an installer).
    Checked {
        /// Every requirement against what is installed, as found before any install.
        report: DependencyReport,
        /// One result per missing requirement, when an installer was given.
        installs: Vec<InstallResult>,
    },
}

/// Runs the workflow for `requirements_file` against `python`, installing the missing requirements through
/// `installer` when given (the executor asks the fix policy first: only allow-listed distributions).
pub async fn check_and_install(
    cache: &ProbeCache,
    python: &str,
    requirements_file: Option<&Path>,
    installer: Option<&Executor>,
    timeout: Duration,
) -> DependencyRun {
    let Some(file) = requirements_file else {
        return DependencyRun::NoRequirementsFile;
    };
    if !tokio::fs::try_exists(file).await.unwrap_or(false) {
        return DependencyRun::FileAbsent(file.to_path_buf());
    }
    let reqs = match requirements::parse_file(file) {
        Ok(reqs) => reqs,
        Err(e) => return DependencyRun::Unreadable(e),
    };
    let report = match cache.check(python, &reqs, timeout).await {
        Ok(report) => report,
        Err(e) => return DependencyRun::ProbeFailed(e),
    };
    let installs = match installer {
        Some(executor) => install_missing(&report, executor).await,
        None => Vec::new(),
    };
    if installs
        .iter()
        .any(|i| matches!(i.outcome, FixOutcome::Succeeded { .. }))
    {
        // The interpreter's answer changed: ask it again next time.
        cache.invalidate();
    }
    DependencyRun::Checked { report, installs }
}
