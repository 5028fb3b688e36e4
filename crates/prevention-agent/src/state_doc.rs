//! `prevention_state.json`: what the last pass saw, and what the next pass must remember.
//!
//! The other binaries (and humans) read it; the prevention-agent reads it back at start so warning
//! episodes and the OOM-kill count carry over restarts and `--once` runs. Every field tolerates absence,
//! so an older or hand-edited file still loads.

use crate::measure::Measurement;
use crate::suggestions::{AgentRss, DiskSuggestions};
use crate::thresholds::Tracker;
use healing_core::dependencies::InstallResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The whole document (the store adds `schema_version`, `written_at` and `writer`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreventionState {
    /// When the last pass finished.
    #[serde(with = "rfc3339_opt")]
    pub last_pass_at: Option<SystemTime>,
    /// Passes since this process started.
    pub passes: u64,
    /// Each reading with its limit and source.
    pub measurements: Vec<Measurement>,
    /// Episode trackers by measurement key (`memory`, `cpu`, `disk:<path>`, ...), active or pending.
    pub warnings: BTreeMap<String, WarningEntry>,
    /// OOM kills counted by the cgroup at the last pass (new ones are reported).
    pub oom_kills_seen: Option<u64>,
    /// Each check's result.
    pub checks: Vec<CheckResult>,
    /// Installs attempted in the last pass.
    pub installs: Vec<InstallResult>,
    /// Cleanup suggestions for active pressure.
    pub suggestions: Suggestions,
}

/// One tracked warning.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WarningEntry {
    /// The episode state (raised since when, or pending how many samples).
    #[serde(flatten)]
    pub tracker: Tracker,
    /// Raised and not yet recovered.
    pub active: bool,
    /// The last reading, percent.
    pub percent: f64,
    /// The threshold it is compared with.
    pub threshold: f64,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Warning,
    Critical,
    /// Found wrong and repaired in this pass (e.g. a directory created).
    Fixed,
}

/// One pre-check (`config`, `agent:<name>:command`, `env:<NAME>`, `dependency:<name>`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable identifier, also the alert de-duplication key.
    pub name: String,
    pub outcome: Outcome,
    /// Human-readable, never containing a secret value.
    pub message: String,
}

impl CheckResult {
    pub fn new(name: impl Into<String>, outcome: Outcome, message: impl Into<String>) -> Self {
        CheckResult {
            name: name.into(),
            outcome,
            message: message.into(),
        }
    }
}

/// Cleanup suggestions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Suggestions {
    /// Agents holding the most memory (when memory is over its threshold).
    pub memory: Vec<AgentRss>,
    /// Largest files and directories (when a disk is over its threshold).
    pub disk: Option<DiskSuggestions>,
}

/// `Option<SystemTime>` as RFC 3339 text, readable by humans and the other binaries.
pub(crate) mod rfc3339_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::SystemTime;

    pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&humantime::format_rfc3339_seconds(*t).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        // An unreadable time is dropped rather than failing the whole document.
        Ok(text.and_then(|t| humantime::parse_rfc3339_weak(&t).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_document_round_trips_and_an_empty_object_is_a_fresh_state() {
        let mut state = PreventionState {
            last_pass_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)),
            oom_kills_seen: Some(2),
            ..PreventionState::default()
        };
        state.warnings.insert(
            "memory".into(),
            WarningEntry {
                active: true,
                percent: 91.0,
                threshold: 85.0,
                tracker: Tracker {
                    active_since: state.last_pass_at,
                    ..Tracker::default()
                },
            },
        );
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["last_pass_at"], "2026-01-01T00:00:00Z");
        assert_eq!(
            json["warnings"]["memory"]["active_since"],
            "2026-01-01T00:00:00Z"
        );
        let back: PreventionState = serde_json::from_value(json).unwrap();
        assert_eq!(back, state);
        let empty: PreventionState = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, PreventionState::default());
    }
}
