//! The supervisor's history: the bounded list of what happened to each agent (incidents, exits, hangs,
//! restarts, fixes, holds, breaker moves) that `self_healing_state.json` carries, `status` prints and the
//! status page draws as timelines.

use crate::state_docs::{HistoryEntry, rfc3339};
use crate::supervisor::{HISTORY_MESSAGE_MAX, Supervisor};
use healing_core::fix::FixPlan;
use healing_core::incident::Incident;

impl Supervisor {
    /// Appends to the bounded history.
    pub fn record(
        &mut self,
        agent: &str,
        event: &str,
        kind: Option<String>,
        action: Option<String>,
        target: Option<String>,
        message: &str,
    ) {
        self.push(HistoryEntry {
            at: rfc3339(self.clock.now()),
            agent: agent.to_string(),
            event: event.to_string(),
            kind,
            action,
            target,
            refused: None,
            outcome: None,
            message: message.to_string(),
            fingerprint: None,
        });
    }

    /// An entry about `cause` (its kind and line), stamped now.
    pub(crate) fn base_entry(&self, agent: &str, event: &str, cause: &Incident) -> HistoryEntry {
        HistoryEntry {
            at: rfc3339(self.clock.now()),
            agent: agent.to_string(),
            event: event.to_string(),
            kind: Some(cause.kind.to_string()),
            action: None,
            target: None,
            refused: None,
            outcome: None,
            message: cause.line.clone(),
            fingerprint: Some(cause.fingerprint.clone()).filter(|f| !f.is_empty()),
        }
    }

    /// A fix entry: `cause`, the plan's action and target, and `outcome`.
    pub(crate) fn entry(
        &self,
        agent: &str,
        event: &str,
        cause: &Incident,
        plan: &FixPlan,
        outcome: &str,
    ) -> HistoryEntry {
        let mut e = self.base_entry(agent, event, cause);
        e.action = Some(plan.action.kind().to_string());
        e.target = plan.target.clone();
        e.outcome = Some(outcome.to_string());
        e
    }

    /// Appends `e`, dropping the oldest entries beyond `history_limit`. Messages are log text: each is
    /// cut to [`HISTORY_MESSAGE_MAX`] bytes and control characters become `?` (JSON would spell each as
    /// six bytes), so the state file stays small whatever the agents print.
    pub(crate) fn push(&mut self, mut e: HistoryEntry) {
        if e.message.contains(|c: char| c.is_control()) {
            e.message = e
                .message
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
        }
        if e.message.len() > HISTORY_MESSAGE_MAX {
            let cut = healing_core::matcher::truncate(&e.message, HISTORY_MESSAGE_MAX).len();
            e.message.truncate(cut);
            e.message.push('…');
        }
        self.history.push_back(e);
        let limit = self.config.self_healing.history_limit.max(1);
        while self.history.len() > limit {
            self.history.pop_front();
        }
    }

    /// Each fix is one history entry: the agent's `pending` entry takes the outcome (keeping its action);
    /// an agent that joined a running fix gets its own entry with the same action.
    pub(crate) fn settle_fix_entry(
        &mut self,
        name: &str,
        cause: &Incident,
        target: &str,
        outcome: &str,
    ) {
        let is_fix = |h: &HistoryEntry| h.event == "fix";
        let pending = self
            .history
            .iter()
            .rposition(|h| is_fix(h) && h.agent == name && h.outcome.as_deref() == Some("pending"));
        if let Some(i) = pending {
            let entry = &mut self.history[i];
            entry.outcome = Some(outcome.into());
            entry.target.get_or_insert_with(|| target.to_string());
            return;
        }
        let action = self.history.iter().rev().find_map(|h| {
            (is_fix(h) && h.target.as_deref() == Some(target))
                .then(|| h.action.clone())
                .flatten()
        });
        let mut e = self.base_entry(name, "fix", cause);
        e.action = action;
        e.target = Some(target.into());
        e.outcome = Some(outcome.into());
        self.push(e);
    }
}
