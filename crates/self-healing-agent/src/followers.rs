//! The set of running log-file followers, kept in step with the configuration: one per agent with a
//! `log_file`, started at boot and adjusted by every reload — an added agent (or a new `log_file`)
//! gets a follower, a removed agent (or a dropped `log_file`) loses it, a changed path gets a new one.
//! An agent whose definition changed but whose file did not keeps its follower: its position is exact
//! and no line is read twice or skipped.

use crate::event::AgentId;
use crate::follow::{Follow, Tail};
use crate::output::lock;
use crate::supervisor::Supervisor;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a stopped follower gets for its last poll.
const LAST_POLL: Duration = Duration::from_secs(2);

/// One running follower.
#[derive(Debug)]
struct Running {
    path: PathBuf,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// The running followers, by agent.
#[derive(Debug, Default)]
pub struct Followers {
    stop: CancellationToken,
    running: BTreeMap<AgentId, Running>,
    /// Followers told to stop whose last poll may still be running.
    stopping: Vec<JoinHandle<()>>,
}

impl Followers {
    /// Starts a follower for every agent with a `log_file`, resuming from the persisted positions
    /// (and forgetting positions of files no longer configured). `stop` ends them all.
    pub fn start(sup: &Supervisor, stop: &CancellationToken) -> Self {
        let mut me = Self {
            stop: stop.clone(),
            ..Self::default()
        };
        me.sync(sup);
        me
    }

    /// Brings the followers in line with the supervisor's agents (after a reload).
    pub fn sync(&mut self, sup: &Supervisor) {
        let wanted: BTreeMap<AgentId, PathBuf> = sup
            .agents
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.removed)
            .filter_map(|(id, a)| a.cfg.log_file.clone().map(|f| (id, f)))
            .collect();
        let gone: Vec<AgentId> = self
            .running
            .iter()
            .filter(|(id, r)| wanted.get(id) != Some(&r.path))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            if let Some(r) = self.running.remove(&id) {
                tracing::info!(file = %r.path.display(), "log follower stopped (configuration changed)");
                r.stop.cancel();
                self.stopping.push(r.task);
            }
        }
        self.stopping.retain(|t| !t.is_finished());
        let saved = {
            let mut offsets = lock(&sup.follow_offsets);
            offsets.retain(|k, _| wanted.values().any(|f| f.display().to_string() == *k));
            offsets.clone()
        };
        for (id, path) in wanted {
            if self.running.contains_key(&id) {
                continue;
            }
            let resume = saved.get(&path.display().to_string()).copied();
            let stop = self.stop.child_token();
            let task = Follow {
                agent: id,
                tail: Tail::open(path.clone(), resume, sup.config.self_healing.max_line_bytes),
                catalogue: sup.catalogue.clone(),
                events: sup.tx.clone(),
                backlog: sup.backlog.clone(),
                offsets: sup.follow_offsets.clone(),
            }
            .spawn(stop.clone());
            self.running.insert(id, Running { path, stop, task });
        }
    }

    /// Stops every follower (each reads its file one last time) and waits for them, boundedly.
    pub async fn finish(self) {
        self.stop.cancel();
        let tasks = self.running.into_values().map(|r| r.task);
        for task in tasks.chain(self.stopping) {
            let _ = tokio::time::timeout(LAST_POLL, task).await;
        }
    }
}
