//! The one Render API client against the one fake Render server (a real HTTP server on 127.0.0.1 shaped
//! like api.render.com): Bearer auth, cursor pagination, 429 with Retry-After, 401 for a bad key, the
//! metrics endpoints, and every failure class — the key never in an error.
#![allow(clippy::unwrap_used)] // the helpers are not #[test] fns

mod render_support;

use axum::http::StatusCode;
use healing_core::render::{ClientOptions, RenderApiError, RenderClient};
use render_support::{FakeRender, oom_event};
use std::sync::atomic::Ordering;
use std::time::Duration;

const KEY: &str = "rnd_TestKeyThatMustNeverLeak";

fn client(base: &str, key: &str, page_limit: u32) -> RenderClient {
    RenderClient::new(
        ClientOptions {
            api_base: base.to_string(),
            request_timeout: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(2),
            page_limit,
        },
        key,
    )
    .expect("client builds")
}

/// A server state error (`fail`), a raw body or a hang, on a fake with the agents' metrics.
async fn metrics_server(set_up: impl FnOnce(&FakeRender)) -> (FakeRender, String) {
    let render = FakeRender::new(KEY);
    render.add_service("srv-old", "self-healing-agent-old", &[]);
    render.add_service("srv-agents42", "self-healing-agent", &[]);
    render.with_agent_metrics("srv-agents42");
    set_up(&render);
    let base = render.start().await;
    (render, base)
}

#[tokio::test]
async fn deploys_are_read_across_cursor_pages_with_the_key_as_bearer() {
    let render = FakeRender::new(KEY);
    render.add_service("srv-a", "api", &[]);
    render.set_deploys(
        "srv-a",
        &["live", "deactivated", "build_failed", "deactivated", "live"],
    );
    let base = render.start().await;

    let deploys = client(&base, KEY, 2)
        .list_deploys("srv-a", 10)
        .await
        .unwrap();

    let ids: Vec<_> = deploys.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "dep-srv-a-5",
            "dep-srv-a-4",
            "dep-srv-a-3",
            "dep-srv-a-2",
            "dep-srv-a-1"
        ]
    );
    assert_eq!(deploys[2].status, "build_failed");
    let pages = render.requests_matching("/deploys");
    assert_eq!(
        pages.len(),
        3,
        "2 + 2 + 1 items: the short page ends it: {pages:?}"
    );
    assert!(pages[1].contains("cursor=dep-srv-a-4"), "{pages:?}");
    assert!(
        render
            .auth_seen
            .lock()
            .unwrap()
            .iter()
            .all(|a| a == &format!("Bearer {KEY}"))
    );
}

#[tokio::test]
async fn page_reads_stop_at_the_configured_page_count() {
    let render = FakeRender::new(KEY);
    render.set_deploys("srv-a", &["live"; 9]);
    let base = render.start().await;
    let deploys = client(&base, KEY, 2)
        .list_deploys("srv-a", 2)
        .await
        .unwrap();
    assert_eq!(deploys.len(), 4);
}

#[tokio::test]
async fn services_and_oom_events_keep_their_documented_shapes() {
    let render = FakeRender::new(KEY);
    render.add_service("srv-a", "api", &[]);
    render.add_service("srv-b", "worker", &["stuck_crashlooping"]);
    render.add_event("srv-a", oom_event("evt-1", "srv-a", "2026-01-01T00:00:00Z"));
    let base = render.start().await;
    let c = client(&base, KEY, 20);

    let services = c.list_services(3).await.unwrap();
    assert_eq!(services.len(), 2);
    assert!(!services[0].is_suspended());
    assert!(services[1].is_suspended() && services[1].is_stuck_crashlooping());
    let events = c.list_events("srv-a", 1).await.unwrap();
    assert!(events[0].is_oom());
    assert_eq!(
        events[0].failure_reason().as_deref(),
        Some("oom_killed (memory limit 512Mi)")
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_until_it_succeeds() {
    let render = FakeRender::new(KEY);
    render.add_service("srv-a", "api", &[]);
    render.throttle_next.store(2, Ordering::SeqCst);
    let base = render.start().await;

    let service = client(&base, KEY, 20).get_service("srv-a").await.unwrap();

    assert_eq!(service.name, "api");
    assert_eq!(render.requests_matching("/services/srv-a").len(), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_allowed_wait_fails_fast_instead_of_stalling() {
    let render = FakeRender::new(KEY);
    render.throttle_next.store(1, Ordering::SeqCst);
    *render.retry_after.lock().unwrap() = "3600".into();
    let base = render.start().await;

    let started = std::time::Instant::now();
    let err = client(&base, KEY, 20).list_services(1).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(1));
    match err {
        RenderApiError::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Duration::from_secs(3600))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bad_key_is_reported_as_unauthorized_without_the_key() {
    let render = FakeRender::new(KEY);
    let base = render.start().await;
    let err = client(&base, "rnd_WrongKeySecret", 20)
        .list_services(1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RenderApiError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("WrongKeySecret"), "{shown}");
}

#[tokio::test]
async fn restart_and_redeploy_use_the_documented_endpoints() {
    let render = FakeRender::new(KEY);
    let base = render.start().await;
    let c = client(&base, KEY, 20);
    c.restart("srv-a").await.unwrap();
    let id = c.redeploy_last_build("srv-a").await.unwrap();
    assert_eq!(id.as_deref(), Some("dep-srv-a-redeploy"));
    assert_eq!(
        render
            .requests_matching("POST /services/srv-a/restart")
            .len(),
        1
    );
    assert_eq!(
        render
            .requests_matching("POST /services/srv-a/deploys")
            .len(),
        1
    );
}

#[tokio::test]
async fn metrics_are_the_newest_point_of_the_busiest_instance_against_its_limit() {
    let (_render, base) = metrics_server(|_| {}).await;
    let sample = client(&base, KEY, 20)
        .sample_metrics("srv-agents42")
        .await
        .unwrap();
    assert_eq!(sample.service_id, "srv-agents42");
    let memory = sample.memory.expect("memory with a limit");
    assert_eq!(memory.used, 400e6);
    assert_eq!(memory.limit, 512e6);
    assert!((memory.percent - 78.125).abs() < 1e-9);
    // The API reported CPU usage but no CPU limit: no percentage is invented.
    assert_eq!(sample.cpu, None);
}

#[tokio::test]
async fn a_service_name_resolves_to_the_exact_match_and_an_unknown_one_is_not_transient() {
    let (render, base) = metrics_server(|_| {}).await;
    let c = client(&base, KEY, 20);
    assert_eq!(
        c.service_id_by_name("self-healing-agent").await.unwrap(),
        "srv-agents42"
    );
    assert_eq!(render.requests_matching("name=self-healing-agent").len(), 1);
    let err = c.service_id_by_name("no-such-service").await.unwrap_err();
    assert!(
        matches!(err, RenderApiError::ServiceNotFound { .. }),
        "{err}"
    );
    assert!(!err.is_transient());
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_transient_and_other_refusals_keep_their_message() {
    let classify = |status: StatusCode, message: &'static str| async move {
        let (_render, base) = metrics_server(|r| {
            *r.fail.lock().unwrap() = Some((status, message.into()));
        })
        .await;
        client(&base, KEY, 20)
            .sample_metrics("srv-agents42")
            .await
            .unwrap_err()
    };
    // Retry-After: 7 is beyond the 2 s allowed: one request, then the error.
    match classify(StatusCode::TOO_MANY_REQUESTS, "slow down").await {
        e @ RenderApiError::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Duration::from_secs(7));
            assert!(e.is_transient());
        }
        other => panic!("expected a rate limit, got {other}"),
    }
    let err = classify(StatusCode::BAD_GATEWAY, "oops").await;
    assert!(
        matches!(err, RenderApiError::Status { status: 502, .. }) && err.is_transient(),
        "{err}"
    );
    let err = classify(StatusCode::BAD_REQUEST, "bad resource").await;
    assert!(
        matches!(err, RenderApiError::Status { status: 400, ref message, .. } if message == "bad resource"),
        "{err}"
    );
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_hanging_api_times_out_within_the_configured_request_timeout() {
    let (_render, base) = metrics_server(|r| r.hang.store(true, Ordering::SeqCst)).await;
    let started = std::time::Instant::now();
    let err = client(&base, KEY, 20)
        .sample_metrics("srv-agents42")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RenderApiError::Timeout { .. }) && err.is_transient(),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused_without_reading_them_whole() {
    let (_render, base) = metrics_server(|r| {
        *r.raw.lock().unwrap() = Some("<html>not json</html>".into());
    })
    .await;
    let err = client(&base, KEY, 20).list_services(1).await.unwrap_err();
    assert!(matches!(err, RenderApiError::Decode { .. }), "{err}");
    let huge = format!("[{}]", vec!["{\"values\":[]}"; 200_000].join(","));
    let (_render, base) = metrics_server(|r| *r.raw.lock().unwrap() = Some(huge)).await;
    let err = client(&base, KEY, 20)
        .sample_metrics("srv-agents42")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RenderApiError::Decode { ref detail, .. } if detail.contains("bytes")),
        "{err}"
    );
}
