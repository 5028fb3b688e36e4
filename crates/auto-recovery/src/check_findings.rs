//! What a check hands back to the pass. Checks never send alerts or edit the pass's report: they return
//! [`Findings`], and the pass decides what is recorded and the loop what is alerted — data flows one way,
//! loop → checks → findings → loop.

use crate::pass::SOURCE;
use healing_core::alert::Alert;
use healing_core::kind::Severity;

/// Problems, fixes and the alerts they warrant, from one check or a whole pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// What is still wrong, one line each.
    pub problems: Vec<String>,
    /// What was fixed, or had Render fix.
    pub fixed: Vec<String>,
    /// Problems found by an earlier check that a fix in this one resolved.
    pub resolved: Vec<String>,
    /// Alerts to send, in order.
    pub alerts: Vec<Alert>,
}

impl Findings {
    /// Nothing left to fix.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }

    /// Records a problem that remains.
    pub fn problem(&mut self, line: impl Into<String>) {
        self.problems.push(line.into());
    }

    /// Records a fix.
    pub fn fixed(&mut self, line: impl Into<String>) {
        self.fixed.push(line.into());
    }

    /// Asks for an alert from this binary.
    pub fn alert(
        &mut self,
        key: String,
        severity: Severity,
        agent: Option<String>,
        title: String,
        body: String,
    ) {
        self.alerts.push(Alert {
            key,
            severity,
            source: SOURCE.to_string(),
            agent,
            title,
            body,
        });
    }

    /// Adds a later check's findings: what it resolved leaves the problems, the rest is appended.
    pub fn merge(&mut self, later: Findings) {
        self.problems.retain(|p| !later.resolved.contains(p));
        self.problems.extend(later.problems);
        self.fixed.extend(later.fixed);
        self.alerts.extend(later.alerts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_fix_resolves_an_earlier_problem_and_keeps_the_rest() {
        let mut pass = Findings::default();
        pass.problem("api is down (timeout)");
        pass.problem("worker is down (refused)");
        let mut render = Findings::default();
        render.resolved.push("api is down (timeout)".into());
        render.fixed("restart of api accepted by Render");
        render.alert("k".into(), Severity::High, None, "t".into(), "b".into());
        pass.merge(render);
        assert_eq!(pass.problems, ["worker is down (refused)"]);
        assert_eq!(pass.fixed, ["restart of api accepted by Render"]);
        assert_eq!(pass.alerts.len(), 1);
        assert_eq!(pass.alerts[0].source, SOURCE);
        assert!(!pass.healthy());
    }
}
