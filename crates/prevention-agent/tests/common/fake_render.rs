//! A local server shaped like `api.render.com/v1` (services and metrics endpoints), for the Render
//! metrics tests.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "rnd_test_key_123";
pub const ID: &str = "srv-agents42";

#[derive(Clone, Default)]
pub struct Api {
    /// Status to answer metrics calls with, instead of data.
    pub fail: Option<(StatusCode, &'static str)>,
    /// Answer with this body instead of the normal one.
    pub raw: Option<String>,
    /// Never answer in time.
    pub hang: bool,
    pub calls: Arc<Mutex<Vec<String>>>,
}

fn series(instance: &str, unit: &str, points: &[(&str, f64)]) -> Value {
    json!({
        "labels": [{"field": "resource", "value": ID}, {"field": "instance", "value": instance}],
        "values": points.iter().map(|(t, v)| json!({"timestamp": t, "value": v})).collect::<Vec<_>>(),
        "unit": unit,
    })
}

async fn metrics(
    State(api): State<Api>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    api.calls.lock().unwrap().push(uri.path().to_owned());
    if api.hang {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    if headers.get("authorization")
        != Some(&HeaderValue::from_str(&format!("Bearer {KEY}")).unwrap())
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"id": "unauthorized", "message": "bad key"})),
        )
            .into_response();
    }
    if let Some((status, message)) = api.fail {
        let mut r = (status, axum::Json(json!({"id": "x", "message": message}))).into_response();
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("7"));
        return r;
    }
    if let Some(raw) = api.raw {
        return raw.into_response();
    }
    if uri.path() == "/v1/services" {
        let name = q.get("name").cloned().unwrap_or_default();
        let items = [
            ("self-healing-agent-old", "srv-old"),
            ("self-healing-agent", ID),
        ];
        let list: Vec<Value> = items
            .iter()
            .filter(|(n, _)| n.contains(name.as_str()))
            .map(|(n, id)| json!({"cursor": "c", "service": {"id": id, "name": n, "type": "background_worker"}}))
            .collect();
        return axum::Json(list).into_response();
    }
    if q.get("resource").map(String::as_str) != Some(ID) {
        return axum::Json(json!([])).into_response();
    }
    let body = match uri.path() {
        // Two instances: the busier one (400 MB at its newest point) is the reading.
        "/v1/metrics/memory" => json!([
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
        "/v1/metrics/memory-limit" => {
            json!([series("i-a", "MB", &[("2026-01-01T00:02:00Z", 512.0)])])
        }
        "/v1/metrics/cpu" => json!([series("i-a", "cpu", &[("1767225720", 0.25)])]),
        "/v1/metrics/cpu-limit" => json!([]),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    axum::Json(body).into_response()
}

pub async fn serve(api: Api) -> String {
    let app = Router::new()
        .route("/v1/services", get(metrics))
        .route("/v1/metrics/{name}", get(metrics))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}
