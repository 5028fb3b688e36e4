//! `POST /control/<verb>/<name>` (and `POST /control/reload`): the operator's commands over HTTP, for
//! another service or a script. Always behind `Authorization: Bearer <HEALING_HTTP_TOKEN>`: without a
//! configured token the endpoints answer 403 (they cannot be opened by accident), a wrong or missing
//! token gets 401. The command goes through the same [`control::submit`] as every transport.

use crate::control::{self, DEFAULT_LOG_LINES, MAX_LOG_LINES, Outcome, Request, Source, Verb};
use crate::event::Event;
use crate::log_tail::{redact_line, tail};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The env var holding the bearer token.
pub const TOKEN_ENV: &str = "HEALING_HTTP_TOKEN";

#[derive(Debug)]
struct Ctx {
    events: mpsc::UnboundedSender<Event>,
    token: Option<String>,
    secrets: Arc<Vec<String>>,
}

/// The control routes, to be merged into the HTTP server's router.
pub fn router(
    events: mpsc::UnboundedSender<Event>,
    token: Option<String>,
    secrets: Arc<Vec<String>>,
) -> Router {
    let ctx = Arc::new(Ctx {
        events,
        token: token.filter(|t| !t.is_empty()),
        secrets,
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
    if let Some(denied) = denial(&headers, ctx.token.as_deref()) {
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
    if let Some(denied) = denial(&headers, ctx.token.as_deref()) {
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
            Ok(Ok((lines, _))) => lines.iter().map(|l| redact_line(l, &ctx.secrets)).collect(),
            _ => Vec::new(),
        };
        body["lines"] = json!(lines);
    }
    (code, Json(body)).into_response()
}

/// 403 when no token is configured, 401 when the request's bearer token is missing or wrong; `None`
/// lets the request through.
fn denial(headers: &HeaderMap, token: Option<&str>) -> Option<Response> {
    let Some(expected) = token else {
        return Some((
            StatusCode::FORBIDDEN,
            Json(json!({"outcome": "refused", "message": format!("control over HTTP is disabled: set {TOKEN_ENV}")})),
        )
            .into_response());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        None
    } else {
        Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({"outcome": "refused", "message": "missing or wrong bearer token"})),
            )
                .into_response(),
        )
    }
}

/// Compares without an early exit, so the time taken does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (i, &x) in b.iter().enumerate() {
        diff |= x ^ a.get(i).copied().unwrap_or(!x);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-tokeN", b"secret-token"));
        assert!(!constant_time_eq(b"secret", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token-longer", b"secret-token"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
