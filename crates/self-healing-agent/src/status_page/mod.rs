//! `GET /`: the status page — agents, their last 24 hours, the other binaries' findings and the latest
//! alerts, as one server-rendered HTML page.
//!
//! It is built from the same documents the JSON endpoints serve, read fresh per request, so it never
//! disagrees with `/health` or `status`. The CSS and the few lines of script are compiled into the binary:
//! no CDN, no build step, nothing fetched from the internet. Without script the page reloads itself
//! (`<meta refresh>` inside `<noscript>`); with script it swaps in a fresh body from `/status/page.json`
//! every few seconds and offers the control buttons (which need the operator's bearer token).
//!
//! Beyond loopback the data needs the bearer token, which a browser opening the URL cannot send: there
//! `GET /` serves a shell ([`View::Shell`]: no agent data) whose script asks for the token once, keeps it
//! for the browser session and loads `/status/page.json` with it.
//!
//! Everything taken from a document passes [`shown`] — redacted, then HTML-escaped — exactly once, so a
//! log line carrying `<script>` or a URL with a token in it is shown as harmless text.

mod agents;
mod findings;
mod render;
mod timeline;

use crate::documents::{Doc, names};
use crate::http::HttpOptions;
use crate::http_access::Access;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Json, Response};
use healing_core::alert::AlertRecord;
use serde_json::json;
use std::sync::Arc;
use std::time::SystemTime;

/// Seconds between refreshes (the script's fetch and the no-script `<meta refresh>`).
pub const REFRESH_SECS: u64 = 5;

/// Everything one rendering of the page reads.
#[derive(Debug, Clone)]
pub struct PageData {
    /// The moment the page describes (ages and the timeline's right edge).
    pub now: SystemTime,
    /// One entry per live supervisor instance (one outside the Key Value layout).
    pub instances: Vec<Instance>,
    /// `prevention_state.json`.
    pub prevention: Doc,
    /// `render_recovery_state.json`.
    pub recovery: Doc,
    /// This supervisor's latest alerts, oldest first.
    pub alerts: Vec<AlertRecord>,
    /// `agent_status.json` older than this is marked stale.
    pub stale_after: std::time::Duration,
}

/// One supervisor instance's two documents.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The instance id (the hostname or `RENDER_INSTANCE_ID`).
    pub id: String,
    /// `agent_status.json`.
    pub status: Doc,
    /// `self_healing_state.json`.
    pub state: Doc,
}

impl PageData {
    /// Reads every document the page shows, off the async threads.
    pub async fn gather(ctx: &HttpOptions) -> PageData {
        let statuses = ctx.docs.read_instances_async(names::AGENT_STATUS).await;
        let mut states = ctx.docs.read_instances_async(names::SELF_HEALING).await;
        let mut instances: Vec<Instance> = statuses
            .into_iter()
            .map(|(id, status)| {
                let state = states
                    .iter()
                    .position(|(i, _)| *i == id)
                    .map_or(Doc::Missing, |at| states.swap_remove(at).1);
                Instance { id, status, state }
            })
            .collect();
        instances.extend(states.into_iter().map(|(id, state)| Instance {
            id,
            status: Doc::Missing,
            state,
        }));
        instances.sort_by(|a, b| a.id.cmp(&b.id));
        PageData {
            now: ctx.clock.now(),
            instances,
            prevention: ctx.docs.read_service_async(names::PREVENTION).await,
            recovery: ctx.docs.read_service_async(names::RECOVERY).await,
            alerts: ctx.alerts.stats().recent.into(),
            stale_after: ctx.stale_after,
        }
    }
}

/// The page loads nothing from anywhere (the proof that it works offline), talks only to its own
/// server, and cannot be framed by another site (the control buttons must not be clickjacked).
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
    connect-src 'self'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

/// What `GET /` shows to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The page with its data: on loopback, or when the request carries the right bearer token.
    Full,
    /// Only the frame and a script that asks for the token and fetches the data with it; no document
    /// is read. Without script it says that the token is needed.
    Shell,
}

impl View {
    /// The one decision, from the listener's [`Access`] and the request's headers: data only where
    /// every other data endpoint would answer (the same bearer check).
    pub fn for_request(access: &Access, headers: &HeaderMap) -> View {
        match access.check_bearer(headers) {
            Ok(()) => View::Full,
            Err(_) => View::Shell,
        }
    }
}

/// `GET /`: the whole page, or its shell when the request may not see the data ([`View`]).
pub async fn page(State(ctx): State<Arc<HttpOptions>>, headers: HeaderMap) -> Response {
    let html = match View::for_request(&ctx.access, &headers) {
        View::Full => render::page(&PageData::gather(&ctx).await),
        View::Shell => render::shell(),
    };
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response()
}

/// `GET /status/page.json`: the page's body, for the script's refresh.
pub async fn body(State(ctx): State<Arc<HttpOptions>>) -> Response {
    let data = PageData::gather(&ctx).await;
    let html = render::body(&data);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "html": html, "refresh_secs": REFRESH_SECS })),
    )
        .into_response()
}

/// The one way document text reaches the page: through the one redactor (`healing_core::redact::line`),
/// then HTML-escaped (text and attribute safe).
pub fn shown(text: &str) -> String {
    escape(&healing_core::redact::line(text))
}

/// HTML escaping for text and quoted attribute values: the alerts' markup escaping (`&`, `<`, `>`) plus
/// both quotes; control characters (a terminal's colour codes in a log line) become spaces.
fn escape(text: &str) -> String {
    healing_core::alert::escape(text)
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
        .replace(|c: char| c.is_control() && c != '\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_shown_on_loopback_or_with_the_token_and_otherwise_only_the_shell() {
        use axum::http::HeaderValue;
        let token = "0123456789abcdef-token";
        let with = |auth: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
            h
        };
        let none = HeaderMap::new();
        let secret = || Some(healing_core::redact::Secret::new(token));
        assert_eq!(View::for_request(&Access::Local, &none), View::Full);
        assert_eq!(
            View::for_request(&Access::Token(secret()), &none),
            View::Shell
        );
        assert_eq!(
            View::for_request(&Access::Token(secret()), &with("Bearer wrong")),
            View::Shell
        );
        assert_eq!(
            View::for_request(&Access::Token(secret()), &with(&format!("Bearer {token}"))),
            View::Full
        );
        let good = with(&format!("Bearer {token}"));
        assert_eq!(View::for_request(&Access::Token(None), &good), View::Shell);
    }

    #[test]
    fn markup_and_secrets_in_document_text_are_shown_as_harmless_text() {
        let line = r#"<script>alert("x")</script> posting to https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSe/send password=pw-123456"#;
        let out = shown(line);
        assert!(!out.contains('<') && !out.contains('"'), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(!out.contains("AAHdqTcvCH1vGWJxfSe"), "{out}");
        assert!(out.contains("bot***"), "{out}");
        // Not a URL: only the one redactor (not the former URL-only masking) catches it.
        assert!(!out.contains("pw-123456"), "{out}");
    }
}
