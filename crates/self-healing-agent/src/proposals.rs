//! `fixes.mode = "propose"`: no fix runs by itself. Each planned fix becomes a proposal — sent to the
//! Telegram chat with Apply / Skip buttons, listed by `status`, applied with `self-healing-agent apply
//! ID` — and the agent is held meanwhile. Apply plans the fix again through the current policy and runs
//! it with the same executor; an unanswered proposal expires after `fixes.proposal_ttl` and changes
//! nothing (the agent's usual needs-attention trial follows).

use crate::control::{Outcome, Reply};
use crate::event::AgentId;
use crate::healer::{HoldReason, breaker_key};
use crate::state_docs::rfc3339;
use crate::supervisor::Supervisor;
use crate::telegram_bot::HoldNotice;
use healing_core::fix::FixPlan;
use healing_core::incident::Incident;
use serde::Serialize;
use std::time::SystemTime;

/// A fix waiting for a human.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The agent it is for.
    pub agent: AgentId,
    /// What the policy planned.
    pub plan: FixPlan,
    /// Why.
    pub cause: Incident,
    /// When it lapses.
    pub expires_at: SystemTime,
}

/// A proposal as `self_healing_state.json` shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProposalDoc {
    pub id: u64,
    pub agent: String,
    pub action: String,
    #[serde(default)]
    pub target: Option<String>,
    pub expires_at: String,
}

impl Supervisor {
    /// Holds the agent and proposes `plan` instead of running it.
    pub(crate) fn propose(&mut self, id: AgentId, plan: FixPlan, cause: &Incident) {
        let now = self.clock.now();
        self.next_proposal += 1;
        let pid = self.next_proposal;
        let name = self.agents[id].cfg.name.clone();
        let what = format!(
            "{} {}",
            plan.action.kind(),
            plan.target.as_deref().unwrap_or("")
        );
        self.proposals.insert(
            pid,
            Proposal {
                agent: id,
                plan,
                cause: cause.clone(),
                expires_at: now + self.config.fixes.proposal_ttl,
            },
        );
        let key = breaker_key(&name, cause);
        let retry = self.healer.attention_retry_at(now);
        self.hold(id, HoldReason::NeedsAttention, Some(retry), &key, cause);
        let text = format!(
            "🛠 proposal {pid} for {name}: {} (cause {}: {})\nself-healing-agent apply {pid}",
            what.trim(),
            cause.kind,
            cause.line
        );
        tracing::warn!(agent = %name, proposal = pid, "fix proposed, waiting for a human: {}", what.trim());
        self.dirty = true;
        self.record(
            &name,
            "proposal",
            Some(cause.kind.to_string()),
            None,
            None,
            &text,
        );
        if let Some(tx) = &self.hold_notices {
            let _ = tx.send(HoldNotice {
                agent: name,
                text,
                proposal: Some(pid),
            });
        }
    }

    /// `apply ID` / the Apply button: re-plans through the current policy and runs the fix.
    pub(crate) fn apply_proposal(&mut self, pid: &str) -> Reply {
        let Some(p) = pid
            .parse::<u64>()
            .ok()
            .and_then(|n| self.proposals.remove(&n))
        else {
            return Reply::new(Outcome::UnknownAgent, format!("no open proposal {pid}"));
        };
        let id = p.agent;
        let name = self.agents[id].cfg.name.clone();
        if self.agents[id].pid.is_some() || self.agents[id].removed {
            return Reply::refused(format!("{name} is no longer waiting for this fix"));
        }
        let plan = self.policy.plan(&p.cause, &self.agents[id].cfg.cwd);
        if let Some(reason) = plan.refused {
            return Reply::refused(format!("the current policy refuses it: {reason}"));
        }
        self.agents[id].wake = None;
        self.agents[id].go(crate::agent_state::Transition::Prepare);
        self.start_fix(id, &plan, &p.cause);
        Reply::done(format!(
            "proposal {pid} applied: {} for {name}",
            plan.action.kind()
        ))
    }

    /// `skip ID` / the Skip button: drops it; the agent stays held.
    pub(crate) fn skip_proposal(&mut self, pid: &str) -> Reply {
        match pid
            .parse::<u64>()
            .ok()
            .and_then(|n| self.proposals.remove(&n))
        {
            Some(p) => Reply::done(format!(
                "proposal {pid} skipped; {} stays held",
                self.agents[p.agent].cfg.name
            )),
            None => Reply::new(Outcome::UnknownAgent, format!("no open proposal {pid}")),
        }
    }

    /// Drops proposals nobody answered in time.
    pub(crate) fn expire_proposals(&mut self, now: SystemTime) {
        let expired: Vec<u64> = self
            .proposals
            .iter()
            .filter(|(_, p)| p.expires_at <= now)
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            if let Some(p) = self.proposals.remove(&k) {
                let name = self.agents[p.agent].cfg.name.clone();
                self.record(
                    &name,
                    "proposal",
                    None,
                    None,
                    None,
                    &format!("proposal {k} expired unanswered"),
                );
                self.dirty = true;
            }
        }
    }

    /// The open proposals for the state document.
    pub(crate) fn proposal_docs(&self) -> Vec<ProposalDoc> {
        self.proposals
            .iter()
            .map(|(k, p)| ProposalDoc {
                id: *k,
                agent: self.agents[p.agent].cfg.name.clone(),
                action: p.plan.action.kind().to_string(),
                target: p.plan.target.clone(),
                expires_at: rfc3339(p.expires_at),
            })
            .collect()
    }
}
