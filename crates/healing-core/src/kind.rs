//! The closed vocabularies shared by every part of the system: what went wrong ([`ErrorKind`]), how bad it
//! is ([`Severity`]) and what the catalogue proposes to do about it ([`ActionKind`]).
//!
//! These names appear in `healing.toml`, in `scan` output, in state files and in metrics, so they are
//! serialised in snake_case and must not be renamed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of failure an incident is. A closed set: user patterns pick one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// `ModuleNotFoundError: No module named 'x'` — fixable by installing an allowed distribution.
    ModuleNotFound,
    /// `ImportError: cannot import name 'X' from 'Y'` — version mismatch or code bug: needs a human.
    ImportError,
    /// `FileNotFoundError` — fixable by creating the missing directory (or an allowed file).
    FileNotFound,
    /// `PermissionError` — needs a human.
    PermissionDenied,
    /// `KeyError: 'SOME_ENV_VAR'` and friends — needs a human (we never invent secrets).
    EnvVarMissing,
    /// Connection refused by localhost / 127.0.0.1 / ::1 / 0.0.0.0 — a sidecar is down; alert only.
    ConnectionRefusedLocal,
    /// Remote connection failures — transient, retried on the slow curve.
    ConnectionError,
    /// Timeouts — transient.
    Timeout,
    /// Database unreachable — transient.
    DatabaseUnavailable,
    /// HTTP 429 and rate-limit exceptions — transient, back off.
    RateLimited,
    /// TLS/certificate failures — needs a human.
    SslError,
    /// `[Errno 98] Address already in use`.
    AddressInUse,
    /// Python `MemoryError` — critical.
    MemoryError,
    /// Killed by the kernel OOM killer (SIGKILL at the memory limit, or exit 137) — critical.
    OomKilled,
    /// `[Errno 28] No space left on device` — critical.
    DiskFull,
    /// `SyntaxError` / `IndentationError` / `TabError` — needs a code change; restarting loops uselessly.
    SyntaxError,
    /// `RecursionError` — a code bug.
    RecursionError,
    /// ImportError on a shared object (`.so`): never pip-install, never create a path.
    SharedLibraryMissing,
    /// The process exited with a non-zero code or was killed by a signal, with no better explanation.
    ProcessExit,
    /// A server's own watchdog gave up on a worker (gunicorn `WORKER TIMEOUT`, Heroku `R10 Boot timeout`):
    /// the worker hung; a restart helps, retrying the same request does not.
    WorkerTimeout,
    /// The app's settings are wrong or missing (Django `ImproperlyConfigured`, pydantic-settings validation,
    /// a rejected database password): needs a human, never restarted in a loop.
    ConfigError,
    /// An API's quota or billing limit is used up (`insufficient_quota`): unlike a 429 rate limit it does
    /// not pass by waiting, so it needs a human.
    QuotaExceeded,
    /// `[Errno 24] Too many open files`: a descriptor leak or a low limit; a restart frees them.
    TooManyOpenFiles,
    /// A traceback that matched none of the above: still one incident, alerted.
    Unclassified,
}

impl ErrorKind {
    /// Every kind, in catalogue order.
    pub const ALL: [ErrorKind; 24] = [
        ErrorKind::ModuleNotFound,
        ErrorKind::ImportError,
        ErrorKind::FileNotFound,
        ErrorKind::PermissionDenied,
        ErrorKind::EnvVarMissing,
        ErrorKind::ConnectionRefusedLocal,
        ErrorKind::ConnectionError,
        ErrorKind::Timeout,
        ErrorKind::DatabaseUnavailable,
        ErrorKind::RateLimited,
        ErrorKind::SslError,
        ErrorKind::AddressInUse,
        ErrorKind::MemoryError,
        ErrorKind::OomKilled,
        ErrorKind::DiskFull,
        ErrorKind::SyntaxError,
        ErrorKind::RecursionError,
        ErrorKind::SharedLibraryMissing,
        ErrorKind::ProcessExit,
        ErrorKind::WorkerTimeout,
        ErrorKind::ConfigError,
        ErrorKind::QuotaExceeded,
        ErrorKind::TooManyOpenFiles,
        ErrorKind::Unclassified,
    ];

    /// The snake_case name used in config, output and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ModuleNotFound => "module_not_found",
            ErrorKind::ImportError => "import_error",
            ErrorKind::FileNotFound => "file_not_found",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::EnvVarMissing => "env_var_missing",
            ErrorKind::ConnectionRefusedLocal => "connection_refused_local",
            ErrorKind::ConnectionError => "connection_error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::DatabaseUnavailable => "database_unavailable",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::SslError => "ssl_error",
            ErrorKind::AddressInUse => "address_in_use",
            ErrorKind::MemoryError => "memory_error",
            ErrorKind::OomKilled => "oom_killed",
            ErrorKind::DiskFull => "disk_full",
            ErrorKind::SyntaxError => "syntax_error",
            ErrorKind::RecursionError => "recursion_error",
            ErrorKind::SharedLibraryMissing => "shared_library_missing",
            ErrorKind::ProcessExit => "process_exit",
            ErrorKind::WorkerTimeout => "worker_timeout",
            ErrorKind::ConfigError => "config_error",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::TooManyOpenFiles => "too_many_open_files",
            ErrorKind::Unclassified => "unclassified",
        }
    }

    /// How the supervisor treats this class of failure (see [`Treatment`]).
    pub fn treatment(self) -> Treatment {
        match self {
            ErrorKind::SyntaxError
            | ErrorKind::ImportError
            | ErrorKind::EnvVarMissing
            | ErrorKind::PermissionDenied
            | ErrorKind::SharedLibraryMissing
            | ErrorKind::SslError
            | ErrorKind::ConfigError
            | ErrorKind::QuotaExceeded => Treatment::NeedsHuman,
            ErrorKind::ConnectionError
            | ErrorKind::Timeout
            | ErrorKind::RateLimited
            | ErrorKind::DatabaseUnavailable
            | ErrorKind::ConnectionRefusedLocal => Treatment::Transient,
            ErrorKind::ModuleNotFound | ErrorKind::FileNotFound => Treatment::FixThenRestart,
            ErrorKind::AddressInUse
            | ErrorKind::MemoryError
            | ErrorKind::OomKilled
            | ErrorKind::DiskFull
            | ErrorKind::RecursionError
            | ErrorKind::ProcessExit
            | ErrorKind::WorkerTimeout
            | ErrorKind::TooManyOpenFiles
            | ErrorKind::Unclassified => Treatment::Restart,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a failure class is handled by the supervisor, independent of the configured action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// Restarting cannot help: alert once and hold the agent (`needs_attention`).
    NeedsHuman,
    /// Likely to pass on its own: restart on the slower `retry` curve.
    Transient,
    /// Apply the fix first, then restart at once.
    FixThenRestart,
    /// Restart on the normal backoff curve.
    Restart,
}

/// How bad an incident is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the catalogue proposes for an incident. The safety policy turns it into a concrete
/// [`crate::fix::FixAction`] or refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Restart the agent on the normal backoff curve.
    Restart,
    /// Restart on the slower curve (transient failures).
    Retry,
    /// Tell a human; do not restart in a loop.
    Alert,
    /// Install the distribution that provides the missing module (allow-listed only).
    InstallPackage,
    /// Create the missing directory (inside the allowed roots only).
    CreatePath,
    /// Record only.
    None,
}

impl ActionKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Restart => "restart",
            ActionKind::Retry => "retry",
            ActionKind::Alert => "alert",
            ActionKind::InstallPackage => "install_package",
            ActionKind::CreatePath => "create_path",
            ActionKind::None => "none",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_through_serde() {
        for kind in ErrorKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            let back: ErrorKind = serde_json::from_str(&json).unwrap();
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn code_changes_are_never_restarted_in_a_loop() {
        assert_eq!(ErrorKind::SyntaxError.treatment(), Treatment::NeedsHuman);
        assert_eq!(
            ErrorKind::ModuleNotFound.treatment(),
            Treatment::FixThenRestart
        );
        assert_eq!(ErrorKind::Timeout.treatment(), Treatment::Transient);
    }

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Low < Severity::Medium && Severity::High < Severity::Critical);
    }
}
