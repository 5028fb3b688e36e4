//! How the supervisor reacts: an exit becomes a cause, the cause a plan and a decision, the decision
//! a spawn, a timer, a fix or a hold. Alerts and history follow the spawn, never precede it.

use crate::agent::Wake;
use crate::agent_state::{Lifecycle, Transition};
use crate::event::{AgentId, ExitInfo};
use crate::healer::{Decision, HoldReason};
use crate::supervisor::Supervisor;
use healing_core::alert::Alert;
use healing_core::fix::{FixAction, FixPlan};
use healing_core::incident::Incident;
use healing_core::kind::{ErrorKind, Severity};
use healing_core::matcher::exit_incident;

impl Supervisor {
    /// A process ended.
    pub(crate) fn on_exit(
        &mut self,
        id: AgentId,
        generation: u64,
        exit: ExitInfo,
        flushed: Vec<Incident>,
    ) {
        if self.agents[id].generation != generation {
            return;
        }
        let hung = self.hang_cause(id, &exit);
        let agent = &mut self.agents[id];
        for inc in &flushed {
            agent.note_run_incident(inc, exit.at, Some(inc.line_no));
        }
        agent.pid = None;
        agent.pid_start_ticks = None;
        agent.go(Transition::Exited);
        agent.last_exit = Some(exit.clone());
        let sh = &self.config.self_healing;
        let lines_now = agent.output_lines();
        let recent = agent.take_exit_cause(
            exit.at,
            lines_now,
            sh.exit_cause_window,
            sh.exit_cause_lines,
        );
        let seen_while_running = recent.as_ref().is_some_and(|c| !flushed.contains(c));
        let cause = if exit.oom_killed {
            exit_incident(exit.code, exit.signal, true)
        } else if let Some(c) = hung {
            // The lines of the stack dump itself are not the cause: the hang is.
            c
        } else if let Some(c) = recent {
            c
        } else {
            let mut c = exit_incident(exit.code, exit.signal, false);
            if let Some(reason) = agent.kill_reason.take() {
                c.line = reason;
            }
            c
        };
        self.dirty = true;
        // An operator's stop or restart is not a failure: no incident, no decision.
        if self.after_operator_exit(id) || self.agents[id].operator_stopped || self.stopping {
            return;
        }
        if self.exit_while_dependency_down(id) {
            return;
        }
        let name = self.agents[id].cfg.name.clone();
        // What the previous run started outside its process group (setsid) goes with it.
        let live: Vec<u32> = self.agents.iter().filter_map(|a| a.pid).collect();
        crate::lifetime::stop_orphans_of(&name, &live, self.config.self_healing.grace_period);
        let plan = self.policy.plan(&cause, &self.agents[id].cfg.cwd);
        let refused = plan.refused.is_some();
        let decision = self.healer.on_exit(&name, &cause, refused, exit.at);
        let code = exit
            .signal
            .map(|s| format!("signal {s}"))
            .or(exit.code.map(|c| format!("code {c}")))
            .unwrap_or_default();
        // One log call before the spawn keeps the log in the order things happened; all other
        // bookkeeping follows the spawn inside `apply`.
        tracing::warn!(agent = %name, kind = %cause.kind, exit = %code, "⚠️ {name} is stopped");
        self.apply(id, decision, &cause, Some(&plan));
        // Every exit is one `exit` entry in the history (the status page's timeline draws them):
        // carrying its incident when the exit itself is the news, else its code and known cause.
        if !seen_while_running || exit.oom_killed {
            self.note_incident(id, &cause, exit.at, "exit");
        } else {
            let exited = format!("exited ({code}) after {}: {}", cause.kind, cause.line);
            self.record(
                &name,
                "exit",
                Some(cause.kind.to_string()),
                None,
                None,
                &exited,
            );
        }
        if let Some(reason) = &plan.refused {
            tracing::warn!(agent = %name, action = %plan.proposed, reason = %reason, "fix refused");
            let mut e = self.entry(&name, "fix", &cause, &plan, "refused");
            e.refused = Some(reason.clone());
            self.push(e);
            *self
                .counters
                .fixes_total
                .entry("refused".into())
                .or_default() += 1;
        }
    }

    /// Carries out a decision.
    pub(crate) fn apply(
        &mut self,
        id: AgentId,
        decision: Decision,
        cause: &Incident,
        plan: Option<&FixPlan>,
    ) {
        let now = self.clock.now();
        let name = self.agents[id].cfg.name.clone();
        self.agents[id].cause = Some(cause.clone());
        match decision {
            Decision::Restart {
                at,
                attempt,
                trial,
                breaker_key,
                fix_first,
            } => {
                let fix = plan.filter(|_| fix_first).and_then(|p| match p.action {
                    FixAction::InstallPackage { .. }
                    | FixAction::CreateDir { .. }
                    | FixAction::CreateFile { .. } => Some(p.clone()),
                    _ => None,
                });
                if let Some(plan) = fix {
                    if self.config.fixes.mode == healing_core::config::FixMode::Propose {
                        self.propose(id, plan, cause);
                        return;
                    }
                    self.agents[id].go(Transition::Prepare);
                    self.start_fix(id, &plan, cause);
                } else if at <= now {
                    let after = restart_reason(cause);
                    tracing::info!(agent = %name, cause = after, severity = %cause.severity,
                        "Restarting {name} after {after} now (attempt {attempt})");
                    self.restart_now(id, &breaker_key, attempt, trial);
                } else {
                    let agent = &mut self.agents[id];
                    agent.go(Transition::Delay);
                    agent.wake = Some((
                        at,
                        Wake::Restart {
                            breaker_key,
                            attempt,
                            trial,
                        },
                    ));
                    let after = restart_reason(cause);
                    let delay = at.duration_since(now).unwrap_or_default();
                    tracing::info!(agent = %name, attempt, delay = ?delay, cause = after, severity = %cause.severity,
                        "Restarting {name} after {after} in {delay:.1?} (attempt {attempt})");
                }
            }
            Decision::Hold {
                reason,
                retry_at,
                breaker_key,
            } => self.hold(id, reason, retry_at, &breaker_key, cause),
        }
        self.dirty = true;
    }

    pub(crate) fn hold(
        &mut self,
        id: AgentId,
        reason: HoldReason,
        retry_at: Option<std::time::SystemTime>,
        breaker_key: &str,
        cause: &Incident,
    ) {
        let name = self.agents[id].cfg.name.clone();
        let agent = &mut self.agents[id];
        agent.wake = retry_at.map(|t| (t, Wake::Retry));
        let (t, event, what, slug) = match reason {
            HoldReason::NeedsAttention => {
                (Transition::Hold, "held", "needs attention", "attention")
            }
            HoldReason::CircuitOpen => {
                (Transition::Trip, "breaker_open", "circuit open", "breaker")
            }
            HoldReason::Budget => (
                Transition::Delay,
                "held",
                "restart budget exhausted",
                "budget",
            ),
        };
        agent.go(t);
        let until = retry_at
            .map(crate::state_docs::rfc3339)
            .unwrap_or_else(|| "a human acts".into());
        tracing::warn!(agent = %name, kind = %cause.kind, breaker = %breaker_key, "⏸ {name} held: {what} (until {until})");
        let msg = format!("{what}; cause {}: {}", cause.kind, cause.line);
        self.record(&name, event, Some(cause.kind.to_string()), None, None, &msg);
        self.notify_hold(&name, &format!("⏸ {name} held: {msg}\nretry: {until}"));
        let tried = self
            .counters
            .restarts_total
            .get(&name)
            .copied()
            .unwrap_or(0);
        self.alert(Alert {
            // One key per reason: a budget hold must not swallow a later needs-attention alert.
            key: format!("{name}:hold:{slug}"),
            severity: Severity::High,
            source: crate::SOURCE.into(),
            agent: Some(name.clone()),
            title: format!("{name} held: {what}"),
            body: format!("{msg}\nrestarts so far: {tried}; retry: {until}"),
        });
    }

    /// Spawns the agent as a restart.
    pub(crate) fn restart_now(
        &mut self,
        id: AgentId,
        breaker_key: &str,
        attempt: u32,
        trial: bool,
    ) {
        self.agents[id].go(Transition::Prepare);
        let now = self.clock.now();
        let name = self.agents[id].cfg.name.clone();
        self.healer.count_start(&name, now);
        self.persist_now();
        if !self.spawn_agent(id) {
            return;
        }
        self.healer.on_restarted(&name, breaker_key, now);
        *self
            .counters
            .restarts_total
            .entry(name.clone())
            .or_default() += 1;
        let how = if trial { " (half-open trial)" } else { "" };
        tracing::info!(agent = %name, attempt, trial, "Restarted {name} (attempt {attempt}){how}");
        let msg = format!("attempt {attempt}{how}");
        self.record(&name, "restart", None, Some("restart".into()), None, &msg);
    }

    /// A hold's time has come.
    pub(crate) fn retry_hold(&mut self, id: AgentId) {
        let now = self.clock.now();
        let name = self.agents[id].cfg.name.clone();
        let cause = self.agents[id]
            .cause
            .clone()
            .unwrap_or_else(|| exit_incident(None, None, false));
        let decision = if self.agents[id].life == Lifecycle::NeedsAttention {
            let d = self.healer.attention_trial(&name, &cause, now);
            if matches!(d, Decision::Restart { .. }) {
                self.announce_attention_trial(&name, &cause);
            }
            d
        } else {
            self.healer.retry(&name, &cause, now)
        };
        if let Decision::Restart { trial: true, .. } = decision {
            self.record(&name, "breaker_half_open", None, None, None, "one trial");
        }
        self.apply(id, decision, &cause, None);
    }

    /// Says loudly that a held agent is being tried again, so a human who fixed nothing is not
    /// surprised by a fresh failure alert.
    fn announce_attention_trial(&mut self, name: &str, cause: &Incident) {
        let held_for = humantime::format_duration(self.config.breaker.reset_after);
        let msg = format!(
            "trial restart after {held_for} in needs_attention (a fix may have been deployed); cause was {}: {}",
            cause.kind, cause.line
        );
        tracing::warn!(agent = %name, kind = %cause.kind, "⏯ {name}: {msg}");
        self.record(
            name,
            "restart",
            Some(cause.kind.to_string()),
            Some("restart".into()),
            None,
            &msg,
        );
        self.alert(Alert {
            key: format!("{name}:attention_trial"),
            severity: Severity::High,
            source: crate::SOURCE.into(),
            agent: Some(name.to_string()),
            title: format!("{name}: trial restart after a needs_attention hold"),
            body: msg,
        });
    }

    /// A liveness probe failed: terminate the group (TERM, grace, KILL); the exit event restarts it.
    pub(crate) fn on_probe_failed(&mut self, id: AgentId, generation: u64, reason: String) {
        let agent = &mut self.agents[id];
        if agent.generation != generation || agent.kill_reason.is_some() || self.stopping {
            return;
        }
        let Some(pid) = agent.pid else { return };
        agent.probe_ok = false;
        let name = agent.cfg.name.clone();
        tracing::warn!(agent = %name, reason = %reason, "⚠️ {name} is hung: {reason}");
        agent.kill_reason = Some(format!("hung: {reason}"));
        self.record(&name, "hang", None, None, None, &reason);
        self.kill_hung(id, pid);
        self.dirty = true;
    }
}

/// Why a plain restart happens, for its log line: `exit` for an unexplained exit, else the diagnosed
/// kind (`memory_error`, ...). A restart is logged as a restart; only a real fix (an install, a created
/// path) is logged as "Applying fix" (in `start_fix`).
pub fn restart_reason(cause: &Incident) -> &'static str {
    match cause.kind {
        ErrorKind::ProcessExit => "exit",
        kind => kind.as_str(),
    }
}
