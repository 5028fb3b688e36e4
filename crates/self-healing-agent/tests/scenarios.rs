//! The seed scenarios of the issue, with real Python agents, the real binary where its memory or its
//! alerts are observed, and a real webhook server on 127.0.0.1.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, Webhook, fast, free_port, run_until, wait_for};
use std::time::Duration;

/// Spawn times (ns) recorded by agents that append `time.time_ns()` to `spawns.txt`.
fn spawn_gaps_ms(p: &Project) -> Vec<f64> {
    let spawns: Vec<u128> = p
        .lines("spawns.txt")
        .iter()
        .map(|l| l.parse().unwrap())
        .collect();
    spawns
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1e6)
        .collect()
}

const REFUSED: &str = r#"
import socket, sys, time
open("spawns.txt", "a").write(f"{time.time_ns()}\n")
port = int(sys.argv[1])
print("connecting to the cache", flush=True)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2)
except ConnectionRefusedError as e:
    raise ConnectionError(f"Error 111 connecting to 127.0.0.1:{port}. Connection refused.") from e
"#;

#[tokio::test]
async fn a_refused_localhost_port_sends_one_alert_and_restarts_on_the_slow_curve() {
    let port = free_port();
    let hook = Webhook::start().await;
    let p = Project::new();
    p.write("cache_client.py", REFUSED);
    p.config(&fast(&format!(
        "[[agents]]\nname = \"cache_client\"\ncommand = [\"python3\", \"cache_client.py\", \"{port}\"]\n"
    )));
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    wait_for(Duration::from_secs(8), || p.lines("spawns.txt").len() >= 4).await;
    // Let the alert worker deliver, then stop.
    wait_for(Duration::from_secs(2), || !hook.texts().is_empty()).await;
    assert!(sup.stop().success());

    // Retry curve of the test config: 200 ms, 400 ms, 800 ms — not the 100 ms crash curve.
    let gaps = spawn_gaps_ms(&p);
    assert!(gaps.len() >= 3, "{gaps:?}");
    for (i, want) in [200.0, 400.0, 800.0].iter().enumerate() {
        assert!(gaps[i] >= want * 0.9, "gap {i} too short: {gaps:?}");
    }
    let endpoint = format!("127.0.0.1:{port}");
    let texts = hook.texts();
    let about: Vec<_> = texts.iter().filter(|t| t.contains(&endpoint)).collect();
    assert_eq!(about.len(), 1, "one alert per refused endpoint: {texts:?}");
    assert!(
        about[0].contains("connection_refused_local"),
        "{}",
        about[0]
    );
    let status = p.state("agent_status.json").unwrap();
    assert_eq!(
        status["agents"]["cache_client"]["last_incident"]["kind"],
        "connection_refused_local"
    );
}

const HOG: &str = r#"
import time
open("spawns.txt", "a").write(f"{time.time_ns()}\n")
def load_history():
    raise MemoryError
print("loading history", flush=True)
load_history()
"#;

#[tokio::test]
async fn a_memory_error_sends_a_critical_alert_and_restarts_the_agent() {
    let hook = Webhook::start().await;
    let p = Project::new();
    p.write("hog.py", HOG);
    p.config(&fast(
        "[[agents]]\nname = \"hog\"\ncommand = [\"python3\", \"hog.py\"]\n",
    ));
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    let alerted = wait_for(Duration::from_secs(8), || {
        hook.texts().iter().any(|t| t.contains("[CRITICAL]")) && p.lines("spawns.txt").len() >= 2
    })
    .await;
    assert!(sup.stop().success());
    assert!(alerted, "alerts: {:?}", hook.texts());
    let texts = hook.texts();
    let critical = texts.iter().find(|t| t.contains("[CRITICAL]")).unwrap();
    assert!(
        critical.contains("hog") && critical.contains("memory_error"),
        "{critical}"
    );
    let status = p.state("agent_status.json").unwrap();
    let incident = &status["agents"]["hog"]["last_incident"];
    assert_eq!(incident["kind"], "memory_error");
    assert_eq!(incident["severity"], "critical");
}

const GARBAGE: &str = r#"
import os, sys, time
open("spawns.txt", "a").write(f"{time.time_ns()}\n")
if os.path.exists("garbage-done"):
    print("second life", flush=True)
    time.sleep(300)
out = sys.stdout.buffer
out.write(b"A" * (10 << 20) + b"\n")
out.write(os.urandom(32 << 10) + b"\n")
out.write(b"\x00\xff\xfe binary \x1b[31mred\x1b[0m\r\n")
out.flush()
open("garbage-done", "w").close()
raise MemoryError("after the garbage")
"#;

#[tokio::test]
async fn a_10_mb_line_and_binary_garbage_do_not_break_supervision() {
    let p = Project::new();
    p.write("noisy.py", GARBAGE);
    let config = p.config(&fast(
        "[[agents]]\nname = \"noisy\"\ncommand = [\"python3\", \"noisy.py\"]\n",
    ));
    let recovered = run_until(config, Duration::from_secs(15), || {
        p.lines("spawns.txt").len() >= 2
            && p.state("agent_status.json").is_some_and(|s| {
                s["agents"]["noisy"]["status"] == "running"
                    && s["agents"]["noisy"]["last_incident"]["kind"] == "memory_error"
            })
    })
    .await;
    assert!(recovered, "{:?}", p.state("agent_status.json"));
    let log = std::fs::read(p.path().join("state/logs/noisy.log")).unwrap();
    assert!(log.windows(11).any(|w| w == b"second life"));
    // Lines are cut at max_line_bytes (64 KiB): the 10 MB line never reaches the log whole.
    let longest = log.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap();
    assert!(longest <= 64 * 1024, "a line of {longest} bytes was kept");
}

const FLOOD: &str = r#"
import sys
write = sys.stdout.write
for i in range(300_000):
    write(f"tick {i} symbol=BTCUSD price=67123.45 volume=0.0123 status=ok\n")
sys.stdout.flush()
open("flood-done", "w").close()
import time
time.sleep(300)
"#;

#[tokio::test]
async fn a_flood_of_output_never_blocks_the_agent_and_memory_and_logs_stay_bounded() {
    let p = Project::new();
    p.write("flood.py", FLOOD);
    p.config(
        &fast("[[agents]]\nname = \"flood\"\ncommand = [\"python3\", \"flood.py\"]\n").replace(
            "[self_healing]\n",
            "[self_healing]\nlog_max_bytes = 4194304\nlog_backups = 2\n",
        ),
    );
    let sup = Binary::start(&p, &[]);
    let started = std::time::Instant::now();
    let mut peak_kib = 0;
    let done = wait_for(Duration::from_secs(30), || {
        peak_kib = peak_kib.max(sup.rss_kib().unwrap_or(0));
        p.path().join("flood-done").exists()
    })
    .await;
    let took = started.elapsed();
    assert!(sup.stop().success());
    assert!(
        done,
        "the agent was blocked: 300k lines not written in 30 s"
    );
    eprintln!("300k lines in {took:?}, supervisor peak RSS {peak_kib} KiB");
    assert!(
        peak_kib > 0 && peak_kib < 64 * 1024,
        "peak RSS {peak_kib} KiB"
    );
    let mut names = Vec::new();
    for entry in std::fs::read_dir(p.path().join("state/logs")).unwrap() {
        let entry = entry.unwrap();
        let len = entry.metadata().unwrap().len();
        assert!(
            len <= 4194304 + 1024,
            "{:?} is {len} bytes",
            entry.file_name()
        );
        names.push(entry.file_name().into_string().unwrap());
    }
    names.sort();
    assert_eq!(names, ["flood.log", "flood.log.1", "flood.log.2"]);
}
