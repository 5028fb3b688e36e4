//! History entries: the bounded log of what happened, kept in `self_healing_state.json`.

use crate::supervisor::Supervisor;
use healing_core::fix::FixPlan;
use healing_core::incident::Incident;

impl Supervisor {
    pub(crate) fn base_entry(
        &self,
        agent: &str,
        event: &str,
        cause: &Incident,
    ) -> crate::state_docs::HistoryEntry {
        crate::state_docs::HistoryEntry {
            at: crate::state_docs::rfc3339(self.clock.now()),
            agent: agent.to_string(),
            event: event.to_string(),
            kind: Some(cause.kind.to_string()),
            action: None,
            target: None,
            refused: None,
            outcome: None,
            message: cause.line.clone(),
        }
    }

    pub(crate) fn entry(
        &self,
        agent: &str,
        event: &str,
        cause: &Incident,
        plan: &FixPlan,
        outcome: &str,
    ) -> crate::state_docs::HistoryEntry {
        let mut e = self.base_entry(agent, event, cause);
        e.action = Some(plan.action.kind().to_string());
        e.target = plan.target.clone();
        e.outcome = Some(outcome.to_string());
        e
    }

    pub(crate) fn push(&mut self, e: crate::state_docs::HistoryEntry) {
        self.history.push_back(e);
        let limit = self.config.self_healing.history_limit.max(1);
        while self.history.len() > limit {
            self.history.pop_front();
        }
    }
}
