//! The Render metrics source against a local server shaped like `api.render.com/v1`: auth, the
//! `resource` filter, name lookup, the newest point of the busiest instance, and every failure class.
#![allow(clippy::unwrap_used)] // the server helpers are not #[test] fns

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use healing_core::config::RenderApiConfig;
use prevention_agent::render_metrics::{RenderMetrics, RenderMetricsError, SERVICE_ENV};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "rnd_test_key_123";
const ID: &str = "srv-agents42";

#[derive(Clone, Default)]
struct Api {
    /// Status to answer metrics calls with, instead of data.
    fail: Option<(StatusCode, &'static str)>,
    /// Answer with this body instead of the normal one.
    raw: Option<String>,
    /// Never answer in time.
    hang: bool,
    calls: Arc<Mutex<Vec<String>>>,
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

async fn serve(api: Api) -> String {
    let app = Router::new()
        .route("/v1/services", get(metrics))
        .route("/v1/metrics/{name}", get(metrics))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

fn client(base: &str, key: &str, service: &str) -> RenderMetrics {
    RenderMetrics::new(base, key.into(), service.into(), Duration::from_millis(300)).unwrap()
}

#[tokio::test]
async fn reads_the_agents_service_memory_against_its_limit_from_the_busiest_instance() {
    let base = serve(Api::default()).await;
    let sample = client(&base, KEY, ID).sample().await.unwrap();
    assert_eq!(sample.service_id, ID);
    let memory = sample.memory.expect("memory with a limit");
    assert_eq!(memory.used, 400e6);
    assert_eq!(memory.limit, 512e6);
    assert!((memory.percent - 78.125).abs() < 1e-9);
    // The API reported CPU usage but no CPU limit: no percentage is invented.
    assert_eq!(sample.cpu, None);
}

#[tokio::test]
async fn a_service_name_is_resolved_to_its_id_once() {
    let api = Api::default();
    let calls = api.calls.clone();
    let base = serve(api).await;
    let source = client(&base, KEY, "self-healing-agent");
    assert_eq!(source.sample().await.unwrap().service_id, ID);
    assert_eq!(source.sample().await.unwrap().service_id, ID);
    let lookups = calls
        .lock()
        .unwrap()
        .iter()
        .filter(|p| *p == "/v1/services")
        .count();
    assert_eq!(lookups, 1);
}

#[tokio::test]
async fn an_unknown_service_name_is_a_configuration_error() {
    let base = serve(Api::default()).await;
    let err = client(&base, KEY, "no-such-service")
        .sample()
        .await
        .unwrap_err();
    assert!(
        matches!(err, RenderMetricsError::ServiceNotFound { .. }),
        "{err}"
    );
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_rejected_key_is_unauthorized_and_never_quoted() {
    let base = serve(Api::default()).await;
    let err = client(&base, "rnd_wrong_key", ID)
        .sample()
        .await
        .unwrap_err();
    assert!(
        matches!(err, RenderMetricsError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert!(!err.is_transient());
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("rnd_wrong_key") && !text.contains(KEY),
        "{text}"
    );
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_transient() {
    let limited = serve(Api {
        fail: Some((StatusCode::TOO_MANY_REQUESTS, "slow down")),
        ..Api::default()
    })
    .await;
    match client(&limited, KEY, ID).sample().await.unwrap_err() {
        e @ RenderMetricsError::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
            assert!(e.is_transient());
        }
        other => panic!("expected a rate limit, got {other}"),
    }
    let broken = serve(Api {
        fail: Some((StatusCode::BAD_GATEWAY, "oops")),
        ..Api::default()
    })
    .await;
    let err = client(&broken, KEY, ID).sample().await.unwrap_err();
    assert!(
        matches!(err, RenderMetricsError::Server { status: 502, .. }) && err.is_transient(),
        "{err}"
    );
    let refused = serve(Api {
        fail: Some((StatusCode::BAD_REQUEST, "bad resource")),
        ..Api::default()
    })
    .await;
    let err = client(&refused, KEY, ID).sample().await.unwrap_err();
    assert!(
        matches!(err, RenderMetricsError::Refused { status: 400, ref message, .. } if message == "bad resource"),
        "{err}"
    );
}

#[tokio::test]
async fn a_hanging_api_times_out_within_the_configured_limit() {
    let base = serve(Api {
        hang: true,
        ..Api::default()
    })
    .await;
    let started = std::time::Instant::now();
    let err = client(&base, KEY, ID).sample().await.unwrap_err();
    assert!(
        matches!(err, RenderMetricsError::Timeout { .. }) && err.is_transient(),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let base = serve(Api {
        raw: Some("<html>not json</html>".into()),
        ..Api::default()
    })
    .await;
    let err = client(&base, KEY, ID).sample().await.unwrap_err();
    assert!(matches!(err, RenderMetricsError::Malformed { .. }), "{err}");
    let huge = format!("[{}]", vec!["{\"values\":[]}"; 200_000].join(","));
    let base = serve(Api {
        raw: Some(huge),
        ..Api::default()
    })
    .await;
    let err = client(&base, KEY, ID).sample().await.unwrap_err();
    assert!(
        matches!(err, RenderMetricsError::Malformed { ref message, .. } if message.contains("bytes")),
        "{err}"
    );
}

#[test]
fn the_source_is_off_unless_both_the_key_and_the_service_are_set() {
    let api = RenderApiConfig::default();
    let env_of = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let t = Duration::from_secs(1);
    assert!(
        RenderMetrics::from_env(&api, &env_of(&[("RENDER_API_KEY", "k")]), t)
            .unwrap()
            .is_none()
    );
    assert!(
        RenderMetrics::from_env(&api, &env_of(&[(SERVICE_ENV, "srv-x")]), t)
            .unwrap()
            .is_none()
    );
    assert!(
        RenderMetrics::from_env(
            &api,
            &env_of(&[("RENDER_API_KEY", " "), (SERVICE_ENV, "srv-x")]),
            t
        )
        .unwrap()
        .is_none()
    );
    let both = env_of(&[("RENDER_API_KEY", "k"), (SERVICE_ENV, "srv-x")]);
    assert!(RenderMetrics::from_env(&api, &both, t).unwrap().is_some());
}
