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
        json!({"schema_version": 1, "written_at": "2026-01-01T00:00:40Z",
        "last_pass_at": "2026-01-01T00:00:40Z",
        "measurements": [{"key": "memory", "percent": 91.2, "used": 489_000_000.0, "limit": 536_870_912.0,
                          "unit": "bytes", "source": "cgroup_v2"},
                         {"key": "cpu", "percent": 12.0, "used": 0.06, "limit": 0.5, "unit": "cores",
                          "source": "cgroup_v2"}],
        "warnings": {"memory": {"active": true, "percent": 91.2, "threshold": 85.0},
                     "cpu": {"active": false, "percent": 12.0, "threshold": 90.0}},
        "checks": [{"name": "dependency:numpy", "outcome": "warning",
                    "message": "numpy 1.26.4 installed, requirements.txt wants >=2.0"}],
        "suggestions": {"memory": [{"agent": "a"}, {"agent": "b"}]}}),
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
    // Findings, not field counts: each reading against its threshold, the warning, the dependency.
    let prevention = line_with(&text, "prevention-agent:");
    assert!(
        prevention.contains("last pass 1m00s ago") && prevention.contains("1 warning"),
        "{prevention}"
    );
    assert!(!text.contains("suggestions: 2"), "{text}");
    let memory: Vec<&str> = line_with(&text, "memory").split_whitespace().collect();
    assert_eq!(
        memory,
        [
            "memory", "91%", "466", "MiB", "of", "512", "MiB", "warns", "at", "85%", "WARNING"
        ]
    );
    assert!(
        line_with(&text, "cpu").contains("0.06 of 0.50 cores"),
        "{text}"
    );
    assert!(
        text.contains("warning: memory at 91% (threshold 85%)")
            && text.contains("dependency: dependency:numpy warning: numpy 1.26.4 installed, requirements.txt wants >=2.0"),
        "{text}"
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
        json!({"services": {"api": {"healthy": true, "status": 200, "latency_ms": 84}}}),
    );
    let text = status_of(dir.path());
    assert!(
        text.contains("self-healing-agent: unreadable: agent_status.json: not valid JSON"),
        "{text}"
    );
    let api: Vec<&str> = line_with(&text, "api").split_whitespace().collect();
    assert_eq!(
        &api[..6],
        ["api", "healthy", "HTTP", "200", "in", "84"],
        "{text}"
    );
}

#[test]
fn a_stopped_supervisor_is_said_first_and_promises_no_retry() {
    let dir = tempfile::tempdir().unwrap();
    // Written 10 minutes before "now", with a retry that was due in the future back then.
    write(
        dir.path(),
        "agent_status.json",
        json!({"written_at": "2025-12-31T23:51:40Z", "agents": {
            "flaky": {"status": "backoff", "healthy": false, "next_retry_at": "2026-01-01T00:05:00Z"}}}),
    );
    write(
        dir.path(),
        "prevention_state.json",
        json!({"written_at": "2025-12-31T22:00:00Z", "last_pass_at": "2025-12-31T22:00:00Z"}),
    );
    let text = status_of(dir.path());
    let first = text.lines().nth(1).unwrap_or_default();
    assert!(
        first.starts_with("supervisor not running; last seen 10m00s ago"),
        "{text}"
    );
    assert!(
        !text.contains("in 3m20s"),
        "a retry nobody will make: {text}"
    );
    let flaky: Vec<&str> = line_with(&text, "flaky").split_whitespace().collect();
    assert_eq!(flaky.last(), Some(&"-"), "{text}");
    assert!(
        line_with(&text, "prevention-agent:").contains("STALE (written 2h01m ago)"),
        "{text}"
    );
}

#[test]
fn a_fix_and_its_pending_start_show_as_one_row_with_its_action() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "self_healing_state.json",
        json!({"history": [
            {"at": "2026-01-01T00:00:10Z", "agent": "news", "event": "fix", "kind": "module_not_found",
             "action": "install_package", "target": "sparkline==1.0", "outcome": "pending"},
            {"at": "2026-01-01T00:00:12Z", "agent": "news", "event": "fix", "kind": "module_not_found",
             "target": "sparkline==1.0", "outcome": "succeeded"}]}),
    );
    let text = status_of(dir.path());
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("sparkline")).collect();
    assert_eq!(rows.len(), 1, "{text}");
}
