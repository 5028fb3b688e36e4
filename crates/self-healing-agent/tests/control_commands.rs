//! The operator's verbs against the real binary over the control socket: `stop` keeps an agent
//! stopped (also across a supervisor restart), `start` and `restart` bring it back outside the budget,
//! `resume` clears a hold after the cause was fixed, `logs` prints the last lines redacted, and the
//! exit codes say done (0), refused/unknown/no supervisor (1) or bad usage (2).

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, alive, ctl, fast, poll};
use std::time::Duration;

const WORKER: &str = "import os, time\ni = 0\nwhile True:\n    print('tick', i, 'key', os.environ['API_KEY'], flush=True)\n    i += 1\n    time.sleep(0.1)\n";
const BROKEN: &str = "import time\nprint('starting', flush=True\ntime.sleep(300)\n";
const FIXED: &str = "import time\nprint('fixed and running', flush=True)\ntime.sleep(300)\n";

fn config() -> String {
    fast(
        "[[agents]]\nname = \"worker\"\ncommand = [\"python3\", \"worker.py\"]\nenv = { API_KEY = \"sk-live-0123456789\" }\n\
         [[agents]]\nname = \"report\"\ncommand = [\"python3\", \"report.py\"]\n",
    )
    .replace("cooldown = \"1s\"", "cooldown = \"1s\"\nreset_after = \"1h\"")
}

fn project() -> Project {
    let p = Project::new();
    p.write("worker.py", WORKER);
    p.write("report.py", BROKEN);
    p.write("healing.toml", &config());
    p
}

#[test]
fn stop_start_restart_and_logs_drive_one_agent_and_stop_survives_a_supervisor_restart() {
    let p = project();
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(15), || p
        .running_pid("worker")
        .is_some()));
    let first = p.running_pid("worker").unwrap();
    let mode = std::fs::metadata(p.path().join("state/control.sock")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
    assert!(poll(Duration::from_secs(10), || ctl(
        &p,
        &["logs", "worker", "-n", "3"]
    )
    .1
    .lines()
    .count()
        == 3));

    // logs: the last lines, with the agent's env secret masked.
    let (code, out, _) = ctl(&p, &["logs", "worker", "-n", "3"]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .all(|l| l.contains("tick") && l.contains("key ***")),
        "{out}"
    );
    assert!(!out.contains("sk-live"), "{out}");

    // stop: the group is gone, the status says who stopped it, the history says where from.
    let (code, out, err) = ctl(&p, &["stop", "worker"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!alive(first), "pid {first} still alive after stop");
    assert!(poll(Duration::from_secs(5), || {
        let w = p.agent("worker");
        w["stopped_by"] == "operator" && w["status"] == "stopped"
    }));
    let w = p.agent("worker");
    assert_eq!(w["status"], "stopped");
    assert_eq!(w["restarts_last_hour"], 0);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        p.agent("worker")["status"],
        "stopped",
        "nothing restarts a stopped agent"
    );
    let history = p.state("self_healing_state.json").unwrap()["history"].clone();
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["event"] == "operator"
                && h["action"] == "stop"
                && h["message"].as_str().unwrap().contains("(cli)")),
        "{history}"
    );
    // start of an unknown agent and resume of a stopped one are refused with exit 1.
    let (code, _, err) = ctl(&p, &["start", "nosuch"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown agent"), "{err}");
    let (code, _, err) = ctl(&p, &["resume", "worker"]);
    assert_eq!(code, 1);
    assert!(err.contains("use start"), "{err}");

    // start: a new process.
    let (code, out, err) = ctl(&p, &["start", "worker"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(poll(Duration::from_secs(5), || p
        .running_pid("worker")
        .is_some_and(|q| q != first)));
    let second = p.running_pid("worker").unwrap();
    let (code, _, err) = ctl(&p, &["start", "worker"]);
    assert_eq!(code, 1);
    assert!(err.contains("already running"), "{err}");

    // restart: graceful, a new pid, not counted in the hourly budget.
    let (code, out, err) = ctl(&p, &["restart", "worker"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!alive(second));
    assert!(poll(Duration::from_secs(5), || p
        .running_pid("worker")
        .is_some_and(|q| q != second)));
    assert_eq!(p.agent("worker")["restarts_last_hour"], 0);

    // A stop outlives the supervisor: the next one leaves the agent stopped.
    assert_eq!(ctl(&p, &["stop", "worker"]).0, 0);
    assert!(sup.stop().success());
    let again = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(15), || p
        .path()
        .join("state/control.sock")
        .exists()));
    std::thread::sleep(Duration::from_millis(500));
    let w = p.agent("worker");
    assert_eq!(w["status"], "stopped", "{w}");
    assert_eq!(w["stopped_by"], "operator", "{w}");
    assert!(w["pid"].is_null(), "{w}");
    let (code, out, _) = ctl(&p, &["status"]);
    assert_eq!(code, 0);
    assert!(out.contains("stopped by operator"), "{out}");
    assert!(again.stop().success());
}

#[test]
fn resume_clears_a_needs_attention_hold_and_starts_a_trial_now() {
    let p = project();
    let sup = Binary::start(&p, &[]);
    assert!(poll(
        Duration::from_secs(15),
        || p.agent("report")["status"] == "needs_attention"
    ));
    // Still held an hour from now; the operator fixed the file and says so.
    p.write("report.py", FIXED);
    let (code, out, err) = ctl(&p, &["resume", "report"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("resumed"), "{out}");
    assert!(poll(Duration::from_secs(5), || p
        .running_pid("report")
        .is_some()));
    assert!(poll(Duration::from_secs(5), || ctl(
        &p,
        &["logs", "report"]
    )
    .1
    .contains("fixed and running")));
    // Resuming a running agent is refused.
    let (code, _, err) = ctl(&p, &["resume", "report"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to resume"), "{err}");
    assert!(sup.stop().success());
}

#[test]
fn without_a_running_supervisor_commands_exit_1_and_bad_usage_exits_2() {
    let p = project();
    let (code, _, err) = ctl(&p, &["restart", "worker"]);
    assert_eq!(code, 1);
    assert!(err.contains("no running supervisor"), "{err}");
    assert_eq!(ctl(&p, &["logs"]).0, 2);
    assert_eq!(ctl(&p, &["logs", "worker", "-n", "0"]).0, 2);
    p.write("healing.toml", "[[agents]]\nname = 1\n");
    assert_eq!(ctl(&p, &["stop", "worker"]).0, 2);
}

#[test]
fn logs_follow_prints_new_lines_as_they_are_written() {
    use std::io::BufRead;
    let p = project();
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(15), || p
        .running_pid("worker")
        .is_some()));
    let mut follow = std::process::Command::new(env!("CARGO_BIN_EXE_self-healing-agent"))
        .current_dir(p.path())
        .args(["logs", "worker", "-n", "1", "-f"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = follow.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The worker prints a tick every 100 ms: -f keeps delivering them, in order.
    let ticks: Vec<u64> = (0..5)
        .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
        .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(ticks.windows(2).all(|w| w[1] == w[0] + 1), "{ticks:?}");
    follow.kill().unwrap();
    follow.wait().unwrap();
    assert!(sup.stop().success());
}
