//! The ground the agents stand on, checked the same way by the prevention-agent and auto-recovery:
//! required env vars (by name: a value is never read beyond "present and non-empty", so it can never reach
//! a log, the state or an alert) and required paths (a missing one created only through the fix policy's
//! executor, inside the allow-listed roots, never directly).

use crate::executor::{Executor, FixOutcome};
use crate::fix::FixAction;
use std::path::{Path, PathBuf};

/// What was found for one required env var.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvVar {
    /// Present and not blank.
    Set,
    /// Present but empty or only whitespace.
    Blank,
    /// Not in the environment.
    Unset,
}

impl EnvVar {
    /// Unset or blank.
    pub fn is_missing(self) -> bool {
        self != EnvVar::Set
    }
}

/// Each name in `required` with what `env` has for it; only the names ever leave this function.
pub fn check_env<'a>(
    required: &'a [String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(&'a str, EnvVar)> {
    required
        .iter()
        .map(|name| {
            let found = match env(name) {
                Some(value) if !value.trim().is_empty() => EnvVar::Set,
                Some(_) => EnvVar::Blank,
                None => EnvVar::Unset,
            };
            (name.as_str(), found)
        })
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
    Missing {
        /// The path.
        path: PathBuf,
        /// Why it is still missing.
        reason: String,
    },
}

/// Checks each path and creates a missing one as a directory through `executor` (which asks the policy
/// first); without an executor a missing path stays missing.
pub async fn ensure_paths(paths: &[PathBuf], executor: Option<&Executor>) -> Vec<PathCheck> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        out.push(ensure_path(path, executor).await);
    }
    out
}

async fn exists(path: &Path) -> bool {
    tokio::fs::try_exists(path).await.unwrap_or(false)
}

async fn ensure_path(path: &Path, executor: Option<&Executor>) -> PathCheck {
    if exists(path).await {
        return PathCheck::Present(path.to_path_buf());
    }
    let missing = |reason: String| PathCheck::Missing {
        path: path.to_path_buf(),
        reason,
    };
    let Some(executor) = executor else {
        return missing("no fix executor to create it".into());
    };
    let action = FixAction::CreateDir {
        path: path.to_path_buf(),
    };
    match executor.execute(&action).await {
        FixOutcome::Succeeded { .. } | FixOutcome::NotNeeded if exists(path).await => {
            PathCheck::Created(path.to_path_buf())
        }
        FixOutcome::Succeeded { .. } | FixOutcome::NotNeeded => {
            missing("the fix reported success but the path is still missing".into())
        }
        FixOutcome::Refused { reason } => missing(format!("creating it was refused: {reason}")),
        FixOutcome::Failed { detail } => missing(format!("creating it failed: {detail}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FixesConfig;
    use crate::policy::Policy;
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn blank_and_unset_env_vars_are_told_apart_by_name_only() {
        let vars: HashMap<&str, &str> = [("SET", "s3cr3t"), ("BLANK", "  ")].into();
        let env = move |k: &str| vars.get(k).map(|v| v.to_string());
        let required = ["SET", "BLANK", "UNSET"].map(String::from);
        let found = check_env(&required, &env);
        assert_eq!(
            found,
            [
                ("SET", EnvVar::Set),
                ("BLANK", EnvVar::Blank),
                ("UNSET", EnvVar::Unset)
            ]
        );
        assert!(!EnvVar::Set.is_missing() && EnvVar::Blank.is_missing());
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

        let paths = [allowed.clone(), outside.clone()];
        let checks = ensure_paths(&paths, Some(&executor)).await;

        assert_eq!(checks[0], PathCheck::Created(allowed.clone()));
        assert!(allowed.is_dir());
        assert!(matches!(&checks[1], PathCheck::Missing { path, reason }
            if path == &outside && reason.contains("refused")));
        assert!(!outside.exists());
        let again = ensure_paths(std::slice::from_ref(&allowed), Some(&executor)).await;
        assert_eq!(again[0], PathCheck::Present(allowed.clone()));
        let gone = dir.path().join("data/other");
        let without = ensure_paths(std::slice::from_ref(&gone), None).await;
        assert!(matches!(&without[0], PathCheck::Missing { .. }));
    }
}
