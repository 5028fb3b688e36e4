//! Who may call the HTTP endpoints: the one bearer check every route goes through.
//!
//! On loopback only this machine can connect, so everything is open. Beyond loopback (Render's
//! `0.0.0.0:$PORT`), `GET /health` and `GET /metrics` stay open — Render's health check and a
//! Prometheus scraper carry no credentials, and neither answer holds log text — and so does `GET /`,
//! which then serves only the status page's shell, no agent data, unless the request carries the token
//! (see [`crate::status_page::View`]: a browser opening the URL cannot send a header). Every other
//! endpoint needs `Authorization: Bearer <HEALING_HTTP_TOKEN>`. Without that variable they answer 403:
//! an exposed supervisor without a token is read-only-health, never wide open. Other modules (control
//! endpoints, the status page) use [`guard`] or [`Access::check`] instead of their own check.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use healing_core::redact::Secret;
use std::net::SocketAddr;
use std::sync::Arc;

/// The variable holding the token.
pub const TOKEN_ENV: &str = healing_core::secrets::HTTP_TOKEN_ENV;

/// Tokens shorter than this are refused as if unset: a guessable token is no protection.
pub const MIN_TOKEN_LEN: usize = 16;

/// The access rule of one listener.
#[derive(Debug, Clone)]
pub enum Access {
    /// Loopback listener: every endpoint is open.
    Local,
    /// Reachable from the network: public endpoints open, the rest need this token (`None`: refused).
    Token(Option<Secret>),
}

impl Access {
    /// The rule for a listener on `addr`, with the token from `TOKEN_ENV`; says at start-up why.
    pub fn for_listener(addr: SocketAddr, token: Option<String>) -> Access {
        if addr.ip().is_loopback() {
            return Access::Local;
        }
        let token = token.map(|t| t.trim().to_string());
        match token {
            Some(t) if t.len() >= MIN_TOKEN_LEN => {
                tracing::info!(%addr, "HTTP endpoints beyond /health and /metrics need Authorization: Bearer ${TOKEN_ENV}");
                Access::Token(Some(Secret::new(t)))
            }
            Some(_) => {
                tracing::warn!(%addr, "{TOKEN_ENV} is shorter than {MIN_TOKEN_LEN} characters: every endpoint but /health and /metrics answers 403");
                Access::Token(None)
            }
            None => {
                tracing::warn!(%addr, "listening beyond loopback without {TOKEN_ENV}: every endpoint but /health and /metrics answers 403 (set it to use them)");
                Access::Token(None)
            }
        }
    }

    /// Whether a request may proceed; the status to answer when not (401 wrong or missing token, 403
    /// no token configured).
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<(), StatusCode> {
        if is_public(method, path) {
            return Ok(());
        }
        self.check_bearer(headers)
    }

    /// The rule for endpoints that need the token on every listener, loopback included: the control
    /// endpoints change what runs, and on a shared host any local user can reach loopback. A token
    /// shorter than [`MIN_TOKEN_LEN`] counts as unset, as for [`Access::for_listener`].
    pub fn always_token(token: Option<String>) -> Access {
        let token = token.map(|t| t.trim().to_string());
        Access::Token(token.filter(|t| t.len() >= MIN_TOKEN_LEN).map(Secret::new))
    }

    /// The bearer part of [`Access::check`], whatever the path: `Ok` on loopback or with the right
    /// token, 403 when no usable token is configured, 401 when the header is missing or wrong.
    pub fn check_bearer(&self, headers: &HeaderMap) -> Result<(), StatusCode> {
        match self {
            Access::Local => Ok(()),
            Access::Token(None) => Err(StatusCode::FORBIDDEN),
            Access::Token(Some(secret)) if bearer_matches(headers, secret.expose()) => Ok(()),
            Access::Token(Some(_)) => Err(StatusCode::UNAUTHORIZED),
        }
    }
}

/// The endpoints anyone who can connect may call (`/` decides for itself what it shows).
pub fn is_public(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && matches!(path, "/health" | "/metrics" | "/")
}

/// `Authorization: Bearer <token>`, compared in constant time.
pub fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
    else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Axum middleware applying [`Access::check`] to every route of a router.
pub async fn guard(State(access): State<Arc<Access>>, req: Request, next: Next) -> Response {
    match access.check(req.method(), req.uri().path(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(code) => {
            let mut response = (code, "authorization required\n").into_response();
            if code == StatusCode::UNAUTHORIZED {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn the_rule_follows_the_listener_and_the_token() {
        let public: SocketAddr = "0.0.0.0:80".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let token = "0123456789abcdef-token";
        let get = Method::GET;
        assert!(matches!(Access::for_listener(local, None), Access::Local));
        let open = Access::for_listener(public, Some(token.into()));
        assert_eq!(open.check(&get, "/health", &headers(None)), Ok(()));
        assert_eq!(open.check(&get, "/metrics", &headers(None)), Ok(()));
        assert_eq!(open.check(&get, "/", &headers(None)), Ok(()));
        assert_eq!(
            open.check(&get, "/status/page.json", &headers(None)),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            open.check(&get, "/health/self-healing", &headers(None)),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            open.check(&get, "/health/self-healing", &headers(Some("Bearer wrong"))),
            Err(StatusCode::UNAUTHORIZED)
        );
        let good = format!("Bearer {token}");
        assert_eq!(
            open.check(&get, "/health/self-healing", &headers(Some(&good))),
            Ok(())
        );
        assert_eq!(
            open.check(&Method::POST, "/health", &headers(None)),
            Err(StatusCode::UNAUTHORIZED)
        );
        for closed in [
            Access::for_listener(public, None),
            Access::for_listener(public, Some("short".into())),
        ] {
            assert_eq!(
                closed.check(&get, "/health/self-healing", &headers(Some(&good))),
                Err(StatusCode::FORBIDDEN)
            );
            assert_eq!(closed.check(&get, "/health", &headers(None)), Ok(()));
        }
    }

    #[test]
    fn always_token_requires_a_usable_token_whatever_the_listener() {
        let token = "0123456789abcdef-token";
        let good = format!("Bearer {token}");
        let set = Access::always_token(Some(token.into()));
        assert_eq!(set.check_bearer(&headers(Some(&good))), Ok(()));
        assert_eq!(
            set.check_bearer(&headers(None)),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            set.check_bearer(&headers(Some("Bearer 0123456789abcdef-tokeN"))),
            Err(StatusCode::UNAUTHORIZED)
        );
        for unset in [None, Some(String::new()), Some("short".into())] {
            assert_eq!(
                Access::always_token(unset).check_bearer(&headers(Some(&good))),
                Err(StatusCode::FORBIDDEN)
            );
        }
    }

    #[test]
    fn bearer_comparison_needs_the_whole_token() {
        let token = "secret-token-0123";
        for (given, ok) in [
            ("Bearer secret-token-0123", true),
            ("bearer secret-token-0123", true),
            ("Bearer secret-token-012", false),
            ("Bearer secret-token-01234", false),
            ("Basic secret-token-0123", false),
            ("secret-token-0123", false),
        ] {
            assert_eq!(bearer_matches(&headers(Some(given)), token), ok, "{given}");
        }
    }
}
