//! Fix actions as a closed, typed set, and the plan that records what was proposed and what the policy
//! decided.
//!
//! A [`FixAction`] carries only values the policy produced (a distribution from the allow-list, a path it
//! resolved inside a root), never raw log text; the executor re-checks it anyway. Plans are `Serialize` so
//! the supervisor can keep them in its history next to their outcome.

use crate::kind::ActionKind;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One concrete thing the executor (or, for restarts, the supervisor) can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FixAction {
    /// `install_command + [requirement]`.
    InstallPackage {
        /// The distribution as the requirements file / allow-list spells it.
        distribution: String,
        /// The argv element appended to the installer (`PyYAML==6.0.1`, or the bare name).
        requirement: String,
    },
    /// Create a directory and its missing parents (absolute, resolved inside a root).
    CreateDir { path: PathBuf },
    /// Create an empty file (absolute, inside a root, matching a `create_files` glob) and its parents.
    CreateFile { path: PathBuf },
    /// Restart on the normal backoff curve.
    Restart,
    /// Restart on the slower curve.
    Retry,
    /// Tell a human.
    Alert,
    /// Record only.
    None,
}

impl FixAction {
    /// The vocabulary entry this action belongs to.
    pub fn kind(&self) -> ActionKind {
        match self {
            FixAction::InstallPackage { .. } => ActionKind::InstallPackage,
            FixAction::CreateDir { .. } | FixAction::CreateFile { .. } => ActionKind::CreatePath,
            FixAction::Restart => ActionKind::Restart,
            FixAction::Retry => ActionKind::Retry,
            FixAction::Alert => ActionKind::Alert,
            FixAction::None => ActionKind::None,
        }
    }

    /// What the action works on, for history and alerts: the requirement or the path.
    pub fn target(&self) -> Option<String> {
        match self {
            FixAction::InstallPackage { requirement, .. } => Some(requirement.clone()),
            FixAction::CreateDir { path } | FixAction::CreateFile { path } => {
                Some(path.display().to_string())
            }
            _ => None,
        }
    }

    /// Whether the executor has work to do (restarts, alerts and `none` are the supervisor's business).
    pub fn is_executable(&self) -> bool {
        matches!(
            self,
            FixAction::InstallPackage { .. }
                | FixAction::CreateDir { .. }
                | FixAction::CreateFile { .. }
        )
    }
}

/// The policy's decision for one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixPlan {
    /// What will be done; [`FixAction::Alert`] when the proposal was refused.
    pub action: FixAction,
    /// What the catalogue proposed.
    pub proposed: ActionKind,
    /// The requirement or path concerned (for a refusal: the candidate that was refused, as printed).
    pub target: Option<String>,
    /// Why the proposal was refused, if it was.
    pub refused: Option<String>,
    /// A remark on a narrowed plan (e.g. only the parent directories of a missing file are created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl FixPlan {
    /// A plan that does what was proposed.
    pub fn accepted(proposed: ActionKind, action: FixAction, note: Option<String>) -> FixPlan {
        FixPlan {
            target: action.target(),
            action,
            proposed,
            refused: None,
            note,
        }
    }

    /// A refused proposal: alert instead, and say why.
    pub fn refused(proposed: ActionKind, target: Option<String>, reason: String) -> FixPlan {
        FixPlan {
            action: FixAction::Alert,
            proposed,
            target,
            refused: Some(reason),
            note: None,
        }
    }

    /// Whether the policy said no.
    pub fn is_refused(&self) -> bool {
        self.refused.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_serialise_with_a_type_tag_and_report_their_target() {
        let install = FixAction::InstallPackage {
            distribution: "PyYAML".into(),
            requirement: "PyYAML==6.0.1".into(),
        };
        let json = serde_json::to_value(&install).unwrap();
        assert_eq!(json["type"], "install_package");
        assert_eq!(install.kind(), ActionKind::InstallPackage);
        assert_eq!(install.target().as_deref(), Some("PyYAML==6.0.1"));
        let dir = FixAction::CreateDir {
            path: "/srv/app/logs".into(),
        };
        assert_eq!(dir.kind(), ActionKind::CreatePath);
        assert_eq!(dir.target().as_deref(), Some("/srv/app/logs"));
        assert_eq!(FixAction::Retry.target(), None);
        assert!(!FixAction::Restart.is_executable());
    }

    #[test]
    fn a_refused_plan_alerts_and_keeps_its_reason() {
        let plan = FixPlan::refused(
            ActionKind::InstallPackage,
            Some("reqeusts".into()),
            "not allowed".into(),
        );
        assert_eq!(plan.action, FixAction::Alert);
        assert!(plan.is_refused());
        let back: FixPlan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
        assert_eq!(back, plan);
    }
}
