//! The read-only HTTP surface: health for Render and load balancers, state for humans, metrics for
//! Prometheus.
//!
//! Every request reads the documents fresh from the state dir instead of sharing memory with the run
//! loop, so the endpoints show exactly what other binaries and `status` see, and a wedged run loop shows
//! up as a stale document instead of a cheerful 200. Beyond loopback every endpoint but `/health` and
//! `/metrics` needs the bearer token ([`crate::http_access`]); connections are bounded
//! ([`crate::http_conn`]). Only the four named documents are ever served: no
//! path from the URL reaches the file system, and nothing here knows an env value or a config secret.
//!
//! | path | answer |
//! |---|---|
//! | `/health` | 200 when every agent is healthy or deliberately held, else 503; the verdict as JSON |
//! | `/health/self-healing` | the supervisor's two documents |
//! | `/health/prevention`, `/health/recovery` | the other binaries' documents, `{"status":"not_running"}` when absent |
//! | `/metrics` | Prometheus text format ([`crate::metrics`]) |
//! | `/`, `/status/page.json` | the HTML status page and its refresh ([`crate::status_page`]) |

use crate::documents::{Doc, Documents, age, names, time_field};
use crate::http_access::{self, Access};
use crate::http_conn::{self, Limits};
use crate::metrics::{self, HELD_STATUSES};
use crate::status_page;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use healing_core::alert::AlertHandle;
use healing_core::clock::{SharedClock, system_clock};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// Age beyond which `agent_status.json` no longer vouches for the agents: five passes of the default
/// 60 s health interval (the supervisor also rewrites it on every change, so a healthy one is younger).
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(300);

/// What the server needs to answer.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where the documents are read from, on every request.
    pub docs: Documents,
    /// `agent_status.json` older than this makes `/health` answer 503 ("stale").
    pub stale_after: Duration,
    /// Dates the documents' ages (tests pass a manual clock).
    pub clock: SharedClock,
    /// Who may call what ([`Access::for_listener`] decides from the bound address).
    pub access: Access,
    /// Header and idle timeouts, the connection cap.
    pub limits: Limits,
    /// The supervisor's alerter, whose latest alerts the status page lists.
    pub alerts: AlertHandle,
    /// The supervisor's `POST /control/...` routes ([`crate::http_control`]), merged in when set.
    pub control: Option<Router>,
}

impl HttpOptions {
    /// Documents read straight from a state directory; [`DEFAULT_STALE_AFTER`] and the system clock.
    pub fn new(state_dir: PathBuf) -> Self {
        Self::with_docs(Documents::Dir(state_dir))
    }

    /// Documents read from any source (the supervisor passes its state store, file or Key Value).
    pub fn with_docs(docs: Documents) -> Self {
        Self {
            docs,
            stale_after: DEFAULT_STALE_AFTER,
            clock: system_clock(),
            access: Access::Local,
            limits: Limits::default(),
            alerts: AlertHandle::disabled(),
            control: None,
        }
    }
}

/// Serves the endpoints on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state_dir: PathBuf,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve_with(listener, HttpOptions::new(state_dir), shutdown).await
}

/// [`serve`] with explicit options (the supervisor passes a staleness limit derived from its interval).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    options: HttpOptions,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let limits = options.limits;
    http_conn::serve(listener, router(options), limits, shutdown).await;
    Ok(())
}

/// Bytes of request body accepted (every endpoint is a GET; control verbs carry no large bodies).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The routes; unknown paths get axum's 404.
pub fn router(options: HttpOptions) -> Router {
    let access = Arc::new(options.access.clone());
    let control = options.control.clone().unwrap_or_default();
    Router::new()
        .route("/health", get(health))
        .route("/health/self-healing", get(self_healing))
        .route("/health/prevention", get(prevention))
        .route("/health/recovery", get(recovery))
        .route("/metrics", get(prometheus))
        .route("/", get(status_page::page))
        .route("/status/page.json", get(status_page::body))
        .with_state(Arc::new(options))
        .merge(control)
        .layer(axum::middleware::from_fn_with_state(
            access,
            http_access::guard,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

type Ctx = State<Arc<HttpOptions>>;

async fn health(State(ctx): Ctx) -> Response {
    let instances = ctx.docs.read_instances_async(names::AGENT_STATUS).await;
    let (code, body) = fleet_verdict(&instances, ctx.clock.now(), ctx.stale_after);
    (code, Json(body)).into_response()
}

/// `/health` over every live instance: one instance answers exactly as [`verdict`]; several (a scaled-out
/// service on Render Key Value) are 200 only when each of them is, with each instance's verdict inside.
pub fn fleet_verdict(
    instances: &[(String, Doc)],
    now: SystemTime,
    stale_after: Duration,
) -> (StatusCode, Value) {
    match instances {
        [] => verdict(&Doc::Missing, now, stale_after),
        [(_, doc)] => verdict(doc, now, stale_after),
        many => {
            let mut all_ok = true;
            let mut each = serde_json::Map::new();
            for (instance, doc) in many {
                let (code, body) = verdict(doc, now, stale_after);
                all_ok &= code == StatusCode::OK;
                each.insert(instance.clone(), body);
            }
            let code = if all_ok {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let status = if all_ok { "ok" } else { "degraded" };
            (code, json!({"status": status, "instances": each}))
        }
    }
}

async fn self_healing(State(ctx): Ctx) -> Response {
    let status = ctx.docs.read_async(names::AGENT_STATUS).await;
    let state = ctx.docs.read_async(names::SELF_HEALING).await;
    let body = match (&status, &state) {
        (Doc::Corrupt(e), _) | (_, Doc::Corrupt(e)) => return error(e),
        (Doc::Missing, Doc::Missing) => json!({"status": "not_running"}),
        _ => json!({
            "status": "running",
            "agent_status": status.value(),
            "state": state.value(),
        }),
    };
    (StatusCode::OK, Json(redacted(body))).into_response()
}

async fn prevention(State(ctx): Ctx) -> Response {
    other_binary(ctx.docs.read_service_async(names::PREVENTION).await)
}

async fn recovery(State(ctx): Ctx) -> Response {
    other_binary(ctx.docs.read_service_async(names::RECOVERY).await)
}

async fn prometheus(State(ctx): Ctx) -> Response {
    let status = ctx.docs.read_async(names::AGENT_STATUS).await;
    let state = ctx.docs.read_async(names::SELF_HEALING).await;
    let text = metrics::render(&status, &state, ctx.clock.now());
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

/// Another binary's document: absent means that binary is not running here, which is not an error.
fn other_binary(doc: Doc) -> Response {
    match doc {
        Doc::Missing => (StatusCode::OK, Json(json!({"status": "not_running"}))).into_response(),
        Doc::Corrupt(e) => error(&e),
        Doc::Loaded(v) => (
            StatusCode::OK,
            Json(redacted(json!({"status": "running", "state": v}))),
        )
            .into_response(),
    }
}

/// Documents carry log text: scrubbed again here with this process's secrets before they leave.
fn redacted(mut body: Value) -> Value {
    healing_core::redact::json(&mut body);
    body
}

fn error(message: &str) -> Response {
    let body = json!({"status": "error", "error": healing_core::redact::line(message)});
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// The `/health` rule: every agent healthy or held, in a document young enough to believe.
pub fn verdict(doc: &Doc, now: SystemTime, stale_after: Duration) -> (StatusCode, Value) {
    let unavailable = StatusCode::SERVICE_UNAVAILABLE;
    let status = match doc {
        Doc::Missing => {
            let reason = format!(
                "{} is absent: the supervisor has not written its status (yet)",
                names::AGENT_STATUS
            );
            return (
                unavailable,
                json!({"status": "unavailable", "reason": reason}),
            );
        }
        // The parse error may quote the document (log text): /health says only that it is unreadable.
        Doc::Corrupt(_) => {
            let reason = format!("{} is unreadable", names::AGENT_STATUS);
            return (unavailable, json!({"status": "error", "error": reason}));
        }
        Doc::Loaded(v) => v,
    };
    let written_at = status.get("written_at").cloned().unwrap_or(Value::Null);
    match time_field(status, "written_at") {
        Some(at) if age(at, now) > stale_after => {
            let reason = format!(
                "{} was written {}s ago (limit {}s): the supervisor is not keeping it fresh",
                names::AGENT_STATUS,
                age(at, now).as_secs(),
                stale_after.as_secs()
            );
            let body = json!({"status": "stale", "reason": reason, "written_at": written_at});
            return (unavailable, body);
        }
        Some(_) => {}
        None => {
            let reason = format!("{} has no readable written_at", names::AGENT_STATUS);
            return (unavailable, json!({"status": "stale", "reason": reason}));
        }
    }
    let empty = serde_json::Map::new();
    let agents = status
        .get("agents")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let (mut healthy, mut held, mut failing) = (0, 0, Vec::new());
    let mut view = serde_json::Map::new();
    for (name, agent) in agents {
        let state = agent
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let ok = agent.get("healthy").and_then(Value::as_bool) == Some(true);
        let is_held = HELD_STATUSES.contains(&state);
        match (ok, is_held) {
            (true, _) => healthy += 1,
            (false, true) => held += 1,
            (false, false) => failing.push(name.clone()),
        }
        view.insert(
            name.clone(),
            json!({"status": state, "healthy": ok, "held": is_held && !ok}),
        );
    }
    let code = if failing.is_empty() {
        StatusCode::OK
    } else {
        unavailable
    };
    // A state that cannot be written is a problem for a human, not a reason for the platform to
    // restart the service (a restart does not empty a disk): named, with the status code unchanged.
    let problem = status.get("state_problem").and_then(Value::as_str);
    let mut body = json!({
        "status": if failing.is_empty() && problem.is_none() { "ok" } else { "degraded" },
        "written_at": written_at,
        "summary": {"total": agents.len(), "healthy": healthy, "held": held, "unhealthy": failing.len()},
        "unhealthy": failing,
        "agents": view,
    });
    if let Some(p) = problem {
        body["problems"] = json!([format!("the state cannot be written: {p}")]);
    }
    (code, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs_after_2026: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + secs_after_2026)
    }

    fn doc(agents: Value) -> Doc {
        Doc::Loaded(json!({"written_at": "2026-01-01T00:00:00Z", "agents": agents}))
    }

    #[test]
    fn held_agents_count_as_fine_and_starting_ones_do_not() {
        let limit = Duration::from_secs(60);
        let held = doc(json!({"a": {"status": "running", "healthy": true},
                              "b": {"status": "needs_attention", "healthy": false}}));
        let (code, body) = verdict(&held, at(1), limit);
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body["summary"]["held"], 1);
        let starting = doc(json!({"a": {"status": "backoff", "healthy": false}}));
        let (code, body) = verdict(&starting, at(1), limit);
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["unhealthy"], json!(["a"]));
    }

    #[test]
    fn a_document_older_than_the_limit_is_stale() {
        let fine = doc(json!({}));
        let limit = Duration::from_secs(60);
        assert_eq!(verdict(&fine, at(60), limit).0, StatusCode::OK);
        let (code, body) = verdict(&fine, at(61), limit);
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "stale");
    }

    #[test]
    fn a_fleet_is_healthy_only_when_every_live_instance_is() {
        let limit = Duration::from_secs(60);
        let up = doc(json!({"a": {"status": "running", "healthy": true}}));
        let down = doc(json!({"a": {"status": "backoff", "healthy": false}}));
        let fleet = vec![("i-1".to_string(), up.clone()), ("i-2".to_string(), up)];
        let (code, body) = fleet_verdict(&fleet, at(1), limit);
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body["instances"]["i-2"]["status"], "ok");
        let fleet = vec![
            ("i-1".to_string(), fleet[0].1.clone()),
            ("i-2".to_string(), down),
        ];
        let (code, body) = fleet_verdict(&fleet, at(1), limit);
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["instances"]["i-2"]["unhealthy"], json!(["a"]));
        assert_eq!(
            fleet_verdict(&[], at(1), limit).0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
