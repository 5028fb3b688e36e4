//! Agent output reaches the supervisor's stdout (Render's log stream) as `[agent] line`, redacted, in
//! JSON under `LOG_FORMAT=json`, and a stdout nobody reads never stops supervision. The real binary.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Project, fast};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHATTY: &str = r#"
[[agents]]
name = "market_data"
command = ["sh", "chatty.sh"]
env = { API_KEY = "sk-live-0123456789abcdef" }
"#;

/// Prints a coloured line, a line holding its secret env value, a line on stderr, then idles.
const CHATTY_SH: &str =
    "printf '\\033[32mtick\\033[0m 1\\n'\necho \"key $API_KEY in use\"\necho done >&2\nsleep 30\n";

/// The binary in `p`, stdout into `stdout.txt`, stderr into `stderr.txt`.
fn start(p: &Project, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"));
    cmd.current_dir(p.path())
        .env_remove("RENDER_MODE")
        .env_remove("LOG_FORMAT")
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(p.path().join("stdout.txt")).unwrap())
        .stderr(std::fs::File::create(p.path().join("stderr.txt")).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn stop(mut child: Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("the supervisor did not stop on SIGTERM");
}

fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

fn read(p: &Project, name: &str) -> String {
    std::fs::read_to_string(p.path().join(name)).unwrap_or_default()
}

#[test]
fn under_render_mode_every_agent_line_reaches_stdout_named_redacted_and_without_colour() {
    let p = Project::new();
    p.write("healing.toml", &fast(CHATTY));
    p.write("chatty.sh", CHATTY_SH);
    let child = start(&p, &[("RENDER_MODE", "true")]);
    let seen = wait_for(Duration::from_secs(20), || {
        read(&p, "stdout.txt").contains("[market_data] done")
    });
    stop(child);
    let out = read(&p, "stdout.txt");
    assert!(seen, "stdout: {out:?}\nstderr: {}", read(&p, "stderr.txt"));
    assert!(out.contains("[market_data] tick 1\n"), "{out:?}");
    assert!(out.contains("[market_data] key *** in use\n"), "{out:?}");
    assert!(!out.contains("sk-live"), "{out:?}");
    // stdout is a file here: no colour codes, neither ours nor the agent's.
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(!read(&p, "stderr.txt").contains('\x1b'));
    // The agent's own log keeps the raw line.
    let log = read(&p, "state/logs/market_data.log");
    assert!(log.contains("\x1b[32mtick"), "{log:?}");
}

#[test]
fn log_format_json_gives_one_object_per_line_with_an_agent_field() {
    let p = Project::new();
    p.write("healing.toml", &fast(CHATTY));
    p.write("chatty.sh", CHATTY_SH);
    let child = start(&p, &[("RENDER_MODE", "1"), ("LOG_FORMAT", "json")]);
    let seen = wait_for(Duration::from_secs(20), || {
        read(&p, "stdout.txt").contains("\"done\"")
    });
    stop(child);
    let out = read(&p, "stdout.txt");
    assert!(seen, "{out:?}");
    let objects: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let messages: Vec<&str> = objects
        .iter()
        .filter(|o| o["agent"] == "market_data")
        .filter_map(|o| o["message"].as_str())
        .collect();
    assert!(messages.contains(&"tick 1"), "{messages:?}");
    assert!(messages.contains(&"key *** in use"), "{messages:?}");
}

#[test]
fn forwarding_is_off_outside_render_unless_configured_and_the_file_setting_wins() {
    let p = Project::new();
    p.write("healing.toml", &fast(CHATTY));
    p.write("chatty.sh", CHATTY_SH);
    let child = start(&p, &[]);
    assert!(wait_for(Duration::from_secs(20), || {
        read(&p, "state/logs/market_data.log").contains("done")
    }));
    stop(child);
    assert_eq!(read(&p, "stdout.txt"), "");

    let q = Project::new();
    let toml = fast(CHATTY).replace("[restart]", "forward_output = false\n[restart]");
    q.write("healing.toml", &toml);
    q.write("chatty.sh", CHATTY_SH);
    let child = start(&q, &[("RENDER_MODE", "true")]);
    assert!(wait_for(Duration::from_secs(20), || {
        read(&q, "state/logs/market_data.log").contains("done")
    }));
    stop(child);
    assert_eq!(read(&q, "stdout.txt"), "");
}

#[test]
fn a_stdout_pipe_nobody_reads_does_not_stop_restarts() {
    let p = Project::new();
    // Floods ~1 MiB per life, far more than a pipe holds, then crashes.
    p.write(
        "healing.toml",
        &fast(
            r#"
[[agents]]
name = "flood"
command = ["sh", "-c", "date +%s%N >> spawns.txt; i=0; while [ $i -lt 2000 ]; do echo 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'; i=$((i+1)); done; exit 1"]
"#,
        ),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"));
    cmd.current_dir(p.path())
        .env("RENDER_MODE", "true")
        .env_remove("LOG_FORMAT")
        .env("RUST_LOG", "info")
        // Held open, never read: the pipe fills after 64 KiB and every write to it would block.
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(p.path().join("stderr.txt")).unwrap());
    let child = cmd.spawn().unwrap();
    let restarted = wait_for(Duration::from_secs(60), || {
        std::fs::read_to_string(p.path().join("spawns.txt"))
            .unwrap_or_default()
            .lines()
            .count()
            >= 4
    });
    let log_len = std::fs::metadata(p.path().join("state/logs/flood.log"))
        .map(|m| m.len())
        .unwrap_or(0);
    stop(child);
    assert!(restarted, "stderr: {}", read(&p, "stderr.txt"));
    // Capture was not slowed either: every life's output reached the agent's log file.
    assert!(log_len > 3 * 2000 * 100, "{log_len}");
}

#[test]
fn a_start_with_no_agents_says_there_is_nothing_to_supervise() {
    let p = Project::new();
    p.write("healing.toml", &fast(""));
    let child = start(&p, &[]);
    let said = wait_for(Duration::from_secs(20), || {
        read(&p, "stderr.txt").contains("nothing to supervise")
    });
    stop(child);
    assert!(said, "{}", read(&p, "stderr.txt"));
}
