//! Health probes and alerts are not redirected to another host: a 302 to another origin is the answer
//! (not a 2xx), while a redirect within the same origin is still followed.

#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use healing_core::redirects::same_origin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

async fn start(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let elsewhere = start(Router::new().route(
        "/health",
        get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { "ok" }
        }),
    ))
    .await;
    let target = format!("{elsewhere}/health");
    let agent = start(
        Router::new()
            .route(
                "/away",
                get(move || async move { Redirect::temporary(&target) }),
            )
            .route("/here", get(|| async { Redirect::temporary("/ok") }))
            .route("/ok", get(|| async { "ok" })),
    )
    .await;
    let client = reqwest::Client::builder()
        .redirect(same_origin())
        .build()
        .unwrap();
    let away = client.get(format!("{agent}/away")).send().await.unwrap();
    assert_eq!(away.status().as_u16(), 307);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the other host was called");
    let here = client.get(format!("{agent}/here")).send().await.unwrap();
    assert_eq!(here.status().as_u16(), 200);
}
