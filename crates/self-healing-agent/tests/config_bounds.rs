//! `check-config` refuses a duration that would overflow the clock at run time (it used to pass,
//! then the supervisor panicked with exit 101 and left its agents orphaned).

#![allow(clippy::unwrap_used)]

mod common;
use common::Project;

#[test]
fn check_config_refuses_a_ten_thousand_year_cooldown_naming_key_and_line() {
    let p = Project::new();
    p.write(
        "healing.toml",
        "[breaker]\ncooldown = \"10000y\"\n[[agents]]\nname = \"a\"\ncommand = [\"sleep\", \"1\"]\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(p.path())
        .args(["--config", "healing.toml", "check-config"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("healing.toml:2:")
            && err.contains("breaker.cooldown")
            && err.contains("10 years"),
        "{err}"
    );
}
