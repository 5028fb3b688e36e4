//! Python dependency check and install for auto-recovery.
//!
//! The issue requires the same code as the prevention-agent ("no second implementation"): this module only
//! adapts `healing_core::dependencies` (interpreter probe, comparison, install through the fix policy's
//! executor) to the pass and the state document.

use crate::pass::{PassContext, PassReport};
use crate::state_doc::EnvironmentStatus;
use healing_core::dependencies;
use healing_core::executor::FixOutcome;
use healing_core::kind::Severity;
use std::time::Duration;

/// How long the interpreter may take to list its distributions.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks the declared requirements against the agents' interpreter and installs what is missing (the
/// executor asks the policy first: only allow-listed, pinned distributions are ever installed).
pub async fn check(ctx: &PassContext, env: &mut EnvironmentStatus, report: &mut PassReport) {
    let Some(path) = &ctx.requirements else {
        env.dependencies = Some("no requirements file configured".into());
        return;
    };
    if !tokio::fs::try_exists(path).await.unwrap_or(false) {
        env.dependencies = Some(format!("{} not found; nothing to check", path.display()));
        return;
    }
    let requirements = match healing_core::requirements::parse_file(path) {
        Ok(reqs) => reqs,
        Err(err) => {
            problem(
                ctx,
                report,
                env,
                Severity::High,
                format!("requirements unreadable: {err}"),
            );
            return;
        }
    };
    let found = match ctx
        .probes
        .check(&ctx.python, &requirements, PROBE_TIMEOUT)
        .await
    {
        Ok(found) => found,
        Err(err) => {
            problem(ctx, report, env, err.severity(), err.to_string());
            return;
        }
    };
    for wrong in found.wrong_versions() {
        tracing::warn!(name = %wrong.name, specifier = %wrong.specifier, status = ?wrong.status, "installed version outside the requirement");
    }
    let mut still_missing = Vec::new();
    let installed = dependencies::install_missing(&found, &ctx.executor).await;
    if installed
        .iter()
        .any(|r| matches!(r.outcome, FixOutcome::Succeeded { .. }))
    {
        ctx.probes.invalidate();
    }
    for result in installed {
        match &result.outcome {
            FixOutcome::Succeeded { .. } => report
                .fixed
                .push(format!("installed {}", result.requirement)),
            FixOutcome::NotNeeded => {}
            FixOutcome::Failed { detail } => {
                still_missing.push(format!("{} (install failed: {detail})", result.requirement))
            }
            FixOutcome::Refused { reason } => {
                still_missing.push(format!("{} (not installed: {reason})", result.requirement))
            }
        }
    }
    let total = found.checks.len();
    if still_missing.is_empty() {
        env.dependencies = Some(format!(
            "{total} requirements checked against {} {}",
            found.python, found.python_version
        ));
    } else {
        let line = format!("missing dependencies: {}", still_missing.join("; "));
        problem(ctx, report, env, Severity::High, line);
    }
}

fn problem(
    ctx: &PassContext,
    report: &mut PassReport,
    env: &mut EnvironmentStatus,
    severity: Severity,
    line: String,
) {
    ctx.alert(
        "recovery:dependencies".into(),
        severity,
        None,
        "Python dependencies are not satisfied".into(),
        line.clone(),
    );
    report.problems.push(line.clone());
    env.dependencies = Some(line);
}
