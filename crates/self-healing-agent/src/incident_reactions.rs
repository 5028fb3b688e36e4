//! Incidents seen before any exit (in the output or the agent's own log file): recorded, counted
//! and alerted when they deserve it; the restart decision waits for the exit (see [`crate::reactions`]).

use crate::event::AgentId;
use crate::supervisor::Supervisor;
use healing_core::alert::Alert;
use healing_core::incident::Incident;
use healing_core::kind::{ErrorKind, Severity};

impl Supervisor {
    /// Incidents while running: recorded and alerted; the decision waits for an exit.
    pub(crate) fn on_incidents(&mut self, id: AgentId, generation: u64, incidents: Vec<Incident>) {
        if self.agents[id].generation != generation {
            return;
        }
        let now = self.clock.now();
        for inc in incidents {
            self.agents[id].note_run_incident(&inc, now, Some(inc.line_no));
            self.note_incident(id, &inc, now, "incident");
        }
    }

    /// Incidents from the agent's log file: those of a live process may explain its coming exit;
    /// lines read after it died are recorded and alerted only.
    pub(crate) fn on_log_incidents(&mut self, id: AgentId, incidents: Vec<Incident>) {
        if self.agents[id].pid.is_some() {
            // Their line numbers count the log file, not the process output: only time places them.
            let now = self.clock.now();
            for inc in incidents {
                self.agents[id].note_run_incident(&inc, now, None);
                self.note_incident(id, &inc, now, "incident");
            }
        } else {
            let now = self.clock.now();
            for inc in incidents {
                self.note_incident(id, &inc, now, "incident");
            }
        }
    }

    /// Records an incident: last_incident, counters, history, alert when it deserves one.
    /// `event` names the history entry: `incident` while running, `exit` when the exit is the incident.
    pub(crate) fn note_incident(
        &mut self,
        id: AgentId,
        inc: &Incident,
        at: std::time::SystemTime,
        event: &str,
    ) {
        let name = self.agents[id].cfg.name.clone();
        self.agents[id].last_incident = Some((inc.clone(), at));
        *self
            .counters
            .incidents_total
            .entry(inc.kind.to_string())
            .or_default() += 1;
        self.record(
            &name,
            event,
            Some(inc.kind.to_string()),
            None,
            None,
            &inc.line,
        );
        if let Some(e) = self.history.back_mut() {
            e.fingerprint = Some(inc.fingerprint.clone()).filter(|f| !f.is_empty());
        }
        self.dirty = true;
        // An unknown traceback is alerted once per fingerprint (the same bug again is only counted).
        let new_bug = inc.kind != ErrorKind::Unclassified
            || self.counters.note_unclassified(&inc.fingerprint);
        // Memory exhaustion is critical whatever a user pattern says; anything the catalogue (or the
        // user) marks critical or alert-worthy reaches a human, as do the classes restarts cannot fix.
        let critical = matches!(inc.kind, ErrorKind::MemoryError | ErrorKind::OomKilled)
            || inc.severity >= Severity::Critical;
        let alerting = critical
            || inc.action == healing_core::kind::ActionKind::Alert
            || inc.kind.treatment() == healing_core::kind::Treatment::NeedsHuman
            || inc.kind == ErrorKind::ConnectionRefusedLocal;
        if alerting && new_bug {
            let key = match inc.kind {
                ErrorKind::Unclassified => format!("{name}:unclassified:{}", inc.fingerprint),
                _ => inc
                    .dependency()
                    .unwrap_or_else(|| format!("{name}:{}", inc.key())),
            };
            let dep = inc.dependency();
            let agents = dep
                .as_ref()
                .map(|d| self.healer.correlated(&format!("dependency:{d}")))
                .filter(|a| a.len() > 1);
            let title = match (&dep, agents) {
                (Some(d), Some(a)) => format!("{} ({d}) affects {}", inc.kind, a.join(", ")),
                (Some(d), None) => format!("{name}: {} ({d})", inc.kind),
                (None, _) => format!("{name}: {}", inc.kind),
            };
            self.alert(Alert {
                key,
                severity: if critical {
                    Severity::Critical
                } else {
                    inc.severity
                },
                source: crate::SOURCE.into(),
                agent: Some(name),
                title,
                body: inc.line.clone(),
            });
        }
    }
}
