//! `self-healing-agent status` over fixture state dirs, as a human would read it.

use self_healing_agent::status_cmd;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// 2026-01-01T00:01:40Z: 100 s after the fixtures' reference time.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_700)
}

fn status_of(dir: &Path) -> String {
    let mut out = Vec::new();
    status_cmd::run_at(dir, now(), &mut out).expect("status prints");
    String::from_utf8(out).expect("status output is UTF-8")
}

fn line_with<'a>(text: &'a str, first_word: &str) -> &'a str {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(first_word))
        .unwrap_or_else(|| panic!("no line starting with {first_word:?} in\n{text}"))
}

fn write(dir: &Path, name: &str, doc: serde_json::Value) {
    std::fs::write(dir.join(name), doc.to_string()).expect("write fixture");
}

#[test]
fn shows_agents_breakers_recent_fixes_and_the_other_binaries() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "agent_status.json",
        json!({
        "written_at": "2026-01-01T00:01:37Z", "instance": "srv-1",
        "agents": {
            "market_data": {"status": "running", "healthy": true, "pid": 4242, "uptime_secs": 75.0,
                "restarts_last_hour": 1, "breaker": "closed",
                "last_incident": {"kind": "module_not_found", "at": "2026-01-01T00:00:20Z"}},
            "flaky_worker": {"status": "circuit_open", "healthy": false, "pid": null, "restarts_last_hour": 5,
                "breaker": "open", "last_exit": {"code": 1, "signal": null, "at": "2026-01-01T00:01:00Z"},
                "next_retry_at": "2026-01-01T00:05:00Z"},
            "memory_hog": {"status": "backoff", "healthy": false, "last_exit": {"code": null, "signal": 9}}
        }}),
    );
    write(
        dir.path(),
        "self_healing_state.json",
        json!({
        "started_at": "2026-01-01T00:00:00Z", "last_health_pass": "2026-01-01T00:01:30Z",
        "breakers": {"agent:flaky_worker": {"state": "open", "failures": 3, "opened_at": "2026-01-01T00:01:00Z"}},
        "history": [
            {"at": "2026-01-01T00:00:21Z", "agent": "market_data", "event": "fix", "kind": "module_not_found",
             "action": "install_package", "target": "neolight-sparkline==1.0.0", "outcome": "succeeded"},
            {"at": "2026-01-01T00:00:30Z", "agent": "market_data", "event": "restart"},
            {"at": "2026-01-01T00:00:40Z", "agent": "cache_client", "event": "fix", "kind": "connection_refused_local",
             "action": "alert", "outcome": "refused", "refused": "alert only: a local sidecar is down"}],
        "counters": {"restarts_total": {"flaky_worker": 5}, "incidents_total": {"process_exit": 5},
                     "fixes_total": {"succeeded": 1, "refused": 1}}}),
    );
    write(
        dir.path(),
        "prevention_state.json",
        json!({"schema_version": 1,
        "last_pass_at": "2026-01-01T00:00:40Z", "active_warnings": [{"kind": "memory"}]}),
    );

    let text = status_of(dir.path());
    let header = line_with(&text, "self-healing-agent:");
    assert!(
        header.contains("instance srv-1") && header.contains("written 3s ago"),
        "{header}"
    );
    assert!(header.contains("1/3 healthy, 1 held"), "{header}");

    let market: Vec<&str> = line_with(&text, "market_data").split_whitespace().collect();
    assert_eq!(
        &market[..6],
        ["market_data", "running", "healthy", "4242", "1m15s", "1"]
    );
    assert!(line_with(&text, "market_data").contains("module_not_found 1m20s ago"));
    let flaky = line_with(&text, "flaky_worker");
    assert!(
        flaky.contains("circuit_open") && flaky.contains("held") && flaky.contains("code 1"),
        "{flaky}"
    );
    assert!(flaky.contains("in 3m20s"), "next retry: {flaky}");
    let hog = line_with(&text, "memory_hog");
    assert!(
        hog.contains("unhealthy") && hog.contains("signal 9"),
        "{hog}"
    );

    let breaker = line_with(&text, "agent:flaky_worker");
    assert_eq!(
        breaker.split_whitespace().take(3).collect::<Vec<_>>(),
        ["agent:flaky_worker", "open", "3"]
    );

    // Newest fix first; the restart event is not a fix.
    let fixes: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("FIXED"))
        .skip(1)
        .take(2)
        .collect();
    assert!(
        fixes[0].contains("cache_client") && fixes[0].contains("alert only"),
        "{fixes:?}"
    );
    assert!(
        fixes[1].contains("neolight-sparkline==1.0.0") && fixes[1].contains("succeeded"),
        "{fixes:?}"
    );

    assert!(text.contains("fixes: refused=1 succeeded=1"), "{text}");
    let prevention = line_with(&text, "prevention-agent:");
    assert!(
        prevention.contains("active warnings: 1 (memory)")
            && prevention.contains("last pass 1m00s ago")
    );
    assert!(
        text.contains("auto-recovery: not running (no render_recovery_state.json)"),
        "{text}"
    );
}

#[test]
fn an_empty_state_dir_says_nothing_runs_yet() {
    let dir = tempfile::tempdir().unwrap();
    let text = status_of(dir.path());
    assert!(
        text.contains("self-healing-agent: no agent_status.json (not started here yet)"),
        "{text}"
    );
    assert!(text.contains("prevention-agent: not running"), "{text}");
    assert!(!text.contains("AGENT"), "no table without agents: {text}");
}

#[test]
fn corrupt_documents_are_reported_and_the_rest_still_shows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agent_status.json"), b"{ truncated").unwrap();
    write(
        dir.path(),
        "render_recovery_state.json",
        json!({"services": {"api": {"up": true}}}),
    );
    let text = status_of(dir.path());
    assert!(
        text.contains("self-healing-agent: unreadable: agent_status.json: not valid JSON"),
        "{text}"
    );
    assert!(text.contains("auto-recovery: services: 1"), "{text}");
}
