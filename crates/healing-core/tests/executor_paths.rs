//! The executor creating directories and files on a real filesystem, re-checking the policy at the last
//! moment (a symlink planted between planning and execution must not lead it out of the root).

// Test helpers outside #[test] fns unwrap too: a failed fixture set-up should fail the test loudly.
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

fn setup() -> (tempfile::TempDir, PathBuf, Executor, Arc<Policy>) {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(dir.path()).unwrap();
    let fixes = FixesConfig {
        requirements: None,
        create_path_roots: vec!["data".into(), "logs".into()],
        create_files: vec!["logs/*.log".into()],
        ..FixesConfig::default()
    };
    let policy = Arc::new(Policy::from_config(&fixes, &base).unwrap());
    let executor = Executor::new(policy.clone(), vec!["false".into()], Duration::from_secs(5));
    (dir, base, executor, policy)
}

fn missing(path: &str) -> Incident {
    Incident {
        kind: ErrorKind::FileNotFound,
        severity: Severity::High,
        action: ActionKind::CreatePath,
        pattern: "file_not_found".into(),
        line_no: 7,
        line: format!("FileNotFoundError: [Errno 2] No such file or directory: '{path}'"),
        detail: Detail {
            path: Some(path.into()),
            ..Detail::default()
        },
        fingerprint: String::new(),
    }
}

#[tokio::test]
async fn a_planned_directory_is_created_once_and_then_not_needed() {
    let (_dir, base, executor, policy) = setup();
    let plan = policy.plan(&missing("data/cache/2026"), &base);
    let outcome = executor.execute(&plan.action).await;
    assert!(
        matches!(outcome, FixOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    assert!(base.join("data/cache/2026").is_dir());
    assert_eq!(executor.execute(&plan.action).await, FixOutcome::NotNeeded);
}

#[tokio::test]
async fn an_allowed_log_file_is_created_empty_with_its_directory() {
    let (_dir, base, executor, policy) = setup();
    let plan = policy.plan(&missing("logs/worker.log"), &base);
    let outcome = executor.execute(&plan.action).await;
    assert!(
        matches!(outcome, FixOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    assert_eq!(fs::read(base.join("logs/worker.log")).unwrap(), b"");
    assert_eq!(executor.execute(&plan.action).await, FixOutcome::NotNeeded);
}

#[tokio::test]
async fn a_file_matching_no_glob_gets_only_its_parent_directory() {
    let (_dir, base, executor, policy) = setup();
    let plan = policy.plan(&missing("data/models/weights.json"), &base);
    executor.execute(&plan.action).await;
    assert!(base.join("data/models").is_dir());
    assert!(!base.join("data/models/weights.json").exists());
}

#[tokio::test]
async fn a_symlink_planted_after_planning_is_refused_at_execution() {
    let (_dir, base, executor, policy) = setup();
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir(base.join("logs")).unwrap();

    let file_plan = policy.plan(&missing("logs/app.log"), &base);
    let dir_plan = policy.plan(&missing("data/out/run"), &base);
    assert!(!file_plan.is_refused() && !dir_plan.is_refused());

    // The attacker (or a confused deploy) swaps in symlinks pointing out of the roots.
    let target = outside.path().join("stolen.log");
    std::os::unix::fs::symlink(&target, base.join("logs/app.log")).unwrap();
    fs::create_dir(base.join("data")).unwrap();
    std::os::unix::fs::symlink(outside.path(), base.join("data/out")).unwrap();

    let outcome = executor.execute(&file_plan.action).await;
    assert!(matches!(outcome, FixOutcome::Refused { .. }), "{outcome:?}");
    let outcome = executor.execute(&dir_plan.action).await;
    assert!(matches!(outcome, FixOutcome::Refused { .. }), "{outcome:?}");
    assert!(!target.exists());
    assert!(!outside.path().join("run").exists());
}

#[tokio::test]
async fn restarts_and_alerts_are_not_the_executors_business() {
    let (_dir, _base, executor, _policy) = setup();
    for action in [
        FixAction::Restart,
        FixAction::Retry,
        FixAction::Alert,
        FixAction::None,
    ] {
        assert_eq!(executor.execute(&action).await, FixOutcome::NotNeeded);
    }
}

#[test]
fn outcomes_serialise_for_the_history() {
    let json = serde_json::to_value(FixOutcome::Refused {
        reason: "outside roots".into(),
    })
    .unwrap();
    assert_eq!(json["outcome"], "refused");
    assert_eq!(json["reason"], "outside roots");
}

// Log text cannot touch the supervisor's own files: a `FileNotFoundError` naming the state directory,
// a temp file in it or a rotated agent log never becomes a directory there, even when a root (the old
// default `state`) covers it.

/// A project whose roots include `state` (as the old default did), with the state directory there.
fn protected_project() -> (tempfile::TempDir, PathBuf, Policy) {
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
    let (_dir, base, policy) = protected_project();
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
    let (_dir, base, policy) = protected_project();
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
    let (_dir, base, policy) = protected_project();
    let policy = Arc::new(policy);
    let executor = Executor::new(policy, vec!["false".into()], Duration::from_secs(5));
    let action = FixAction::CreateDir {
        path: base.join("state/.self_healing.json.tmp"),
    };
    let outcome = executor.execute(&action).await;
    assert!(matches!(outcome, FixOutcome::Refused { .. }), "{outcome:?}");
    assert!(!base.join("state/.self_healing.json.tmp").exists());
}
