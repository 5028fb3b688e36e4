//! The health pass builds its HTTP client — and with it loads the system's CA store, a few hundred
//! files — only for an agent that has a `health_url`. A fleet of plain workers pays for no TLS set-up
//! on its idle path (it once did, on every pass: most of the supervisor's idle CPU).
//!
//! How it is seen from outside: `SSL_CERT_FILE` names a FIFO. Loading the CA store opens it for
//! reading, and a non-blocking open for writing succeeds only while somebody has it open for reading.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use rustix::fs::{CWD, FileType, Mode, OFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fifo(project: &Project) -> PathBuf {
    let path = project.path().join("roots.pem");
    rustix::fs::mknodat(CWD, &path, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0).expect("mkfifo");
    path
}

/// True when the supervisor opened the FIFO (is loading CA roots). Closing our end right away gives it
/// end-of-file, an empty CA list, so it carries on.
fn roots_being_loaded(fifo: &Path) -> bool {
    rustix::fs::open(
        fifo,
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .is_ok()
}

fn start(project: &Project, agents: &str) -> Binary {
    let roots = fifo(project);
    let no_dir = project.path().join("no-cert-dir");
    project.write(
        "healing.toml",
        &fast(agents).replace(r#"interval = "60s""#, r#"interval = "50ms""#),
    );
    Binary::start(
        project,
        &[
            ("SSL_CERT_FILE", roots.to_str().expect("utf-8 path")),
            ("SSL_CERT_DIR", no_dir.to_str().expect("utf-8 path")),
        ],
    )
}

fn health_passes(project: &Project) -> usize {
    project
        .lines("supervisor.err")
        .iter()
        .filter(|l| l.contains("Health check complete"))
        .count()
}

#[test]
fn agents_without_a_health_url_never_make_the_supervisor_load_tls_roots() {
    let project = Project::new();
    let sup = start(
        &project,
        r#"
[[agents]]
name = "a"
command = ["sleep", "30"]
[[agents]]
name = "b"
command = ["sleep", "30"]
"#,
    );
    let roots = project.path().join("roots.pem");
    let start = Instant::now();
    while health_passes(&project) < 6 && start.elapsed() < Duration::from_secs(10) {
        assert!(
            !roots_being_loaded(&roots),
            "a health pass loaded the CA store although no agent has a health_url"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        health_passes(&project) >= 6,
        "the health pass did not run: {:?}",
        project.lines("supervisor.err")
    );
    assert!(!roots_being_loaded(&roots));
    assert!(sup.stop().success());
}

#[test]
fn an_agent_with_a_health_url_gets_its_client_built_and_probed() {
    // The control: the same observation does see a client being built.
    let project = Project::new();
    let sup = start(
        &project,
        r#"
[[agents]]
name = "web"
command = ["sleep", "30"]
health_url = "http://127.0.0.1:1/health"
health_start_period = "0s"
"#,
    );
    let roots = project.path().join("roots.pem");
    let start = Instant::now();
    let mut seen = false;
    while !seen && start.elapsed() < Duration::from_secs(10) {
        seen = roots_being_loaded(&roots);
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(seen, "the probe client was never built");
    assert!(sup.stop().success());
}
