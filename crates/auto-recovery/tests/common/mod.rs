//! Real HTTP servers on 127.0.0.1 that behave like the things auto-recovery talks to: services that sleep,
//! stay down or flap; an alert webhook; and the one fake Render API every crate's tests share.
#![allow(dead_code, clippy::unwrap_used)] // test support: a failed set-up should panic

#[path = "../../../healing-core/tests/render_support/mod.rs"]
mod render_support;
#[allow(unused_imports)] // not every test file uses the fake Render API
pub use render_support::{FakeRender, oom_event};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Serves `app` on an ephemeral port; returns `http://127.0.0.1:<port>`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    format!("http://{addr}")
}

/// Health endpoints with the behaviours of real services.
#[derive(Clone, Default)]
pub struct Health {
    /// Requests seen per route name.
    pub hits: Arc<Mutex<HashMap<String, u32>>>,
    /// When the waking service received its first request.
    pub first_wake_hit: Arc<Mutex<Option<Instant>>>,
}

impl Health {
    fn hit(&self, name: &str) -> u32 {
        let mut hits = self.hits.lock().unwrap();
        let n = hits.entry(name.to_string()).or_default();
        *n += 1;
        *n
    }

    pub fn hits(&self, name: &str) -> u32 {
        self.hits.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    /// Routes:
    /// - `/healthy/health`: 200 at once.
    /// - `/waking/{ms}/health`: a sleeping free service: requests hang (longer than any probe timeout)
    ///   until `ms` after the first request, then 200 at once.
    /// - `/down/health`: 503 forever (Render's edge in front of a service that never comes up).
    /// - `/flaky/health`: 503 for the first two requests, then 200.
    /// - `/broken/health`: 500 forever.
    /// - `/slow/{ms}/health`: 200 after `ms`.
    pub async fn start(&self) -> String {
        let app = Router::new()
            .route(
                "/healthy/health",
                get(|State(h): State<Health>| async move {
                    h.hit("healthy");
                    StatusCode::OK
                }),
            )
            .route("/waking/{ms}/health", get(waking))
            .route(
                "/down/health",
                get(|State(h): State<Health>| async move {
                    h.hit("down");
                    StatusCode::SERVICE_UNAVAILABLE
                }),
            )
            .route(
                "/flaky/health",
                get(|State(h): State<Health>| async move {
                    if h.hit("flaky") <= 2 {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }),
            )
            .route(
                "/broken/health",
                get(|State(h): State<Health>| async move {
                    h.hit("broken");
                    StatusCode::INTERNAL_SERVER_ERROR
                }),
            )
            .route(
                "/slow/{ms}/health",
                get(|State(h): State<Health>, Path(ms): Path<u64>| async move {
                    h.hit("slow");
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    StatusCode::OK
                }),
            )
            .with_state(self.clone());
        serve(app).await
    }
}

async fn waking(State(h): State<Health>, Path(ms): Path<u64>) -> StatusCode {
    h.hit("waking");
    let first = *h
        .first_wake_hit
        .lock()
        .unwrap()
        .get_or_insert_with(Instant::now);
    let awake_at = first + Duration::from_millis(ms);
    if Instant::now() < awake_at {
        // Spinning up: hold the request like Render does, well past the probe timeout.
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    StatusCode::OK
}

/// An alert webhook: records every body it receives.
#[derive(Clone, Default)]
pub struct Webhook {
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl Webhook {
    pub async fn start(&self) -> String {
        let app = Router::new()
            .route(
                "/hook",
                post(|State(w): State<Webhook>, body: String| async move {
                    w.bodies.lock().unwrap().push(body);
                    StatusCode::OK
                }),
            )
            .with_state(self.clone());
        format!("{}/hook", serve(app).await)
    }

    pub fn count_containing(&self, needle: &str) -> usize {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b.contains(needle))
            .count()
    }
}
