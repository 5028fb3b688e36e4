//! One behavioural suite, run against both backends through `open_state`: whatever the binaries do with
//! state must behave the same on a directory and on the Key Value store.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod kv_support;

use healing_core::clock::{SharedClock, system_clock};
use healing_core::config::Config;
use healing_core::state::{
    KeyValueOptions, ReadOutcome, StateError, StateGuard, StateStore, open_state_with,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Doc {
    restarts: u32,
    note: String,
}

/// A place to keep state plus the handles that keep it alive.
struct Place {
    config: Config,
    opts: KeyValueOptions,
    _dir: tempfile::TempDir,
    _server: Option<kv_support::Redis>,
}

impl Place {
    fn open(&self, owner: &str) -> Result<(Arc<StateStore>, StateGuard), StateError> {
        let clock: SharedClock = system_clock();
        open_state_with(&self.config, owner, clock, self.opts.clone())
    }
}

fn file_place() -> Option<Place> {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        state_dir: dir.path().join("state"),
        ..Config::default()
    };
    Some(Place {
        config,
        opts: kv_support::options("host-1"),
        _dir: dir,
        _server: None,
    })
}

fn keyvalue_place() -> Option<Place> {
    let (url, server) = kv_support::any_store()?;
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        state_dir: dir.path().join("unused"),
        state_url: Some(url),
        ..Config::default()
    };
    Some(Place {
        config,
        opts: kv_support::options("host-1"),
        _dir: dir,
        _server: server,
    })
}

macro_rules! behaviours {
    ($backend:ident, $place:expr) => {
        mod $backend {
            use super::*;

            #[test]
            fn document_round_trips_with_envelope_and_survives_reopening() {
                let Some(place) = $place else { return };
                let (store, guard) = place.open("self-healing-agent").unwrap();
                let doc = Doc {
                    restarts: 3,
                    note: "ok".into(),
                };
                store.write("self_healing_state.json", &doc).unwrap();
                assert_eq!(
                    store.read::<Doc>("self_healing_state.json"),
                    ReadOutcome::Loaded(doc)
                );
                let raw = store.read_raw("self_healing_state.json").unwrap();
                assert_eq!(raw["schema_version"], 1);
                assert_eq!(raw["writer"], "self-healing-agent");
                drop(guard);
                drop(store);
                let (again, _guard) = place.open("self-healing-agent").unwrap();
                assert_eq!(
                    again
                        .read::<Doc>("self_healing_state.json")
                        .unwrap_or_default()
                        .restarts,
                    3
                );
            }

            #[test]
            fn missing_document_reads_as_missing() {
                let Some(place) = $place else { return };
                let (store, _guard) = place.open("prevention-agent").unwrap();
                assert_eq!(
                    store.read::<Doc>("prevention_state.json"),
                    ReadOutcome::Missing
                );
                assert!(store.read_all_instances("prevention_state.json").is_empty());
            }

            #[test]
            fn corrupt_or_newer_document_is_set_aside_and_defaults_are_used() {
                let Some(place) = $place else { return };
                let (store, _guard) = place.open("auto-recovery").unwrap();
                for bad in [
                    &b"not json"[..],
                    br#"{"schema_version": 99, "restarts": 1}"#,
                ] {
                    store
                        .backend()
                        .put("render_recovery_state.json", bad)
                        .unwrap();
                    match store.read::<Doc>("render_recovery_state.json") {
                        ReadOutcome::Corrupt { moved_to, .. } => {
                            assert!(
                                moved_to.contains("render_recovery_state.json.corrupt-"),
                                "{moved_to}"
                            )
                        }
                        other => panic!("expected Corrupt, got {other:?}"),
                    }
                    assert_eq!(
                        store.read::<Doc>("render_recovery_state.json"),
                        ReadOutcome::Missing
                    );
                }
            }

            #[test]
            fn second_writer_is_refused_until_the_first_one_stops() {
                let Some(place) = $place else { return };
                let (_store, guard) = place.open("self-healing-agent").unwrap();
                let err = place.open("self-healing-agent").unwrap_err();
                assert!(err.to_string().contains("already running"), "{err}");
                assert!(
                    err.to_string().contains(&std::process::id().to_string()),
                    "{err}"
                );
                assert!(
                    place.open("prevention-agent").is_ok(),
                    "other binaries are independent"
                );
                drop(guard);
                assert!(place.open("self-healing-agent").is_ok());
            }

            #[test]
            fn every_instance_view_shows_this_instance() {
                let Some(place) = $place else { return };
                let (store, _guard) = place.open("self-healing-agent").unwrap();
                store
                    .write(
                        "agent_status.json",
                        &Doc {
                            restarts: 1,
                            note: "up".into(),
                        },
                    )
                    .unwrap();
                let all = store.read_all_instances("agent_status.json");
                assert_eq!(all.len(), 1);
                assert_eq!(all[0].0, store.instance());
                assert_eq!(all[0].1["note"], "up");
            }
        }
    };
}

behaviours!(file, file_place());
behaviours!(keyvalue, keyvalue_place());
