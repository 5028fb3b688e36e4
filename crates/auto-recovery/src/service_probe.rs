//! One HTTP health probe and the classification of its result.
//!
//! A failed probe is worth more than "down": a DNS failure means a wrong URL or a deleted service, a refused
//! connection means nothing listens, while a timeout or a 502/503 from Render's edge is what a sleeping free
//! web service looks like — only those are worth waking (see [`crate::wake`]).

use serde::{Deserialize, Serialize};
use std::error::Error as _;
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;

/// Why a probe did not count as healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The host name did not resolve.
    Dns,
    /// Nothing accepted the TCP connection.
    ConnectRefused,
    /// Any other connect-level failure (TLS, reset, unreachable).
    Connect,
    /// No answer within the probe timeout.
    Timeout,
    /// 5xx from the service or the edge.
    ServerError,
    /// An answer, but not the expected status.
    WrongStatus,
    /// The request could not even be built (bad URL) or failed in an unexpected way.
    Other,
}

impl FailureClass {
    /// The snake_case name used in state and alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Dns => "dns",
            FailureClass::ConnectRefused => "connect_refused",
            FailureClass::Connect => "connect",
            FailureClass::Timeout => "timeout",
            FailureClass::ServerError => "server_error",
            FailureClass::WrongStatus => "wrong_status",
            FailureClass::Other => "other",
        }
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one GET of a health URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The expected status arrived.
    Healthy { status: u16, latency: Duration },
    /// Anything else. `detail` never contains the URL (it may carry credentials).
    Failed {
        class: FailureClass,
        status: Option<u16>,
        latency: Duration,
        detail: String,
    },
}

impl ProbeOutcome {
    /// A free Render web service that is asleep either holds the request while it spins up (timeout) or
    /// Render's edge answers 502/503 meanwhile. Only these are worth pinging again.
    pub fn maybe_sleeping(&self) -> bool {
        match self {
            ProbeOutcome::Healthy { .. } => false,
            ProbeOutcome::Failed { class, status, .. } => {
                *class == FailureClass::Timeout || matches!(status, Some(502 | 503))
            }
        }
    }

    /// Whether the probe passed.
    pub fn is_healthy(&self) -> bool {
        matches!(self, ProbeOutcome::Healthy { .. })
    }

    /// How long the probe took.
    pub fn latency(&self) -> Duration {
        match self {
            ProbeOutcome::Healthy { latency, .. } | ProbeOutcome::Failed { latency, .. } => {
                *latency
            }
        }
    }
}

/// Does `status` count as healthy? The configured status when set, any 2xx otherwise.
pub fn status_is_healthy(status: u16, expect: Option<u16>) -> bool {
    match expect {
        Some(want) => status == want,
        None => (200..300).contains(&status),
    }
}

/// Classifies an answered request.
pub fn classify_status(status: u16, expect: Option<u16>, latency: Duration) -> ProbeOutcome {
    if status_is_healthy(status, expect) {
        return ProbeOutcome::Healthy { status, latency };
    }
    let class = if (500..600).contains(&status) {
        FailureClass::ServerError
    } else {
        FailureClass::WrongStatus
    };
    let detail = match expect {
        Some(want) => format!("HTTP {status}, expected {want}"),
        None => format!("HTTP {status}, expected 2xx"),
    };
    ProbeOutcome::Failed {
        class,
        status: Some(status),
        latency,
        detail,
    }
}

/// Classifies a request that got no answer. The error is stripped of its URL first.
pub fn classify_error(err: reqwest::Error, latency: Duration) -> ProbeOutcome {
    let err = err.without_url();
    let class = if err.is_timeout() {
        FailureClass::Timeout
    } else if chain_has_io_kind(&err, std::io::ErrorKind::ConnectionRefused) {
        FailureClass::ConnectRefused
    } else if chain_mentions_dns(&err) {
        FailureClass::Dns
    } else if err.is_connect() {
        FailureClass::Connect
    } else if err.is_builder() {
        FailureClass::Other
    } else if chain_has_io_kind(&err, std::io::ErrorKind::TimedOut) {
        FailureClass::Timeout
    } else {
        FailureClass::Other
    };
    ProbeOutcome::Failed {
        class,
        status: None,
        latency,
        detail: healing_core::http_client::describe(&err),
    }
}

/// GETs `url` once with `timeout`, never following the caller's clock: the latency is monotonic.
pub async fn probe(
    client: &reqwest::Client,
    url: &str,
    expect: Option<u16>,
    timeout: Duration,
) -> ProbeOutcome {
    let started = Instant::now();
    match client.get(url).timeout(timeout).send().await {
        Ok(response) => classify_status(response.status().as_u16(), expect, started.elapsed()),
        Err(err) => classify_error(err, started.elapsed()),
    }
}

fn chain_has_io_kind(err: &reqwest::Error, kind: std::io::ErrorKind) -> bool {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == kind
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// hyper-util reports resolver failures as "dns error" wrapping getaddrinfo's message; there is no typed
/// variant to match on, so the text of the causes decides.
fn chain_mentions_dns(err: &reqwest::Error) -> bool {
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string().to_ascii_lowercase();
        if text.contains("dns error")
            || text.contains("failed to lookup address")
            || text.contains("name or service not known")
        {
            return true;
        }
        source = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(5);

    #[test]
    fn any_2xx_is_healthy_unless_a_status_is_configured() {
        assert!(classify_status(204, None, MS).is_healthy());
        assert!(!classify_status(204, Some(200), MS).is_healthy());
        assert!(classify_status(418, Some(418), MS).is_healthy());
    }

    #[test]
    fn only_timeouts_and_edge_502_503_look_like_a_sleeping_service() {
        assert!(classify_status(503, None, MS).maybe_sleeping());
        assert!(classify_status(502, None, MS).maybe_sleeping());
        let internal = classify_status(500, None, MS);
        assert!(!internal.maybe_sleeping());
        assert!(matches!(
            internal,
            ProbeOutcome::Failed {
                class: FailureClass::ServerError,
                ..
            }
        ));
        assert!(matches!(
            classify_status(404, None, MS),
            ProbeOutcome::Failed {
                class: FailureClass::WrongStatus,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn a_closed_port_is_classified_as_connect_refused_without_the_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = format!("http://user:hunter2@127.0.0.1:{port}/health");
        let outcome = probe(&reqwest::Client::new(), &url, None, Duration::from_secs(2)).await;
        match outcome {
            ProbeOutcome::Failed { class, detail, .. } => {
                assert_eq!(class, FailureClass::ConnectRefused, "{detail}");
                assert!(!detail.contains("hunter2"), "{detail}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_unresolvable_host_is_classified_as_dns() {
        let outcome = probe(
            &reqwest::Client::new(),
            "http://no-such-host.invalid/health",
            None,
            Duration::from_secs(5),
        )
        .await;
        match outcome {
            ProbeOutcome::Failed { class, detail, .. } => {
                assert_eq!(class, FailureClass::Dns, "{detail}")
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
