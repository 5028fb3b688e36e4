//! The two documents this binary writes (`agent_status.json`, `self_healing_state.json`) and the
//! writer task that keeps state I/O off the restart path: the loop hands over snapshots, the task
//! writes at most every ~100 ms (coalescing bursts), and the final snapshot is written at shutdown.

use crate::healer::Persisted;
use healing_core::alert::{Alert, AlertHandle};
use healing_core::incident::Detail;
use healing_core::kind::Severity;
use healing_core::state::{StateStore, docs};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Minimum spacing of writes.
const COALESCE: Duration = Duration::from_millis(100);

/// RFC 3339 with milliseconds, the format of every time in the supervisor's documents.
pub use healing_core::state::rfc3339_millis as rfc3339;

/// `agent_status.json` (without the envelope the store adds).
#[derive(Debug, Clone, Serialize)]
pub struct AgentStatusDoc {
    pub instance: String,
    pub summary: Summary,
    pub agents: BTreeMap<String, AgentStatus>,
}

/// Counts for the health view.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub total: usize,
    pub healthy: usize,
    pub held: usize,
}

/// One agent's row.
#[derive(Debug, Clone, Serialize)]
pub struct AgentStatus {
    pub status: &'static str,
    pub healthy: bool,
    pub pid: Option<u32>,
    /// The pid's start time (`/proc/<pid>/stat` field 22), to recognise it after a crash.
    pub pid_start_ticks: Option<u64>,
    pub started_at: Option<String>,
    pub uptime_secs: Option<f64>,
    pub restarts_last_hour: u32,
    /// `restart.max_per_hour`, so a view can show the hour's restarts against it.
    pub restart_budget: u32,
    /// Output lines lost because the log could not be written (a full disk).
    pub output_lines_dropped: u64,
    pub last_exit: Option<LastExit>,
    pub last_incident: Option<LastIncident>,
    pub next_retry_at: Option<String>,
    pub breaker: &'static str,
    /// While the breaker is open: when it lets one trial restart through.
    pub breaker_next_trial_at: Option<String>,
    /// The dependencies it waits for before it starts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_for: Vec<String>,
    /// `operator` when an operator's `stop` keeps it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<&'static str>,
    /// Its alerts are muted until then (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<String>,
}

/// How the last process ended.
#[derive(Debug, Clone, Serialize)]
pub struct LastExit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub at: String,
}

/// The last diagnosed incident.
#[derive(Debug, Clone, Serialize)]
pub struct LastIncident {
    pub kind: String,
    pub severity: String,
    pub line: String,
    pub detail: Detail,
    pub fingerprint: String,
    pub at: String,
}

/// `self_healing_state.json` (without the envelope). Also read back at start-up.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SelfHealingDoc {
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub last_health_pass: Option<String>,
    #[serde(flatten)]
    pub persisted: Persisted,
    #[serde(default)]
    pub history: VecDeque<HistoryEntry>,
    #[serde(default)]
    pub counters: Counters,
    /// Followed log files: inode and offset, so no line is read twice after a restart.
    #[serde(default)]
    pub follow_offsets: BTreeMap<String, FollowOffset>,
    /// Written `true` only by the final write of an orderly shutdown. A supervisor that finds it
    /// `false` follows one that crashed or was killed: its boot starts are restarts of the agents and
    /// count against their hourly budget (a crash-looping supervisor cannot reset it).
    #[serde(default)]
    pub clean_shutdown: bool,
    /// The configuration in force (file, load time, hash).
    #[serde(default)]
    pub config: Option<crate::reload::ConfigInfo>,
    /// Fixes waiting for a human (`fixes.mode = "propose"`).
    #[serde(default)]
    pub proposals: Vec<crate::proposals::ProposalDoc>,
    /// Agents an operator stopped: they stay stopped across a restart of the supervisor.
    #[serde(default)]
    pub operator_stopped: BTreeSet<String>,
}

/// Where a followed log file was left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowOffset {
    pub inode: u64,
    pub offset: u64,
}

/// One line of history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: String,
    pub agent: String,
    /// incident | fix | restart | held | breaker_open | breaker_half_open | breaker_closed
    pub event: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub refused: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub message: String,
    /// The incident's fingerprint (see `healing_core::fingerprint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// Distinct unclassified fingerprints counted; later new ones are counted under [`OTHER_FINGERPRINTS`].
pub const MAX_FINGERPRINTS: usize = 1000;
/// The counter of unclassified incidents whose fingerprint arrived after the table was full.
pub const OTHER_FINGERPRINTS: &str = "other";

/// Running totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    #[serde(default)]
    pub restarts_total: BTreeMap<String, u64>,
    #[serde(default)]
    pub incidents_total: BTreeMap<String, u64>,
    #[serde(default)]
    pub fixes_total: BTreeMap<String, u64>,
    /// Unclassified incidents per fingerprint: one alert for a new one, only a count after.
    #[serde(default)]
    pub unclassified: BTreeMap<String, u64>,
    /// Incidents dropped because the event loop was too far behind (an output flood).
    #[serde(default)]
    pub incidents_dropped: u64,
}

impl Counters {
    /// Counts an unclassified incident; true when its fingerprint is new (and deserves an alert).
    pub fn note_unclassified(&mut self, fingerprint: &str) -> bool {
        if let Some(n) = self.unclassified.get_mut(fingerprint) {
            *n += 1;
            return false;
        }
        if self.unclassified.len() >= MAX_FINGERPRINTS {
            *self
                .unclassified
                .entry(OTHER_FINGERPRINTS.into())
                .or_default() += 1;
            return true;
        }
        self.unclassified.insert(fingerprint.to_string(), 1);
        true
    }
}

/// Both documents at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Taken in this order: a higher `seq` is newer.
    pub seq: u64,
    /// When it was taken (the views' `written_at`).
    pub taken_at: std::time::SystemTime,
    pub status: AgentStatusDoc,
    pub state: SelfHealingDoc,
}

/// The one way snapshots reach the store: the background writer and the event loop's synchronous
/// writes (a start is counted on disk before its spawn) go through it, and an older snapshot is
/// never written over a newer one.
#[derive(Debug)]
pub struct StateWriter {
    store: Arc<StateStore>,
    last: Mutex<u64>,
    /// Why the last write failed, while writes fail.
    problem: Mutex<Option<String>>,
    /// Where the one alert about a failing state goes (set once the alerter runs).
    alerts: Mutex<Option<AlertHandle>>,
}

impl StateWriter {
    /// A writer to `store`.
    pub fn new(store: Arc<StateStore>) -> Self {
        Self {
            store,
            last: Mutex::new(0),
            problem: Mutex::new(None),
            alerts: Mutex::new(None),
        }
    }

    /// Sends the alert about a failing state through `alerts` from now on.
    pub fn set_alerts(&self, alerts: AlertHandle) {
        *crate::output::lock(&self.alerts) = Some(alerts);
    }

    /// Why the state cannot be written, while it cannot.
    pub fn problem(&self) -> Option<String> {
        crate::output::lock(&self.problem).clone()
    }

    /// Records the outcome of a write: the first failure logs an error and sends one alert; the
    /// first success after failures says the state is written again.
    fn note(&self, outcome: Result<(), String>) {
        let mut problem = crate::output::lock(&self.problem);
        match (outcome, problem.is_some()) {
            (Ok(()), true) => {
                tracing::info!("the state is written again");
                *problem = None;
            }
            (Err(e), false) => {
                let msg = format!(
                    "the state cannot be written ({e}); supervision goes on, the HTTP views show the live state"
                );
                tracing::error!("{msg}");
                if let Some(alerts) = crate::output::lock(&self.alerts).as_ref() {
                    alerts.send(Alert {
                        key: "state:unwritable".into(),
                        severity: Severity::High,
                        source: crate::SOURCE.into(),
                        agent: None,
                        title: "State cannot be written".into(),
                        body: msg,
                    });
                }
                *problem = Some(e);
            }
            (Err(e), true) => *problem = Some(e),
            (Ok(()), false) => {}
        }
    }

    /// Writes `snap` unless a newer snapshot was already written.
    pub fn write(&self, snap: &Snapshot) {
        let mut last = crate::output::lock(&self.last);
        if snap.seq < *last {
            return;
        }
        self.note(write_snapshot(&self.store, snap));
        *last = snap.seq;
    }
}

/// Writes one snapshot. A failed write never stops supervision: the error is returned for the
/// writer's health (one alert, a `/health` problem), not retried here.
pub fn write_snapshot(store: &StateStore, snap: &Snapshot) -> Result<(), String> {
    store
        .write(docs::AGENT_STATUS, &snap.status)
        .and_then(|()| store.write(docs::SELF_HEALING, &snap.state))
        .map_err(|e| e.to_string())
}

/// The coalescing writer: writes the newest snapshot, then waits at least [`COALESCE`] before the
/// next write. Ends when the sender is dropped (the caller writes the final snapshot itself).
pub fn spawn_writer(
    writer: Arc<StateWriter>,
    mut rx: watch::Receiver<Option<Arc<Snapshot>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let snap = rx.borrow_and_update().clone();
            if let Some(snap) = snap {
                let writer = writer.clone();
                let _ = tokio::task::spawn_blocking(move || writer.write(&snap)).await;
            }
            tokio::time::sleep(COALESCE).await;
        }
    })
}
