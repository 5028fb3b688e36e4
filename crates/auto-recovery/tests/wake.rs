//! Probing and waking services that behave like free Render web services.

mod common;

use auto_recovery::service_probe::FailureClass;
use auto_recovery::service_probe::ProbeOutcome;
use auto_recovery::wake::{Target, check_all, check_service};
use common::Health;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn target(name: &str, url: String, timeout_ms: u64, wake_ms: u64) -> Target {
    Target {
        name: name.into(),
        health_url: url,
        expect_status: None,
        timeout: Duration::from_millis(timeout_ms),
        wake_timeout: Duration::from_millis(wake_ms),
        render_service_id: None,
    }
}

#[tokio::test]
async fn a_sleeping_service_is_pinged_until_it_wakes_and_the_wake_time_is_recorded() {
    let health = Health::default();
    let base = health.start().await;
    let t = target("sleepy", format!("{base}/waking/300/health"), 100, 1500);

    let check = check_service(&reqwest::Client::new(), t, &CancellationToken::new()).await;

    assert!(check.healthy(), "{:?}", check.last);
    assert!(matches!(
        check.first,
        ProbeOutcome::Failed {
            class: FailureClass::Timeout,
            ..
        }
    ));
    let took = check.wake_duration.expect("a wake duration");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert!(check.attempts >= 2);
}

#[tokio::test]
async fn a_service_that_stays_down_is_given_up_on_at_its_wake_timeout() {
    let health = Health::default();
    let base = health.start().await;
    let t = target("gone", format!("{base}/down/health"), 100, 400);

    let started = Instant::now();
    let check = check_service(&reqwest::Client::new(), t, &CancellationToken::new()).await;
    let elapsed = started.elapsed();

    assert!(!check.healthy());
    assert!(check.wake_duration.is_none());
    assert!(matches!(
        check.last,
        ProbeOutcome::Failed {
            class: FailureClass::ServerError,
            status: Some(503),
            ..
        }
    ));
    assert!(
        elapsed >= Duration::from_millis(350) && elapsed < Duration::from_millis(900),
        "{elapsed:?}"
    );
    assert!(
        health.hits("down") >= 3,
        "kept pinging with backoff: {}",
        health.hits("down")
    );
}

#[tokio::test]
async fn a_503_then_200_service_counts_as_woken() {
    let health = Health::default();
    let base = health.start().await;
    let t = target("flaky", format!("{base}/flaky/health"), 200, 2000);

    let check = check_service(&reqwest::Client::new(), t, &CancellationToken::new()).await;

    assert!(check.healthy());
    assert_eq!(check.attempts, 3);
    assert!(check.wake_duration.is_some());
}

#[tokio::test]
async fn a_500_is_not_mistaken_for_sleep() {
    let health = Health::default();
    let base = health.start().await;
    let t = target("broken", format!("{base}/broken/health"), 200, 2000);

    let check = check_service(&reqwest::Client::new(), t, &CancellationToken::new()).await;

    assert!(!check.healthy() && !check.wake_tried);
    assert_eq!(check.attempts, 1);
}

#[tokio::test]
async fn twenty_services_are_probed_concurrently() {
    let health = Health::default();
    let base = health.start().await;
    let targets: Vec<Target> = (0..20)
        .map(|i| {
            target(
                &format!("svc{i}"),
                format!("{base}/slow/{}/health", 100 + i * 10),
                2000,
                2000,
            )
        })
        .collect();

    let started = Instant::now();
    let checks = check_all(&reqwest::Client::new(), targets, &CancellationToken::new()).await;
    let elapsed = started.elapsed();

    assert_eq!(checks.len(), 20);
    assert!(checks.iter().all(|c| c.healthy()));
    assert_eq!(
        checks[7].target.name, "svc7",
        "results keep the configured order"
    );
    // The slowest probe takes 290 ms; one after another they would take 3.9 s.
    assert!(
        elapsed >= Duration::from_millis(290) && elapsed < Duration::from_millis(1000),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn cancelling_stops_a_wake_up_early() {
    let health = Health::default();
    let base = health.start().await;
    let t = target("gone", format!("{base}/down/health"), 100, 5000);
    let token = CancellationToken::new();
    let stopper = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        stopper.cancel();
    });
    let started = Instant::now();
    let check = check_service(&reqwest::Client::new(), t, &token).await;
    assert!(!check.healthy());
    assert!(started.elapsed() < Duration::from_secs(1));
}
