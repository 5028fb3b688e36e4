//! The agents' container as Render measures it, for a prevention-agent that runs in a service of its own.
//!
//! In the three-service layout the prevention-agent's cgroup is its own container, not the one the
//! agents run in. Render's metrics API (`GET /v1/metrics/{memory,memory-limit,cpu,cpu-limit}?resource=`)
//! reports the other service's usage and limits, so this source stands beside the cgroup one. It is
//! opt-in: it runs only when both the API key and `HEALING_METRICS_SERVICE` (a `srv-…` id, or a service
//! name looked up once through the API) are set. The key is a root credential (render-facts §5.1): it
//! only ever travels in the `Authorization` header and appears in no error, log line or `Debug` output.
//!
//! Responses are lists of time series, `[{labels: [{field, value}], values: [{timestamp, value}], unit}]`,
//! one per instance; the reading is the latest point of the busiest instance, against its limit.

use healing_core::config::RenderApiConfig;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Env var naming the service whose container is measured (`srv-…` id or service name).
pub const SERVICE_ENV: &str = "HEALING_METRICS_SERVICE";
/// Largest response body read; a bigger one is refused (memory stays bounded on hostile input).
const MAX_BODY: usize = 1 << 20;
/// Points per series asked for: one a minute over the API's default last hour.
const RESOLUTION_SECS: &str = "60";

/// What went wrong, classified so the caller can tell "retry later" from "fix the configuration".
#[derive(Debug, thiserror::Error)]
pub enum RenderMetricsError {
    #[error("Render API rejected the API key (HTTP {status}) on {endpoint}")]
    Unauthorized { endpoint: String, status: u16 },
    #[error("Render API rate limit on {endpoint} (retry after {retry_after:?})")]
    RateLimited {
        endpoint: String,
        retry_after: Option<Duration>,
    },
    #[error("Render API server error (HTTP {status}) on {endpoint}")]
    Server { endpoint: String, status: u16 },
    #[error("Render API refused {endpoint} (HTTP {status}): {message}")]
    Refused {
        endpoint: String,
        status: u16,
        message: String,
    },
    #[error("no Render service named {name:?} is visible to the API key")]
    ServiceNotFound { name: String },
    #[error("Render API request to {endpoint} timed out after {timeout:?}")]
    Timeout { endpoint: String, timeout: Duration },
    #[error("Render API request to {endpoint} failed: {message}")]
    Transport { endpoint: String, message: String },
    #[error("unexpected Render API response from {endpoint}: {message}")]
    Malformed { endpoint: String, message: String },
    #[error("invalid Render API base URL {base:?}: {message}")]
    BadBase { base: String, message: String },
}

impl RenderMetricsError {
    /// Whether the next pass may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Timeout { .. }
                | Self::Transport { .. }
        )
    }
}

/// One resource against its limit: memory in bytes, CPU in cores.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub used: f64,
    pub limit: f64,
    /// `used / limit`, percent.
    pub percent: f64,
}

/// One reading of the measured service. A resource is `None` when the API had no data or no limit for it.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSample {
    pub service_id: String,
    pub memory: Option<Usage>,
    pub cpu: Option<Usage>,
}

/// The API key; prints as `***`.
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Client of the metrics endpoints for one service.
#[derive(Debug)]
pub struct RenderMetrics {
    client: reqwest::Client,
    base: Url,
    key: ApiKey,
    service: String,
    timeout: Duration,
    service_id: tokio::sync::OnceCell<String>,
}

impl RenderMetrics {
    /// The source when it is configured: the key from `api.api_key_env`, the service from
    /// [`SERVICE_ENV`]; `Ok(None)` when either is unset or empty.
    pub fn from_env(
        api: &RenderApiConfig,
        env: &dyn Fn(&str) -> Option<String>,
        timeout: Duration,
    ) -> Result<Option<Self>, RenderMetricsError> {
        let non_empty = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        match (non_empty(&api.api_key_env), non_empty(SERVICE_ENV)) {
            (Some(key), Some(service)) => Self::new(&api.api_base, key, service, timeout).map(Some),
            _ => Ok(None),
        }
    }

    /// `api_base` like `https://api.render.com/v1`; `service` a `srv-…` id or a service name.
    pub fn new(
        api_base: &str,
        api_key: String,
        service: String,
        timeout: Duration,
    ) -> Result<Self, RenderMetricsError> {
        let bad = |message: String| RenderMetricsError::BadBase {
            base: api_base.to_owned(),
            message,
        };
        let base = Url::parse(&format!("{}/", api_base.trim_end_matches('/')))
            .map_err(|e| bad(e.to_string()))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(bad("not an http(s) URL".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| bad(e.without_url().to_string()))?;
        Ok(Self {
            client,
            base,
            key: ApiKey(api_key),
            service,
            timeout,
            service_id: tokio::sync::OnceCell::new(),
        })
    }

    /// Usage and limits of the measured service, four requests in parallel.
    pub async fn sample(&self) -> Result<RenderSample, RenderMetricsError> {
        let id = self.service_id().await?.to_owned();
        let (memory, memory_limit, cpu, cpu_limit) = tokio::try_join!(
            self.latest(&id, "metrics/memory"),
            self.latest(&id, "metrics/memory-limit"),
            self.latest(&id, "metrics/cpu"),
            self.latest(&id, "metrics/cpu-limit"),
        )?;
        Ok(RenderSample {
            service_id: id,
            memory: usage(memory, memory_limit),
            cpu: usage(cpu, cpu_limit),
        })
    }

    /// The service id, looked up by name once when a name was configured.
    async fn service_id(&self) -> Result<&str, RenderMetricsError> {
        let id = self
            .service_id
            .get_or_try_init(|| async {
                if self.service.starts_with("srv-") {
                    return Ok(self.service.clone());
                }
                let body = self
                    .get("services", &[("name", &self.service), ("limit", "100")])
                    .await?;
                let items: Vec<ServiceItem> = parse("services", &body)?;
                items
                    .into_iter()
                    .map(|i| i.service)
                    .find(|s| s.name == self.service)
                    .map(|s| s.id)
                    .ok_or_else(|| RenderMetricsError::ServiceNotFound {
                        name: self.service.clone(),
                    })
            })
            .await?;
        Ok(id)
    }

    /// The latest value of the busiest series, in base units (bytes, cores); `None` without data.
    async fn latest(&self, id: &str, path: &str) -> Result<Option<f64>, RenderMetricsError> {
        let body = self
            .get(
                path,
                &[("resource", id), ("resolutionSeconds", RESOLUTION_SECS)],
            )
            .await?;
        let series: Vec<Series> = parse(path, &body)?;
        Ok(series
            .iter()
            .filter_map(Series::latest_in_base_units)
            .reduce(f64::max))
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<u8>, RenderMetricsError> {
        let endpoint = format!("/{path}");
        let mut url = self
            .base
            .join(path)
            .map_err(|e| RenderMetricsError::Malformed {
                endpoint: endpoint.clone(),
                message: e.to_string(),
            })?;
        url.query_pairs_mut().extend_pairs(query);
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                RenderMetricsError::Timeout {
                    endpoint: endpoint.clone(),
                    timeout: self.timeout,
                }
            } else {
                RenderMetricsError::Transport {
                    endpoint: endpoint.clone(),
                    message: e.without_url().to_string(),
                }
            }
        };
        let mut response = self
            .client
            .get(url)
            .bearer_auth(&self.key.0)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(RenderMetricsError::Malformed {
                    endpoint,
                    message: format!("body over {MAX_BODY} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        classify(status, retry_after, &body, endpoint).map(|()| body)
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let header = response.headers().get(reqwest::header::RETRY_AFTER)?;
    header
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
    endpoint: String,
) -> Result<(), RenderMetricsError> {
    let code = status.as_u16();
    match status {
        s if s.is_success() => Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(RenderMetricsError::Unauthorized {
            endpoint,
            status: code,
        }),
        StatusCode::TOO_MANY_REQUESTS => Err(RenderMetricsError::RateLimited {
            endpoint,
            retry_after,
        }),
        s if s.is_server_error() => Err(RenderMetricsError::Server {
            endpoint,
            status: code,
        }),
        _ => {
            // Render's error body is `{"id", "message"}`; only its message is kept, bounded.
            let message = serde_json::from_slice::<ApiError>(body)
                .map(|e| e.message.chars().take(200).collect())
                .unwrap_or_default();
            Err(RenderMetricsError::Refused {
                endpoint,
                status: code,
                message,
            })
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(path: &str, body: &[u8]) -> Result<T, RenderMetricsError> {
    serde_json::from_slice(body).map_err(|e| RenderMetricsError::Malformed {
        endpoint: format!("/{path}"),
        message: e.to_string(),
    })
}

fn usage(used: Option<f64>, limit: Option<f64>) -> Option<Usage> {
    let (used, limit) = (used?, limit?);
    (limit > 0.0 && used >= 0.0).then(|| Usage {
        used,
        limit,
        percent: used / limit * 100.0,
    })
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ServiceItem {
    service: ServiceRef,
}

#[derive(Deserialize)]
struct ServiceRef {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    values: Vec<Point>,
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Deserialize)]
struct Point {
    #[serde(default)]
    timestamp: serde_json::Value,
    value: Option<f64>,
}

impl Series {
    /// The value of the newest point (by timestamp when they parse, else the last one listed).
    fn latest_in_base_units(&self) -> Option<f64> {
        let points = self
            .values
            .iter()
            .filter_map(|p| p.value.filter(|v| v.is_finite()).map(|v| (p, v)));
        let newest = points.enumerate().max_by(|(ia, (a, _)), (ib, (b, _))| {
            let (ta, tb) = (seconds(&a.timestamp), seconds(&b.timestamp));
            ta.partial_cmp(&tb)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(ia.cmp(ib))
        });
        newest.map(|(_, (_, v))| v * scale(self.unit.as_deref()))
    }
}

/// A point's time as Unix seconds: RFC 3339 text, or epoch seconds as a number or text.
fn seconds(ts: &serde_json::Value) -> f64 {
    match ts {
        serde_json::Value::Number(n) => n.as_f64().unwrap_or(0.0),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok().unwrap_or_else(|| {
            humantime::parse_rfc3339_weak(s.trim())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0.0, |d| d.as_secs_f64())
        }),
        _ => 0.0,
    }
}

/// Factor from a series' unit to bytes (memory) or cores (CPU); unknown units count as base units.
fn scale(unit: Option<&str>) -> f64 {
    match unit.map(|u| u.trim().to_ascii_lowercase()).as_deref() {
        Some("kb") => 1e3,
        Some("kib") => 1024.0,
        Some("mb") => 1e6,
        Some("mib") => 1024.0 * 1024.0,
        Some("gb") => 1e9,
        Some("gib") => 1024.0 * 1024.0 * 1024.0,
        Some("millicores" | "millicpu" | "mcpu") => 1e-3,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_newest_point_wins_whatever_the_timestamp_format() {
        let s: Series = serde_json::from_value(json!({"unit": "MB", "values": [
            {"timestamp": "2026-01-01T00:02:00Z", "value": 300.0},
            {"timestamp": "2026-01-01T00:01:00Z", "value": 100.0}]}))
        .unwrap();
        assert_eq!(s.latest_in_base_units(), Some(300e6));
        let s: Series = serde_json::from_value(json!({"values": [
            {"timestamp": "1700000060", "value": 0.5}, {"timestamp": 1700000000, "value": 0.9}]}))
        .unwrap();
        assert_eq!(s.latest_in_base_units(), Some(0.5));
    }

    #[test]
    fn a_missing_or_zero_limit_gives_no_percentage() {
        assert_eq!(usage(Some(1.0), None), None);
        assert_eq!(usage(Some(1.0), Some(0.0)), None);
        assert_eq!(usage(Some(1.0), Some(4.0)).map(|u| u.percent), Some(25.0));
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let m = RenderMetrics::new(
            "http://127.0.0.1:9/v1",
            "rnd_secret".into(),
            "srv-x".into(),
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(!format!("{m:?}").contains("rnd_secret"));
    }
}
