//! `[fixes]` and `[[patterns]]`: what fixes may do, and the user's own error patterns.

use super::secs;
use crate::kind::{ActionKind, ErrorKind, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[fixes]`: what the executor may do. Everything not allowed here is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FixesConfig {
    /// argv prefix of the installer; the requirement (`name==version` or `name`) is appended.
    pub install_command: Vec<String>,
    /// Requirements file whose distributions may be installed (at their pinned version). Optional: a
    /// missing file means nothing is allowed from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirements: Option<PathBuf>,
    /// Further distributions that may be installed.
    pub allow_packages: Vec<String>,
    /// Extra import-name → distribution entries, over the built-in table.
    pub package_map: BTreeMap<String, String>,
    /// Directories under which missing directories may be created.
    pub create_path_roots: Vec<PathBuf>,
    /// Globs (relative to the config dir, or absolute) of files that may be created empty when missing.
    pub create_files: Vec<String>,
    /// Timeout of one fix command.
    #[serde(with = "crate::duration_bound")]
    pub command_timeout: Duration,
    /// `auto` runs planned fixes; `propose` sends each as a proposal a human applies or skips.
    pub mode: FixMode,
    /// How long a proposal waits for an answer before it expires (the agent stays held).
    #[serde(with = "humantime_serde")]
    pub proposal_ttl: Duration,
}

/// Whether planned fixes run by themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixMode {
    /// Fixes the policy allows run at once.
    #[default]
    Auto,
    /// Each fix waits for a human's Apply (Telegram button or `self-healing-agent apply ID`).
    Propose,
}

impl Default for FixesConfig {
    fn default() -> Self {
        Self {
            install_command: ["python3", "-m", "pip", "install", "--no-input"]
                .map(String::from)
                .to_vec(),
            requirements: Some(PathBuf::from("requirements.txt")),
            allow_packages: Vec::new(),
            package_map: BTreeMap::new(),
            create_path_roots: ["data", "logs"].map(PathBuf::from).to_vec(),
            create_files: Vec::new(),
            command_timeout: secs(120),
            mode: FixMode::Auto,
            proposal_ttl: secs(3600),
        }
    }
}

/// One `[[patterns]]` entry (user pattern, checked before the built-in catalogue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternConfig {
    /// Name shown in incidents.
    pub name: String,
    /// Rust `regex` syntax, matched against one (ANSI-stripped) line.
    pub regex: String,
    /// The kind it reports.
    pub kind: ErrorKind,
    /// Defaults to the kind's default severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Defaults to the kind's default action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionKind>,
}
