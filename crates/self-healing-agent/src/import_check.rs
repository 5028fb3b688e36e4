//! Before a distribution is installed for `No module named 'x'`, the agent's own interpreter is asked
//! whether `x` imports after all. If it does, the failing import was a submodule or a name inside the
//! package (version skew) or it was installed meanwhile: installing cannot help, so nothing is installed.
//! `scan` has no interpreter and only says that it would ask.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// How long the interpreter may take to import one module.
pub const IMPORT_CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// The interpreter that runs the agent: its command's program when that is a Python, else `python3`.
pub fn interpreter(command: &[String]) -> String {
    command
        .first()
        .filter(|program| {
            Path::new(program)
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python"))
        })
        .cloned()
        .unwrap_or_else(|| "python3".to_string())
}

/// What `scan` prints instead of asking.
pub fn would_check(module: &str) -> String {
    format!(
        "before installing, the supervisor checks that `import {module}` fails with the agent's interpreter"
    )
}

/// Whether `module` (a top-level name) imports with `interpreter` run in `cwd` with the agent's own
/// `env` (its `PYTHONPATH`, virtualenv) and `PATH`, nothing else. `None` when that cannot be told (no
/// interpreter, a timeout, an invalid name): the caller then goes on as before.
pub async fn imports(
    interpreter: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    module: &str,
    timeout: Duration,
) -> Option<bool> {
    if !healing_core::package_map::is_top_level_import(module) {
        return None;
    }
    // The name travels as an argument, never as code.
    let mut child = tokio::process::Command::new(interpreter)
        .args([
            "-c",
            "import importlib, sys; importlib.import_module(sys.argv[1])",
            module,
        ])
        .current_dir(cwd)
        .env_clear()
        .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => Some(status.success()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agents_python_is_its_program() {
        let cmd = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            interpreter(&cmd(&["/opt/venv/bin/python3.12", "app.py"])),
            "/opt/venv/bin/python3.12"
        );
        assert_eq!(interpreter(&cmd(&["gunicorn", "app:app"])), "python3");
        assert_eq!(interpreter(&[]), "python3");
    }

    #[tokio::test]
    async fn a_real_interpreter_tells_importable_from_missing() {
        let cwd = tempfile::tempdir().unwrap();
        let t = IMPORT_CHECK_TIMEOUT;
        let none = BTreeMap::new();
        let dir = cwd.path();
        assert_eq!(imports("python3", dir, &none, "json", t).await, Some(true));
        assert_eq!(
            imports("python3", dir, &none, "surely_not_installed_mod_42", t).await,
            Some(false)
        );
        // The agent's own modules count: they import from its cwd, or from its PYTHONPATH.
        std::fs::write(dir.join("localmod.py"), "").unwrap();
        assert_eq!(
            imports("python3", dir, &none, "localmod", t).await,
            Some(true)
        );
        std::fs::create_dir(dir.join("site")).unwrap();
        std::fs::write(dir.join("site/sitemod.py"), "").unwrap();
        let env = BTreeMap::from([("PYTHONPATH".to_string(), "site".to_string())]);
        assert_eq!(
            imports("python3", dir, &none, "sitemod", t).await,
            Some(false)
        );
        assert_eq!(
            imports("python3", dir, &env, "sitemod", t).await,
            Some(true)
        );
        assert_eq!(
            imports("python3", dir, &none, "os; import shutil", t).await,
            None
        );
        assert_eq!(
            imports("/nonexistent/python", dir, &none, "json", t).await,
            None
        );
    }
}
