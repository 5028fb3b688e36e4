//! Everything that can go wrong talking to Render, in one type for both binaries. `endpoint` is the method
//! and path template (`GET /services/{id}/deploys`), never the key, a query or a full URL.

use std::time::Duration;

/// What went wrong talking to Render, classified so the caller can tell "retry later" from "fix the
/// configuration" ([`RenderApiError::is_transient`]).
#[derive(Debug, thiserror::Error)]
pub enum RenderApiError {
    /// 401/403: the key is wrong, revoked or lacks access.
    #[error("Render API rejected the API key (HTTP {status}) on {endpoint}")]
    Unauthorized {
        /// The call.
        endpoint: String,
        /// 401 or 403.
        status: u16,
    },
    /// Still rate limited after honouring `Retry-After` / `Ratelimit-Reset` as far as configured.
    #[error("Render API rate limit on {endpoint}: asked to wait {retry_after:?}")]
    RateLimited {
        /// The call.
        endpoint: String,
        /// The wait the API asked for (longer than `max_retry_wait`, or after the last retry).
        retry_after: Duration,
    },
    /// Any other non-success status; `message` is Render's error message, bounded.
    #[error("Render API {endpoint} answered HTTP {status}: {message}")]
    Status {
        /// The call.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// Render's `message` field, at most 200 characters.
        message: String,
    },
    /// No answer within `request_timeout`.
    #[error("Render API {endpoint} timed out after {timeout:?}")]
    Timeout {
        /// The call.
        endpoint: String,
        /// The configured request timeout.
        timeout: Duration,
    },
    /// No answer (connection refused, DNS, TLS, a broken body).
    #[error("Render API {endpoint} unreachable: {detail}")]
    Transport {
        /// The call.
        endpoint: String,
        /// Why, without the URL.
        detail: String,
    },
    /// An answer that is not the documented shape, or larger than [`super::MAX_BODY`].
    #[error("Render API {endpoint} returned an unexpected body: {detail}")]
    Decode {
        /// The call.
        endpoint: String,
        /// What was wrong with it.
        detail: String,
    },
    /// The configured base URL is not an http(s) URL, or the HTTP client could not be built.
    #[error("Render API client setup failed: {0}")]
    Setup(String),
    /// A service id that could add or climb a path segment.
    #[error("{0:?} is not a Render id (letters, digits, '-' and '_' only)")]
    InvalidId(String),
    /// A service name that no service visible to the key has.
    #[error("no Render service named {name:?} is visible to the API key")]
    ServiceNotFound {
        /// The name looked up.
        name: String,
    },
}

impl RenderApiError {
    /// Whether a later call may succeed without anyone changing anything: rate limits, server errors,
    /// timeouts and transport failures.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
