//! The Render API client against a server that behaves like api.render.com: Bearer auth, cursor
//! pagination, 429 with Retry-After, 401 for a bad key.

mod common;

use auto_recovery::render_api::{ClientOptions, RenderApiError, RenderClient};
use common::{FakeRender, oom_event};
use std::sync::atomic::Ordering;
use std::time::Duration;

const KEY: &str = "rnd_TestKeyThatMustNeverLeak";

fn client(base: &str, key: &str, page_limit: u32) -> RenderClient {
    RenderClient::new(
        ClientOptions {
            api_base: base.to_string(),
            request_timeout: Duration::from_secs(5),
            max_retry_wait: Duration::from_secs(2),
            page_limit,
        },
        key,
    )
    .expect("client builds")
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
