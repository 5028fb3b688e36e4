//! The safety policy deciding on real incidents: what may be installed, which paths may be created, and
//! that no log line can steer either outside the configuration.

// Test helpers outside #[test] fns unwrap too: a failed fixture set-up should fail the test loudly.
#![allow(clippy::unwrap_used)]

use healing_core::config::FixesConfig;
use healing_core::fix::FixAction;
use healing_core::incident::{Detail, Incident};
use healing_core::kind::{ActionKind, ErrorKind, Severity};
use healing_core::policy::{Policy, PolicyError, Refusal};
use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

fn incident(kind: ErrorKind, action: ActionKind, detail: Detail) -> Incident {
    Incident {
        kind,
        severity: Severity::High,
        action,
        pattern: kind.as_str().into(),
        line_no: 1,
        line: "test line".into(),
        detail,
        fingerprint: String::new(),
    }
}

fn missing_module(module: &str, distribution: Option<&str>) -> Incident {
    let detail = Detail {
        module: Some(module.into()),
        distribution: distribution.map(String::from),
        ..Detail::default()
    };
    incident(
        ErrorKind::ModuleNotFound,
        ActionKind::InstallPackage,
        detail,
    )
}

fn missing_path(path: &str) -> Incident {
    let detail = Detail {
        path: Some(path.into()),
        ..Detail::default()
    };
    incident(ErrorKind::FileNotFound, ActionKind::CreatePath, detail)
}

/// A project dir with `requirements.txt`, roots `data` (existing) and `logs` (not yet created).
fn project(create_files: &[&str]) -> (tempfile::TempDir, PathBuf, Policy) {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(dir.path()).unwrap();
    fs::write(
        base.join("requirements.txt"),
        "PyYAML==6.0.1\nrequests>=2.31,<3\n",
    )
    .unwrap();
    fs::create_dir(base.join("data")).unwrap();
    let fixes = FixesConfig {
        allow_packages: vec!["Flask".into()],
        create_path_roots: vec!["data".into(), "logs".into()],
        create_files: create_files.iter().map(|s| s.to_string()).collect(),
        ..FixesConfig::default()
    };
    let policy = Policy::from_config(&fixes, &base).unwrap();
    (dir, base, policy)
}

fn install(distribution: &str, requirement: &str) -> FixAction {
    FixAction::InstallPackage {
        distribution: distribution.into(),
        requirement: requirement.into(),
    }
}

#[test]
fn an_allowed_module_is_installed_at_the_version_the_requirements_pin() {
    let (_dir, base, policy) = project(&[]);
    let plan = policy.plan(&missing_module("yaml", Some("pyyaml")), &base);
    assert_eq!(plan.action, install("PyYAML", "PyYAML==6.0.1"));
    assert_eq!(plan.target.as_deref(), Some("PyYAML==6.0.1"));
    assert_eq!(plan.refused, None);
    // Without a mapped distribution the top-level import name is the candidate.
    let plan = policy.plan(&missing_module("flask", None), &base);
    assert_eq!(plan.action, install("Flask", "Flask"));
    let plan = policy.plan(&missing_module("requests", Some("Requests")), &base);
    assert_eq!(plan.action, install("requests", "requests>=2.31,<3"));
}

#[test]
fn version_skew_and_the_agents_own_modules_are_never_installed() {
    let (_dir, base, policy) = project(&[]);
    // `flask` imported, `flask.cli` did not: reinstalling the allowed Flask cannot help.
    let plan = policy.plan(&missing_module("flask.cli", None), &base);
    assert_eq!(plan.action, FixAction::Alert);
    assert!(
        plan.refused.as_deref().unwrap().contains("version skew"),
        "{plan:?}"
    );
    // A module the agent ships itself, even when a distribution of that name is allowed.
    std::fs::write(base.join("requests.py"), "").unwrap();
    let plan = policy.plan(&missing_module("requests", Some("requests")), &base);
    assert_eq!(plan.action, FixAction::Alert);
    assert!(
        plan.refused
            .as_deref()
            .unwrap()
            .contains("agent's own code"),
        "{plan:?}"
    );
    std::fs::create_dir(base.join("yaml")).unwrap();
    assert!(
        policy
            .plan(&missing_module("yaml", Some("PyYAML")), &base)
            .is_refused()
    );
    // Elsewhere the same allowed distribution is installed.
    let other = base.join("data");
    std::fs::create_dir_all(&other).unwrap();
    let plan = policy.plan(&missing_module("requests", Some("requests")), &other);
    assert_eq!(plan.refused, None);
}

#[test]
fn typosquats_and_shell_text_from_logs_are_refused_with_a_reason() {
    let (_dir, base, policy) = project(&[]);
    let plan = policy.plan(&missing_module("reqeusts", None), &base);
    assert_eq!(plan.action, FixAction::Alert);
    assert_eq!(plan.proposed, ActionKind::InstallPackage);
    assert_eq!(plan.target.as_deref(), Some("reqeusts"));
    assert!(
        plan.refused
            .as_deref()
            .unwrap()
            .contains("not in the requirements")
    );

    let plan = policy.plan(&missing_module("x; rm -rf ~", None), &base);
    assert_eq!(plan.action, FixAction::Alert);
    assert!(
        plan.refused
            .as_deref()
            .unwrap()
            .contains("not a valid distribution name")
    );

    let plan = policy.plan(
        &missing_module("yaml", Some("PyYAML==99; curl evil")),
        &base,
    );
    assert_eq!(plan.action, FixAction::Alert);
}

#[test]
fn the_executor_side_check_rejects_forged_or_altered_actions() {
    let (_dir, base, policy) = project(&[]);
    assert_eq!(policy.check(&install("PyYAML", "PyYAML==6.0.1")), Ok(()));
    assert!(matches!(
        policy.check(&install("PyYAML", "PyYAML==5.1")),
        Err(Refusal::Mismatch { .. })
    ));
    assert!(matches!(
        policy.check(&install("evil", "evil")),
        Err(Refusal::NotAllowed { .. })
    ));
    assert!(matches!(
        policy.check(&FixAction::CreateDir {
            path: "/etc/cron.d/x".into()
        }),
        Err(Refusal::OutsideRoots { .. })
    ));
    assert!(matches!(
        policy.check(&FixAction::CreateFile {
            path: base.join("data/x.json")
        }),
        Err(Refusal::FileNotAllowed { .. })
    ));
    assert_eq!(policy.check(&FixAction::Restart), Ok(()));
}

#[test]
fn deny_all_allows_restarts_and_alerts_but_no_fix() {
    let policy = Policy::deny_all();
    let cwd = std::env::temp_dir();
    assert!(
        policy
            .plan(&missing_module("yaml", Some("PyYAML")), &cwd)
            .is_refused()
    );
    assert!(policy.plan(&missing_path("/tmp/x"), &cwd).is_refused());
    let retry = incident(ErrorKind::Timeout, ActionKind::Retry, Detail::default());
    assert_eq!(policy.plan(&retry, &cwd).action, FixAction::Retry);
}

#[test]
fn a_missing_directory_inside_a_root_is_created_even_when_the_root_is_missing() {
    let (_dir, base, policy) = project(&[]);
    let plan = policy.plan(&missing_path("data/cache/items"), &base);
    assert_eq!(
        plan.action,
        FixAction::CreateDir {
            path: base.join("data/cache/items")
        }
    );
    let plan = policy.plan(&missing_path(&format!("{}/logs/", base.display())), &base);
    assert_eq!(
        plan.action,
        FixAction::CreateDir {
            path: base.join("logs")
        }
    );
}

#[test]
fn paths_outside_the_roots_are_refused_however_they_are_spelled() {
    let (dir, base, policy) = project(&[]);
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), base.join("data/link")).unwrap();
    let agent_cwd = base.join("data");
    for path in [
        "/etc/healing-test",
        "../../x",
        "../requirements-dir",
        "~/x",
        "~root/x",
        "data/../../escape",
        "link/sub",
        "missing/../../../etc/x",
        "bad\u{0}name",
    ] {
        let plan = policy.plan(&missing_path(path), &agent_cwd);
        assert!(plan.is_refused(), "{path} was allowed: {plan:?}");
        assert_eq!(plan.action, FixAction::Alert, "{path}");
    }
    assert!(dir.path().exists());
}

#[test]
fn a_missing_file_is_created_only_when_a_glob_allows_it() {
    let (_dir, base, policy) = project(&["logs/*.log"]);
    let plan = policy.plan(&missing_path("logs/app.log"), &base);
    assert_eq!(
        plan.action,
        FixAction::CreateFile {
            path: base.join("logs/app.log")
        }
    );

    // `*` does not cross `/`: a nested log gets only its missing directory, and the plan says so.
    let plan = policy.plan(&missing_path("logs/sub/app.log"), &base);
    assert_eq!(
        plan.action,
        FixAction::CreateDir {
            path: base.join("logs/sub")
        }
    );
    assert!(
        plan.note
            .as_deref()
            .unwrap()
            .contains("only its missing parent")
    );

    let plan = policy.plan(&missing_path("data/new/settings.json"), &base);
    assert_eq!(
        plan.action,
        FixAction::CreateDir {
            path: base.join("data/new")
        }
    );

    // Its directory exists and no glob allows it: nothing may be created at all.
    let plan = policy.plan(&missing_path("data/settings.json"), &base);
    assert!(plan.is_refused());
    assert!(plan.refused.as_deref().unwrap().contains("create_files"));
}

#[test]
fn bad_fix_configuration_is_reported_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let bad_name = FixesConfig {
        allow_packages: vec!["ok".into(), "not ok".into()],
        ..FixesConfig::default()
    };
    let err = Policy::from_config(&bad_name, dir.path()).unwrap_err();
    assert!(matches!(&err, PolicyError::InvalidPackage { name } if name == "not ok"));
    let bad_glob = FixesConfig {
        create_files: vec!["logs/[".into()],
        ..FixesConfig::default()
    };
    let err = Policy::from_config(&bad_glob, dir.path()).unwrap_err();
    assert!(err.to_string().contains("logs/["), "{err}");
}

fn allowed_requirements() -> [&'static str; 3] {
    ["PyYAML==6.0.1", "requests>=2.31,<3", "Flask"]
}

fn hostile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9._-]{1,12}",
        Just("pyyaml".to_string()),
        "(PyYAML|requests|flask|Flask)[ ;=<>!~@#.a-z0-9-]{0,12}",
        "[;&|`$(){}' \"\\\\/.~*-]{1,10}(requests|yaml)?",
    ]
}

proptest! {
    #[test]
    fn no_module_or_distribution_text_installs_anything_outside_the_allow_list(
        module in hostile_name(),
        distribution in proptest::option::of(hostile_name()),
    ) {
        let (_dir, base, policy) = project(&[]);
        let plan = policy.plan(&missing_module(&module, distribution.as_deref()), &base);
        match &plan.action {
            FixAction::InstallPackage { distribution, requirement } => {
                prop_assert!(allowed_requirements().contains(&requirement.as_str()), "{requirement}");
                prop_assert!(["PyYAML", "requests", "Flask"].contains(&distribution.as_str()));
                prop_assert!(plan.refused.is_none());
            }
            other => {
                prop_assert_eq!(other, &FixAction::Alert);
                prop_assert!(plan.refused.is_some());
            }
        }
    }

    #[test]
    fn no_path_text_plans_a_creation_outside_the_roots(path in any::<String>()) {
        let (_dir, base, policy) = project(&["logs/*.log"]);
        let plan = policy.plan(&missing_path(&path), &base.join("data"));
        if let FixAction::CreateDir { path: p } | FixAction::CreateFile { path: p } = &plan.action {
            prop_assert!(p.starts_with(base.join("data")) || p.starts_with(base.join("logs")), "{p:?}");
            prop_assert!(Path::new(p).is_absolute());
        }
    }
}
