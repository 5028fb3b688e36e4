//! `[prevention]`: the prevention-agent's settings.

use super::secs;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// `[prevention]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreventionConfig {
    /// Pass period; env `PREVENTION_INTERVAL` (seconds) overrides.
    #[serde(with = "crate::duration_bound")]
    pub interval: Duration,
    /// Memory warning threshold, % of the container limit (or host memory).
    pub memory_percent: f64,
    /// CPU warning threshold, % of the quota (or host cores).
    pub cpu_percent: f64,
    /// Disk warning threshold, % used.
    pub disk_percent: f64,
    /// Consecutive samples over a threshold before a warning alerts.
    pub sustained_samples: u32,
    /// A warning recovers below `threshold - hysteresis_percent`.
    pub hysteresis_percent: f64,
    /// Paths whose filesystems are watched.
    pub disk_paths: Vec<PathBuf>,
    /// Env var names that must be present and non-empty (names only; values never leave the process).
    pub required_env: Vec<String>,
    /// The agents' interpreter, asked for its installed distributions.
    pub python: String,
    /// Root of the cgroup filesystem (tests point it at fixture trees).
    pub cgroup_root: PathBuf,
    /// Root of procfs (tests point it at fixture trees).
    pub proc_root: PathBuf,
    /// Install missing required distributions through the fix policy.
    pub install_missing: bool,
    /// Shortest span between the two CPU readings of a pass (the checks run inside it): too short and
    /// one busy moment decides the reading.
    #[serde(with = "crate::duration_bound")]
    pub cpu_sample_window: Duration,
}

impl Default for PreventionConfig {
    fn default() -> Self {
        Self {
            interval: secs(300),
            memory_percent: 85.0,
            cpu_percent: 90.0,
            disk_percent: 90.0,
            sustained_samples: 2,
            hysteresis_percent: 5.0,
            disk_paths: vec![PathBuf::from(".")],
            required_env: Vec::new(),
            python: "python3".into(),
            cgroup_root: PathBuf::from("/sys/fs/cgroup"),
            proc_root: PathBuf::from("/proc"),
            install_missing: true,
            cpu_sample_window: Duration::from_millis(250),
        }
    }
}
