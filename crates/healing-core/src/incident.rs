//! One diagnosed failure: what the matcher reports and everything downstream (planning, alerts, state)
//! consumes.

use crate::kind::{ActionKind, ErrorKind, Severity};
use serde::{Deserialize, Serialize};

/// The details a fix needs, extracted from the decisive line(s). Every field is optional because each
/// kind fills only its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    /// Import name from `No module named 'x'` (full dotted name as printed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The pip distribution that provides `module` (built-in table + `package_map`; else the top-level
    /// import name). Still subject to the allow-list before anything is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<String>,
    /// A filesystem path exactly as printed (relative paths are resolved later against the agent's cwd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Host of a refused/failed connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port of a refused/failed connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Name of a missing environment variable (never its value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_var: Option<String>,
    /// Process exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Signal that ended the process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// The exception type or short label (`ModuleNotFoundError`, `ConnectionRefusedError`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// Where a hung agent was stuck: its innermost stack frames, innermost first (from the hang dump).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<Frame>,
}

/// One stack frame of a hang dump.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Source file as printed.
    pub file: String,
    /// Line number.
    pub line: u32,
    /// Function name (`<module>` at top level).
    pub function: String,
}

impl Detail {
    /// `host:port` when both are known (IPv6 hosts in brackets).
    pub fn host_port(&self) -> Option<String> {
        let host = self.host.as_deref()?;
        let port = self.port?;
        if host.contains(':') && !host.starts_with('[') {
            Some(format!("[{host}]:{port}"))
        } else {
            Some(format!("{host}:{port}"))
        }
    }
}

/// A diagnosed failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// What went wrong.
    pub kind: ErrorKind,
    /// How bad it is.
    pub severity: Severity,
    /// What the catalogue proposes (before the policy has its say).
    pub action: ActionKind,
    /// Name of the pattern that classified it (the kind's name for built-ins, the user's name otherwise).
    pub pattern: String,
    /// 1-based number of the decisive line in its stream (`\n`-separated records of the raw bytes).
    pub line_no: u64,
    /// The decisive line, lossily decoded, ANSI codes stripped, truncated to a bound.
    pub line: String,
    /// What a fix needs.
    pub detail: Detail,
    /// The same short string for the same bug across runs, machines and deploys (see
    /// [`crate::fingerprint`]); empty only in incidents built by hand before it was known.
    #[serde(default)]
    pub fingerprint: String,
}

impl Incident {
    /// The dependency this incident is about, if it names one that several agents could share: the
    /// `host:port` of a refused connection or the missing module. Used for correlation and shared breakers.
    pub fn dependency(&self) -> Option<String> {
        match self.kind {
            ErrorKind::ModuleNotFound => self.detail.module.as_ref().map(|m| format!("module:{m}")),
            ErrorKind::ConnectionRefusedLocal
            | ErrorKind::ConnectionError
            | ErrorKind::DatabaseUnavailable
            | ErrorKind::Timeout => self.detail.host_port().map(|hp| format!("endpoint:{hp}")),
            _ => None,
        }
    }

    /// A stable key for de-duplication: the kind plus its most specific detail.
    pub fn key(&self) -> String {
        let d = &self.detail;
        let specific = d
            .module
            .clone()
            .or_else(|| d.path.clone())
            .or_else(|| d.host_port())
            .or_else(|| d.env_var.clone())
            .or_else(|| d.exit_code.map(|c| format!("exit:{c}")))
            .or_else(|| d.signal.map(|s| format!("signal:{s}")))
            .unwrap_or_default();
        format!("{}:{}", self.kind, specific)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(host: &str, port: u16) -> Incident {
        Incident {
            kind: ErrorKind::ConnectionRefusedLocal,
            severity: Severity::High,
            action: ActionKind::Alert,
            pattern: "connection_refused_local".into(),
            line_no: 3,
            line: "ConnectionRefusedError".into(),
            detail: Detail {
                host: Some(host.into()),
                port: Some(port),
                ..Detail::default()
            },
            fingerprint: String::new(),
        }
    }

    #[test]
    fn two_agents_refused_by_the_same_endpoint_share_a_dependency() {
        assert_eq!(
            refused("127.0.0.1", 6379).dependency(),
            refused("127.0.0.1", 6379).dependency()
        );
        assert_eq!(
            refused("::1", 80).detail.host_port().as_deref(),
            Some("[::1]:80")
        );
        assert_eq!(
            refused("localhost", 5432).key(),
            "connection_refused_local:localhost:5432"
        );
    }
}
