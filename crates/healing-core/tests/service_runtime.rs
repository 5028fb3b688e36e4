//! The service runtime every binary runs inside: a lost lease stops the loop and ends in the one typed
//! error, a signal ends cleanly and releases the writer lock, and errors map to the one exit-code table.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use healing_core::clock::system_clock;
use healing_core::config::Config;
use healing_core::config_load::{ConfigError, Problem};
use healing_core::service::{Exit, Service, ServiceError};
use healing_core::state::{FileBackend, Scope, StateBackend, StateError, StateStore, StoreHealth};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// A directory whose health the test controls, as the Key Value backend reports its own.
#[derive(Debug)]
struct Watched {
    dir: FileBackend,
    health: watch::Sender<StoreHealth>,
}

impl StateBackend for Watched {
    fn put(&self, doc: &str, bytes: &[u8]) -> Result<(), StateError> {
        self.dir.put(doc, bytes)
    }
    fn get(&self, doc: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.dir.get(doc)
    }
    fn set_aside(&self, doc: &str, suffix: &str) -> Result<String, StateError> {
        self.dir.set_aside(doc, suffix)
    }
    fn describe(&self) -> String {
        "watched test directory".into()
    }
    fn health(&self) -> Option<watch::Receiver<StoreHealth>> {
        Some(self.health.subscribe())
    }
}

fn config_in(dir: &std::path::Path) -> Config {
    Config {
        state_dir: dir.to_path_buf(),
        ..Config::default()
    }
}

#[tokio::test]
async fn a_lost_lease_stops_the_loop_and_finishes_with_the_lease_lost_error() {
    let dir = tempfile::tempdir().unwrap();
    let (health, _rx) = watch::channel(StoreHealth::Reachable);
    let backend = Arc::new(Watched {
        dir: FileBackend::new(dir.path()).unwrap(),
        health,
    });
    let store = Arc::new(StateStore::new(backend.clone(), system_clock()).with_writer("svc"));
    let shutdown = CancellationToken::new();
    let config = config_in(dir.path());
    let service = Service::with_store(
        "svc",
        store,
        None,
        &config,
        system_clock(),
        shutdown.clone(),
    );
    assert!(!service.token().is_cancelled());

    backend.health.send_replace(StoreHealth::LeaseLost);
    tokio::time::timeout(Duration::from_secs(10), service.token().cancelled())
        .await
        .expect("the loop's token is cancelled when the lease is lost");
    assert!(
        !shutdown.is_cancelled(),
        "a lost lease is not a stop signal"
    );

    let err = service.finish().await.unwrap_err();
    assert!(
        matches!(err, ServiceError::LeaseLost { service: "svc" }),
        "{err}"
    );
    assert_eq!(Exit::of_error(&err), Exit::Problems);
    assert_eq!(Exit::of_error(&err).code(), 1);
}

#[tokio::test]
async fn a_stop_signal_finishes_cleanly_and_releases_the_writer_lock() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let shutdown = CancellationToken::new();
    let first = Service::start(
        "svc",
        Scope::Instance,
        &config,
        system_clock(),
        shutdown.clone(),
    )
    .unwrap();

    let second = Service::start(
        "svc",
        Scope::Instance,
        &config,
        system_clock(),
        shutdown.clone(),
    )
    .unwrap_err();
    assert!(second.to_string().contains("already running"), "{second}");
    assert_eq!(
        Exit::of_error(&second),
        Exit::Problems,
        "a taken state is a runtime failure"
    );

    shutdown.cancel();
    assert!(
        first.token().is_cancelled(),
        "the loop's token follows the signal"
    );
    first.finish().await.expect("a signal is a clean stop");
    let again = Service::start(
        "svc",
        Scope::Instance,
        &config,
        system_clock(),
        CancellationToken::new(),
    )
    .expect("the lock was released");
    again.finish().await.unwrap();
}

#[tokio::test]
async fn documents_read_at_start_fall_back_to_their_default_and_say_where_a_broken_one_went() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    std::fs::write(dir.path().join("doc.json"), "{not json").unwrap();
    let service = Service::start(
        "svc",
        Scope::Instance,
        &config,
        system_clock(),
        CancellationToken::new(),
    )
    .unwrap();
    let missing = service.read_or_default::<Vec<u32>>("never.json");
    assert_eq!((missing.value, missing.set_aside), (vec![], None));
    let broken = service.read_or_default::<Vec<u32>>("doc.json");
    assert!(broken.value.is_empty());
    let moved = broken.set_aside.expect("the broken copy was set aside");
    assert!(moved.contains("doc.json.corrupt"), "{moved}");
    service.finish().await.unwrap();
}

/// An error that wraps another, as a binary's `anyhow` context does.
#[derive(Debug, thiserror::Error)]
#[error("while starting")]
struct Context(#[source] Box<dyn std::error::Error + Send + Sync>);

#[test]
fn configuration_errors_anywhere_in_the_chain_exit_2_and_everything_else_1() {
    let invalid = ConfigError::Invalid {
        path: "healing.toml".into(),
        problems: vec![Problem {
            key: "restart.max_restarts".into(),
            line: Some(3),
            column: Some(1),
            message: "must be at least 1".into(),
        }],
    };
    assert_eq!(Exit::of_error(&Context(Box::new(invalid))), Exit::BadConfig);
    let policy = ServiceError::BadConfig("[fixes]: unusable".into());
    assert_eq!(Exit::of_error(&Context(Box::new(policy))), Exit::BadConfig);
    let io = std::io::Error::other("port taken");
    assert_eq!(Exit::of_error(&Context(Box::new(io))), Exit::Problems);
    assert_eq!(
        [Exit::Ok, Exit::Problems, Exit::BadConfig].map(Exit::code),
        [0, 1, 2]
    );
}
