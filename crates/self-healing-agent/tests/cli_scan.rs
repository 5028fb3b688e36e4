//! `self-healing-agent scan` through the real binary: works with no config at all, and a bad config
//! or an unreadable file exits 2.

#![allow(clippy::unwrap_used)]

mod common;
use common::Project;
use std::process::Command;

fn scan(p: &Project, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(p.path())
        .env_remove("HEALING_CONFIG")
        .args(args)
        .output()
        .unwrap()
}

/// A scan that must succeed: its stdout.
fn scan_ok(p: &Project, args: &[&str]) -> String {
    let out = scan(p, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const LOG: &str = "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nModuleNotFoundError: No module named 'yaml'\nINFO done\n";

#[test]
fn scan_without_any_config_uses_the_builtin_catalogue_and_refuses_every_fix() {
    let p = Project::new();
    p.write("agent.log", LOG);
    let stdout = scan_ok(&p, &["scan", "agent.log"]);
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "module_not_found");
    assert!(first["refused"].is_string(), "{first}");
}

#[test]
fn scan_with_a_bad_config_or_an_unreadable_file_exits_2() {
    let p = Project::new();
    p.write("agent.log", LOG);
    p.write("healing.toml", "[self_healing]\nno_such_key = 1\n");
    assert_eq!(scan(&p, &["scan", "agent.log"]).status.code(), Some(2));
    std::fs::remove_file(p.path().join("healing.toml")).unwrap();
    assert_eq!(scan(&p, &["scan", "missing.log"]).status.code(), Some(2));
}

#[test]
fn scan_summary_prints_a_table_a_person_reads() {
    let p = Project::new();
    p.write("a.log", LOG);
    p.write("b.log", LOG);
    let stdout = scan_ok(&p, &["scan", "--summary", "a.log", "b.log"]);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert!(rows[0].starts_with("FINGERPRINT"), "{stdout}");
    assert!(
        rows[1].contains("module_not_found")
            && rows[1].contains("a.log:3")
            && rows[1].contains("b.log:3"),
        "{stdout}"
    );
}
