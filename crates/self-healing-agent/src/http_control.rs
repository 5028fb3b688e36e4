//! `POST /control/<verb>/<name>` (and `POST /control/reload`): the operator's commands over HTTP, for
//! another service or a script. Always behind `Authorization: Bearer <HEALING_HTTP_TOKEN>`: without a
//! configured token the endpoints answer 403 (they cannot be opened by accident), a wrong or missing
//! token gets 401. The command goes through the same [`control::submit`] as every transport.

use crate::control::{self, DEFAULT_LOG_LINES, MAX_LOG_LINES, Outcome, Request, Source, Verb};
use crate::event::Event;
pub use crate::http_access::TOKEN_ENV;
use crate::http_access::{Access, MIN_TOKEN_LEN};
use crate::log_tail::tail;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Debug)]
struct Ctx {
    events: mpsc::UnboundedSender<Event>,
    /// Always [`Access::always_token`]: loopback is no exception here.
    access: Access,
}

/// The control routes, to be merged into the HTTP server's router.
pub fn router(events: mpsc::UnboundedSender<Event>, token: Option<String>) -> Router {
    let ctx = Arc::new(Ctx {
        events,
        access: Access::always_token(token),
    });
    Router::new()
        .route("/control/reload", post(reload))
        .route("/control/{verb}/{name}", post(command))
        .with_state(ctx)
}

/// `?lines=N` for `logs`.
#[derive(Debug, Deserialize)]
struct LogsQuery {
    lines: Option<usize>,
}

async fn reload(State(ctx): State<Arc<Ctx>>, headers: HeaderMap) -> Response {
    if let Some(denied) = denial(&headers, &ctx.access) {
        return denied;
    }
    run(&ctx, Verb::Reload, None, None).await
}

async fn command(
    State(ctx): State<Arc<Ctx>>,
    headers: HeaderMap,
    Path((verb, name)): Path<(String, String)>,
    Query(q): Query<LogsQuery>,
) -> Response {
    if let Some(denied) = denial(&headers, &ctx.access) {
        return denied;
    }
    match Verb::parse(&verb).filter(|v| v.needs_agent()) {
        Some(v) => run(&ctx, v, Some(name), q.lines).await,
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"outcome": "bad_request", "message": format!("unknown command {verb:?}")})),
        )
            .into_response(),
    }
}

async fn run(ctx: &Ctx, verb: Verb, name: Option<String>, lines: Option<usize>) -> Response {
    let req = Request {
        verb,
        name,
        lines,
        follow: false,
    };
    let reply = control::submit(&ctx.events, req, Source::Http).await;
    let code = StatusCode::from_u16(reply.outcome.http_status())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({"outcome": reply.outcome.as_str(), "message": reply.message});
    if let (Outcome::Done, Some(path)) = (reply.outcome, &reply.log_path) {
        let n = lines.unwrap_or(DEFAULT_LOG_LINES).clamp(1, MAX_LOG_LINES);
        let path = path.clone();
        let read = tokio::task::spawn_blocking(move || tail(&path, n)).await;
        let lines: Vec<String> = match read {
            Ok(Ok((lines, _))) => lines
                .iter()
                .map(|l| healing_core::redact::line(l))
                .collect(),
            _ => Vec::new(),
        };
        body["lines"] = json!(lines);
    }
    (code, Json(body)).into_response()
}

/// The shared bearer check ([`Access::check_bearer`]) with this endpoint's JSON answer: 403 when no
/// token is configured, 401 when the request's token is missing or wrong; `None` lets it through.
fn denial(headers: &HeaderMap, access: &Access) -> Option<Response> {
    let code = access.check_bearer(headers).err()?;
    let message = if code == StatusCode::FORBIDDEN {
        format!(
            "control over HTTP is disabled: set {TOKEN_ENV} (at least {MIN_TOKEN_LEN} characters)"
        )
    } else {
        "missing or wrong bearer token".to_string()
    };
    let body = Json(json!({"outcome": "refused", "message": message}));
    if code == StatusCode::UNAUTHORIZED {
        Some((code, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response())
    } else {
        Some((code, body).into_response())
    }
}
