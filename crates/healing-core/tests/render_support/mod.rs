//! The one fake Render API for every crate's tests: a real HTTP server on 127.0.0.1 shaped like
//! `api.render.com/v1` — Bearer auth, cursor pagination, the `name` filter, 429 with `Retry-After` and
//! `Ratelimit-*`, the metrics endpoints — and the failures a real one shows (an error status, a body that is
//! not JSON or too big, no answer). auto-recovery and the prevention-agent include this file with `#[path]`.
#![allow(dead_code, clippy::unwrap_used)] // test support: a failed set-up should panic

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fake Render API under `/v1`.
#[derive(Clone)]
pub struct FakeRender {
    pub key: String,
    pub services: Arc<Mutex<Vec<Value>>>,
    /// Per service id, newest first.
    pub deploys: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    pub events: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    /// Per metric name (`memory`, `cpu-limit`, …): the series answered for [`FakeRender::metrics_of`].
    pub metrics: Arc<Mutex<HashMap<String, Value>>>,
    /// The service whose metrics exist; other `resource`s get an empty list.
    pub metrics_of: Arc<Mutex<String>>,
    /// The next N requests answer 429 with `Retry-After: retry_after`.
    pub throttle_next: Arc<AtomicU32>,
    pub retry_after: Arc<Mutex<String>>,
    /// Every authorised request answers this status and Render-style error message instead.
    pub fail: Arc<Mutex<Option<(StatusCode, String)>>>,
    /// Every authorised request answers this body instead.
    pub raw: Arc<Mutex<Option<String>>>,
    /// Requests are held for 30 s before anything else happens.
    pub hang: Arc<AtomicBool>,
    /// "METHOD path?query" of every request (query keys sorted).
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
            metrics: Arc::default(),
            metrics_of: Arc::default(),
            throttle_next: Arc::default(),
            retry_after: Arc::new(Mutex::new("0".into())),
            fail: Arc::default(),
            raw: Arc::default(),
            hang: Arc::default(),
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

    /// Metrics for `id` as Render reports a 512 MB service: memory on two instances (the busier one at
    /// 400 MB at its newest point, after 450 MB earlier), a memory limit of 512 MB, CPU 0.25 cores with
    /// an epoch-text timestamp, and no CPU limit.
    pub fn with_agent_metrics(&self, id: &str) {
        *self.metrics_of.lock().unwrap() = id.to_string();
        let series = |instance: &str, unit: &str, points: &[(&str, f64)]| {
            json!({
                "labels": [{"field": "resource", "value": id}, {"field": "instance", "value": instance}],
                "values": points.iter().map(|(t, v)| json!({"timestamp": t, "value": v})).collect::<Vec<_>>(),
                "unit": unit,
            })
        };
        let mut m = self.metrics.lock().unwrap();
        m.insert(
            "memory".into(),
            json!([
                series(
                    "i-a",
                    "MB",
                    &[
                        ("2026-01-01T00:01:00Z", 450.0),
                        ("2026-01-01T00:02:00Z", 400.0)
                    ]
                ),
                series("i-b", "MB", &[("2026-01-01T00:02:00Z", 100.0)]),
            ]),
        );
        m.insert(
            "memory-limit".into(),
            json!([series("i-a", "MB", &[("2026-01-01T00:02:00Z", 512.0)])]),
        );
        m.insert(
            "cpu".into(),
            json!([series("i-a", "cpu", &[("1767225720", 0.25)])]),
        );
        m.insert("cpu-limit".into(), json!([]));
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

    /// Serves the API on an ephemeral port of 127.0.0.1; returns its base, `http://127.0.0.1:<port>/v1`.
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
            .route("/v1/metrics/{name}", get(metric))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        format!("http://{addr}/v1")
    }

    /// What every request goes through, like the real API: recorded, then (when set) held, a 401 JSON
    /// error for a wrong key, 429 with `Retry-After` and `Ratelimit-*`, the configured failure or body.
    async fn gate(
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
        if self.hang.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        self.auth_seen.lock().unwrap().push(auth.clone());
        if auth != format!("Bearer {}", self.key) {
            return Some(error(StatusCode::UNAUTHORIZED, "unauthorized"));
        }
        if self.throttle_next.load(Ordering::SeqCst) > 0 {
            self.throttle_next.fetch_sub(1, Ordering::SeqCst);
            let after = self.retry_after.lock().unwrap().clone();
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
            for (k, v) in [
                ("retry-after", after.as_str()),
                ("ratelimit-limit", "400"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "0"),
            ] {
                r.headers_mut().insert(k, v.parse().unwrap());
            }
            return Some(r);
        }
        if let Some((status, message)) = self.fail.lock().unwrap().clone() {
            let mut r = error(status, &message);
            r.headers_mut().insert("retry-after", "7".parse().unwrap());
            return Some(r);
        }
        self.raw
            .lock()
            .unwrap()
            .clone()
            .map(IntoResponse::into_response)
    }
}

/// Render's error body, `{"id", "message"}`.
fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"id": "error", "message": message})),
    )
        .into_response()
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
    let limits = [
        ("ratelimit-limit", "400"),
        ("ratelimit-remaining", "399"),
        ("ratelimit-reset", "60"),
    ];
    (limits, axum::Json(body)).into_response()
}

type Q = Query<HashMap<String, String>>;

async fn list_services(State(r): State<FakeRender>, Query(q): Q, h: HeaderMap) -> Response {
    if let Some(resp) = r.gate("GET", "/services", &q, &h).await {
        return resp;
    }
    let name = q.get("name").cloned().unwrap_or_default();
    let services: Vec<Value> = r
        .services
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s["name"].as_str().unwrap_or("").contains(name.as_str()))
        .cloned()
        .collect();
    page(&services, "service", &q)
}

async fn get_service(
    State(r): State<FakeRender>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Response {
    let path = format!("/services/{id}");
    if let Some(resp) = r.gate("GET", &path, &HashMap::new(), &h).await {
        return resp;
    }
    let services = r.services.lock().unwrap().clone();
    match services.into_iter().find(|s| s["id"] == id.as_str()) {
        Some(s) => axum::Json(s).into_response(),
        None => error(StatusCode::NOT_FOUND, "service not found"),
    }
}

async fn list_deploys(
    r: State<FakeRender>,
    Path(id): Path<String>,
    q: Q,
    h: HeaderMap,
) -> Response {
    listed(r, "deploys", id, q, h).await
}

async fn list_events(r: State<FakeRender>, Path(id): Path<String>, q: Q, h: HeaderMap) -> Response {
    listed(r, "events", id, q, h).await
}

async fn listed(
    State(r): State<FakeRender>,
    what: &str,
    id: String,
    Query(q): Q,
    h: HeaderMap,
) -> Response {
    if let Some(resp) = r
        .gate("GET", &format!("/services/{id}/{what}"), &q, &h)
        .await
    {
        return resp;
    }
    let (map, field) = match what {
        "deploys" => (&r.deploys, "deploy"),
        _ => (&r.events, "event"),
    };
    let items = map.lock().unwrap().get(&id).cloned().unwrap_or_default();
    page(&items, field, &q)
}

async fn restart(State(r): State<FakeRender>, Path(id): Path<String>, h: HeaderMap) -> Response {
    let path = format!("/services/{id}/restart");
    if let Some(resp) = r.gate("POST", &path, &HashMap::new(), &h).await {
        return resp;
    }
    StatusCode::OK.into_response()
}

async fn trigger_deploy(
    State(r): State<FakeRender>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Response {
    let path = format!("/services/{id}/deploys");
    if let Some(resp) = r.gate("POST", &path, &HashMap::new(), &h).await {
        return resp;
    }
    let deploy = json!({"id": format!("dep-{id}-redeploy"), "status": "created", "trigger": "api"});
    (StatusCode::CREATED, axum::Json(deploy)).into_response()
}

async fn metric(
    State(r): State<FakeRender>,
    uri: Uri,
    Path(name): Path<String>,
    Query(q): Q,
    h: HeaderMap,
) -> Response {
    let path = uri.path().trim_start_matches("/v1").to_string();
    if let Some(resp) = r.gate("GET", &path, &q, &h).await {
        return resp;
    }
    if q.get("resource") != Some(&*r.metrics_of.lock().unwrap()) {
        return axum::Json(json!([])).into_response();
    }
    match r.metrics.lock().unwrap().get(&name) {
        Some(series) => axum::Json(series.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "unknown metric"),
    }
}

/// A `server_failed` event of an instance killed for memory, as Render reports it.
pub fn oom_event(id: &str, service: &str, at: &str) -> Value {
    json!({"id": id, "serviceId": service, "timestamp": at, "type": "server_failed",
           "details": {"instanceID": format!("{service}-abc12"), "reason": {"oomKilled": {"memoryLimit": "512Mi"}}}})
}
