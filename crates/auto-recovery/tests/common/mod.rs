//! Real HTTP servers on 127.0.0.1 that behave like the things auto-recovery talks to: services that sleep,
//! stay down or flap; Render's API (auth, cursor pagination, rate limits); an alert webhook.
#![allow(dead_code, clippy::unwrap_used)] // test support: a failed set-up should panic

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
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

/// A fake Render API under `/v1`.
#[derive(Clone)]
pub struct FakeRender {
    pub key: String,
    pub services: Arc<Mutex<Vec<Value>>>,
    /// Per service id, newest first.
    pub deploys: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    pub events: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    /// The next N requests answer 429 with `Retry-After: retry_after`.
    pub throttle_next: Arc<AtomicU32>,
    pub retry_after: Arc<Mutex<String>>,
    /// "METHOD path?query" of every request.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Authorization headers seen (to check the key is sent as Bearer).
    pub auth_seen: Arc<Mutex<Vec<String>>>,
}

impl FakeRender {
    pub fn new(key: &str) -> Self {
        Self {
            key: key.to_string(),
            services: Arc::default(),
            deploys: Arc::default(),
            events: Arc::default(),
            throttle_next: Arc::default(),
            retry_after: Arc::new(Mutex::new("0".into())),
            requests: Arc::default(),
            auth_seen: Arc::default(),
        }
    }

    pub fn add_service(&self, id: &str, name: &str, suspenders: &[&str]) {
        let suspended = if suspenders.is_empty() {
            "not_suspended"
        } else {
            "suspended"
        };
        self.services.lock().unwrap().push(json!({
            "id": id, "name": name, "type": "web_service", "suspended": suspended,
            "suspenders": suspenders, "autoDeploy": "yes", "serviceDetails": {"plan": "free"}
        }));
    }

    /// `statuses` newest first; ids are `dep-<service>-<n>` with n counting down.
    pub fn set_deploys(&self, service: &str, statuses: &[&str]) {
        let n = statuses.len();
        let list = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({
                    "id": format!("dep-{service}-{}", n - i), "status": s, "trigger": "new_commit",
                    "commit": {"id": "abc123", "message": "m", "createdAt": "2026-01-01T00:00:00Z"},
                    "createdAt": format!("2026-01-01T00:{:02}:00Z", n - i),
                    "finishedAt": format!("2026-01-01T00:{:02}:30Z", n - i)
                })
            })
            .collect();
        self.deploys
            .lock()
            .unwrap()
            .insert(service.to_string(), list);
    }

    pub fn add_event(&self, service: &str, event: Value) {
        self.events
            .lock()
            .unwrap()
            .entry(service.to_string())
            .or_default()
            .push(event);
    }

    pub fn requests_matching(&self, needle: &str) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.contains(needle))
            .cloned()
            .collect()
    }

    pub async fn start(&self) -> String {
        let app = Router::new()
            .route("/v1/services", get(list_services))
            .route("/v1/services/{id}", get(get_service))
            .route(
                "/v1/services/{id}/deploys",
                get(list_deploys).post(trigger_deploy),
            )
            .route("/v1/services/{id}/events", get(list_events))
            .route("/v1/services/{id}/restart", post(restart))
            .with_state(self.clone());
        format!("{}/v1", serve(app).await)
    }

    /// Auth and rate limiting, like the real API: 401 JSON error, 429 with Retry-After.
    fn gate(
        &self,
        method: &str,
        path: &str,
        query: &HashMap<String, String>,
        headers: &HeaderMap,
    ) -> Option<Response> {
        let mut q: Vec<_> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        q.sort();
        self.requests
            .lock()
            .unwrap()
            .push(format!("{method} {path}?{}", q.join("&")));
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        self.auth_seen.lock().unwrap().push(auth.clone());
        if auth != format!("Bearer {}", self.key) {
            return Some(
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"id": "unauthorized", "message": "unauthorized"})),
                )
                    .into_response(),
            );
        }
        if self.throttle_next.load(Ordering::SeqCst) > 0 {
            self.throttle_next.fetch_sub(1, Ordering::SeqCst);
            let after = self.retry_after.lock().unwrap().clone();
            return Some(
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [
                        ("retry-after", after),
                        ("ratelimit-limit", "400".into()),
                        ("ratelimit-remaining", "0".into()),
                        ("ratelimit-reset", "0".into()),
                    ],
                    axum::Json(json!({"id": "rate_limited", "message": "rate limit exceeded"})),
                )
                    .into_response(),
            );
        }
        None
    }
}

/// Cursor pagination as Render does it: `[{cursor, <field>}]`, the next page starts after `cursor`.
fn page(items: &[Value], field: &str, query: &HashMap<String, String>) -> Response {
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(100);
    let start = match query.get("cursor") {
        Some(c) => items
            .iter()
            .position(|i| i["id"] == c.as_str())
            .map_or(items.len(), |p| p + 1),
        None => 0,
    };
    let body: Vec<Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(|i| json!({"cursor": i["id"].clone(), field: i}))
        .collect();
    (
        [
            ("ratelimit-limit", "400"),
            ("ratelimit-remaining", "399"),
            ("ratelimit-reset", "60"),
        ],
        axum::Json(body),
    )
        .into_response()
}

async fn list_services(
    State(r): State<FakeRender>,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    if let Some(resp) = r.gate("GET", "/services", &q, &h) {
        return resp;
    }
    let services = r.services.lock().unwrap().clone();
    page(&services, "service", &q)
}

async fn get_service(
    State(r): State<FakeRender>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Response {
    if let Some(resp) = r.gate("GET", &format!("/services/{id}"), &HashMap::new(), &h) {
        return resp;
    }
    let services = r.services.lock().unwrap().clone();
    match services.into_iter().find(|s| s["id"] == id.as_str()) {
        Some(s) => axum::Json(s).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"id": "not_found", "message": "service not found"})),
        )
            .into_response(),
    }
}

async fn list_deploys(
    State(r): State<FakeRender>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    if let Some(resp) = r.gate("GET", &format!("/services/{id}/deploys"), &q, &h) {
        return resp;
    }
    let deploys = r
        .deploys
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .unwrap_or_default();
    page(&deploys, "deploy", &q)
}

async fn list_events(
    State(r): State<FakeRender>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    if let Some(resp) = r.gate("GET", &format!("/services/{id}/events"), &q, &h) {
        return resp;
    }
    let events = r
        .events
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .unwrap_or_default();
    page(&events, "event", &q)
}

async fn restart(State(r): State<FakeRender>, Path(id): Path<String>, h: HeaderMap) -> Response {
    if let Some(resp) = r.gate(
        "POST",
        &format!("/services/{id}/restart"),
        &HashMap::new(),
        &h,
    ) {
        return resp;
    }
    StatusCode::OK.into_response()
}

async fn trigger_deploy(
    State(r): State<FakeRender>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Response {
    if let Some(resp) = r.gate(
        "POST",
        &format!("/services/{id}/deploys"),
        &HashMap::new(),
        &h,
    ) {
        return resp;
    }
    (
        StatusCode::CREATED,
        axum::Json(
            json!({"id": format!("dep-{id}-redeploy"), "status": "created", "trigger": "api"}),
        ),
    )
        .into_response()
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

/// A server_failed event killed for memory.
pub fn oom_event(id: &str, service: &str, at: &str) -> Value {
    json!({"id": id, "serviceId": service, "timestamp": at, "type": "server_failed",
           "details": {"instanceID": format!("{service}-abc12"), "reason": {"oomKilled": {"memoryLimit": "512Mi"}}}})
}
