use super::*;
use healing_core::config_load::load_from_str;

fn write_log(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn records(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const LOG: &[u8] = b"starting\n\
Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n    import yaml\n\
ModuleNotFoundError: No module named 'yaml'\n\
redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.\n\
SyntaxError: invalid syntax\n";

#[test]
fn without_a_config_every_fix_is_refused_and_each_incident_is_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "worker.log", LOG);
    let mut out = Vec::new();
    let summary = run_scan(None, std::slice::from_ref(&log), &mut out).unwrap();
    let recs = records(&out);
    assert_eq!(recs.len(), 3, "{recs:#?}");
    assert_eq!(summary.incidents, 3);
    assert_eq!(summary.lines, 7);

    let missing = &recs[0];
    assert_eq!(missing["file"], log.display().to_string());
    assert_eq!(missing["line"], 5);
    assert_eq!(missing["kind"], "module_not_found");
    assert_eq!(missing["detail"]["distribution"], "PyYAML");
    assert_eq!(missing["action"], "alert", "deny-all refuses the install");
    assert!(missing["refused"].is_string());

    let refused = &recs[1];
    assert_eq!(refused["kind"], "connection_refused_local");
    assert_eq!(refused["target"], "localhost:6379");
    assert_eq!(refused["refused"], serde_json::Value::Null);

    assert_eq!(recs[2]["kind"], "syntax_error");
    assert_eq!(recs[2]["action"], "alert");
}

#[test]
fn an_allowed_package_is_planned_as_an_install_with_its_pin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "PyYAML==6.0.1\n").unwrap();
    let loaded = load_from_str("", None, dir.path(), &|_| None).unwrap();
    let log = write_log(dir.path(), "worker.log", LOG);
    let mut out = Vec::new();
    run_scan(Some(&loaded), &[log], &mut out).unwrap();
    let recs = records(&out);
    assert_eq!(recs[0]["action"], "install_package", "{recs:#?}");
    assert_eq!(recs[0]["target"], "PyYAML==6.0.1");
    // Every record has a fingerprint; an install says what the supervisor would check first.
    assert!(
        recs.iter()
            .all(|r| r["fingerprint"].as_str().is_some_and(|f| f.len() == 16)),
        "{recs:#?}"
    );
    assert!(recs[0]["check"].as_str().unwrap().contains("import yaml"));
    assert_eq!(recs[1].get("check"), None, "only installs are checked");
    assert_eq!(recs[0]["refused"], serde_json::Value::Null);
}

#[test]
fn an_unreadable_file_is_exit_status_2_after_the_others_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "worker.log", LOG);
    let missing = dir.path().join("nope.log");
    let mut out = Vec::new();
    let err = run_scan(None, &[missing, log], &mut out).unwrap_err();
    let scan_err = err.downcast_ref::<ScanError>().expect("typed error");
    assert_eq!(scan_err.exit_code(), 2);
    assert!(err.to_string().contains("nope.log"), "{err}");
    assert_eq!(
        records(&out).len(),
        3,
        "the readable file was still scanned"
    );
}

#[test]
fn a_bad_user_pattern_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut loaded = load_from_str("", None, dir.path(), &|_| None).unwrap();
    loaded
        .config
        .patterns
        .push(healing_core::config::PatternConfig {
            name: "broken".into(),
            regex: "(".into(),
            kind: ErrorKind::Timeout,
            severity: None,
            action: None,
        });
    let err = run_scan(Some(&loaded), &[], &mut Vec::new()).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<ScanError>(),
            Some(ScanError::BadConfig { .. })
        ),
        "{err}"
    );
}

#[test]
fn a_clean_log_prints_nothing_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "ok.log", b"all good\nstill good\n");
    let mut out = Vec::new();
    let summary = run_scan(None, &[log], &mut out).unwrap();
    assert!(out.is_empty());
    assert_eq!((summary.files, summary.incidents, summary.lines), (1, 0, 2));
}

const REPEATS: &[u8] = b"[2024-01-09 13:24:39 +0000] [1637] [CRITICAL] WORKER TIMEOUT (pid:7214)\n\
[2024-01-09 13:24:40 +0000] [7310] [INFO] Booting worker with pid: 7310\n\
[2024-01-09 13:25:03 +0000] [1637] [CRITICAL] WORKER TIMEOUT (pid:7284)\n\
Traceback (most recent call last):\n  File \"/app/jobs/sync.py\", line 10, in run\n\
KeyError: 'user_17'\n\
[2024-01-09 13:25:09 +0000] [1637] [CRITICAL] WORKER TIMEOUT (pid:7296)\n\
Traceback (most recent call last):\n  File \"/app/jobs/sync.py\", line 12, in run\n\
KeyError: 'user_98'\n";

#[test]
fn the_summary_has_one_row_per_fingerprint_with_counts_and_first_and_last_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "app.log", REPEATS);
    let mut out = Vec::new();
    let summary = run_scan_summary(None, std::slice::from_ref(&log), &mut out).unwrap();
    assert_eq!(summary.incidents, 5);
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 3, "header + two fingerprints:\n{text}");
    assert!(rows[0].starts_with("FINGERPRINT") && rows[0].contains("MESSAGE"));
    let file = log.display().to_string();
    assert!(
        rows[1].contains("worker_timeout") && rows[1].contains("    3  "),
        "{text}"
    );
    assert!(
        rows[1].contains(&format!("{file}:1")) && rows[1].contains(&format!("{file}:7")),
        "{text}"
    );
    assert!(
        rows[1].contains("WORKER TIMEOUT (pid:<n>)") && rows[1].contains("restart"),
        "{text}"
    );
    assert!(
        rows[2].contains("unclassified") && rows[2].contains("    2  "),
        "{text}"
    );
    assert!(rows[2].contains("KeyError: <q>"), "{text}");
}
