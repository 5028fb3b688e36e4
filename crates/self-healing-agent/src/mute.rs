//! Muting an agent's alerts for a while (the Telegram "Mute 1 h" button, `POST /control/mute/NAME`,
//! `self-healing-agent mute NAME`): every alert about that agent — all sinks, and the chat's hold
//! notices — is held back until the mute ends by itself. Alerts without an agent (reload, state
//! store) and other agents' alerts still go out. The mute lives in the supervisor (not in one
//! alerter), so it survives an `[alerts]` reload, and `status` shows it.

use crate::agent::AgentRt;
use crate::control::Reply;
use crate::event::AgentId;
use crate::supervisor::Supervisor;
use healing_core::alert::Alert;
use std::time::{Duration, SystemTime};

/// How long one mute lasts.
pub const MUTE_FOR: Duration = Duration::from_secs(3600);

/// Whether the agent's alerts are muted at `now`.
pub fn is_muted(agent: &AgentRt, now: SystemTime) -> bool {
    agent.muted_until.is_some_and(|until| now < until)
}

impl Supervisor {
    /// `mute`: hold back the agent's alerts for [`MUTE_FOR`] (a repeat extends it from now).
    pub(crate) fn operator_mute(&mut self, id: AgentId) -> Reply {
        let until = self.clock.now() + MUTE_FOR;
        self.agents[id].muted_until = Some(until);
        Reply::done(format!(
            "{}: alerts muted for 1 h (until {})",
            self.agents[id].cfg.name,
            crate::state_docs::rfc3339(until)
        ))
    }

    /// Whether alerts about the agent named `name` are muted now.
    pub(crate) fn muted(&self, name: &str) -> bool {
        let now = self.clock.now();
        self.agents
            .iter()
            .any(|a| a.cfg.name == name && !a.removed && is_muted(a, now))
    }

    /// Every alert about an agent goes out through here, so a mute silences all sinks.
    pub(crate) fn alert(&self, alert: Alert) {
        if let Some(name) = alert.agent.as_deref()
            && self.muted(name)
        {
            tracing::info!(agent = %name, key = %alert.key, "alert not sent: the agent is muted");
            return;
        }
        self.alerts.send(alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use healing_core::config::AgentConfig;

    #[test]
    fn a_mute_ends_by_itself_after_the_hour() {
        let cfg: AgentConfig = toml::from_str("name = \"w\"\ncommand = [\"python3\", \"w.py\"]\n")
            .expect("agent config");
        let mut agent = AgentRt::new(cfg);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(!is_muted(&agent, t0));
        agent.muted_until = Some(t0 + MUTE_FOR);
        assert!(is_muted(&agent, t0));
        assert!(is_muted(&agent, t0 + MUTE_FOR - Duration::from_secs(1)));
        assert!(!is_muted(&agent, t0 + MUTE_FOR));
    }
}
