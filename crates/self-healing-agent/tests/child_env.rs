//! Children never inherit the supervisor's secrets: the real binary, started with a bot token, a webhook
//! URL, a Key Value URL, a Render key and an HTTP token in its environment, runs Python agents that
//! print what they see.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Binary, Project, fast};
use std::collections::BTreeMap;
use std::time::Duration;

const DUMP: &str = "import json, os, sys, time\njson.dump(dict(os.environ), open(sys.argv[1], 'w'))\ntime.sleep(60)\n";

/// The interpreter itself, not a version-manager shim (a shell script that adds its own variables).
fn python() -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn read_env(project: &Project, file: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(project.path().join(file)).ok()?;
    serde_json::from_str(&text).ok()
}

#[tokio::test]
async fn agents_see_the_environment_minus_the_supervisors_secrets() {
    let project = Project::new();
    project.write("dump.py", DUMP);
    project.write(
        "healing.toml",
        &fast(&format!(
            r#"
[alerts.telegram]
token_env = "NL_BOT_TOKEN"
[alerts.webhook]
url_env = "NL_WEBHOOK"
[[agents]]
name = "plain"
command = ["{py}", "dump.py", "plain.json"]
env = {{ AGENT_SETTING = "agent-own-value" }}
[[agents]]
name = "bot"
command = ["{py}", "dump.py", "bot.json"]
pass_env = ["NL_BOT_TOKEN"]
[[agents]]
name = "bare"
command = ["{py}", "dump.py", "bare.json"]
env_clear = true
env = {{ ONLY = "this-one" }}
"#,
            py = python()
        )),
    );
    let secrets = [
        ("NL_BOT_TOKEN", "123456:AAH-bot-token-value"),
        (
            "NL_WEBHOOK",
            "https://hooks.example.com/services/T0/B0/secret",
        ),
        ("TELEGRAM_CHAT_ID", "-100200300"),
        ("RENDER_API_KEY", "rnd_abcdefghijklmnop"),
        ("HEALING_HTTP_TOKEN", "http-bearer-token"),
        ("HEALING_CONTROL_TOKEN", "control-token-value"),
    ];
    let mut env: Vec<(&str, &str)> = secrets.to_vec();
    env.push(("NL_HARMLESS", "visible"));
    env.push(("TZ", "UTC"));
    let bin = Binary::start(&project, &env);
    let ready = common::wait_for(Duration::from_secs(30), || {
        ["plain.json", "bot.json", "bare.json"]
            .iter()
            .all(|f| read_env(&project, f).is_some())
    })
    .await;
    assert!(ready, "agents did not dump their environment");

    let plain = read_env(&project, "plain.json").unwrap();
    for (name, _) in secrets {
        assert!(!plain.contains_key(name), "{name} leaked: {plain:?}");
    }
    assert_eq!(plain["NL_HARMLESS"], "visible");
    assert_eq!(plain["AGENT_SETTING"], "agent-own-value");
    assert!(plain.contains_key("PATH"));

    let bot = read_env(&project, "bot.json").unwrap();
    assert_eq!(bot["NL_BOT_TOKEN"], "123456:AAH-bot-token-value");
    assert!(!bot.contains_key("NL_WEBHOOK") && !bot.contains_key("RENDER_API_KEY"));

    let bare = read_env(&project, "bare.json").unwrap();
    let mut names: Vec<&str> = bare.keys().map(String::as_str).collect();
    // Python itself may add LC_CTYPE when coercing the C locale.
    names.retain(|n| *n != "LC_CTYPE");
    // Plus the supervisor's two markers: its own-process tag and Python's stack dump on a hang.
    let mut expected = vec![
        "ONLY",
        "PATH",
        "PYTHONFAULTHANDLER",
        "SELF_HEALING_AGENT",
        "TZ",
    ];
    if std::env::var_os("HOME").is_some() {
        expected.insert(1, "HOME");
    }
    if std::env::var_os("LANG").is_some() {
        expected.insert(1, "LANG");
    }
    expected.sort();
    assert_eq!(names, expected);
    bin.stop();
}
