//! The Render metrics source against a local server shaped like `api.render.com/v1`: auth, the
//! `resource` filter, name lookup, the newest point of the busiest instance, and every failure class.
#![allow(clippy::unwrap_used)] // the server helpers are not #[test] fns

mod common;

use axum::http::StatusCode;
use common::fake_render::{Api, ID, KEY, serve};
use healing_core::config::RenderApiConfig;
use prevention_agent::render_metrics::{RenderMetrics, RenderMetricsError, SERVICE_ENV};
use std::time::Duration;

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
