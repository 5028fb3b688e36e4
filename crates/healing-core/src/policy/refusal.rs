//! Why the policy said no: one variant per rule, its text what plans and history record.

/// Why the policy said no. The text is what plans and history record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{name:?} is not a valid distribution name")]
    InvalidName { name: String },
    #[error("distribution {name:?} is not in the requirements file or fixes.allow_packages")]
    NotAllowed { name: String },
    #[error("install of {requirement:?} differs from the allowed requirement {allowed:?}")]
    Mismatch {
        requirement: String,
        allowed: String,
    },
    #[error("the incident names no {what}")]
    MissingDetail { what: &'static str },
    #[error(
        "{module:?} is not a top-level import: its package imports, so no install can provide it (version skew)"
    )]
    VersionSkew { module: String },
    #[error("{module:?} is the agent's own code (found under its cwd): it is never installed")]
    FirstParty { module: String },
    #[error("path {path:?} refused: {why}")]
    BadPath { path: String, why: String },
    #[error("path {path:?} is outside fixes.create_path_roots")]
    OutsideRoots { path: String },
    #[error(
        "path {path:?} is inside the supervisor's own files ({what}): never created from a log line"
    )]
    Protected { path: String, what: &'static str },
    #[error("install refused: {reason}")]
    InstallOptions { reason: String },
    #[error("file {path:?} matches no fixes.create_files glob and its directory exists")]
    FileNotAllowed { path: String },
}
