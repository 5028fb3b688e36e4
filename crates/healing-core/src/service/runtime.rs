//! [`Service`]: what a binary holds while its loop runs — the state store and its one-writer guard, the
//! alerter, the store watch — and the one order they end in.

use super::ServiceError;
use crate::alert::{AlertHandle, Alerter};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::config_load::LoadedConfig;
use crate::executor::Executor;
use crate::policy::Policy;
use crate::state::{Loaded, Scope, StateGuard, StateStore, open_state_scoped, watch_store_health};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The one deadline for delivering queued alerts at shutdown; what is still unsent then waits in the outbox
/// for the next run. Short enough to fit well inside Render's 30 s between SIGTERM and SIGKILL.
pub const ALERT_FLUSH: Duration = Duration::from_secs(5);

/// After [`ALERT_FLUSH`], how long the stopped alert worker may take to park what it holds in the outbox.
const OUTBOX_PARK: Duration = Duration::from_secs(2);

/// A running binary's shell. Built by [`Service::start`] before its loop, ended by [`Service::finish`].
#[derive(Debug)]
pub struct Service {
    /// The binary's name: the writer of its documents and the `source` of its alerts.
    name: &'static str,
    /// Its state documents, outbox included.
    store: Arc<StateStore>,
    /// The directory lock or the Key Value lease; released last.
    guard: Option<StateGuard>,
    /// Where the binary sends alerts.
    alerts: AlertHandle,
    /// The alert worker; stopped by `alert_stop` after the flush.
    alert_task: JoinHandle<()>,
    alert_stop: CancellationToken,
    /// Watches a store that can go away (Key Value); `None` for a directory.
    watcher: Option<JoinHandle<()>>,
    watch_stop: CancellationToken,
    /// Cancelled by a stop signal.
    shutdown: CancellationToken,
    /// The token the binary's loop runs on: a child of `shutdown` that the store watch also cancels when
    /// the lease is lost. Cancelled without `shutdown` means exactly that.
    token: CancellationToken,
}

impl Service {
    /// Opens `name`'s state with the given [`Scope`] (taking its lock or lease), starts its alerter and
    /// the store watch. `shutdown` is the stop-signal token from [`super::main`].
    pub fn start(
        name: &'static str,
        scope: Scope,
        config: &Config,
        clock: SharedClock,
        shutdown: CancellationToken,
    ) -> Result<Service, ServiceError> {
        let (store, guard) =
            open_state_scoped(config, name, scope, clock.clone()).map_err(|source| {
                ServiceError::State {
                    service: name,
                    source,
                }
            })?;
        tracing::info!(state = %store.describe(), "{name}: state opened");
        Ok(Service::with_store(
            name,
            store,
            Some(guard),
            config,
            clock,
            shutdown,
        ))
    }

    /// [`Service::start`] over a store the caller opened (tests, and stores with a backend of their own).
    pub fn with_store(
        name: &'static str,
        store: Arc<StateStore>,
        guard: Option<StateGuard>,
        config: &Config,
        clock: SharedClock,
        shutdown: CancellationToken,
    ) -> Service {
        let alert_stop = CancellationToken::new();
        let (alerts, alert_task) = Alerter::spawn(
            &config.alerts,
            store.clone(),
            name,
            clock,
            alert_stop.clone(),
        );
        let token = shutdown.child_token();
        let watch_stop = CancellationToken::new();
        let watcher = watch_store_health(
            &store,
            alerts.clone(),
            name,
            token.clone(),
            watch_stop.clone(),
        );
        Service {
            name,
            store,
            guard,
            alerts,
            alert_task,
            alert_stop,
            watcher,
            watch_stop,
            shutdown,
            token,
        }
    }

    /// The binary's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The state store (shared: writers and readers in the binary clone it).
    pub fn store(&self) -> &Arc<StateStore> {
        &self.store
    }

    /// Where to send alerts.
    pub fn alerts(&self) -> &AlertHandle {
        &self.alerts
    }

    /// The token the loop runs on: cancelled by a stop signal or a lost lease.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Document `doc`, or its default ([`StateStore::read_or_default`]).
    pub fn read_or_default<T: DeserializeOwned + Default>(&self, doc: &str) -> Loaded<T> {
        self.store.read_or_default(doc)
    }

    /// The fix executor every binary installs and creates through, under the one policy rule: a
    /// `[fixes]` section that cannot become a policy is bad configuration (exit 2) in every binary.
    pub fn executor(loaded: &LoadedConfig) -> Result<Executor, ServiceError> {
        let fixes = &loaded.config.fixes;
        let policy = Policy::for_service(&loaded.config, &loaded.base_dir)
            .map_err(|e| ServiceError::BadConfig(format!("[fixes]: {e}")))?;
        Ok(Executor::new(
            Arc::new(policy),
            fixes.install_command.clone(),
            fixes.command_timeout,
        )
        .with_cwd(&loaded.base_dir))
    }

    /// Ends the service in the one order: deliver queued alerts within [`ALERT_FLUSH`] (the rest waits in
    /// the outbox), stop the store watch, release the lock or lease (off the async threads: with Key Value
    /// it writes what is pending first). Returns [`ServiceError::LeaseLost`] when the loop was stopped by a
    /// lost lease rather than a signal.
    pub async fn finish(mut self) -> Result<(), ServiceError> {
        let deadline = Instant::now() + ALERT_FLUSH;
        if tokio::time::timeout_at(deadline, self.alerts.flush())
            .await
            .is_err()
        {
            tracing::warn!("alert delivery did not finish in time; the rest waits in the outbox");
        }
        self.alert_stop.cancel();
        let park = deadline.max(Instant::now() + OUTBOX_PARK);
        let _ = tokio::time::timeout_at(park, &mut self.alert_task).await;
        let lease_lost = self.token.is_cancelled() && !self.shutdown.is_cancelled();
        self.watch_stop.cancel();
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.await;
        }
        if let Some(guard) = self.guard.take() {
            let _ = tokio::task::spawn_blocking(move || drop(guard)).await;
        }
        tracing::info!("{} stopped", self.name);
        if lease_lost {
            return Err(ServiceError::LeaseLost { service: self.name });
        }
        Ok(())
    }
}
