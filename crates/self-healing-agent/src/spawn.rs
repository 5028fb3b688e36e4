//! Starting an agent: argv (no shell), its own cwd and env, its own process group, stdin closed,
//! stdout and stderr piped to the supervisor, killed by the kernel if the supervisor dies
//! ([`crate::lifetime::die_with_parent`]).

use healing_core::config::AgentConfig;
use healing_core::incident::{Detail, Incident};
use healing_core::kind::{ActionKind, ErrorKind, Severity};
use rustix::process::{Pid, Signal, kill_process_group};
use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Mutex;
use tokio::process::{Child, Command};

/// Why an agent could not be started (a clear incident for that agent; the others start anyway).
#[derive(Debug)]
pub struct SpawnError {
    /// One line a human can act on; never contains env values.
    pub message: String,
    /// The same as an incident (what is missing, as `detail.path`), for the status and the history.
    /// Its action is `alert`: a missing program or directory is a deployment problem, never created here.
    pub incident: Box<Incident>,
    /// The system was short of descriptors, processes or memory: worth retrying soon.
    pub transient: bool,
}

/// Errors of `fork`/`pipe`/`exec` that say the system is short of a resource right now.
pub fn is_transient(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    let transient = [Errno::MFILE, Errno::NFILE, Errno::AGAIN, Errno::NOMEM];
    e.raw_os_error()
        .is_some_and(|code| transient.iter().any(|t| t.raw_os_error() == code))
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
            fingerprint: healing_core::fingerprint::of_line(kind.as_str(), &message),
        };
        Self {
            message,
            incident: Box::new(incident),
            transient: false,
        }
    }
}

/// Pids of agent processes spawned and not yet reaped by their watcher: the orphan reaper leaves
/// these to the runtime.
static OWN: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Whether `pid` is an agent process whose exit the runtime still has to collect.
pub fn is_own(pid: u32) -> bool {
    crate::output::lock(&OWN).contains(&pid)
}

/// The watcher collected `pid`'s exit status.
pub fn forget(pid: u32) {
    crate::output::lock(&OWN).remove(&pid);
}

/// SIGKILL to every agent's process group: the last resort when the supervisor itself fails.
pub fn kill_all() {
    let pids: Vec<u32> = crate::output::lock(&OWN).iter().copied().collect();
    for pid in pids {
        signal_group(pid, Signal::KILL);
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
    healing_core::child_env::apply(&mut cmd, Some(agent));
    // A hung Python agent prints every thread's stack on SIGABRT (see `crate::hang`), unless its own
    // env decides otherwise.
    if !agent.env.contains_key("PYTHONFAULTHANDLER") {
        cmd.env("PYTHONFAULTHANDLER", "1");
    }
    cmd.args(args)
        .current_dir(&agent.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .env(crate::proc_tree::AGENT_MARKER, &agent.name)
        .kill_on_drop(false);
    let supervisor = rustix::process::getpid();
    // SAFETY: runs in the forked child before exec and only makes two raw syscalls (prctl, getppid);
    // it allocates nothing and takes no lock, so it is async-signal-safe.
    // The death signal follows the thread that forks: agents are spawned from the supervisor's
    // event loop, which lives as long as the process.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || crate::lifetime::die_with_parent(supervisor));
    }
    let child = cmd.spawn();
    if let Some(pid) = child.as_ref().ok().and_then(Child::id) {
        crate::output::lock(&OWN).insert(pid);
    }
    child.map_err(|e| {
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
            _ => SpawnError {
                transient: is_transient(&e),
                ..SpawnError::new(
                    ErrorKind::Unclassified,
                    path,
                    format!("cannot start {}: {e}", agent.name),
                )
            },
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
