//! Reload (SIGHUP or `reload`): validate the new file first — an invalid one changes nothing and every
//! problem is reported — then apply only the difference. New agents start, removed ones stop, agents
//! whose definition changed restart, and the others keep running with the same PID; fix policy,
//! patterns, alert, restart and breaker settings take effect without restarting anything.

use crate::agent::AgentRt;
use crate::agent_state::Transition;
use crate::control::{Reply, Source, Verb};
use crate::healer::HealerConfig;
use crate::output::lock;
use crate::supervisor::Supervisor;
use healing_core::alert::{Alert, AlertHandle, Alerter};
use healing_core::catalogue::Catalogue;
use healing_core::config::{AgentConfig, Config};
use healing_core::config_load::LoadedConfig;
use healing_core::executor::Executor;
use healing_core::kind::Severity;
use healing_core::matcher::Matcher;
use healing_core::policy::Policy;
use healing_core::state::StateStore;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What a reload needs besides the supervisor's own state.
#[derive(Debug)]
pub struct ReloadCtx {
    /// The file the configuration came from (`None`: built-in defaults, nothing to reload).
    pub path: Option<PathBuf>,
    /// For a new alerter when the alert settings change.
    pub store: Arc<StateStore>,
    /// Stops the alerters at shutdown.
    pub alert_stop: CancellationToken,
    /// The log-file followers, adjusted to the new agents.
    pub followers: crate::followers::Followers,
    /// The alerter a reload built last (stopped, after a flush, when the next reload replaces it).
    pub alerter_task: Option<(CancellationToken, JoinHandle<()>)>,
}

/// Which configuration is in force (shown by `status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigInfo {
    /// The file, when there is one.
    #[serde(default)]
    pub path: Option<String>,
    /// When it was loaded.
    pub loaded_at: String,
    /// FNV-1a 64 of the file's bytes (hex), to tell two versions apart.
    pub hash: String,
}

impl ConfigInfo {
    /// Describes the file at `path` as loaded at `at`.
    pub fn of(path: Option<&Path>, at: SystemTime) -> Self {
        let bytes = path.and_then(|p| std::fs::read(p).ok()).unwrap_or_default();
        Self {
            path: path.map(|p| p.display().to_string()),
            loaded_at: crate::state_docs::rfc3339(at),
            hash: format!("{:016x}", fnv1a(&bytes)),
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The healer's settings from a configuration.
pub fn healer_config(config: &Config) -> HealerConfig {
    HealerConfig {
        restart: config.restart.clone(),
        breaker: config.breaker.clone(),
        stable_after: config.self_healing.stable_after,
        correlation_window: config.self_healing.correlation_window,
    }
}

/// What changed among the agents.
#[derive(Debug, Default)]
struct Changes {
    started: Vec<String>,
    stopped: Vec<String>,
    restarted: Vec<String>,
    unchanged: usize,
}

impl Supervisor {
    /// Re-reads the configuration file and applies it, or reports why it cannot.
    pub(crate) fn reload_config(&mut self, source: Source) -> Reply {
        let Some(path) = self.reload.as_ref().and_then(|r| r.path.clone()) else {
            return Reply::refused(
                "running on built-in defaults: there is no config file to reload",
            );
        };
        let prepared = healing_core::config_load::load(Some(&path))
            .map_err(|e| e.to_string())
            .and_then(|mut loaded| {
                // The state location is the one this process holds the lock or lease on.
                loaded.config.state_dir = self.config.state_dir.clone();
                loaded.config.state_url = self.config.state_url.clone();
                let catalogue =
                    Catalogue::new(&loaded.config.patterns, &loaded.config.fixes.package_map)
                        .map_err(|e| format!("patterns: {e}"))?;
                let policy = Policy::from_config(&loaded.config.fixes, &loaded.base_dir)
                    .map_err(|e| format!("fixes: {e}"))?;
                Ok((loaded, Arc::new(catalogue), Arc::new(policy)))
            });
        let (loaded, catalogue, policy) = match prepared {
            Ok(p) => p,
            Err(problems) => {
                tracing::error!(
                    source = source.as_str(),
                    "reload refused, still running on the previous configuration:\n{problems}"
                );
                self.record_reload(&format!("refused ({}): {problems}", source.as_str()));
                self.alerts.send(Alert {
                    key: "config:reload".into(),
                    severity: Severity::High,
                    source: crate::SOURCE.into(),
                    agent: None,
                    title: "Configuration reload refused".into(),
                    body: format!("still running on the previous configuration:\n{problems}"),
                });
                self.dirty = true;
                return Reply::refused(format!(
                    "invalid configuration, nothing changed:\n{problems}"
                ));
            }
        };
        let listen_changed = loaded.config.self_healing.listen != self.config.self_healing.listen;
        let changes = self.apply_config(loaded, catalogue, policy);
        self.config_info = ConfigInfo::of(Some(&path), self.clock.now());
        let mut msg = format!(
            "reloaded (hash {}): started [{}], stopped [{}], restarted [{}], {} unchanged",
            self.config_info.hash,
            changes.started.join(", "),
            changes.stopped.join(", "),
            changes.restarted.join(", "),
            changes.unchanged
        );
        if listen_changed {
            msg.push_str("; self_healing.listen takes effect at the next start");
        }
        tracing::info!(source = source.as_str(), "{msg}");
        self.record_reload(&format!("{msg} ({})", source.as_str()));
        self.dirty = true;
        Reply::done(msg)
    }

    fn record_reload(&mut self, msg: &str) {
        self.record(
            crate::SOURCE,
            "reload",
            None,
            Some("reload".into()),
            None,
            msg,
        );
    }

    fn apply_config(
        &mut self,
        loaded: LoadedConfig,
        catalogue: Arc<Catalogue>,
        policy: Arc<Policy>,
    ) -> Changes {
        let new = Arc::new(loaded.config);
        self.healer.set_config(healer_config(&new));
        self.executor = Arc::new(
            Executor::new(
                policy.clone(),
                new.fixes.install_command.clone(),
                new.fixes.command_timeout,
            )
            .with_cwd(&loaded.base_dir),
        );
        self.policy = policy;
        // Running processes switch to the new patterns at once (a traceback being read is cut short).
        for m in self.agents.iter().filter_map(|a| a.matcher.as_ref()) {
            *lock(m) = Matcher::new(catalogue.clone());
        }
        self.catalogue = catalogue;
        if new.alerts != self.config.alerts
            && let Some(ctx) = self.reload.as_mut()
        {
            let stop = ctx.alert_stop.child_token();
            let (handle, task) = Alerter::spawn(
                &new.alerts,
                ctx.store.clone(),
                crate::SOURCE,
                self.clock.clone(),
                stop.clone(),
            );
            let old = std::mem::replace(&mut self.alerts, handle);
            // The service's own alerter also serves the state writer and the store watch: it stays.
            if let Some((old_stop, old_task)) = ctx.alerter_task.replace((stop, task)) {
                tokio::spawn(retire_alerter(old, old_stop, old_task));
            }
        }
        self.config = new.clone();
        self.base_dir = loaded.base_dir;
        let wanted: Vec<AgentConfig> = new.agents.iter().filter(|a| a.enabled).cloned().collect();
        let mut changes = Changes::default();
        for id in 0..self.agents.len() {
            let a = &self.agents[id];
            if !a.removed && !wanted.iter().any(|w| w.name == a.cfg.name) {
                changes.stopped.push(a.cfg.name.clone());
                self.retire(id);
            }
        }
        for cfg in wanted {
            let name = cfg.name.clone();
            match self.agents.iter().position(|a| a.cfg.name == name) {
                None => {
                    self.agents.push(AgentRt::new(cfg));
                    let id = self.agents.len() - 1;
                    self.start_new(id);
                    changes.started.push(name);
                }
                Some(id) if self.agents[id].removed => {
                    let slot = &mut self.agents[id];
                    slot.removed = false;
                    slot.operator_stopped = false;
                    slot.cfg = cfg;
                    self.start_new(id);
                    changes.started.push(name);
                }
                Some(id) if self.agents[id].cfg == cfg => changes.unchanged += 1,
                Some(id) => {
                    self.agents[id].cfg = cfg;
                    // A held or operator-stopped agent picks up the new definition when it next starts.
                    if let Some(pid) = self.agents[id].pid {
                        self.park_exit(id, Verb::Restart, pid, "definition changed by reload");
                    }
                    changes.restarted.push(name);
                }
            }
        }
        if let Some(mut ctx) = self.reload.take() {
            ctx.followers.sync(self);
            self.reload = Some(ctx);
        }
        changes
    }

    /// Spawns an agent a reload added (its dependencies permitting).
    fn start_new(&mut self, id: usize) {
        if !self.wait_for_dependencies(id) {
            self.agents[id].go(Transition::Prepare);
            self.spawn_agent(id);
        }
    }

    /// Stops an agent the new configuration no longer has; its slot stays (ids are indices).
    fn retire(&mut self, id: usize) {
        let agent = &mut self.agents[id];
        agent.removed = true;
        agent.wake = None;
        match agent.pid {
            Some(pid) => self.park_exit(id, Verb::Stop, pid, "removed from the configuration"),
            None => agent.go(Transition::Halt),
        }
    }

    /// Ends the agent's process gracefully and finishes `verb` when it is gone.
    fn park_exit(&mut self, id: usize, verb: Verb, pid: u32, reason: &str) {
        crate::operator::park(&mut self.agents[id], verb, None);
        self.end_process(id, pid, reason);
    }
}

/// Ends an alerter a later reload replaced: what it holds is delivered within
/// [`healing_core::service::ALERT_FLUSH`] (the rest is parked in the outbox), then its task stops.
async fn retire_alerter(old: AlertHandle, stop: CancellationToken, task: JoinHandle<()>) {
    if tokio::time::timeout(healing_core::service::ALERT_FLUSH, old.flush())
        .await
        .is_err()
    {
        tracing::warn!(
            "the replaced alerter did not deliver in time; the rest waits in the outbox"
        );
    }
    stop.cancel();
    match tokio::time::timeout(PARK, task).await {
        Ok(_) => tracing::info!("previous alerter stopped (alert settings reloaded)"),
        Err(_) => tracing::warn!("previous alerter did not stop in time"),
    }
}

/// How long a stopped alerter may take to park what it holds in the outbox.
const PARK: std::time::Duration = std::time::Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_tells_versions_apart_and_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a = 1"), fnv1a(b"a = 1"));
        assert_ne!(fnv1a(b"a = 1"), fnv1a(b"a = 2"));
    }
}
