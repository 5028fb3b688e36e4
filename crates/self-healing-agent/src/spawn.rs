//! Starting an agent: argv (no shell), its own cwd and env, its own process group, stdin closed,
//! stdout and stderr piped to the supervisor.

use healing_core::config::AgentConfig;
use rustix::process::{Pid, Signal, kill_process_group};
use std::process::Stdio;
use tokio::process::{Child, Command};

/// Why an agent could not be started (a clear incident for that agent; the others start anyway).
#[derive(Debug)]
pub struct SpawnError {
    /// One line a human can act on; never contains env values.
    pub message: String,
}

/// Spawns the agent's process.
pub fn spawn(agent: &AgentConfig) -> Result<Child, SpawnError> {
    let Some((program, args)) = agent.command.split_first() else {
        return Err(SpawnError {
            message: format!("cannot start {}: empty command", agent.name),
        });
    };
    if !agent.cwd.is_dir() {
        return Err(SpawnError {
            message: format!(
                "cannot start {}: working directory {} does not exist",
                agent.name,
                agent.cwd.display()
            ),
        });
    }
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&agent.cwd)
        .envs(&agent.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    cmd.spawn().map_err(|e| SpawnError {
        message: match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!(
                    "cannot start {}: executable {program:?} not found",
                    agent.name
                )
            }
            std::io::ErrorKind::PermissionDenied => {
                format!("cannot start {}: {program:?} is not executable", agent.name)
            }
            _ => format!("cannot start {}: {e}", agent.name),
        },
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
