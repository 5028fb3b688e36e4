//! Hangs: detect them reliably and show where the agent was stuck.
//!
//! `health_url` is probed every `health_period` and the agent counts as hung only after
//! `health_failure_threshold` consecutive failures, so one slow answer does not kill a healthy agent.
//! Before a hung agent is killed it is asked where it is stuck: `dump_command` (e.g. py-spy) when
//! configured, else SIGABRT, on which Python's faulthandler (agents run with `PYTHONFAULTHANDLER=1`)
//! prints every thread's stack to stderr — captured into the agent's log. The dump is waited for up to
//! [`DUMP_WAIT`]; its innermost frames go into the incident's detail, the alert and the agent's log.

use crate::control::Verb;
use crate::event::{AgentId, Event, ExitInfo};
use crate::output::lock;
use crate::supervisor::Supervisor;
use healing_core::alert::Alert;
use healing_core::incident::{Frame, Incident};
use healing_core::kind::Severity;
use healing_core::matcher::exit_incident;
use regex::Regex;
use rustix::process::{Pid, Signal, kill_process, test_kill_process};
use std::sync::LazyLock;
use std::time::Duration;

/// How long the stack dump is waited for before the group is killed.
pub const DUMP_WAIT: Duration = Duration::from_secs(2);
/// Frames kept in the incident.
const MAX_FRAMES: usize = 5;
/// Bytes of `dump_command` output kept.
const MAX_DUMP: usize = 64 * 1024;

/// faulthandler: `  File "/app/x.py", line 5 in hang` (innermost first).
static FAULTHANDLER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"^\s*File "([^"]+)", line (\d+) in (.+)$"#).ok());
/// py-spy dump: `    hang (x.py:5)` (innermost first).
static PY_SPY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s+(\S[^()]*?) \(([^()]+):(\d+)\)$").ok());

/// The innermost frames of the first thread in a faulthandler or py-spy dump.
pub fn parse_frames(text: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut in_thread = false;
    for line in text.lines() {
        let is_header = line.contains("(most recent call first)") || line.starts_with("Thread ");
        if is_header {
            if in_thread && !frames.is_empty() {
                break;
            }
            in_thread = true;
            continue;
        }
        let frame = FAULTHANDLER
            .as_ref()
            .and_then(|r| r.captures(line))
            .map(|c| (c[1].to_string(), c[2].to_string(), c[3].trim().to_string()))
            .or_else(|| {
                PY_SPY
                    .as_ref()
                    .and_then(|r| r.captures(line))
                    .map(|c| (c[2].to_string(), c[3].to_string(), c[1].trim().to_string()))
            });
        if let Some((file, line_no, function)) = frame {
            frames.push(Frame {
                file,
                line: line_no.parse().unwrap_or(0),
                function,
            });
            if frames.len() == MAX_FRAMES {
                break;
            }
        }
    }
    frames
}

/// A hang kill in progress.
#[derive(Debug, Clone, Default)]
pub struct HangKill {
    /// Size of the agent's log when the dump was asked for (faulthandler writes after it).
    pub log_offset: u64,
    /// `dump_command`'s output, when one ran.
    pub text: Option<String>,
}

impl Supervisor {
    /// Sends the `health_url` probes that are due and schedules the next ones.
    pub(crate) fn probes_due(&mut self, now: std::time::SystemTime) {
        let period = self.config.self_healing.interval;
        for id in 0..self.agents.len() {
            let a = &mut self.agents[id];
            let due = a.next_probe.is_some_and(|t| t <= now);
            if !due || a.pid.is_none() || a.kill_reason.is_some() || self.stopping {
                continue;
            }
            a.next_probe = Some(
                now + a
                    .cfg
                    .health_period
                    .unwrap_or(period)
                    .max(Duration::from_millis(10)),
            );
            self.spawn_health_probe(id);
        }
    }

    /// A `health_url` probe answered: a pass resets the count, `health_failure_threshold` failures
    /// in a row make the agent hung.
    pub(crate) fn on_health_probe(
        &mut self,
        id: AgentId,
        generation: u64,
        failure: Option<String>,
    ) {
        let agent = &mut self.agents[id];
        if agent.generation != generation || agent.pid.is_none() {
            return;
        }
        let Some(reason) = failure else {
            agent.probe_failures = 0;
            agent.probe_ok = true;
            return;
        };
        agent.probe_failures += 1;
        let (n, threshold) = (
            agent.probe_failures,
            agent.cfg.health_failure_threshold.max(1),
        );
        let name = agent.cfg.name.clone();
        if n < threshold {
            tracing::warn!(agent = %name, failures = n, threshold, "{name}: {reason} ({n} of {threshold} before it counts as hung)");
            return;
        }
        let reason = if threshold > 1 {
            format!("{reason} ({n} failed probes in a row)")
        } else {
            reason
        };
        self.on_probe_failed(id, generation, reason);
    }

    /// Asks the hung agent for its stack, waits for it up to [`DUMP_WAIT`], then ends the group.
    pub(crate) fn kill_hung(&mut self, id: AgentId, pid: u32) {
        let grace = self.config.self_healing.grace_period;
        let log = self
            .logs_dir
            .join(format!("{}.log", self.agents[id].cfg.name));
        let agent = &mut self.agents[id];
        agent.hang = Some(HangKill {
            log_offset: std::fs::metadata(&log).map_or(0, |m| m.len()),
            text: None,
        });
        let (tx, generation, command) = (
            self.tx.clone(),
            agent.generation,
            agent.cfg.dump_command.clone(),
        );
        tokio::spawn(async move {
            match command {
                Some(argv) => {
                    let text = run_dump(&argv, pid).await;
                    let _ = tx.send(Event::HangDump {
                        agent: id,
                        generation,
                        text,
                    });
                }
                None => {
                    if let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                        let _ = kill_process(p, Signal::ABORT);
                        let deadline = tokio::time::Instant::now() + DUMP_WAIT;
                        while tokio::time::Instant::now() < deadline && test_kill_process(p).is_ok()
                        {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }
            crate::shutdown::terminate_group(pid, grace).await;
        });
    }

    /// `dump_command` answered.
    pub(crate) fn on_hang_dump(&mut self, id: AgentId, generation: u64, text: String) {
        let agent = &mut self.agents[id];
        if agent.generation == generation
            && let Some(h) = agent.hang.as_mut()
        {
            h.text = Some(text);
        }
    }

    /// The incident of a hung agent's exit, with where it was stuck; `None` if it was not a hang kill.
    /// The frames are also written to the agent's log and alerted.
    pub(crate) fn hang_cause(&mut self, id: AgentId, exit: &ExitInfo) -> Option<Incident> {
        let agent = &mut self.agents[id];
        let hang = agent.hang.take()?;
        let name = agent.cfg.name.clone();
        let text = hang.text.unwrap_or_else(|| {
            let log = self.logs_dir.join(format!("{name}.log"));
            crate::log_tail::read_new(&log, hang.log_offset)
                .map(|(lines, _)| lines.join("\n"))
                .unwrap_or_default()
        });
        let frames = parse_frames(&text);
        let reason = agent.kill_reason.take().unwrap_or_else(|| "hung".into());
        let mut cause = exit_incident(exit.code, exit.signal, false);
        cause.line = match frames.first() {
            Some(f) => format!("{reason}; stuck in {} ({}:{})", f.function, f.file, f.line),
            None => format!("{reason}; no stack dump was captured"),
        };
        let listed: Vec<String> = frames
            .iter()
            .map(|f| format!("  {} ({}:{})", f.function, f.file, f.line))
            .collect();
        if let Some(log) = &agent.log {
            let mut log = lock(log);
            log.line(
                format!("[self-healing-agent] {name} hung; stack at the kill (innermost first):")
                    .as_bytes(),
            );
            for l in &listed {
                log.line(l.as_bytes());
            }
            log.flush();
        }
        cause.detail.frames = frames;
        // An operator's stop (or a shutdown, or a reload removing it) issued while the kill was under
        // way wins: the agent is not restarted, so there is no "hung and was restarted" alert.
        let agent = &self.agents[id];
        let operator_wins = agent.operator_stopped
            || agent.removed
            || agent.pending.as_ref().is_some_and(|p| p.verb == Verb::Stop)
            || self.stopping;
        if operator_wins {
            tracing::info!(agent = %name, "hung agent stopped by the operator: no hang alert");
            return Some(cause);
        }
        self.alert(Alert {
            key: format!("{name}:hung"),
            severity: Severity::High,
            source: crate::SOURCE.into(),
            agent: Some(name.clone()),
            title: format!("{name} hung and was restarted"),
            body: format!("{}\n{}", cause.line, listed.join("\n")),
        });
        Some(cause)
    }
}

/// Runs `dump_command` with `{pid}` filled in; its output (stdout then stderr), cut at [`MAX_DUMP`].
async fn run_dump(argv: &[String], pid: u32) -> String {
    let args: Vec<String> = argv
        .iter()
        .map(|a| a.replace("{pid}", &pid.to_string()))
        .collect();
    let Some((program, rest)) = args.split_first() else {
        return String::new();
    };
    let child = tokio::process::Command::new(program)
        .args(rest)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let Ok(child) = child else {
        tracing::warn!(program = %program, "dump_command could not be started");
        return String::new();
    };
    match tokio::time::timeout(DUMP_WAIT, child.wait_with_output()).await {
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            text.truncate(text.floor_char_boundary(MAX_DUMP));
            text
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulthandler_frames_are_read_innermost_first_from_the_first_thread() {
        let dump = "Fatal Python error: Aborted\n\nCurrent thread 0x00007f (most recent call first):\n  File \"/app/worker.py\", line 7 in wait_forever\n  File \"/app/worker.py\", line 12 in <module>\n\nThread 0x00008 (most recent call first):\n  File \"/usr/lib/threading.py\", line 320 in wait\n";
        let frames = parse_frames(dump);
        assert_eq!(frames.len(), 2);
        assert_eq!(
            frames[0],
            Frame {
                file: "/app/worker.py".into(),
                line: 7,
                function: "wait_forever".into()
            }
        );
        assert_eq!(frames[1].function, "<module>");
    }

    #[test]
    fn py_spy_frames_are_read_too() {
        let dump = "Process 42: python3 worker.py\nThread 42 (idle): \"MainThread\"\n    wait_forever (worker.py:7)\n    <module> (worker.py:12)\n";
        let frames = parse_frames(dump);
        assert_eq!(
            frames[0],
            Frame {
                file: "worker.py".into(),
                line: 7,
                function: "wait_forever".into()
            }
        );
        assert_eq!(frames.len(), 2);
        assert!(parse_frames("nothing useful").is_empty());
    }
}
