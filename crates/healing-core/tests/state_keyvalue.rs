//! The Key Value backend against a real redis-server: the lease refuses a second writer of the same
//! instance and is taken over after its holder stops; nothing is lost while the store is away or after
//! it restarts empty; instances that stop heartbeating age out of views; the password never shows.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod kv_support;

use healing_core::clock::{ManualClock, SharedClock, system_clock};
use healing_core::state::{KeyValueBackend, StateBackend, StateError, StoreHealth};
use kv_support::{Redis, any_store, eventually, options, raw};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn bulk(v: redis::Value) -> Option<Vec<u8>> {
    match v {
        redis::Value::BulkString(b) => Some(b),
        _ => None,
    }
}

#[test]
fn second_writer_of_the_same_instance_is_refused_but_another_instance_is_not() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let opts = options("srv-a");
    let first = KeyValueBackend::connect(
        &url,
        opts.clone(),
        system_clock(),
        Some("self-healing-agent"),
    )
    .unwrap();
    let err = KeyValueBackend::connect(
        &url,
        opts.clone(),
        system_clock(),
        Some("self-healing-agent"),
    )
    .unwrap_err();
    assert!(matches!(err, StateError::LeaseHeld { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("already running"), "{msg}");
    assert!(
        msg.contains(&format!("srv-a pid {}", std::process::id())),
        "{msg}"
    );
    assert!(!msg.contains("token"), "{msg}");

    let mut other = opts.clone();
    other.instance = "srv-b".into();
    assert!(
        KeyValueBackend::connect(&url, other, system_clock(), Some("self-healing-agent")).is_ok()
    );
    let _ = KeyValueBackend::connect(&url, opts, system_clock(), Some("prevention-agent"))
        .expect("another binary on the same instance has its own lease");
    drop(first);
}

#[test]
fn lease_of_a_holder_that_stopped_renewing_is_taken_over_after_it_expires() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let opts = options("srv-a");
    let key = format!("healing:{}:~lease:srv-a:auto-recovery", opts.namespace);
    // A crashed holder: its lease is there but nobody renews it.
    raw(&url, &["SET", &key, "srv-a pid 1 token 0", "PX", "300"]);
    let err = KeyValueBackend::connect(&url, opts.clone(), system_clock(), Some("auto-recovery"))
        .unwrap_err();
    assert!(err.to_string().contains("srv-a pid 1"), "{err}");
    eventually("the stale lease expires and is taken", || {
        KeyValueBackend::connect(&url, opts.clone(), system_clock(), Some("auto-recovery")).is_ok()
    });
}

#[test]
fn clean_shutdown_writes_pending_documents_and_releases_the_lease_at_once() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let opts = options("srv-a");
    let first = KeyValueBackend::connect(&url, opts.clone(), system_clock(), Some("w")).unwrap();
    first.put("d.json", b"{\"v\":1}").unwrap();
    first.shutdown(Duration::from_secs(2));
    assert_eq!(first.pending(), 0);
    assert!(matches!(
        first.put("d.json", b"{}"),
        Err(StateError::LeaseLost { .. })
    ));
    let second = KeyValueBackend::connect(&url, opts, system_clock(), Some("w")).unwrap();
    assert_eq!(second.get("d.json").unwrap().unwrap(), b"{\"v\":1}");
}

#[test]
fn store_restarted_empty_mid_run_gets_every_document_back_and_health_reports_the_outage_once() {
    let Some(mut server) = Redis::start() else {
        return;
    };
    let url = server.url();
    let kv = KeyValueBackend::connect(&url, options("srv-a"), system_clock(), Some("w")).unwrap();
    let mut health = kv.health().unwrap();
    kv.put("a.json", b"A1").unwrap();
    eventually("a.json stored", || kv.pending() == 0);
    let key_a = kv.key_of("a.json").unwrap();

    server.stop();
    // Writes while the store is away return at once and are served from memory.
    let started = Instant::now();
    kv.put("a.json", b"A2").unwrap();
    kv.put("b.json", b"B1").unwrap();
    kv.put("a.json", b"A3").unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(kv.get("a.json").unwrap().unwrap(), b"A3");
    eventually("outage noticed", || {
        matches!(*health.borrow_and_update(), StoreHealth::Unreachable { .. })
    });
    assert!(
        !health.has_changed().unwrap(),
        "the outage is reported once"
    );

    server.restart();
    eventually("everything written again after the restart", || {
        bulk(raw(&url, &["GET", &key_a])).as_deref() == Some(b"A3".as_slice()) && kv.pending() == 0
    });
    assert_eq!(
        bulk(raw(&url, &["GET", &kv.key_of("b.json").unwrap()])).unwrap(),
        b"B1"
    );
    eventually("recovery reported", || {
        *health.borrow_and_update() == StoreHealth::Reachable
    });
    // The lease came back with the documents, so a second writer is still refused.
    let lease = format!(
        "healing:{}:~lease:srv-a:w",
        key_a.split(':').nth(1).unwrap()
    );
    assert!(bulk(raw(&url, &["GET", &lease])).is_some());
}

#[test]
fn lease_taken_by_another_process_stops_writes_and_is_reported() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let opts = options("srv-a");
    let kv = KeyValueBackend::connect(&url, opts.clone(), system_clock(), Some("w")).unwrap();
    let mut health = kv.health().unwrap();
    let lease = format!("healing:{}:~lease:srv-a:w", opts.namespace);
    raw(
        &url,
        &["SET", &lease, "srv-a pid 99 token 1", "PX", "60000"],
    );
    kv.put("d.json", b"mine").unwrap();
    eventually("lease loss reported", || {
        *health.borrow_and_update() == StoreHealth::LeaseLost
    });
    assert!(bulk(raw(&url, &["GET", &kv.key_of("d.json").unwrap()])).is_none());
    assert!(matches!(
        kv.put("d.json", b"x"),
        Err(StateError::LeaseLost { .. })
    ));
}

#[test]
fn instances_that_stop_heartbeating_age_out_of_every_instance_views() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let clock = ManualClock::at_epoch_2026();
    let shared: SharedClock = Arc::new(clock.clone());
    let mut a_opts = options("srv-a");
    let mut b_opts = a_opts.clone();
    b_opts.instance = "srv-b".into();
    a_opts.age_out = Duration::from_secs(90);
    b_opts.age_out = Duration::from_secs(90);
    let a = KeyValueBackend::connect(&url, a_opts, shared.clone(), Some("w")).unwrap();
    let b = KeyValueBackend::connect(&url, b_opts, shared.clone(), Some("w")).unwrap();
    a.put("agent_status.json", b"{\"i\":\"a\"}").unwrap();
    b.put("agent_status.json", b"{\"i\":\"b\"}").unwrap();
    eventually("both stored", || a.pending() == 0 && b.pending() == 0);
    let names = |kv: &KeyValueBackend| -> Vec<String> {
        kv.get_all_instances("agent_status.json")
            .unwrap()
            .into_iter()
            .map(|(i, _)| i)
            .collect()
    };
    assert_eq!(names(&b), ["srv-a", "srv-b"]);
    a.shutdown(Duration::from_secs(2)); // redeployed away: no more heartbeats
    clock.advance(Duration::from_secs(91));
    assert_eq!(
        names(&b),
        ["srv-b"],
        "srv-a aged out; srv-b always sees itself"
    );
}

#[test]
fn url_password_never_appears_in_errors_or_descriptions() {
    let Some((url, _server)) = any_store() else {
        return;
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bad = format!("redis://user:s3cret-pass@127.0.0.1:{closed}/");
    let err = KeyValueBackend::connect(&bad, options("i"), system_clock(), Some("w")).unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains("s3cret-pass") && msg.contains("***"), "{msg}");
    let wrong = url.replace("redis://", "redis://:s3cret-pass@");
    if let Err(e) = KeyValueBackend::connect(&wrong, options("i"), system_clock(), Some("w")) {
        assert!(!e.to_string().contains("s3cret-pass"), "{e}");
    }
    let err = KeyValueBackend::connect(
        "http://x:s3cret-pass@h/",
        options("i"),
        system_clock(),
        None,
    )
    .unwrap_err();
    assert!(!err.to_string().contains("s3cret-pass"), "{err}");
}
