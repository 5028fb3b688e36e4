//! The one entry point the binaries use: pick the backend from the configuration and take the
//! one-writer guard (the directory's `flock` or the Key Value lease).

use super::{FileBackend, KeyValueBackend, KeyValueOptions, StateError, StateStore, WriterLock};
use crate::clock::SharedClock;
use crate::config::Config;
use std::sync::Arc;
use std::time::Duration;

/// How long releasing the guard waits for pending documents to be stored.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(3);

/// Held for the life of the writer. Dropping it releases the file lock, or writes what is pending
/// and releases the lease (waiting at most a few seconds).
#[derive(Debug)]
pub enum StateGuard {
    /// The state directory's writer lock.
    File(WriterLock),
    /// The Key Value backend, whose lease is released on drop.
    Lease(Arc<KeyValueBackend>),
}

impl Drop for StateGuard {
    fn drop(&mut self) {
        if let StateGuard::Lease(backend) = self {
            backend.shutdown(SHUTDOWN_FLUSH);
        }
    }
}

/// Whose documents a writer owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One copy per running instance (`RENDER_INSTANCE_ID`): the supervisor, which runs beside the
    /// agents of its own instance when a service is scaled out.
    Instance,
    /// One copy per service ([`super::SERVICE_INSTANCE`]): writers whose findings are about the service
    /// as a whole, and cron jobs, whose every run is a new instance but must remember the last one.
    Service,
}

/// [`open_state`] for a writer of the given [`Scope`].
pub fn open_state_scoped(
    config: &Config,
    owner: &str,
    scope: Scope,
    clock: SharedClock,
) -> Result<(Arc<StateStore>, StateGuard), StateError> {
    let mut options = KeyValueOptions::from_env();
    if scope == Scope::Service {
        options.instance = super::SERVICE_INSTANCE.to_string();
    }
    open_state_with(config, owner, clock, options)
}

/// Opens the state of `owner` (a binary's name): the Key Value store when `config.state_url` is set
/// (`HEALING_STATE_URL` / `--state-url`), else the directory `config.state_dir`. Fails with
/// [`StateError::AlreadyRunning`] or [`StateError::LeaseHeld`] when another process of `owner` writes
/// for this instance, and when the store cannot be reached at start (nothing to hold the lease on).
pub fn open_state(
    config: &Config,
    owner: &str,
    clock: SharedClock,
) -> Result<(Arc<StateStore>, StateGuard), StateError> {
    open_state_with(config, owner, clock, KeyValueOptions::from_env())
}

/// [`open_state`] with explicit Key Value options (namespace, instance, lease timing).
pub fn open_state_with(
    config: &Config,
    owner: &str,
    clock: SharedClock,
    options: KeyValueOptions,
) -> Result<(Arc<StateStore>, StateGuard), StateError> {
    match &config.state_url {
        Some(url) => {
            let backend = Arc::new(KeyValueBackend::connect(
                url,
                options,
                clock.clone(),
                Some(owner),
            )?);
            let store = StateStore::new(backend.clone(), clock).with_writer(owner);
            Ok((Arc::new(store), StateGuard::Lease(backend)))
        }
        None => {
            let (store, lock) = StateStore::open_dir_with(&config.state_dir, owner, clock)?;
            Ok((Arc::new(store), StateGuard::File(lock)))
        }
    }
}

/// Opens the state for reading only (status views): no lock, no lease, no instance registration.
pub fn open_state_reader(config: &Config, clock: SharedClock) -> Result<StateStore, StateError> {
    let backend: Arc<dyn super::StateBackend> = match &config.state_url {
        Some(url) => Arc::new(KeyValueBackend::connect(
            url,
            KeyValueOptions::from_env(),
            clock.clone(),
            None,
        )?),
        None => Arc::new(FileBackend::new(&config.state_dir)?),
    };
    Ok(StateStore::new(backend, clock))
}
