//! The one executor of fixes: re-checks the policy, then runs the installer as an argv vector or creates
//! the path, and reports a [`FixOutcome`].
//!
//! The installer never sees a shell, gets no stdin, runs in its own process group and is bounded in time:
//! on timeout the whole group is killed (pip's build subprocesses included) and reaped. Only the tail of
//! its output is kept, so a chatty or hostile installer cannot grow memory.

use crate::fix::FixAction;
use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Bytes of installer output kept per stream (the end, where pip puts its error).
pub const OUTPUT_TAIL_BYTES: usize = 4096;

/// How long the output readers may linger after the installer ended (a grandchild outside the group
/// could hold the pipes open).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// What became of one fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FixOutcome {
    /// Done; `detail` says what was done.
    Succeeded { detail: String },
    /// Tried and failed: exit status, timeout or I/O error, with the installer's output tail.
    Failed { detail: String },
    /// The policy said no at execution time; nothing ran.
    Refused { reason: String },
    /// Nothing to do (already exists, or not an executor action).
    NotNeeded,
}

impl FixOutcome {
    /// The snake_case name used in history and counters.
    pub fn as_str(&self) -> &'static str {
        match self {
            FixOutcome::Succeeded { .. } => "succeeded",
            FixOutcome::Failed { .. } => "failed",
            FixOutcome::Refused { .. } => "refused",
            FixOutcome::NotNeeded => "not_needed",
        }
    }
}

/// Runs fixes under a policy.
#[derive(Debug, Clone)]
pub struct Executor {
    /// Checked again right before anything runs.
    policy: Arc<Policy>,
    /// argv prefix; the requirement is appended as one more element.
    install_command: Vec<String>,
    /// Bound of one installer run.
    timeout: Duration,
    /// Working directory of the installer: the config file's directory, so relative arguments in
    /// `install_command` (`--find-links wheels`) mean the same thing wherever the binary was started.
    cwd: Option<PathBuf>,
}

impl Executor {
    /// An executor for `policy`, installing with `install_command + [requirement]` within `timeout`.
    pub fn new(policy: Arc<Policy>, install_command: Vec<String>, timeout: Duration) -> Executor {
        Executor {
            policy,
            install_command,
            timeout,
            cwd: None,
        }
    }

    /// Runs the installer in `dir` (normally the config base directory).
    pub fn with_cwd(mut self, dir: impl Into<PathBuf>) -> Executor {
        self.cwd = Some(dir.into());
        self
    }

    /// The policy this executor re-checks every action against (the planner shares it).
    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    /// Executes one action. Never panics; every failure is an outcome.
    pub async fn execute(&self, action: &FixAction) -> FixOutcome {
        if let Err(refusal) = self.policy.check(action) {
            tracing::warn!(action = %action.kind(), reason = %refusal, "fix refused at execution");
            return FixOutcome::Refused {
                reason: refusal.to_string(),
            };
        }
        match action {
            FixAction::InstallPackage {
                distribution,
                requirement,
            } => self.install(distribution, requirement).await,
            FixAction::CreateDir { path } => create(&self.policy, path, false),
            FixAction::CreateFile { path } => create(&self.policy, path, true),
            FixAction::Restart | FixAction::Retry | FixAction::Alert | FixAction::None => {
                FixOutcome::NotNeeded
            }
        }
    }

    async fn install(&self, distribution: &str, requirement: &str) -> FixOutcome {
        // The requirements file's own options (index, constraints, hashes) go with it.
        let extra = match self.policy.install_args(distribution) {
            Ok(args) => args,
            Err(refusal) => {
                return FixOutcome::Refused {
                    reason: refusal.to_string(),
                };
            }
        };
        let Some((program, args)) = self.install_command.split_first() else {
            return FixOutcome::Failed {
                detail: "fixes.install_command is empty".into(),
            };
        };
        let mut command = Command::new(program);
        crate::child_env::apply(&mut command, None);
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        let mut child = match command
            .args(args)
            .args(&extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                return FixOutcome::Failed {
                    detail: format!("cannot start installer {program:?}: {e}"),
                };
            }
        };
        // Taken now: `Child::id` is gone once the child has been reaped.
        let pid = child.id();
        let out = child.stdout.take().map(|s| tokio::spawn(tail(s)));
        let err = child.stderr.take().map(|s| tokio::spawn(tail(s)));
        let waited = tokio::time::timeout(self.timeout, child.wait()).await;
        let status = match waited {
            Ok(status) => status,
            Err(_) => {
                kill_group(pid);
                let _ = child.kill().await;
                let output = collect(out, err).await;
                return FixOutcome::Failed {
                    detail: format!(
                        "installing {requirement} timed out after {:?}; installer killed{output}",
                        self.timeout
                    ),
                };
            }
        };
        // The installer is gone; make sure nothing it left behind in its group keeps running.
        kill_group(pid);
        let output = collect(out, err).await;
        match status {
            Ok(s) if s.success() => FixOutcome::Succeeded {
                detail: format!("installed {requirement}{output}"),
            },
            Ok(s) => FixOutcome::Failed {
                detail: format!("installing {requirement} failed ({s}){output}"),
            },
            Err(e) => FixOutcome::Failed {
                detail: format!("waiting for installer failed: {e}{output}"),
            },
        }
    }
}

/// Creates `path` relative to the opened policy root it lies under (see [`crate::create_path`]).
fn create(policy: &Policy, path: &Path, file: bool) -> FixOutcome {
    let Some((root, below)) = policy.split_root(path) else {
        return FixOutcome::Refused {
            reason: format!(
                "path {:?} is outside fixes.create_path_roots",
                path.display().to_string()
            ),
        };
    };
    let (what, result) = if file {
        ("empty file", crate::create_path::create_file(root, below))
    } else {
        ("directory", crate::create_path::create_dir(root, below))
    };
    match result {
        Ok(true) => FixOutcome::Succeeded {
            detail: format!("created {what} {}", path.display()),
        },
        Ok(false) => FixOutcome::NotNeeded,
        Err(e) => FixOutcome::Failed {
            detail: format!("cannot create {what} {}: {e}", path.display()),
        },
    }
}

/// SIGKILL to the installer's process group (its pgid is its pid: it was spawned with `process_group(0)`).
fn kill_group(pid: Option<u32>) {
    let pid = pid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // ESRCH (group already gone) is the normal case after a clean exit.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Reads a stream to its end, keeping only the last [`OUTPUT_TAIL_BYTES`].
async fn tail<R: AsyncRead + Unpin>(mut reader: R) -> Vec<u8> {
    let mut kept = Vec::with_capacity(OUTPUT_TAIL_BYTES);
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > OUTPUT_TAIL_BYTES {
                    kept.drain(..kept.len() - OUTPUT_TAIL_BYTES);
                }
            }
        }
    }
    kept
}

type Reader = Option<tokio::task::JoinHandle<Vec<u8>>>;

/// The output tails as text for an outcome detail (`""` when both are empty).
async fn collect(out: Reader, err: Reader) -> String {
    let mut text = String::new();
    for (label, handle) in [("stdout", out), ("stderr", err)] {
        let Some(mut handle) = handle else { continue };
        let bytes = match tokio::time::timeout(DRAIN_GRACE, &mut handle).await {
            Ok(Ok(bytes)) => bytes,
            _ => {
                handle.abort();
                continue;
            }
        };
        let shown = String::from_utf8_lossy(&bytes);
        let shown = shown.trim();
        if !shown.is_empty() {
            text.push_str(&format!("\n--- {label} (tail) ---\n{shown}"));
        }
    }
    text
}
