//! Fixes shared by every agent that needs them: a missing module is installed once for all the agents
//! that failed on it within `correlation_window`, they all restart when it is done, and humans get ONE
//! alert naming the common cause and every agent it hit.

use crate::event::{AgentId, Event};
use crate::healer::HoldReason;
use crate::supervisor::{FixSlot, Supervisor};
use healing_core::alert::Alert;
use healing_core::executor::Executor;
use healing_core::executor::FixOutcome;
use healing_core::fix::{FixAction, FixPlan};
use healing_core::incident::Incident;
use healing_core::matcher::exit_incident;
use std::path::Path;

impl Supervisor {
    /// Runs the plan's fix once per target; later agents needing the same fix wait for it or reuse
    /// a recent success.
    pub(crate) fn start_fix(&mut self, id: AgentId, plan: &FixPlan, cause: &Incident) {
        let name = self.agents[id].cfg.name.clone();
        let target = plan.target.clone().unwrap_or_else(|| cause.key());
        let window = self.config.self_healing.correlation_window;
        let now = self.clock.now();
        match self.fixes.get_mut(&target) {
            Some(FixSlot::Running(waiters)) => {
                waiters.push(id);
                tracing::info!(agent = %name, target = %target, "fix for {target} already running; {name} waits for it");
                return;
            }
            Some(FixSlot::Done(at, FixOutcome::Succeeded { .. }))
                if now.duration_since(*at).is_ok_and(|d| d < window) =>
            {
                let _ = self.tx.send(Event::FixDone {
                    target: target.clone(),
                    outcome: FixOutcome::NotNeeded,
                });
                self.fixes.insert(target, FixSlot::Running(vec![id]));
                return;
            }
            _ => {}
        }
        tracing::info!(agent = %name, action = %plan.action.kind(), target = %target, severity = %cause.severity,
            "Applying fix '{}' for {name} (severity: {})", plan.action.kind(), cause.severity);
        self.push(self.entry(&name, "fix", cause, plan, "pending"));
        self.fixes
            .insert(target.clone(), FixSlot::Running(vec![id]));
        let executor = self.executor.clone();
        let action = plan.action.clone();
        let tx = self.tx.clone();
        let module = cause.detail.module.clone();
        let interpreter = crate::import_check::interpreter(&self.agents[id].cfg.command);
        let cwd = self.agents[id].cfg.cwd.clone();
        let env = self.agents[id].cfg.env.clone();
        tokio::spawn(async move {
            let outcome = match (&action, module) {
                (FixAction::InstallPackage { .. }, Some(module)) => {
                    let agent = AgentPython {
                        interpreter: &interpreter,
                        cwd: &cwd,
                        env: &env,
                    };
                    install_unless_it_imports(&executor, &action, agent, &module).await
                }
                _ => executor.execute(&action).await,
            };
            let _ = tx.send(Event::FixDone { target, outcome });
        });
    }

    /// A fix ended: restart (or re-decide for) every agent waiting on it.
    pub(crate) fn on_fix_done(&mut self, target: String, outcome: FixOutcome) {
        let now = self.clock.now();
        let waiters = match self.fixes.remove(&target) {
            Some(FixSlot::Running(w)) => w,
            _ => Vec::new(),
        };
        let label = match &outcome {
            FixOutcome::Succeeded { .. } | FixOutcome::NotNeeded => "succeeded",
            FixOutcome::Failed { .. } => "failed",
            FixOutcome::Refused { .. } => "refused",
        };
        if !matches!(outcome, FixOutcome::NotNeeded) {
            *self.counters.fixes_total.entry(label.into()).or_default() += 1;
        }
        tracing::info!(target = %target, outcome = label, "fix {label}: {target}");
        let keep = match &outcome {
            FixOutcome::NotNeeded => FixOutcome::Succeeded {
                detail: "reused".into(),
            },
            o => o.clone(),
        };
        self.fixes.insert(target.clone(), FixSlot::Done(now, keep));
        prune_finished(&mut self.fixes);
        self.alert_fix(&target, &outcome, &waiters);
        for id in waiters {
            if self.stopping {
                break;
            }
            if self.agents[id].operator_stopped {
                continue;
            }
            let name = self.agents[id].cfg.name.clone();
            let cause = self.agents[id]
                .cause
                .clone()
                .unwrap_or_else(|| exit_incident(None, None, false));
            self.settle_fix_entry(&name, &cause, &target, label);
            match &outcome {
                FixOutcome::Succeeded { .. } | FixOutcome::NotNeeded => {
                    let key = crate::healer::breaker_key(&name, &cause);
                    let attempt = self
                        .healer
                        .persisted()
                        .backoff_attempts
                        .get(&name)
                        .copied()
                        .unwrap_or(0)
                        + 1;
                    self.restart_now(id, &key, attempt, false);
                }
                FixOutcome::Failed { detail } => {
                    tracing::warn!(agent = %name, detail = %detail, "fix failed");
                    let d = self.healer.on_failed_attempt(&name, &cause, now);
                    self.apply(id, d, &cause, None);
                }
                FixOutcome::Refused { reason } => {
                    let r = reason.clone();
                    let key = crate::healer::breaker_key(&name, &cause);
                    tracing::warn!(agent = %name, reason = %r, "fix refused");
                    self.hold(id, HoldReason::NeedsAttention, None, &key, &cause);
                }
            }
        }
        self.dirty = true;
    }

    /// One alert per finished fix, naming the cause and all the agents that waited for it. A reused
    /// recent success says nothing new and is not alerted.
    fn alert_fix(&self, target: &str, outcome: &FixOutcome, waiters: &[AgentId]) {
        let Some(&first) = waiters.first() else {
            return;
        };
        let (verb, detail) = match outcome {
            FixOutcome::NotNeeded => return,
            FixOutcome::Succeeded { detail } => ("fixed", detail),
            FixOutcome::Failed { detail } => ("fix failed", detail),
            FixOutcome::Refused { reason } => ("fix refused", reason),
        };
        let mut names: Vec<&str> = waiters
            .iter()
            .map(|&id| self.agents[id].cfg.name.as_str())
            .collect();
        names.sort_unstable();
        let cause = self.agents[first]
            .cause
            .clone()
            .unwrap_or_else(|| exit_incident(None, None, false));
        let common = cause.dependency().unwrap_or_else(|| cause.key());
        self.alert(Alert {
            key: format!("fix:{target}"),
            severity: cause.severity,
            source: crate::SOURCE.into(),
            agent: (names.len() == 1).then(|| names[0].to_string()),
            title: format!(
                "{} ({common}) affects {}: {verb} ({target})",
                cause.kind,
                names.join(", ")
            ),
            body: format!("{}\n{detail}", cause.line),
        });
    }
}

/// Installs only when the agent's interpreter confirms the module does not import (see
/// [`crate::import_check`]); an unanswerable check leaves the decision to the policy as before.
async fn install_unless_it_imports(
    executor: &Executor,
    action: &FixAction,
    agent: AgentPython<'_>,
    module: &str,
) -> FixOutcome {
    let AgentPython {
        interpreter,
        cwd,
        env,
    } = agent;
    let timeout = crate::import_check::IMPORT_CHECK_TIMEOUT;
    if crate::import_check::imports(interpreter, cwd, env, module, timeout).await == Some(true) {
        return FixOutcome::Refused {
            reason: format!(
                "`import {module}` succeeds with {interpreter}: installing cannot fix this failure (version skew or already installed)"
            ),
        };
    }
    executor.execute(action).await
}

/// How the agent runs Python: its interpreter, directory and own environment.
struct AgentPython<'a> {
    interpreter: &'a str,
    cwd: &'a Path,
    env: &'a std::collections::BTreeMap<String, String>,
}

/// Finished fixes remembered at most: targets (package names, paths) come from log text.
pub const MAX_FINISHED_FIXES: usize = 256;

/// Forgets the oldest finished fixes beyond [`MAX_FINISHED_FIXES`]; running ones always stay.
pub fn prune_finished(fixes: &mut std::collections::BTreeMap<String, FixSlot>) {
    let done = fixes
        .values()
        .filter(|f| matches!(f, FixSlot::Done(..)))
        .count();
    if done <= MAX_FINISHED_FIXES {
        return;
    }
    let mut by_age: Vec<(std::time::SystemTime, String)> = fixes
        .iter()
        .filter_map(|(k, f)| match f {
            FixSlot::Done(at, _) => Some((*at, k.clone())),
            FixSlot::Running(_) => None,
        })
        .collect();
    by_age.sort();
    for (_, k) in by_age.into_iter().take(done - MAX_FINISHED_FIXES) {
        fixes.remove(&k);
    }
}
