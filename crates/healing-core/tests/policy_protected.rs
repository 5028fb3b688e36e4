//! Log text cannot touch the supervisor's own files: a `FileNotFoundError` naming the state directory,
//! a temp file in it or a rotated agent log must never become a directory there, even when a root
//! (the old default `state`) covers it.

#![allow(clippy::unwrap_used)]

use healing_core::config::{Config, FixesConfig};
use healing_core::executor::{Executor, FixOutcome};
use healing_core::fix::FixAction;
use healing_core::incident::{Detail, Incident};
use healing_core::kind::{ActionKind, ErrorKind, Severity};
use healing_core::policy::Policy;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn missing(path: &str) -> Incident {
    Incident {
        kind: ErrorKind::FileNotFound,
        severity: Severity::High,
        action: ActionKind::CreatePath,
        pattern: "file_not_found".into(),
        fingerprint: String::new(),
        line_no: 1,
        line: format!("FileNotFoundError: [Errno 2] No such file or directory: '{path}'"),
        detail: Detail {
            path: Some(path.into()),
            ..Detail::default()
        },
    }
}

/// A project whose roots include `state` (as the old default did), with the state directory there.
fn project() -> (tempfile::TempDir, PathBuf, Policy) {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(dir.path()).unwrap();
    fs::create_dir_all(base.join("state/logs")).unwrap();
    fs::create_dir_all(base.join("data")).unwrap();
    let config = Config {
        state_dir: base.join("state"),
        fixes: FixesConfig {
            requirements: None,
            create_path_roots: vec!["data".into(), "state".into(), "logs".into()],
            ..FixesConfig::default()
        },
        ..Config::default()
    };
    let policy = Policy::for_service(&config, &base).unwrap();
    (dir, base, policy)
}

#[test]
fn paths_in_the_state_directory_or_the_agent_logs_are_refused() {
    let (_dir, base, policy) = project();
    let cwd = base.join("data");
    for text in [
        "../state/.agent_status.json.tmp/",
        "../state/logs/worker.log.3/",
        "../state/sub/dir/",
        "../state/",
    ] {
        let plan = policy.plan(&missing(text), &cwd);
        assert_eq!(plan.action, FixAction::Alert, "{text}: {plan:?}");
        let why = plan.refused.clone().unwrap_or_default();
        assert!(why.contains("supervisor's own files"), "{text}: {why}");
    }
    assert!(!base.join("state/.agent_status.json.tmp").exists());
}

#[test]
fn hidden_components_are_refused_and_plain_ones_allowed() {
    let (_dir, base, policy) = project();
    for text in ["data/.cache/x/", "data/a/.git/", "logs/.tmp/"] {
        let plan = policy.plan(&missing(text), &base);
        assert_eq!(plan.action, FixAction::Alert, "{text}: {plan:?}");
        let why = plan.refused.clone().unwrap_or_default();
        assert!(why.contains("starts with '.'"), "{text}: {why}");
    }
    let plan = policy.plan(&missing("data/cache/"), &base);
    assert!(
        matches!(plan.action, FixAction::CreateDir { .. }),
        "{plan:?}"
    );
}

#[test]
fn the_default_roots_no_longer_include_state() {
    assert!(
        !FixesConfig::default()
            .create_path_roots
            .contains(&PathBuf::from("state"))
    );
}

#[tokio::test]
async fn the_executor_refuses_a_protected_directory_it_is_handed_directly() {
    let (_dir, base, policy) = project();
    let policy = Arc::new(policy);
    let executor = Executor::new(policy, vec!["false".into()], Duration::from_secs(5));
    let action = FixAction::CreateDir {
        path: base.join("state/.self_healing.json.tmp"),
    };
    let outcome = executor.execute(&action).await;
    assert!(matches!(outcome, FixOutcome::Refused { .. }), "{outcome:?}");
    assert!(!base.join("state/.self_healing.json.tmp").exists());
}
