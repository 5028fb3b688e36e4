//! Helpers shared by the integration tests: fixture locations and copies.
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

#[path = "../../../healing-core/tests/render_support/mod.rs"]
pub mod render_support;

/// `tests/fixtures/cgroup/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cgroup")
        .join(name)
}

/// Copies a fixture tree (symlinks kept as symlinks) into a fresh temp dir, for tests that change it.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(name), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_symlink() {
            let link = fs::read_link(entry.path()).expect("readlink");
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A Slack-style webhook on 127.0.0.1 that records every `text` it receives.
pub struct Webhook {
    pub url: String,
    pub texts: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Webhook {
    pub async fn start() -> Webhook {
        use axum::{Json, Router, extract::State, routing::post};
        let texts: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State(t): State<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
                     Json(body): Json<serde_json::Value>| async move {
                        let text = body["text"].as_str().unwrap_or_default().to_string();
                        t.lock().unwrap().push(text);
                        "ok"
                    },
                ),
            )
            .with_state(texts.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Webhook {
            url: format!("http://{addr}/hook"),
            texts,
        }
    }

    /// An alerter (default options) whose webhook sink is this server: `url_env` is the variable the
    /// config's `[alerts.webhook] url_env` names.
    pub fn alerter(
        &self,
        alerts: &healing_core::config::AlertsConfig,
        url_env: &'static str,
        store: std::sync::Arc<healing_core::state::StateStore>,
        clock: healing_core::clock::SharedClock,
    ) -> healing_core::alert::AlertHandle {
        use healing_core::alert::{AlertOptions, AlertSinks, Alerter};
        let url = self.url.clone();
        let sinks = AlertSinks::from_lookup(alerts, &move |n| (n == url_env).then(|| url.clone()));
        let (handle, _task) = Alerter::spawn_with(
            alerts,
            sinks,
            AlertOptions::default(),
            store,
            "prevention-agent",
            clock,
            tokio_util::sync::CancellationToken::new(),
        );
        handle
    }

    /// Everything received so far, drained, with the sender's HTML escaping undone.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.texts.lock().unwrap())
            .into_iter()
            .map(|t| {
                t.replace("&gt;", ">")
                    .replace("&lt;", "<")
                    .replace("&amp;", "&")
            })
            .collect()
    }
}
