//! A real dependency check against a throwaway virtualenv, with hand-built wheels installed from a local
//! directory (no network): wrong versions are reported with both versions, missing ones are installed
//! through the executor and the policy, and a second check finds them. The interpreter is asked again
//! only when its answer can have changed: after an install, ours or anyone's.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use healing_core::clock::system_clock;
use healing_core::config::FixesConfig;
use healing_core::dependencies::{ProbeCache, Status};
use healing_core::executor::Executor;
use healing_core::policy::Policy;
use healing_core::requirements;
use prevention_agent::deps_check;
use prevention_agent::state_doc::Outcome;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// Writes `<dist>-<version>-py3-none-any.whl` with METADATA, WHEEL and RECORD, like a build backend would.
const WHEEL_BUILDER: &str = r#"
import base64, hashlib, sys, zipfile
out, dist, version = sys.argv[1:4]
pkg = dist.replace("-", "_")
files = {
    f"{pkg}/__init__.py": f"__version__ = '{version}'\n",
    f"{pkg}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
    f"{pkg}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = f"{pkg}-{version}.dist-info/RECORD"
lines = []
for name, text in files.items():
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    lines.append(f"{name},sha256={digest},{len(data)}")
lines.append(f"{record},,")
with zipfile.ZipFile(f"{out}/{pkg}-{version}-py3-none-any.whl", "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
    z.writestr(record, "\n".join(lines) + "\n")
"#;

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pip_into(venv_python: &Path, wheels: &Path) -> Vec<String> {
    [
        "python3",
        "-m",
        "pip",
        "--python",
        venv_python.to_str().unwrap(),
        "install",
        "--no-input",
        "--no-index",
        "--disable-pip-version-check",
        "--find-links",
        wheels.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test]
async fn a_throwaway_venv_is_checked_and_its_missing_requirement_installed_through_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let wheels = dir.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    run(Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv));
    let python = venv.join("bin/python");
    for (dist, version) in [("neolight-tiny", "1.0.0"), ("neolight-extra", "2.1.0")] {
        run(Command::new("python3")
            .args(["-c", WHEEL_BUILDER])
            .arg(&wheels)
            .args([dist, version]));
    }
    let mut install = Command::new(&pip_into(&python, &wheels)[0]);
    run(install
        .args(&pip_into(&python, &wheels)[1..])
        .arg("neolight-tiny==1.0.0"));

    let req_file = dir.path().join("requirements.txt");
    std::fs::write(
        &req_file,
        "# the agents' requirements\nneolight-tiny>=2  # too new for what is installed\nNeolight_Extra==2.1.0\nwinonly==1.0; sys_platform == \"win32\"\n",
    )
    .unwrap();
    let reqs = requirements::parse_file(&req_file).unwrap();
    let py = python.to_str().unwrap();
    let t = Duration::from_secs(30);
    let cache = ProbeCache::new(Duration::from_secs(3600), system_clock());
    age_venv(&venv);
    let report = cache.check(py, &reqs, t).await.unwrap();
    let statuses: Vec<_> = report.checks.iter().map(|c| c.status.clone()).collect();
    assert_eq!(
        statuses,
        [
            Status::WrongVersion {
                installed: "1.0.0".into()
            },
            Status::Missing,
            Status::NotApplicable
        ]
    );

    let fixes = FixesConfig {
        install_command: pip_into(&python, &wheels),
        requirements: Some(req_file.clone()),
        create_path_roots: vec![],
        ..FixesConfig::default()
    };
    let policy = Policy::from_config(&fixes, dir.path()).unwrap();
    let executor = Executor::new(
        Arc::new(policy),
        fixes.install_command.clone(),
        Duration::from_secs(60),
    );
    let outcome = deps_check::run(
        &cache,
        py,
        Some(&req_file),
        Some(&executor),
        Duration::from_secs(30),
    )
    .await;
    let by_name = |n: &str| outcome.checks.iter().find(|c| c.name == n).unwrap().clone();
    assert_eq!(
        by_name("dependency:Neolight_Extra").outcome,
        Outcome::Fixed,
        "{:?}",
        outcome.checks
    );
    let wrong = by_name("dependency:neolight-tiny");
    assert_eq!(wrong.outcome, Outcome::Warning);
    assert!(
        wrong.message.contains("installed 1.0.0, required >=2"),
        "{}",
        wrong.message
    );

    assert_eq!(cache.probes(), 1, "the pass reused the first answer");

    let again = cache.check(py, &reqs, t).await.unwrap();
    assert_eq!(
        again.checks[1].status,
        Status::Satisfied {
            installed: "2.1.0".into()
        }
    );
    assert_eq!(again.missing().count(), 0);
    assert_eq!(cache.probes(), 2, "the install made the answer stale");

    // Someone else removes a distribution: the cache sees site-packages change and asks again.
    age_venv(&venv);
    cache.invalidate();
    cache.check(py, &reqs, t).await.unwrap();
    cache.check(py, &reqs, t).await.unwrap();
    assert_eq!(cache.probes(), 3, "unchanged: answered from the cache");
    let mut uninstall = Command::new("python3");
    run(uninstall
        .args(["-m", "pip", "--python", py, "uninstall", "--yes"])
        .args(["--disable-pip-version-check", "neolight-extra"]));
    let after = cache.check(py, &reqs, t).await.unwrap();
    assert_eq!(after.checks[1].status, Status::Missing);
    assert_eq!(cache.probes(), 4);
}

/// Dates the venv's files an hour back, as if it had been built long ago: an answer given right after
/// a change is not cached (the change may be too fresh to be in it).
fn age_venv(venv: &Path) {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, utimensat};
    let old = Timespec {
        tv_sec: i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
            - 3600,
        tv_nsec: 0,
    };
    let times = Timestamps {
        last_access: old,
        last_modification: old,
    };
    let mut stack = vec![venv.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
        utimensat(CWD, &path, &times, AtFlags::SYMLINK_NOFOLLOW).unwrap();
    }
}

#[tokio::test]
async fn a_missing_interpreter_is_a_critical_check() {
    let dir = tempfile::tempdir().unwrap();
    let req_file = dir.path().join("requirements.txt");
    std::fs::write(&req_file, "rich\n").unwrap();
    let cache = ProbeCache::new(Duration::from_secs(3600), system_clock());
    let outcome = deps_check::run(
        &cache,
        "/nonexistent/venv/bin/python",
        Some(&req_file),
        None,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(outcome.checks.len(), 1);
    assert_eq!(outcome.checks[0].name, "dependency:interpreter");
    assert_eq!(outcome.checks[0].outcome, Outcome::Critical);
    assert!(
        outcome.checks[0]
            .message
            .contains("/nonexistent/venv/bin/python")
    );
}
