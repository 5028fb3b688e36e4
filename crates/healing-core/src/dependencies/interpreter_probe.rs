//! Asking the agents' interpreter what it has installed — once, argv only, with a timeout.
//!
//! `importlib.metadata` in a short `-c` script instead of `pip list`: pip imports half of itself before
//! answering (hundreds of ms of CPU); the script answers in a few tens of ms and needs no pip at all.
//! Names are PEP 503-normalised by the script so both sides compare like for like.

use super::DependencyError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

/// The probe. First distribution wins, as it does for `import` (sys.path order).
const SCRIPT: &str = r#"
import json, os, platform, re, sys
from importlib import metadata
seen = {}
for d in metadata.distributions():
    try:
        name = d.metadata["Name"]
    except Exception:
        name = None
    if not name:
        continue
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key not in seen:
        seen[key] = [name, d.version]
env = {
    "python_version": "%d.%d" % sys.version_info[:2],
    "python_full_version": platform.python_version(),
    "implementation_version": platform.python_version(),
    "sys_platform": sys.platform,
    "platform_system": platform.system(),
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "os_name": os.name,
    "implementation_name": sys.implementation.name,
}
paths = [os.path.abspath(p) for p in sys.path if p and os.path.isdir(p)]
json.dump({"env": env, "installed": seen, "paths": paths}, sys.stdout)
"#;

/// Bound of the probe's stdout (a few thousand distributions fit easily).
const MAX_STDOUT: u64 = 8 * 1024 * 1024;
/// Bound of the stderr kept for an error message.
const MAX_STDERR: u64 = 16 * 1024;

/// What the interpreter reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// The interpreter as configured (`python3`, `/app/.venv/bin/python`).
    pub python: String,
    /// Marker environment (`python_version`, `sys_platform`, ...).
    pub env: BTreeMap<String, String>,
    /// Normalised name -> (name as the distribution spells it, version).
    pub installed: BTreeMap<String, (String, String)>,
    /// The directories of its `sys.path` — where distributions are found. Installing or removing one
    /// changes a directory's mtime, which is how [`super::ProbeCache`] knows to ask again.
    pub search_path: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct Raw {
    env: BTreeMap<String, String>,
    installed: BTreeMap<String, (String, String)>,
    #[serde(default)]
    paths: Vec<PathBuf>,
}

/// Runs the probe with `python`, killing it after `timeout`.
pub async fn probe(python: &str, timeout: Duration) -> Result<Interpreter, DependencyError> {
    let mut command = Command::new(python);
    crate::child_env::apply(&mut command, None);
    let mut child = command
        .args(["-c", SCRIPT])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                DependencyError::InterpreterMissing {
                    python: python.to_string(),
                    source,
                }
            }
            _ => DependencyError::Spawn {
                python: python.to_string(),
                source,
            },
        })?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(DependencyError::BadOutput {
            python: python.to_string(),
            detail: "no output pipes".into(),
        });
    };
    let run = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut stdout = stdout.take(MAX_STDOUT + 1);
        let mut stderr = stderr.take(MAX_STDERR);
        let (r_out, r_err, status) = tokio::join!(
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err),
            child.wait()
        );
        (r_out.and(r_err).and(status), out, err)
    };
    // On timeout the future (and with it the child, kill_on_drop) is dropped.
    let (status, out, err) =
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| DependencyError::Timeout {
                python: python.to_string(),
                after: timeout,
            })?;
    let status = status.map_err(|source| DependencyError::Spawn {
        python: python.to_string(),
        source,
    })?;
    if !status.success() {
        return Err(DependencyError::Failed {
            python: python.to_string(),
            status: status.to_string(),
            stderr_tail: tail(&err),
        });
    }
    if out.len() as u64 > MAX_STDOUT {
        return Err(DependencyError::BadOutput {
            python: python.to_string(),
            detail: format!("more than {MAX_STDOUT} bytes of output"),
        });
    }
    let raw: Raw = serde_json::from_slice(&out).map_err(|e| DependencyError::BadOutput {
        python: python.to_string(),
        detail: e.to_string(),
    })?;
    Ok(Interpreter {
        python: python.to_string(),
        env: raw.env,
        installed: raw.installed,
        search_path: raw.paths,
    })
}

/// The last line or so of stderr, for the error message (the traceback's last line says what broke).
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let last = text.trim_end().lines().last().unwrap_or("").trim();
    last.chars().take(300).collect()
}
