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
