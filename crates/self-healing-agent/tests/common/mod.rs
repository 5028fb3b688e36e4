//! Helpers shared by the integration tests: a temp project with a `healing.toml`, the supervisor run
//! in-process, and readers for the state documents.
#![allow(dead_code)]

use healing_core::config_load::{LoadedConfig, load_from_str};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A temp project directory.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }
    pub fn config(&self, toml: &str) -> LoadedConfig {
        self.write("healing.toml", toml);
        load_from_str(
            toml,
            Some(&self.path().join("healing.toml")),
            self.path(),
            &|_| None,
        )
        .expect("valid test config")
    }
    pub fn state(&self, doc: &str) -> Option<serde_json::Value> {
        let bytes = std::fs::read(self.path().join("state").join(doc)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
    /// A file of the project as text (empty when missing).
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_default()
    }
    /// `agent_status.json`'s entry for `name` (`Null` before it is written).
    pub fn agent(&self, name: &str) -> serde_json::Value {
        self.state("agent_status.json")
            .map(|s| s["agents"][name].clone())
            .unwrap_or_default()
    }
    /// The pid of `name` while its status says running.
    pub fn running_pid(&self, name: &str) -> Option<u64> {
        let a = self.agent(name);
        (a["status"] == "running")
            .then(|| a["pid"].as_u64())
            .flatten()
    }
    pub fn lines(&self, rel: &str) -> Vec<String> {
        std::fs::read_to_string(self.path().join(rel))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }
}

/// Runs the supervisor in-process until `until` is true (or `limit`), then shuts it down.
pub async fn run_until(
    config: LoadedConfig,
    limit: Duration,
    mut until: impl FnMut() -> bool,
) -> bool {
    let token = CancellationToken::new();
    let task = tokio::spawn(self_healing_agent::run(config, token.clone()));
    let start = Instant::now();
    let mut met = false;
    while start.elapsed() < limit {
        if until() {
            met = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    token.cancel();
    task.await.expect("run task").expect("run ok");
    met
}

/// Common head of every test config: fast curves, state under the project.
pub fn fast(extra: &str) -> String {
    format!(
        r#"state_dir = "state"
[self_healing]
interval = "60s"
grace_period = "2s"
stable_after = "1s"
correlation_window = "5s"
[restart]
initial_delay = "100ms"
multiplier = 2.0
max_delay = "5s"
jitter = false
max_per_hour = 20
retry_initial_delay = "200ms"
[breaker]
failure_threshold = 10
cooldown = "1s"
{extra}"#
    )
}

/// An agent printing `tick N` ten times a second, forever.
pub const TICKER: &str = "import time\ni = 0\nwhile True:\n    print('tick', i, flush=True)\n    i += 1\n    time.sleep(0.1)\n";

/// `toml` (from [`fast`]) with `keys` added to its `[self_healing]` table (`listen = …`).
pub fn self_healing_keys(toml: &str, keys: &str) -> String {
    toml.replace("[self_healing]\n", &format!("[self_healing]\n{keys}\n"))
}

/// The real binary, started in the project directory with extra environment.
pub struct Binary {
    pub child: std::process::Child,
}

impl Binary {
    pub fn start(project: &Project, env: &[(&str, &str)]) -> Self {
        Self::spawn(project, env, std::process::Stdio::null())
    }

    /// [`Binary::start`] with stdout (forwarded agent output) kept in `supervisor.out`.
    pub fn start_with_stdout(project: &Project, env: &[(&str, &str)]) -> Self {
        let out = std::fs::File::create(project.path().join("supervisor.out")).unwrap();
        Self::spawn(project, env, out.into())
    }

    fn spawn(project: &Project, env: &[(&str, &str)], stdout: std::process::Stdio) -> Self {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_self-healing-agent"));
        cmd.current_dir(project.path())
            .env("RUST_LOG", "info")
            .env_remove("LOG_FORMAT")
            .env_remove("NO_COLOR")
            .stdout(stdout)
            .stderr(std::fs::File::create(project.path().join("supervisor.err")).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self {
            child: cmd.spawn().expect("start the supervisor binary"),
        }
    }

    /// Resident memory of the supervisor process, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

/// A test that fails before `stop` must not leave the supervisor (and its agents) running.
impl Drop for Binary {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `until` every 20 ms for at most `limit` (async, so an in-process server keeps running).
pub async fn wait_for(limit: Duration, mut until: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if until() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    until()
}

/// A Slack-style webhook on 127.0.0.1 that records every message text.
pub struct Webhook {
    pub url: String,
    pub texts: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Webhook {
    pub async fn start() -> Self {
        use axum::{Json, Router, extract::State, routing::post};
        let texts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State(t): State<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
                     Json(v): Json<serde_json::Value>| async move {
                        t.lock()
                            .unwrap()
                            .push(v["text"].as_str().unwrap_or_default().to_string());
                        "ok"
                    },
                ),
            )
            .with_state(texts.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, texts }
    }

    pub fn texts(&self) -> Vec<String> {
        self.texts.lock().unwrap().clone()
    }
}

/// Runs `self-healing-agent ARGS` in the project (a control command, `status`): exit code, stdout,
/// stderr.
pub fn ctl(p: &Project, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(p.path())
        .args(args)
        .output()
        .unwrap();
    outcome(&out)
}

/// A finished command's exit code (-1 when killed by a signal), stdout and stderr.
pub fn outcome(out: &std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `until` every 20 ms for at most `limit`, blocking (for tests that drive the real binary).
pub fn poll(limit: Duration, mut until: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if until() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    until()
}

/// The process exists and is not a zombie (a zombie counts as gone only once reaped: state `Z`
/// would be a leak).
pub fn alive(pid: impl std::fmt::Display) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

/// `config` (from [`fast`]) with the HTTP endpoints on 127.0.0.1:`port`.
pub fn with_listen(config: String, port: u16) -> String {
    self_healing_keys(&config, &format!("listen = \"127.0.0.1:{port}\""))
}
