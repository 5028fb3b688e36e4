//! Installs cannot be redirected: a requirements file's `--index-url`, `--extra-index-url`,
//! `--find-links`, `-c` and `--hash` reach the installer exactly as the file has them (hash-pinned files
//! install with `--require-hashes` from the file), or the install is refused with the reason.

#![allow(clippy::unwrap_used)]

use healing_core::config::FixesConfig;
use healing_core::executor::{Executor, FixOutcome};
use healing_core::fix::FixAction;
use healing_core::policy::Policy;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Runs one install of `distribution` (allowed from `requirements`, plus `allow_packages = ["extra"]`)
/// with a recording installer; returns the outcome and the argv it got (None: it never ran).
async fn run(
    requirements: &str,
    distribution: &str,
    requirement: &str,
) -> (FixOutcome, Option<Vec<String>>, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(dir.path()).unwrap();
    fs::write(base.join("requirements.txt"), requirements).unwrap();
    let fixes = FixesConfig {
        allow_packages: vec!["extra".into()],
        ..FixesConfig::default()
    };
    let policy = Arc::new(Policy::from_config(&fixes, &base).unwrap());
    let record = base.join("argv.json");
    let installer = base.join("installer.py");
    fs::write(
        &installer,
        format!(
            "import json, sys\nopen({:?}, 'w').write(json.dumps(sys.argv[1:]))\n",
            record.display().to_string()
        ),
    )
    .unwrap();
    let argv = vec!["python3".into(), installer.display().to_string()];
    let executor = Executor::new(policy.clone(), argv, Duration::from_secs(20));
    let outcome = executor
        .execute(&FixAction::InstallPackage {
            distribution: distribution.into(),
            requirement: requirement.into(),
        })
        .await;
    let got = fs::read_to_string(&record)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    drop(dir);
    (outcome, got, base)
}

/// The installer never ran and the refusal names `why`.
fn assert_refused((outcome, argv, _): (FixOutcome, Option<Vec<String>>, PathBuf), why: &str) {
    assert!(argv.is_none(), "the installer ran: {argv:?}");
    let FixOutcome::Refused { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains(why), "{reason}");
}

#[tokio::test]
async fn index_links_and_constraints_go_to_the_installer_as_the_file_has_them() {
    let file = "--index-url https://pypi.internal.example/simple\n--extra-index-url=https://mirror.example/simple\n-f wheels\n-c constraints.txt\nneolight-core==1.4.2\n";
    let (outcome, argv, base) = run(file, "neolight-core", "neolight-core==1.4.2").await;
    assert!(
        matches!(outcome, FixOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    let wheels = base.join("wheels").display().to_string();
    let constraints = base.join("constraints.txt").display().to_string();
    assert_eq!(
        argv.unwrap(),
        [
            "--index-url",
            "https://pypi.internal.example/simple",
            "--extra-index-url",
            "https://mirror.example/simple",
            "--find-links",
            wheels.as_str(),
            "--constraint",
            constraints.as_str(),
            "neolight-core==1.4.2"
        ]
    );
}

#[tokio::test]
async fn a_hash_pinned_file_is_installed_with_require_hashes_from_the_file() {
    let file = "requests==2.32.3 \\\n    --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6\n";
    let (outcome, argv, base) = run(file, "requests", "requests==2.32.3").await;
    assert!(
        matches!(outcome, FixOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    let path = base.join("requirements.txt").display().to_string();
    assert_eq!(argv.unwrap(), ["--require-hashes", "-r", path.as_str()]);
    // A package with no hash in that file cannot be installed in hash mode: refused, not run bare.
    assert_refused(run(file, "extra", "extra").await, "hash-pinned");
}

#[tokio::test]
async fn options_that_cannot_be_honoured_refuse_the_install_with_the_reason() {
    let file = "--use-feature=truststore\nneolight-core==1.4.2\n";
    assert_refused(
        run(file, "neolight-core", "neolight-core==1.4.2").await,
        "--use-feature",
    );
}

#[tokio::test]
async fn a_file_without_options_installs_the_bare_requirement_as_before() {
    let (outcome, argv, _) = run("PyYAML==6.0.1\n", "PyYAML", "PyYAML==6.0.1").await;
    assert!(
        matches!(outcome, FixOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    assert_eq!(argv.unwrap(), ["PyYAML==6.0.1"]);
}
