//! The executor running real installers: a recording stand-in for pip, a hanging one, a chatty one, and
//! once the real pip installing a locally built wheel offline.

// Test helpers outside #[test] fns unwrap too: a failed fixture set-up should fail the test loudly.
#![allow(clippy::unwrap_used)]

use healing_core::config::FixesConfig;
use healing_core::executor::{Executor, FixOutcome, OUTPUT_TAIL_BYTES};
use healing_core::fix::FixAction;
use healing_core::policy::Policy;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Project {
    _dir: tempfile::TempDir,
    base: PathBuf,
    policy: Arc<Policy>,
}

fn project(requirements: &str) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(dir.path()).unwrap();
    fs::write(base.join("requirements.txt"), requirements).unwrap();
    let fixes = FixesConfig {
        create_path_roots: vec!["logs".into()],
        ..FixesConfig::default()
    };
    let policy = Arc::new(Policy::from_config(&fixes, &base).unwrap());
    Project {
        _dir: dir,
        base,
        policy,
    }
}

/// A Python "installer" with `body` as its code; `RECORD` in the body is replaced by a file path.
fn script(p: &Project, body: &str) -> (Vec<String>, PathBuf) {
    let record = p.base.join("installer-ran.json");
    let path = p.base.join("installer.py");
    fs::write(&path, body.replace("RECORD", &record.display().to_string())).unwrap();
    (vec!["python3".into(), path.display().to_string()], record)
}

const RECORDER: &str = "import json, sys\nopen('RECORD', 'w').write(json.dumps(sys.argv[1:]))\nprint('Successfully installed', sys.argv[-1])\n";

fn install(distribution: &str, requirement: &str) -> FixAction {
    FixAction::InstallPackage {
        distribution: distribution.into(),
        requirement: requirement.into(),
    }
}

#[tokio::test]
async fn an_allowed_install_runs_the_installer_as_argv_with_the_pinned_requirement() {
    let p = project("PyYAML==6.0.1\n");
    let (argv, record) = script(&p, RECORDER);
    let executor = Executor::new(p.policy.clone(), argv, Duration::from_secs(20));
    let outcome = executor.execute(&install("PyYAML", "PyYAML==6.0.1")).await;
    let FixOutcome::Succeeded { detail } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        detail.contains("Successfully installed PyYAML==6.0.1"),
        "{detail}"
    );
    let args: Vec<String> = serde_json::from_str(&fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(args, ["PyYAML==6.0.1"]);
    assert_eq!(outcome.as_str(), "succeeded");
}

#[tokio::test]
async fn a_refused_install_never_starts_the_installer() {
    let p = project("PyYAML==6.0.1\n");
    let (argv, record) = script(&p, RECORDER);
    let executor = Executor::new(p.policy.clone(), argv, Duration::from_secs(20));
    for action in [
        install("reqeusts", "reqeusts"),
        install("PyYAML", "PyYAML==6.0.1; rm -rf ~"),
        install("PyYAML", "PyYAML"),
        install("x; touch pwned", "x; touch pwned"),
    ] {
        let outcome = executor.execute(&action).await;
        assert!(
            matches!(outcome, FixOutcome::Refused { .. }),
            "{action:?} -> {outcome:?}"
        );
    }
    assert!(!record.exists(), "a refused install ran the installer");
    assert!(!p.base.join("pwned").exists());
}

#[tokio::test]
async fn a_failing_installer_is_a_failed_outcome_with_its_error_output() {
    let p = project("PyYAML==6.0.1\n");
    let (argv, _) = script(
        &p,
        "import sys\nsys.stderr.write('ERROR: No matching distribution found\\n')\nsys.exit(3)\n",
    );
    let executor = Executor::new(p.policy.clone(), argv, Duration::from_secs(20));
    let outcome = executor.execute(&install("PyYAML", "PyYAML==6.0.1")).await;
    let FixOutcome::Failed { detail } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(detail.contains("exit status: 3"), "{detail}");
    assert!(
        detail.contains("No matching distribution found"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_hanging_installer_and_its_children_are_killed_at_the_timeout() {
    let p = project("PyYAML==6.0.1\n");
    // A shell script starts in milliseconds even on a loaded machine, so the grandchild exists in time.
    let record = p.base.join("grandchild.pid");
    let installer = p.base.join("hang.sh");
    let body = format!(
        "sleep 60 &\necho $! > '{}'\necho 'building wheel...'\nwait\n",
        record.display()
    );
    fs::write(&installer, body).unwrap();
    let argv = vec!["sh".to_string(), installer.display().to_string()];
    let executor = Executor::new(p.policy.clone(), argv, Duration::from_millis(300));
    let started = Instant::now();
    let outcome = executor.execute(&install("PyYAML", "PyYAML==6.0.1")).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let FixOutcome::Failed { detail } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(detail.contains("timed out after 300ms"), "{detail}");
    let pid = fs::read_to_string(&record).unwrap();
    assert!(
        process_gone(pid.trim()),
        "grandchild {pid} survived the timeout"
    );
}

/// Gone or a zombie waiting for init to reap it, within a short grace.
fn process_gone(pid: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat)
                if stat
                    .rsplit(')')
                    .next()
                    .is_some_and(|s| s.trim_start().starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

#[tokio::test]
async fn installer_output_is_kept_bounded_to_its_tail() {
    let p = project("PyYAML==6.0.1\n");
    let (argv, _) = script(
        &p,
        "import sys\nsys.stdout.write('x' * 2_000_000)\nsys.stdout.write('\\nEND-OF-OUTPUT\\n')\n",
    );
    let executor = Executor::new(p.policy.clone(), argv, Duration::from_secs(20));
    let outcome = executor.execute(&install("PyYAML", "PyYAML==6.0.1")).await;
    let FixOutcome::Succeeded { detail } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        detail.ends_with("END-OF-OUTPUT"),
        "{}",
        &detail[detail.len() - 40..]
    );
    assert!(
        detail.len() < 2 * OUTPUT_TAIL_BYTES + 200,
        "{}",
        detail.len()
    );
}

#[tokio::test]
async fn a_missing_installer_is_reported_not_panicked_on() {
    let p = project("PyYAML==6.0.1\n");
    let executor = Executor::new(
        p.policy.clone(),
        vec!["/nonexistent/pip".into()],
        Duration::from_secs(5),
    );
    let outcome = executor.execute(&install("PyYAML", "PyYAML==6.0.1")).await;
    assert!(
        matches!(&outcome, FixOutcome::Failed { detail } if detail.contains("cannot start installer")),
        "{outcome:?}"
    );
    let empty = Executor::new(p.policy.clone(), Vec::new(), Duration::from_secs(5));
    let outcome = empty.execute(&install("PyYAML", "PyYAML==6.0.1")).await;
    assert!(matches!(outcome, FixOutcome::Failed { .. }));
}

/// Writes `healdemo-1.0.0-py3-none-any.whl` by hand (a wheel is a zip with a dist-info directory).
fn build_wheel(dir: &Path) {
    let code = r#"
import base64, hashlib, sys, zipfile
out = sys.argv[1] + '/healdemo-1.0.0-py3-none-any.whl'
files = {
    'healdemo/__init__.py': 'VERSION = "1.0.0"\n',
    'healdemo-1.0.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: healdemo\nVersion: 1.0.0\n',
    'healdemo-1.0.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
}
record = []
with zipfile.ZipFile(out, 'w') as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
        record.append(f'{name},sha256={digest},{len(data)}')
    record.append('healdemo-1.0.0.dist-info/RECORD,,')
    z.writestr('healdemo-1.0.0.dist-info/RECORD', '\n'.join(record) + '\n')
"#;
    let status = Command::new("python3")
        .args(["-c", code])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn real_pip_installs_an_allowed_pinned_wheel_offline() {
    let p = project("healdemo==1.0.0\n");
    let wheels = p.base.join("wheels");
    let target = p.base.join("site");
    fs::create_dir(&wheels).unwrap();
    build_wheel(&wheels);
    let argv: Vec<String> = [
        "python3",
        "-m",
        "pip",
        "install",
        "--no-input",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        &wheels.display().to_string(),
        "--target",
        &target.display().to_string(),
    ]
    .map(String::from)
    .to_vec();
    let executor = Executor::new(p.policy.clone(), argv, Duration::from_secs(120));
    let outcome = executor
        .execute(&install("healdemo", "healdemo==1.0.0"))
        .await;
    assert!(
        matches!(outcome, FixOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    let imported = Command::new("python3")
        .args(["-c", "import healdemo; print(healdemo.VERSION)"])
        .env("PYTHONPATH", &target)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), "1.0.0");
}
