//! The environment checks: required env vars, required paths, Python dependencies.
//!
//! Env vars are checked by name only; a value is never read beyond "present and non-empty", so it can never
//! reach a log or the state file. A missing path is created only through the healing-core fix policy (the
//! same allow-listed roots the supervisor uses), never directly.

use healing_core::executor::{Executor, FixOutcome};
use healing_core::fix::FixAction;
use std::path::{Path, PathBuf};

/// Reads one env var; injected so tests and the binary can differ.
pub type EnvFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The names in `required` that are unset or blank.
pub fn missing_env(required: &[String], env: &EnvFn) -> Vec<String> {
    required
        .iter()
        .filter(|name| env(name).is_none_or(|v| v.trim().is_empty()))
        .cloned()
        .collect()
}

/// What became of one required path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathCheck {
    /// It exists.
    Present(PathBuf),
    /// It was missing and the policy allowed creating it.
    Created(PathBuf),
    /// It is missing and stays missing; `reason` says why (refused by the policy, creation failed).
    Missing { path: PathBuf, reason: String },
}

/// Checks each path and creates missing directories through the executor (which asks the policy first).
pub async fn ensure_paths(paths: &[PathBuf], executor: &Executor) -> Vec<PathCheck> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        out.push(ensure_path(path, executor).await);
    }
    out
}

async fn ensure_path(path: &Path, executor: &Executor) -> PathCheck {
    if tokio::fs::try_exists(path).await.unwrap_or(false) {
        return PathCheck::Present(path.to_path_buf());
    }
    let action = FixAction::CreateDir {
        path: path.to_path_buf(),
    };
    match executor.execute(&action).await {
        FixOutcome::Succeeded { .. } | FixOutcome::NotNeeded => {
            if tokio::fs::try_exists(path).await.unwrap_or(false) {
                PathCheck::Created(path.to_path_buf())
            } else {
                PathCheck::Missing {
                    path: path.to_path_buf(),
                    reason: "the fix reported success but the path is still missing".into(),
                }
            }
        }
        FixOutcome::Refused { reason } => PathCheck::Missing {
            path: path.to_path_buf(),
            reason: format!("not created: {reason}"),
        },
        FixOutcome::Failed { detail } => PathCheck::Missing {
            path: path.to_path_buf(),
            reason: format!("creating it failed: {detail}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use healing_core::config::FixesConfig;
    use healing_core::policy::Policy;
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn blank_and_unset_env_vars_are_missing_by_name() {
        let vars: HashMap<&str, &str> = [("SET", "x"), ("BLANK", "  ")].into();
        let env = move |k: &str| vars.get(k).map(|v| v.to_string());
        let required = ["SET", "BLANK", "UNSET"].map(String::from);
        assert_eq!(missing_env(&required, &env), ["BLANK", "UNSET"]);
    }

    #[tokio::test]
    async fn a_missing_path_is_created_only_inside_the_allowed_roots() {
        let dir = tempfile::tempdir().unwrap();
        let fixes = FixesConfig {
            requirements: None,
            create_path_roots: vec![dir.path().join("data")],
            ..FixesConfig::default()
        };
        let policy = Arc::new(Policy::from_config(&fixes, dir.path()).unwrap());
        let executor = Executor::new(policy, vec!["true".into()], Duration::from_secs(5));
        let allowed = dir.path().join("data/cache");
        let outside = dir.path().join("elsewhere/x");
        std::fs::create_dir_all(dir.path().join("data")).unwrap();

        let checks = ensure_paths(&[allowed.clone(), outside.clone()], &executor).await;

        assert_eq!(checks[0], PathCheck::Created(allowed.clone()));
        assert!(allowed.is_dir());
        assert!(matches!(&checks[1], PathCheck::Missing { path, .. } if path == &outside));
        assert!(!outside.exists());
        let again = ensure_paths(std::slice::from_ref(&allowed), &executor).await;
        assert_eq!(again[0], PathCheck::Present(allowed));
    }
}
