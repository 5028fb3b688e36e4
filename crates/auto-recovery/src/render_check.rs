//! The Render API part of a pass: suspended services, failed deploys, failed instances, and — only when
//! configured, within a per-service budget — a restart or a redeploy of the last good build for a service
//! that is down.

use crate::check_findings::Findings;
use crate::deploys::{self, Assessment};
use crate::pass::PassContext;
use crate::state_doc::{ActionRecord, CrashRef, DeployRef, RecoveryState, RenderServiceStatus};
use healing_core::kind::Severity;
use healing_core::render::{RenderApiError, RenderClient, Service};
use healing_core::state::rfc3339;

/// Reads every watched service and acts on what it finds; returns the findings (a probe problem that a
/// restart or redeploy answered is listed as resolved). `down` holds the Render ids of probed services
/// that stayed down, with the problem line the probe reported.
pub async fn check(
    ctx: &PassContext,
    client: &RenderClient,
    state: &mut RecoveryState,
    down: &[(String, String)],
) -> Findings {
    let mut findings = Findings::default();
    let report = &mut findings;
    let cfg = &ctx.config.render;
    state.render.enabled = true;
    state.render.error = None;
    state.render.services.clear();
    let services = match list_watched(client, &cfg.service_ids, cfg.max_pages).await {
        Ok(services) => services,
        Err(err) => {
            api_failure(ctx, state, report, &err);
            return findings;
        }
    };
    for service in services {
        let mut status = RenderServiceStatus {
            name: service.name.clone(),
            suspended: service.is_suspended(),
            suspenders: service.suspenders.clone(),
            ..Default::default()
        };
        let read = tokio::try_join!(
            client.list_deploys(&service.id, cfg.max_pages),
            client.list_events(&service.id, cfg.max_pages),
        );
        let (deploys, events) = match read {
            Ok(pair) => pair,
            Err(err) => {
                status.error = Some(err.to_string());
                api_failure(ctx, state, report, &err);
                state.render.services.insert(service.id.clone(), status);
                continue;
            }
        };
        let found = deploys::assess(&deploys, &events, &mut state.alerted);
        alert_news(report, &service, &found);
        status.latest_deploy = found.latest_finished.as_ref().map(|d| DeployRef {
            id: d.id.clone(),
            status: d.status.clone(),
            finished_at: d.finished_at.clone(),
        });
        status.deploy_failing = found.deploy_failing();
        status.crashed = found.crashed.as_ref().map(|e| CrashRef {
            event_id: e.id.clone(),
            reason: e.failure_reason(),
            at: e.timestamp.clone(),
        });
        judge(ctx, client, state, report, &service, &found, &deploys, down).await;
        state.render.services.insert(service.id.clone(), status);
    }
    findings
}

async fn list_watched(
    client: &RenderClient,
    ids: &[String],
    max_pages: u32,
) -> Result<Vec<Service>, RenderApiError> {
    if ids.is_empty() {
        return client.list_services(max_pages).await;
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(client.get_service(id).await?);
    }
    Ok(out)
}

fn api_failure(
    ctx: &PassContext,
    state: &mut RecoveryState,
    report: &mut Findings,
    err: &RenderApiError,
) {
    tracing::warn!(error = %err, "Render API call failed");
    state.render.error = Some(err.to_string());
    report.problem(format!("Render API: {err}"));
    if let RenderApiError::Unauthorized { status, .. } = err {
        report.alert(
            "render:api:unauthorized".into(),
            Severity::High,
            None,
            format!("Render API rejected the API key (HTTP {status})"),
            format!(
                "Check {} in the service's environment.",
                ctx.config.render.api_key_env
            ),
        );
    }
}

/// One alert per new failed deploy and per new failed instance.
fn alert_news(report: &mut Findings, service: &Service, found: &Assessment) {
    for deploy in &found.new_failed_deploys {
        let commit = deploy.commit.as_ref().map_or("", |c| c.id.as_str());
        report.alert(
            format!("render:deploy:{}", deploy.id),
            Severity::High,
            Some(service.name.clone()),
            deploys::deploy_title(service, deploy),
            format!(
                "Deploy {} ({}) ended {}. Commit {commit}.",
                deploy.id,
                deploy.trigger.as_deref().unwrap_or("unknown trigger"),
                deploy.status
            ),
        );
    }
    for event in &found.new_server_failures {
        let severity = if event.is_oom() {
            Severity::Critical
        } else {
            Severity::High
        };
        report.alert(
            format!("render:event:{}", event.id),
            severity,
            Some(service.name.clone()),
            deploys::event_title(service, event),
            format!(
                "Event {} at {}.",
                event.id,
                event.timestamp.as_deref().unwrap_or("unknown time")
            ),
        );
    }
}

/// Turns what was found into remaining problems, and acts on a service that is down when allowed.
#[allow(clippy::too_many_arguments)]
async fn judge(
    ctx: &PassContext,
    client: &RenderClient,
    state: &mut RecoveryState,
    report: &mut Findings,
    service: &Service,
    found: &Assessment,
    deploys: &[healing_core::render::Deploy],
    down: &[(String, String)],
) {
    let label = deploys::label(service);
    if service.is_suspended() {
        // A user suspending a service is a choice; every other suspender is a failure.
        let by_user_only = service.suspenders.iter().all(|s| s == "user");
        if !by_user_only {
            let crashloop = service.is_stuck_crashlooping();
            report.problem(format!(
                "{label} is suspended by {}",
                service.suspenders.join(", ")
            ));
            report.alert(
                format!("render:suspended:{}", service.id),
                if crashloop {
                    Severity::Critical
                } else {
                    Severity::High
                },
                Some(service.name.clone()),
                format!("Render suspended {label}"),
                format!(
                    "Suspenders: {}.{}",
                    service.suspenders.join(", "),
                    if crashloop {
                        " Render gave up on a crash loop."
                    } else {
                        ""
                    }
                ),
            );
        }
        return;
    }
    if found.deploy_failing() {
        let status = found
            .latest_finished
            .as_ref()
            .map_or("", |d| d.status.as_str());
        report.problem(format!("{label}: latest deploy {status}"));
    }
    let probe_down: Vec<&String> = down
        .iter()
        .filter(|(id, _)| id == &service.id)
        .map(|(_, line)| line)
        .collect();
    let reason = match (&found.crashed, probe_down.first()) {
        (Some(event), _) => format!(
            "instance failed: {}",
            event.failure_reason().unwrap_or_else(|| "unknown".into())
        ),
        (None, Some(line)) => (*line).clone(),
        (None, None) => return,
    };
    if found.crashed.is_some() && probe_down.is_empty() {
        report.problem(format!("{label}: {reason}"));
    }
    let deploying = deploys.first().is_some_and(|d| d.in_progress());
    if deploying {
        return;
    }
    if let Some(fixed) = act(ctx, client, state, service, found, &reason).await {
        // The probe's "down" lines came from an earlier check: the pass drops them on merge.
        report.resolved.extend(probe_down.into_iter().cloned());
        report
            .problems
            .retain(|p| p != &format!("{label}: {reason}"));
        report.fixed(fixed);
    }
}

/// Restart (or redeploy the last good build when the newest deploy failed), if configured and the budget
/// allows. Returns what was done when Render accepted it.
async fn act(
    ctx: &PassContext,
    client: &RenderClient,
    state: &mut RecoveryState,
    service: &Service,
    found: &Assessment,
    reason: &str,
) -> Option<String> {
    let cfg = &ctx.config.render;
    let redeploy = cfg.auto_redeploy && found.deploy_failing() && found.last_successful.is_some();
    if !redeploy && !cfg.auto_restart {
        return None;
    }
    let action = if redeploy { "redeploy" } else { "restart" };
    let now = ctx.clock.now();
    let budget = state.action_budgets.entry(service.id.clone()).or_default();
    let mut record = ActionRecord {
        at: rfc3339(now),
        service_id: service.id.clone(),
        action: action.into(),
        reason: reason.to_string(),
        outcome: String::new(),
    };
    if !budget.allows(now, cfg.max_actions_per_hour) {
        record.outcome = format!("skipped: budget ({} in the last hour)", budget.count(now));
        tracing::warn!(service = %service.id, action, "Render action budget exhausted");
        state.record_action(record);
        return None;
    }
    budget.record(now);
    let result = if redeploy {
        client.redeploy_last_build(&service.id).await.map(|_| ())
    } else {
        client.restart(&service.id).await
    };
    let label = deploys::label(service);
    let done = match result {
        Ok(()) => {
            record.outcome = "accepted".into();
            tracing::info!(service = %service.id, action, "Render accepted the action");
            Some(format!("{action} of {label} accepted by Render"))
        }
        Err(err) => {
            record.outcome = format!("failed: {err}");
            tracing::warn!(service = %service.id, action, error = %err, "Render action failed");
            None
        }
    };
    state.record_action(record);
    done
}
