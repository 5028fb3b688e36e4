//! Do the agents' requirements match what their interpreter has installed?
//!
//! Shared by the prevention-agent (every pass) and auto-recovery (at start): ask the interpreter
//! ([`probe`] in `interpreter_probe.rs`, cached by [`ProbeCache`] until its answer can have changed), compare with the parsed requirements ([`compare`]), and install what is missing through the
//! [`Executor`] — so the same allow-list and policy decide, whoever asks. Both binaries run these steps
//! through [`check_and_install`].
//!
//! ```no_run
//! # async fn demo(reqs: Vec<healing_core::requirements::Requirement>, executor: healing_core::executor::Executor) {
//! use std::time::Duration;
//! let report = healing_core::dependencies::check("python3", &reqs, Duration::from_secs(30)).await;
//! if let Ok(report) = report {
//!     for result in healing_core::dependencies::install_missing(&report, &executor).await {
//!         println!("{} -> {}", result.requirement, result.outcome.as_str());
//!     }
//! }
//! # }
//! ```

mod cache;
mod interpreter_probe;
mod markers;
mod workflow;

pub use cache::ProbeCache;
pub use interpreter_probe::{Interpreter, probe};
pub use markers::evaluate as evaluate_marker;
pub use workflow::{DependencyRun, check_and_install};

use crate::executor::{Executor, FixOutcome};
use crate::fix::FixAction;
use crate::kind::Severity;
use crate::requirements::{Requirement, version_satisfies};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Why the interpreter could not be asked. A missing interpreter is critical: no agent can start.
#[derive(Debug, thiserror::Error)]
pub enum DependencyError {
    #[error("the agents' interpreter {python:?} is missing: {source}")]
    InterpreterMissing {
        python: String,
        source: std::io::Error,
    },
    #[error("cannot run the agents' interpreter {python:?}: {source}")]
    Spawn {
        python: String,
        source: std::io::Error,
    },
    #[error("the agents' interpreter {python:?} did not answer within {after:?}")]
    Timeout { python: String, after: Duration },
    #[error("the agents' interpreter {python:?} failed ({status}): {stderr_tail}")]
    Failed {
        python: String,
        status: String,
        stderr_tail: String,
    },
    #[error("the agents' interpreter {python:?} gave unreadable output: {detail}")]
    BadOutput { python: String, detail: String },
}

impl DependencyError {
    /// How bad it is for the agents.
    pub fn severity(&self) -> Severity {
        match self {
            DependencyError::InterpreterMissing { .. } => Severity::Critical,
            _ => Severity::High,
        }
    }
}

/// The verdict on one requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Installed and inside the specifier (or unconstrained).
    Satisfied { installed: String },
    /// Not installed at all: installable.
    Missing,
    /// Installed, but outside the specifier: a warning with both versions, never an automatic change.
    WrongVersion { installed: String },
    /// Installed, but the specifier is beyond what we can compare.
    Unverifiable { installed: String },
    /// Its marker excludes this environment (`sys_platform == "win32"` on Linux).
    NotApplicable,
}

/// One requirement and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyCheck {
    /// The name as the requirements file spells it.
    pub name: String,
    /// The version specifier (`>=1.2,<2`), `""` when unconstrained.
    pub specifier: String,
    /// Where the requirement was written.
    pub source: PathBuf,
    pub line: usize,
    #[serde(flatten)]
    pub status: Status,
}

impl DependencyCheck {
    /// `name + specifier`, what an installer is given (`PyYAML==6.0.1`, `requests>=2,<3`, `rich`).
    pub fn requirement(&self) -> String {
        format!("{}{}", self.name, self.specifier)
    }

    /// The fix for a missing requirement.
    pub fn install_action(&self) -> FixAction {
        FixAction::InstallPackage {
            distribution: self.name.clone(),
            requirement: self.requirement(),
        }
    }
}

/// Every requirement's verdict against one interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyReport {
    /// The interpreter that was asked.
    pub python: String,
    /// Its full version.
    pub python_version: String,
    /// One entry per requirement, in file order.
    pub checks: Vec<DependencyCheck>,
}

impl DependencyReport {
    /// Requirements that are not installed.
    pub fn missing(&self) -> impl Iterator<Item = &DependencyCheck> {
        self.checks.iter().filter(|c| c.status == Status::Missing)
    }

    /// Requirements installed at a version outside their specifier.
    pub fn wrong_versions(&self) -> impl Iterator<Item = &DependencyCheck> {
        self.checks
            .iter()
            .filter(|c| matches!(c.status, Status::WrongVersion { .. }))
    }

    /// Nothing missing and nothing at the wrong version.
    pub fn is_clear(&self) -> bool {
        self.missing().next().is_none() && self.wrong_versions().next().is_none()
    }
}

/// Compares requirements with what `interpreter` reported. Pure: tests feed it directly.
pub fn compare(requirements: &[Requirement], interpreter: &Interpreter) -> DependencyReport {
    let checks = requirements
        .iter()
        .map(|req| {
            let applies = req
                .marker
                .as_deref()
                .and_then(|m| markers::evaluate(m, &interpreter.env))
                .unwrap_or(true);
            let status = if !applies {
                Status::NotApplicable
            } else {
                match interpreter.installed.get(&req.normalized) {
                    None => Status::Missing,
                    Some((_, version)) if req.specifier.is_empty() => Status::Satisfied {
                        installed: version.clone(),
                    },
                    Some((_, version)) => match version_satisfies(version, &req.specifier) {
                        Some(true) => Status::Satisfied {
                            installed: version.clone(),
                        },
                        Some(false) => Status::WrongVersion {
                            installed: version.clone(),
                        },
                        None => Status::Unverifiable {
                            installed: version.clone(),
                        },
                    },
                }
            };
            DependencyCheck {
                name: req.name.clone(),
                specifier: req.specifier.clone(),
                source: req.source.clone(),
                line: req.line,
                status,
            }
        })
        .collect();
    DependencyReport {
        python: interpreter.python.clone(),
        python_version: interpreter
            .env
            .get("python_full_version")
            .cloned()
            .unwrap_or_default(),
        checks,
    }
}

/// Asks `python` once and compares. Callers that check every pass use [`ProbeCache::check`], which
/// asks again only when the answer can have changed.
pub async fn check(
    python: &str,
    requirements: &[Requirement],
    timeout: Duration,
) -> Result<DependencyReport, DependencyError> {
    let interpreter = probe(python, timeout).await?;
    Ok(compare(requirements, &interpreter))
}

/// What became of one install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallResult {
    /// The distribution.
    pub name: String,
    /// What the installer was given.
    pub requirement: String,
    /// The executor's verdict (refused when the policy does not allow it).
    pub outcome: FixOutcome,
}

/// Installs every missing requirement through `executor` (one at a time: pip does not like company).
pub async fn install_missing(report: &DependencyReport, executor: &Executor) -> Vec<InstallResult> {
    let mut results = Vec::new();
    for missing in report.missing() {
        let outcome = executor.execute(&missing.install_action()).await;
        results.push(InstallResult {
            name: missing.name.clone(),
            requirement: missing.requirement(),
            outcome,
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::parse_str;
    use std::path::Path;

    fn interpreter(installed: &[(&str, &str, &str)]) -> Interpreter {
        Interpreter {
            python: "python3".into(),
            env: [
                ("python_version", "3.11"),
                ("python_full_version", "3.11.7"),
                ("sys_platform", "linux"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            installed: installed
                .iter()
                .map(|(key, name, version)| {
                    (key.to_string(), (name.to_string(), version.to_string()))
                })
                .collect(),
            search_path: Vec::new(),
        }
    }

    #[test]
    fn each_requirement_gets_its_verdict() {
        let (reqs, problems) = parse_str(
            "PyYAML==6.0.1\nrequests>=2,<3\nrich\nnumpy>=2\npywin32; sys_platform == \"win32\"\nTyping_Extensions\n",
            Path::new("/app/requirements.txt"),
        );
        assert!(problems.is_empty(), "{problems:?}");
        let report = compare(
            &reqs,
            &interpreter(&[
                ("pyyaml", "PyYAML", "6.0.1"),
                ("requests", "requests", "2.31.0"),
                ("numpy", "numpy", "1.26.4"),
                ("typing-extensions", "typing_extensions", "4.9.0"),
            ]),
        );
        let verdicts: Vec<(&str, &Status)> = report
            .checks
            .iter()
            .map(|c| (c.name.as_str(), &c.status))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                (
                    "PyYAML",
                    &Status::Satisfied {
                        installed: "6.0.1".into()
                    }
                ),
                (
                    "requests",
                    &Status::Satisfied {
                        installed: "2.31.0".into()
                    }
                ),
                ("rich", &Status::Missing),
                (
                    "numpy",
                    &Status::WrongVersion {
                        installed: "1.26.4".into()
                    }
                ),
                ("pywin32", &Status::NotApplicable),
                (
                    "Typing_Extensions",
                    &Status::Satisfied {
                        installed: "4.9.0".into()
                    }
                ),
            ]
        );
        assert_eq!(report.python_version, "3.11.7");
        assert!(!report.is_clear());
        let missing: Vec<_> = report.missing().map(|c| c.install_action()).collect();
        assert_eq!(
            missing,
            vec![FixAction::InstallPackage {
                distribution: "rich".into(),
                requirement: "rich".into()
            }]
        );
        assert_eq!(report.checks[1].requirement(), "requests>=2,<3");
    }

    #[tokio::test]
    async fn a_missing_interpreter_is_critical_and_named() {
        let err = check("/nonexistent/python3.99", &[], Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            matches!(err, DependencyError::InterpreterMissing { .. }),
            "{err}"
        );
        assert_eq!(err.severity(), Severity::Critical);
        assert!(err.to_string().contains("/nonexistent/python3.99"));
    }

    #[tokio::test]
    async fn an_interpreter_that_hangs_is_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("python");
        std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let started = std::time::Instant::now();
        let err = probe(fake.to_str().unwrap(), Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(err, DependencyError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn the_real_interpreter_reports_its_environment() {
        let interp = probe("python3", Duration::from_secs(30)).await.unwrap();
        assert_eq!(
            interp.env.get("sys_platform").map(String::as_str),
            Some("linux")
        );
        assert!(interp.installed.contains_key("pip") || !interp.installed.is_empty());
        assert!(
            interp
                .search_path
                .iter()
                .any(|p| p.is_absolute() && p.is_dir()),
            "{:?}",
            interp.search_path
        );
    }
}
