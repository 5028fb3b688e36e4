//! [`RenderClient`]: auth, the request loop with its rate limiter, bounded bodies and cursor pagination.
//! The endpoints themselves are in `services.rs` and `metrics.rs`.

use super::RenderApiError;
use super::rate_limit::{RateGate, wait_from_headers};
use crate::config::RenderApiConfig;
use crate::http_client::{describe, read_capped};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// Largest response body read; a bigger one is refused (memory stays bounded on hostile input).
pub const MAX_BODY: usize = 1 << 20;

/// 429s retried per call before giving up (each after the wait the API asked for).
const MAX_RETRIES: u32 = 3;

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

impl ClientOptions {
    /// The options `[recovery.render]` sets.
    pub fn from_config(cfg: &RenderApiConfig) -> ClientOptions {
        ClientOptions {
            api_base: cfg.api_base.clone(),
            request_timeout: cfg.request_timeout,
            max_retry_wait: cfg.max_retry_wait,
            page_limit: cfg.page_limit,
        }
    }
}

/// The Render API client. Cheap to clone (shares one connection pool and one rate limiter).
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
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(RenderApiError::Setup(
                "[recovery.render] api_base: not an http(s) URL".into(),
            ));
        }
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
            .redirect(crate::redirects::same_origin())
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

    /// The client `[recovery.render]` describes, when the variable it names holds a key (looked up through
    /// `env`); `Ok(None)` when it is unset or blank.
    pub fn from_env(
        cfg: &RenderApiConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, RenderApiError> {
        match env(&cfg.api_key_env).filter(|k| !k.trim().is_empty()) {
            Some(key) => Self::new(ClientOptions::from_config(cfg), &key).map(Some),
            None => Ok(None),
        }
    }

    /// `GET path?query`, decoded.
    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        endpoint: &str,
    ) -> Result<T, RenderApiError> {
        let (_, body) = self
            .request(Method::GET, path, query, None, endpoint)
            .await?;
        decode(&body, endpoint)
    }

    /// Every item of a cursor-paginated list, up to `max_pages` pages of `page_limit` items.
    pub(super) async fn list<T: DeserializeOwned>(
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
            let items: Vec<Item> = self.get_json(path, &q, endpoint).await?;
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
                out.push(decode_value(value, endpoint)?);
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
    /// [`MAX_RETRIES`] times.
    pub(super) async fn request(
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
            let response = req.send().await.map_err(|e| self.transport(e, endpoint))?;
            let status = response.status();
            let headers = response.headers().clone();
            self.gate.observe(&headers);
            let capped = read_capped(response, MAX_BODY)
                .await
                .map_err(|e| self.transport(e, endpoint))?;
            if capped.truncated {
                return Err(RenderApiError::Decode {
                    endpoint: endpoint.to_string(),
                    detail: format!("body over {MAX_BODY} bytes"),
                });
            }
            if status.is_success() {
                return Ok((status, capped.body));
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = wait_from_headers(&headers).unwrap_or(Duration::from_secs(1));
                attempt += 1;
                if wait > self.options.max_retry_wait || attempt > MAX_RETRIES {
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
            return Err(status_error(status, &capped.body, endpoint));
        }
    }

    /// A reqwest failure without its URL: a timeout, or no answer.
    fn transport(&self, err: reqwest::Error, endpoint: &str) -> RenderApiError {
        if err.is_timeout() {
            return RenderApiError::Timeout {
                endpoint: endpoint.to_string(),
                timeout: self.options.request_timeout,
            };
        }
        RenderApiError::Transport {
            endpoint: endpoint.to_string(),
            detail: describe(&err.without_url()),
        }
    }
}

/// A non-success answer other than 429: the key refused, or Render's error message (bounded).
fn status_error(status: StatusCode, body: &[u8], endpoint: &str) -> RenderApiError {
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return RenderApiError::Unauthorized {
            endpoint: endpoint.to_string(),
            status: status.as_u16(),
        };
    }
    let message = serde_json::from_slice::<ApiErrorBody>(body)
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_default();
    RenderApiError::Status {
        endpoint: endpoint.to_string(),
        status: status.as_u16(),
        message: message.chars().take(200).collect(),
    }
}

/// A Render id as one path segment. Ids come from config or the API; one that could add or climb a path
/// segment (`/`, `..`, `?`) is refused rather than encoded.
pub(super) fn seg(id: &str) -> Result<&str, RenderApiError> {
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

pub(super) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    endpoint: &str,
) -> Result<T, RenderApiError> {
    serde_json::from_slice(bytes).map_err(|e| RenderApiError::Decode {
        endpoint: endpoint.to_string(),
        detail: e.to_string(),
    })
}

fn decode_value<T: DeserializeOwned>(
    value: serde_json::Value,
    endpoint: &str,
) -> Result<T, RenderApiError> {
    serde_json::from_value(value).map_err(|e| RenderApiError::Decode {
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
    fn a_base_url_that_is_not_http_is_a_setup_error() {
        for base in ["not a url", "ftp://example.com/v1", "mailto:x@y"] {
            let mut o = options();
            o.api_base = base.into();
            assert!(
                matches!(RenderClient::new(o, "k"), Err(RenderApiError::Setup(_))),
                "{base}"
            );
        }
    }

    #[test]
    fn the_client_is_off_unless_the_key_variable_is_set_and_not_blank() {
        let cfg = RenderApiConfig::default();
        let none = |_: &str| None;
        let blank = |_: &str| Some("  ".to_string());
        let set = |_: &str| Some("rnd_k".to_string());
        assert!(RenderClient::from_env(&cfg, &none).unwrap().is_none());
        assert!(RenderClient::from_env(&cfg, &blank).unwrap().is_none());
        assert!(RenderClient::from_env(&cfg, &set).unwrap().is_some());
    }
}
