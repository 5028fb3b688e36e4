//! Starting an agent: argv (no shell), its own cwd and env, its own process group, stdin closed,
//! stdout and stderr piped to the supervisor.

use healing_core::config::AgentConfig;
use healing_core::incident::{Detail, Incident};
use healing_core::kind::{ActionKind, ErrorKind, Severity};
use rustix::process::{Pid, Signal, kill_process_group};
use std::process::Stdio;
use tokio::process::{Child, Command};

/// Why an agent could not be started (a clear incident for that agent; the others start anyway).
#[derive(Debug)]
pub struct SpawnError {
    /// One line a human can act on; never contains env values.
    pub message: String,
    /// The same as an incident (what is missing, as `detail.path`), for the status and the history.
    /// Its action is `alert`: a missing program or directory is a deployment problem, never created here.
    pub incident: Box<Incident>,
}

impl SpawnError {
    fn new(kind: ErrorKind, path: Option<String>, message: String) -> Self {
        let incident = Incident {
            kind,
            severity: Severity::High,
            action: ActionKind::Alert,
            pattern: "spawn".into(),
            line_no: 0,
            line: message.clone(),
            detail: Detail {
                path,
                exception: Some("SpawnError".into()),
                ..Detail::default()
            },
        };
        Self {
            message,
            incident: Box::new(incident),
        }
    }
}

/// Spawns the agent's process.
pub fn spawn(agent: &AgentConfig) -> Result<Child, SpawnError> {
    let Some((program, args)) = agent.command.split_first() else {
        return Err(SpawnError::new(
            ErrorKind::FileNotFound,
            None,
            format!("cannot start {}: empty command", agent.name),
        ));
    };
    if !agent.cwd.is_dir() {
        return Err(SpawnError::new(
            ErrorKind::FileNotFound,
            Some(agent.cwd.display().to_string()),
            format!(
                "cannot start {}: working directory {} does not exist",
                agent.name,
                agent.cwd.display()
            ),
        ));
    }
    let mut cmd = Command::new(program);
    // A hung Python agent prints every thread's stack on SIGABRT (see `crate::hang`), unless its own
    // env decides otherwise.
    if !agent.env.contains_key("PYTHONFAULTHANDLER") {
        cmd.env("PYTHONFAULTHANDLER", "1");
    }
    cmd.args(args)
        .current_dir(&agent.cwd)
        .envs(&agent.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    cmd.spawn().map_err(|e| {
        let path = Some(program.clone());
        match e.kind() {
            std::io::ErrorKind::NotFound => SpawnError::new(
                ErrorKind::FileNotFound,
                path,
                format!(
                    "cannot start {}: executable {program:?} not found",
                    agent.name
                ),
            ),
            std::io::ErrorKind::PermissionDenied => SpawnError::new(
                ErrorKind::PermissionDenied,
                path,
                format!("cannot start {}: {program:?} is not executable", agent.name),
            ),
            _ => SpawnError::new(
                ErrorKind::Unclassified,
                path,
                format!("cannot start {}: {e}", agent.name),
            ),
        }
    })
}

/// Sends `signal` to the whole process group led by `pid` (agents run in their own group, so this
/// reaches grandchildren too). A group that is already gone is not an error.
pub fn signal_group(pid: u32, signal: Signal) {
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    if let Err(e) = kill_process_group(pid, signal)
        && e != rustix::io::Errno::SRCH
    {
        tracing::debug!(pid = pid.as_raw_nonzero().get(), error = %e, "signal to process group failed");
    }
}
