//! No agent outlives its supervisor, and nothing an agent started outlives the agent.
//!
//! - Each agent gets `PR_SET_PDEATHSIG(SIGKILL)` before exec: a supervisor killed with SIGKILL
//!   (or crashing) takes its agents with it.
//! - The supervisor is a child subreaper: a grandchild that left the agent's process group with
//!   `setsid()` is re-parented to the supervisor (not to init) when its parent dies, so it is found
//!   (by its ancestry and its [`AGENT_MARKER`]) and stopped with its agent, and reaped once dead —
//!   also when the supervisor runs as PID 1 in a container.

use crate::proc_tree::{self, ProcStat};
use crate::spawn::signal_group;
use rustix::process::{Pid, Signal, WaitOptions};
use std::collections::BTreeSet;
use std::time::Duration;

#[cfg(doc)]
use crate::proc_tree::AGENT_MARKER;

/// Runs in the forked child before exec: asks for SIGKILL when the parent dies, then checks that
/// the parent is still the supervisor (`expected`) — had it died between fork and `prctl`, the
/// signal would never come, so the child gives up instead of running unsupervised.
pub fn die_with_parent(expected: Pid) -> std::io::Result<()> {
    rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
    if rustix::process::getppid() != Some(expected) {
        // A raw errno: no allocation between fork and exec.
        return Err(rustix::io::Errno::SRCH.into());
    }
    Ok(())
}

/// Set by the binary: the whole process, and every process below it, belongs to the supervisor.
/// Only then does it adopt orphans, reap any of them and stop everything below it at shutdown; a
/// supervisor embedded in another program (the tests run it in-process) leaves the host's other
/// children alone.
static OWNS_PROCESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Declares that this process is the supervisor and nothing else (called by `main`).
pub fn claim_process() {
    OWNS_PROCESS.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn owns_process() -> bool {
    OWNS_PROCESS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Makes this process the reaper of its orphaned descendants (only when it [owns the
/// process](claim_process)). Failure (an old kernel, a seccomp
/// filter) is logged: agents still run, only orphans go to init instead.
pub fn become_subreaper() {
    if !owns_process() {
        return;
    }
    if let Err(e) = rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
        tracing::warn!(error = %e, "cannot become a child subreaper: orphaned grandchildren of agents go to init");
    }
}

/// Raises the soft limit of open files to the hard limit: every agent costs descriptors (two pipes,
/// its log) and so does every HTTP connection; the default soft limit (often 1,024) is the first to
/// run out under load. Returns the limit now in force.
pub fn raise_nofile_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Held while the supervisor runs: if it is dropped by a panic unwinding, every agent's process
/// group is killed, so a bug in the supervisor never leaves agents running unsupervised (a panic that
/// ends the process is covered by the death signal too).
#[derive(Debug)]
pub struct KillOnPanic;

impl Drop for KillOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            tracing::error!("the supervisor panicked: killing every agent");
            crate::spawn::kill_all();
        }
    }
}

/// TERM to `pid` and its process group, then KILL after `grace` if the same process is still there
/// (same start time: a reused pid is never signalled).
pub async fn stop_process(pid: u32, start_ticks: u64, grace: Duration) {
    let same = || proc_tree::start_ticks(pid) == Some(start_ticks);
    if !same() {
        return;
    }
    signal(pid, Signal::TERM);
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline && same() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if same() {
        signal(pid, Signal::KILL);
    }
}

/// Sends `sig` to the process and to the group it leads (if it leads one).
fn signal(pid: u32, sig: Signal) {
    if let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process(p, sig);
    }
    signal_group(pid, sig);
}

/// Stops every process below the supervisor that carries `agent`'s marker and is not one of
/// `keep` (live agent pids): what a restarted agent's previous run left behind.
pub fn stop_orphans_of(agent: &str, keep: &[u32], grace: Duration) {
    if !owns_process() {
        return;
    }
    let me = std::process::id();
    for pid in proc_tree::descendants(me) {
        if keep.contains(&pid) || proc_tree::agent_of(pid).as_deref() != Some(agent) {
            continue;
        }
        let Some(ticks) = proc_tree::start_ticks(pid) else {
            continue;
        };
        tracing::info!(
            agent,
            pid,
            "stopping a process the agent's previous run left behind"
        );
        tokio::spawn(stop_process(pid, ticks, grace));
    }
}

/// Stops everything still below the supervisor (shutdown, after the agents' groups were stopped):
/// TERM, up to `grace`, KILL.
pub async fn stop_all_descendants(grace: Duration) {
    if !owns_process() {
        return;
    }
    let me = std::process::id();
    let left: Vec<(u32, u64)> = proc_tree::descendants(me)
        .into_iter()
        .filter_map(|p| Some((p, proc_tree::start_ticks(p)?)))
        .collect();
    if left.is_empty() {
        return;
    }
    tracing::info!(
        processes = left.len(),
        "stopping processes the agents left behind"
    );
    let stops: Vec<_> = left
        .into_iter()
        .map(|(pid, ticks)| tokio::spawn(stop_process(pid, ticks, grace)))
        .collect();
    for s in stops {
        let _ = s.await;
    }
}

/// Reaps orphans re-parented to the supervisor once they die. A zombie is only reaped when it is
/// not a process the supervisor spawned itself (`own` says which) and it was already a zombie at the
/// previous pass: the runtime reaps its own children at once, so a lingering zombie is an orphan.
#[derive(Debug, Default)]
pub struct Reaper {
    seen: BTreeSet<u32>,
}

impl Reaper {
    /// One pass; returns how many orphans were reaped.
    pub fn pass(&mut self, own: &dyn Fn(u32) -> bool) -> usize {
        let me = std::process::id();
        let zombies: BTreeSet<u32> = proc_tree::all()
            .into_iter()
            .filter(|p: &ProcStat| p.ppid == me && p.is_zombie() && !own(p.pid))
            .map(|p| p.pid)
            .collect();
        let mut reaped = 0;
        for &pid in zombies.intersection(&self.seen) {
            let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
                continue;
            };
            if let Ok(Some(_)) = rustix::process::waitpid(Some(p), WaitOptions::NOHANG) {
                reaped += 1;
            }
        }
        self.seen = zombies;
        reaped
    }
}

/// Runs [`Reaper`] every second until `stop`.
pub fn spawn_reaper(
    own: std::sync::Arc<dyn Fn(u32) -> bool + Send + Sync>,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut reaper = Reaper::default();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick(), if owns_process() => {
                    let n = reaper.pass(own.as_ref());
                    if n > 0 {
                        tracing::debug!(reaped = n, "reaped orphaned processes");
                    }
                }
            }
        }
    })
}

/// Stops the agents a previous supervisor on the same state left running (it was killed before it
/// could stop them, and they outlived it): every agent row of its `agent_status.json` with a pid
/// whose start time still matches. A pid reused by another process has another start time and is
/// left alone. Returns how many were stopped. Runs before any agent starts: never two copies.
pub async fn stop_leftovers(previous: Option<&serde_json::Value>, grace: Duration) -> usize {
    let Some(agents) = previous
        .and_then(|doc| doc.get("agents"))
        .and_then(|a| a.as_object())
    else {
        return 0;
    };
    let mut stops = Vec::new();
    for (name, row) in agents {
        let pid = row.get("pid").and_then(serde_json::Value::as_u64);
        let ticks = row
            .get("pid_start_ticks")
            .and_then(serde_json::Value::as_u64);
        let (Some(pid), Some(ticks)) = (pid.and_then(|p| u32::try_from(p).ok()), ticks) else {
            continue;
        };
        if pid == std::process::id() || proc_tree::start_ticks(pid) != Some(ticks) {
            continue;
        }
        tracing::warn!(agent = %name, pid, "a previous supervisor left this agent running: stopping it");
        stops.push(tokio::spawn(stop_process(pid, ticks, grace)));
    }
    let n = stops.len();
    for s in stops {
        let _ = s.await;
    }
    n
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn the_open_files_soft_limit_is_raised_to_the_hard_limit() {
        use rustix::process::{Resource, getrlimit};
        let now = raise_nofile_limit();
        assert_eq!(now, getrlimit(Resource::Nofile).maximum);
    }

    #[test]
    fn resource_shortages_are_transient_and_a_missing_program_is_not() {
        use rustix::io::Errno;
        for e in [Errno::MFILE, Errno::NFILE, Errno::AGAIN, Errno::NOMEM] {
            assert!(crate::spawn::is_transient(&e.into()));
        }
        assert!(!crate::spawn::is_transient(&Errno::NOENT.into()));
    }

    #[tokio::test]
    async fn a_panic_in_the_supervisor_kills_the_agents() {
        let dir = tempfile::tempdir().unwrap();
        let toml = "[[agents]]\nname = \"a\"\ncommand = [\"sleep\", \"30\"]\n";
        let loaded =
            healing_core::config_load::load_from_str(toml, None, dir.path(), &|_| None).unwrap();
        let mut child = crate::spawn::spawn(&loaded.config.agents[0]).unwrap();
        let pid = child.id().unwrap();
        let panicked = std::thread::spawn(|| {
            let _guard = KillOnPanic;
            panic!("a bug in the supervisor");
        })
        .join();
        assert!(panicked.is_err());
        let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .unwrap()
            .unwrap();
        crate::spawn::forget(pid);
        assert_eq!(status.signal(), Some(9), "{status:?}");
    }
}
