//! The one redactor on every way out, through the real binary: an agent prints the Telegram token it
//! was given on purpose (`pass_env`) and a value of its own `env`, plain words that no credential
//! pattern recognises — only the registry of the supervisor's secrets (filled when the config loads)
//! can hide them. Neither may appear in forwarded stdout, `logs`, the status page or `scan` output.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, ctl, fast, free_port, poll, self_healing_keys, with_listen};
use std::process::Command;
use std::time::Duration;

const TELEGRAM_TOKEN: &str = "plainword-telegram-value-xyz";
const AGENT_VALUE: &str = "agent-env-plain-value";

/// Prints both values (once as an incident line), crashes on its first run, then idles.
const LEAKY: &str = r#"import os, sys, time
tok, key = os.environ["TELEGRAM_BOT_TOKEN"], os.environ["APP_VALUE"]
print("connecting with", tok, "and", key, flush=True)
print("ConnectionRefusedError:", key, tok, "[Errno 111] Connection refused", flush=True)
if not os.path.exists("crashed-once"):
    open("crashed-once", "w").close()
    sys.exit(1)
time.sleep(60)
"#;

fn config(port: u16) -> String {
    let agents = format!(
        "[[agents]]\nname = \"leaky\"\ncommand = [\"python3\", \"leaky.py\"]\n\
         env = {{ APP_VALUE = \"{AGENT_VALUE}\" }}\npass_env = [\"TELEGRAM_BOT_TOKEN\"]\n"
    );
    self_healing_keys(&with_listen(fast(&agents), port), "forward_output = true")
}

fn assert_clean(what: &str, text: &str) {
    for secret in [TELEGRAM_TOKEN, AGENT_VALUE] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into {what}:\n{text}"
        );
    }
}

async fn get(port: u16, path: &str) -> String {
    let r = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "GET {path}");
    r.text().await.unwrap()
}

fn scan(p: &Project, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(p.path())
        .env_remove("HEALING_CONFIG")
        .env("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    text
}

#[tokio::test]
async fn secret_values_from_the_environment_never_leave_through_any_output() {
    let port = free_port();
    let p = Project::new();
    p.write("leaky.py", LEAKY);
    p.write("healing.toml", &config(port));
    let sup = Binary::start_with_stdout(&p, &[("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)]);
    let log = p.path().join("state/logs/leaky.log");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let incident_and_restart = || {
        read_log().matches("connecting with").count() >= 2
            && p.state("agent_status.json")
                .is_some_and(|s| !s["agents"]["leaky"]["last_incident"].is_null())
    };
    assert!(
        poll(Duration::from_secs(30), incident_and_restart),
        "no incident and restart: {}\n{}",
        read_log(),
        p.read("supervisor.err")
    );
    // The agent really printed both values: the captured log (which never leaves) holds them.
    assert!(read_log().contains(TELEGRAM_TOKEN) && read_log().contains(AGENT_VALUE));

    let (code, logs, err) = ctl(&p, &["logs", "leaky", "-n", "20"]);
    assert_eq!(code, 0, "{err}");
    assert!(logs.contains("connecting with ***"), "{logs}");
    assert_clean("`logs`", &logs);

    let page = get(port, "/").await;
    assert!(page.contains("leaky"), "{page}");
    assert_clean("the status page", &page);
    assert_clean("/status/page.json", &get(port, "/status/page.json").await);
    assert!(sup.stop().success());

    let stdout = p.read("supervisor.out");
    assert!(stdout.contains("[leaky] connecting with ***"), "{stdout}");
    assert_clean("forwarded stdout", &stdout);

    let log = log.to_str().unwrap();
    let records = scan(&p, &["--config", "healing.toml", "scan", log]);
    assert!(records.contains("\"fingerprint\""), "{records}");
    assert_clean("scan", &records);
    let summary = scan(&p, &["--config", "healing.toml", "scan", "--summary", log]);
    assert!(summary.contains("ConnectionRefusedError"), "{summary}");
    assert_clean("scan --summary", &summary);
}
