//! A binary's state documents: written with an envelope, read back, and forgiven when missing or broken.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use healing_core::clock::{ManualClock, SharedClock};
use healing_core::state::{FileBackend, ReadOutcome, SCHEMA_VERSION, StateError, StateStore, docs};
use serde::{Deserialize, Serialize};
use std::fs;
use std::sync::Arc;

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Counters {
    restarts: u32,
    #[serde(default)]
    names: Vec<String>,
}

fn store_in(dir: &std::path::Path) -> StateStore {
    let clock: SharedClock = Arc::new(ManualClock::at_epoch_2026());
    StateStore::new(Arc::new(FileBackend::new(dir).unwrap()), clock).with_writer("test-writer")
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn written_document_carries_schema_version_timestamp_and_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let value = Counters {
        restarts: 3,
        names: vec!["a".into()],
    };
    store.write(docs::SELF_HEALING, &value).unwrap();

    let raw: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join(docs::SELF_HEALING)).unwrap()).unwrap();
    assert_eq!(raw["schema_version"], SCHEMA_VERSION);
    assert_eq!(raw["written_at"], "2026-01-01T00:00:00Z");
    assert_eq!(raw["writer"], "test-writer");
    assert_eq!(raw["restarts"], 3);
    assert_eq!(
        store.read::<Counters>(docs::SELF_HEALING),
        ReadOutcome::Loaded(value)
    );
    assert_eq!(store.read_raw(docs::SELF_HEALING), Some(raw));
}

#[test]
fn missing_document_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    assert_eq!(
        store.read::<Counters>(docs::PREVENTION),
        ReadOutcome::Missing
    );
    assert_eq!(
        store.read::<Counters>(docs::PREVENTION).unwrap_or_default(),
        Counters::default()
    );
    assert_eq!(store.read_raw(docs::PREVENTION), None);
}

#[test]
fn corrupt_document_is_set_aside_reported_and_the_next_write_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    fs::write(
        dir.path().join(docs::AGENT_STATUS),
        b"{\"schema_version\":1, \"restarts\": 4",
    )
    .unwrap();

    let ReadOutcome::Corrupt { moved_to, error } = store.read::<Counters>(docs::AGENT_STATUS)
    else {
        panic!("truncated JSON must be reported as corrupt");
    };
    assert!(error.contains("not valid JSON"), "{error}");
    assert!(
        moved_to.ends_with("agent_status.json.corrupt-20260101T000000.000Z"),
        "{moved_to}"
    );
    assert_eq!(
        fs::read(&moved_to).unwrap(),
        b"{\"schema_version\":1, \"restarts\": 4"
    );
    // The binary carries on: the next read is Missing and the next write works.
    assert_eq!(
        store.read::<Counters>(docs::AGENT_STATUS),
        ReadOutcome::Missing
    );
    store
        .write(docs::AGENT_STATUS, &Counters::default())
        .unwrap();
    assert!(matches!(
        store.read::<Counters>(docs::AGENT_STATUS),
        ReadOutcome::Loaded(_)
    ));
}

#[test]
fn document_from_a_newer_binary_is_set_aside_not_silently_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let newer = format!(
        "{{\"schema_version\":{},\"restarts\":1,\"field_from_the_future\":true}}",
        SCHEMA_VERSION + 1
    );
    fs::write(dir.path().join(docs::RECOVERY), &newer).unwrap();
    let ReadOutcome::Corrupt { moved_to, error } = store.read::<Counters>(docs::RECOVERY) else {
        panic!("a newer schema_version must not load");
    };
    assert!(error.contains("newer"), "{error}");
    assert_eq!(fs::read_to_string(moved_to).unwrap(), newer);
}

#[test]
fn wrong_shape_and_missing_version_are_corrupt_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    fs::write(
        dir.path().join("a.json"),
        b"{\"schema_version\":1,\"restarts\":\"many\"}",
    )
    .unwrap();
    fs::write(dir.path().join("b.json"), b"{\"restarts\":1}").unwrap();
    fs::write(dir.path().join("c.json"), b"[1,2]").unwrap();
    for doc in ["a.json", "b.json", "c.json"] {
        assert!(
            matches!(store.read::<Counters>(doc), ReadOutcome::Corrupt { .. }),
            "{doc} should be corrupt"
        );
    }
    assert_eq!(
        leftovers(dir.path()),
        vec![
            "a.json.corrupt-20260101T000000.000Z",
            "b.json.corrupt-20260101T000000.000Z",
            "c.json.corrupt-20260101T000000.000Z"
        ]
    );
}

#[test]
fn readers_tolerate_extra_fields_from_the_same_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    fs::write(
        dir.path().join("x.json"),
        b"{\"schema_version\":1,\"restarts\":7,\"something_else\":{}}",
    )
    .unwrap();
    assert_eq!(
        store.read::<Counters>("x.json"),
        ReadOutcome::Loaded(Counters {
            restarts: 7,
            names: vec![]
        })
    );
}

#[test]
fn non_object_values_are_refused_with_the_document_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let err = store.write("list.json", &vec![1, 2, 3]).unwrap_err();
    assert!(matches!(err, StateError::Serialize { .. }));
    assert!(err.to_string().contains("list.json"), "{err}");
}

#[test]
fn second_instance_of_a_binary_refuses_to_start_naming_the_lock_and_pid() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (_store, lock) = StateStore::open_dir(&state, "prevention-agent").unwrap();
    assert!(lock.path().ends_with("prevention-agent.lock"));

    let err = StateStore::open_dir(&state, "prevention-agent").unwrap_err();
    let StateError::AlreadyRunning {
        lock_file,
        holder_pid,
        ..
    } = &err
    else {
        panic!("expected AlreadyRunning, got {err}");
    };
    assert_eq!(lock_file, &state.join("prevention-agent.lock"));
    assert_eq!(*holder_pid, Some(std::process::id()));
    assert!(err.to_string().contains("refusing to start"), "{err}");

    drop(lock);
    assert!(StateStore::open_dir(&state, "prevention-agent").is_ok());
}
