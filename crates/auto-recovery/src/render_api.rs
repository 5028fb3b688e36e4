//! A small client for the Render REST API: services, deploys, events, restart and redeploy.
//!
//! The API key reaches every workspace of its owner and has no scopes, so it lives only in the
//! `Authorization` header (marked sensitive) and is never part of `Debug`, an error or a log line. Errors
//! from reqwest are stripped of their URL. List endpoints use Render's cursor pagination
//! (`[{"cursor": "…", "<resource>": {…}}]`, next page via `?cursor=<last cursor>`); rate limits are honoured
//! from `Retry-After` on 429 and `Ratelimit-Remaining`/`Ratelimit-Reset` on every answer.

use crate::rate_limit::{RateGate, wait_from_headers};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

pub use crate::render_types::{Deploy, Service, ServiceEvent};

/// What went wrong talking to Render. `endpoint` is the method and path template, never the key or a query.
#[derive(Debug, thiserror::Error)]
pub enum RenderApiError {
    /// 401/403: the key is wrong, revoked or lacks access.
    #[error("Render API rejected the API key (HTTP {status}) on {endpoint}")]
    Unauthorized { endpoint: String, status: u16 },
    /// Still rate limited after honouring `Retry-After` as far as configured.
    #[error("Render API rate limit on {endpoint}: asked to wait {retry_after:?}")]
    RateLimited {
        endpoint: String,
        retry_after: Duration,
    },
    /// Any other non-success status.
    #[error("Render API {endpoint} answered HTTP {status}: {message}")]
    Status {
        endpoint: String,
        status: u16,
        message: String,
    },
    /// No answer.
    #[error("Render API {endpoint} unreachable: {detail}")]
    Transport { endpoint: String, detail: String },
    /// An answer that is not the documented shape.
    #[error("Render API {endpoint} returned an unexpected body: {detail}")]
    Decode { endpoint: String, detail: String },
    /// The configured base URL is not a URL, or the HTTP client could not be built.
    #[error("Render API client setup failed: {0}")]
    Setup(String),
    /// A service id that could add or climb a path segment.
    #[error("{0:?} is not a Render id (letters, digits, '-' and '_' only)")]
    InvalidId(String),
}

/// Knobs of the client, from `[recovery.render]`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL, e.g. `https://api.render.com/v1`.
    pub api_base: String,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Longest wait honoured for a rate limit; a longer one fails the call instead of stalling the pass.
    pub max_retry_wait: Duration,
    /// Page size (`limit`, Render allows 1–100).
    pub page_limit: u32,
}

/// The Render API client. Cheap to clone (shares one connection pool).
#[derive(Clone)]
pub struct RenderClient {
    http: reqwest::Client,
    base: Url,
    auth: HeaderValue,
    options: ClientOptions,
    gate: RateGate,
}

impl fmt::Debug for RenderClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderClient")
            .field("base", &self.base.as_str())
            .field("api_key", &"***")
            .finish_non_exhaustive()
    }
}

/// One list element: the resource under its field name plus the cursor beside it.
#[derive(Deserialize)]
struct Item {
    cursor: Option<String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ApiErrorBody {
    message: Option<String>,
}

impl RenderClient {
    /// Builds a client; `api_key` is moved into a sensitive header value and not kept elsewhere.
    pub fn new(options: ClientOptions, api_key: &str) -> Result<Self, RenderApiError> {
        let mut base = Url::parse(options.api_base.trim_end_matches('/'))
            .map_err(|e| RenderApiError::Setup(format!("[recovery.render] api_base: {e}")))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", api_key.trim())).map_err(|_| {
                RenderApiError::Setup(
                    "the API key contains characters not allowed in a header".into(),
                )
            })?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .redirect(healing_core::redirects::same_origin())
            .build()
            .map_err(|e| RenderApiError::Setup(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base,
            auth,
            gate: RateGate::default(),
            options,
        })
    }

    /// All services of the key (every page).
    pub async fn list_services(&self, max_pages: u32) -> Result<Vec<Service>, RenderApiError> {
        self.list("services", "service", "GET /services", &[], max_pages)
            .await
    }

    /// One service.
    pub async fn get_service(&self, id: &str) -> Result<Service, RenderApiError> {
        let path = format!("services/{}", seg(id)?);
        let (_, body) = self
            .request(Method::GET, &path, &[], None, "GET /services/{id}")
            .await?;
        decode(&body, "GET /services/{id}")
    }

    /// The newest deploys, newest first, up to `max_pages` pages.
    pub async fn list_deploys(
        &self,
        id: &str,
        max_pages: u32,
    ) -> Result<Vec<Deploy>, RenderApiError> {
        let path = format!("services/{}/deploys", seg(id)?);
        self.list(
            &path,
            "deploy",
            "GET /services/{id}/deploys",
            &[],
            max_pages,
        )
        .await
    }

    /// Recent events (Render's default window is the last hour), newest first.
    pub async fn list_events(
        &self,
        id: &str,
        max_pages: u32,
    ) -> Result<Vec<ServiceEvent>, RenderApiError> {
        let path = format!("services/{}/events", seg(id)?);
        self.list(&path, "event", "GET /services/{id}/events", &[], max_pages)
            .await
    }

    /// `POST /services/{id}/restart` (200, no body).
    pub async fn restart(&self, id: &str) -> Result<(), RenderApiError> {
        let path = format!("services/{}/restart", seg(id)?);
        self.request(
            Method::POST,
            &path,
            &[],
            None,
            "POST /services/{id}/restart",
        )
        .await
        .map(|_| ())
    }

    /// Redeploys the last successful build (`deployMode = deploy_only`); 201 with a deploy or 202 queued.
    pub async fn redeploy_last_build(&self, id: &str) -> Result<Option<String>, RenderApiError> {
        let path = format!("services/{}/deploys", seg(id)?);
        let body = serde_json::json!({ "deployMode": "deploy_only" });
        let endpoint = "POST /services/{id}/deploys";
        let (status, bytes) = self
            .request(Method::POST, &path, &[], Some(body), endpoint)
            .await?;
        if status == StatusCode::ACCEPTED || bytes.is_empty() {
            return Ok(None);
        }
        let deploy: Deploy = decode(&bytes, endpoint)?;
        Ok(Some(deploy.id))
    }

    async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        field: &str,
        endpoint: &str,
        query: &[(&str, String)],
        max_pages: u32,
    ) -> Result<Vec<T>, RenderApiError> {
        let limit = self.options.page_limit.clamp(1, 100);
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..max_pages.max(1) {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("limit", limit.to_string()));
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let (_, body) = self.request(Method::GET, path, &q, None, endpoint).await?;
            let items: Vec<Item> = decode(&body, endpoint)?;
            let count = items.len();
            cursor = None;
            for mut item in items {
                let value = item
                    .rest
                    .remove(field)
                    .ok_or_else(|| RenderApiError::Decode {
                        endpoint: endpoint.to_string(),
                        detail: format!("list item without `{field}`"),
                    })?;
                let resource: T =
                    serde_json::from_value(value).map_err(|e| RenderApiError::Decode {
                        endpoint: endpoint.to_string(),
                        detail: e.to_string(),
                    })?;
                out.push(resource);
                cursor = item.cursor;
            }
            if count < limit as usize || cursor.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Sends one request, honouring rate limits: waits out a `Ratelimit-Remaining: 0` window before
    /// sending, and on 429 waits `Retry-After` (bounded by `max_retry_wait`) and tries again, at most
    /// three times.
    async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<serde_json::Value>,
        endpoint: &str,
    ) -> Result<(StatusCode, Vec<u8>), RenderApiError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| RenderApiError::Setup(format!("{endpoint}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut attempt = 0;
        loop {
            self.gate
                .wait_turn(self.options.max_retry_wait, endpoint)
                .await?;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, self.auth.clone())
                .header(ACCEPT, HeaderValue::from_static("application/json"));
            if let Some(b) = &body {
                req = req.json(b);
            }
            let response = req.send().await.map_err(|e| RenderApiError::Transport {
                endpoint: endpoint.to_string(),
                detail: crate::probe::describe(&e.without_url()),
            })?;
            let status = response.status();
            let headers: HeaderMap = response.headers().clone();
            self.gate.observe(&headers);
            let bytes = response
                .bytes()
                .await
                .map_err(|e| RenderApiError::Transport {
                    endpoint: endpoint.to_string(),
                    detail: crate::probe::describe(&e.without_url()),
                })?;
            if status.is_success() {
                return Ok((status, bytes.to_vec()));
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = wait_from_headers(&headers).unwrap_or(Duration::from_secs(1));
                attempt += 1;
                if wait > self.options.max_retry_wait || attempt > 3 {
                    return Err(RenderApiError::RateLimited {
                        endpoint: endpoint.to_string(),
                        retry_after: wait,
                    });
                }
                tracing::info!(
                    endpoint,
                    wait_ms = wait.as_millis() as u64,
                    "Render API rate limit; waiting"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                return Err(RenderApiError::Unauthorized {
                    endpoint: endpoint.to_string(),
                    status: status.as_u16(),
                });
            }
            let message = serde_json::from_slice::<ApiErrorBody>(&bytes)
                .ok()
                .and_then(|b| b.message)
                .unwrap_or_default();
            return Err(RenderApiError::Status {
                endpoint: endpoint.to_string(),
                status: status.as_u16(),
                message: message.chars().take(200).collect(),
            });
        }
    }
}

/// A Render id as one path segment. Ids come from config or the API; one that could add or climb a path
/// segment (`/`, `..`, `?`) is refused rather than encoded.
fn seg(id: &str) -> Result<&str, RenderApiError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(id)
    } else {
        Err(RenderApiError::InvalidId(id.chars().take(40).collect()))
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8], endpoint: &str) -> Result<T, RenderApiError> {
    serde_json::from_slice(bytes).map_err(|e| RenderApiError::Decode {
        endpoint: endpoint.to_string(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ClientOptions {
        ClientOptions {
            api_base: "https://api.render.com/v1".into(),
            request_timeout: Duration::from_secs(5),
            max_retry_wait: Duration::from_secs(5),
            page_limit: 20,
        }
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let client = RenderClient::new(options(), "rnd_supersecretkey").unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("supersecret"), "{debug}");
        assert!(debug.contains("***"));
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(seg("srv-abc_12").unwrap(), "srv-abc_12");
        assert!(seg("../x").is_err());
        assert!(seg("srv-1?x=y").is_err());
        assert!(seg("").is_err());
    }

    #[test]
    fn a_bad_base_url_is_a_setup_error() {
        let mut o = options();
        o.api_base = "not a url".into();
        assert!(matches!(
            RenderClient::new(o, "k"),
            Err(RenderApiError::Setup(_))
        ));
    }
}
