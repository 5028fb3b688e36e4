//! Pre-checks of the configuration and the ground the agents stand on.
//!
//! Each check is cheap, independent and reported on its own: one broken agent command must not hide a
//! missing env var. Env checks look at names only — a value never reaches a message, so it can never
//! reach a log line, the state file or an alert.

use crate::state_doc::{CheckResult, Outcome};
use healing_core::config::AgentConfig;
use healing_core::config_load::{self, ConfigError};
use healing_core::environment::{self, EnvVar, PathCheck};
use healing_core::executor::Executor;
use healing_core::state::StoreHealth;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Problems listed in one message at most; the rest are counted.
const MAX_PROBLEMS_SHOWN: usize = 5;

/// `healing.toml` still loads and validates (it may have been edited since start-up).
pub fn config_file(path: Option<&Path>) -> CheckResult {
    let Some(path) = path else {
        return CheckResult::new("config", Outcome::Ok, "no config file: running on defaults");
    };
    match config_load::load(Some(path)) {
        Ok(_) => CheckResult::new(
            "config",
            Outcome::Ok,
            format!("{} is valid", path.display()),
        ),
        Err(ConfigError::Invalid { problems, .. }) => {
            let shown: Vec<String> = problems
                .iter()
                .take(MAX_PROBLEMS_SHOWN)
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect();
            CheckResult::new(
                "config",
                Outcome::Critical,
                format!(
                    "{} has {} problem(s): {}",
                    path.display(),
                    problems.len(),
                    shown.join("; ")
                ),
            )
        }
        Err(e) => CheckResult::new("config", Outcome::Critical, e.to_string()),
    }
}

/// Every enabled agent's working directory exists and its command resolves (on `path_var` or as a file).
pub fn agents(agents: &[AgentConfig], path_var: Option<&OsStr>) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for agent in agents.iter().filter(|a| a.enabled) {
        let name = format!("agent:{}", agent.name);
        if !agent.cwd.is_dir() {
            out.push(CheckResult::new(
                format!("{name}:cwd"),
                Outcome::Critical,
                format!(
                    "{}: working directory {} is missing",
                    agent.name,
                    agent.cwd.display()
                ),
            ));
            continue;
        }
        let Some(program) = agent.command.first() else {
            out.push(CheckResult::new(
                format!("{name}:command"),
                Outcome::Critical,
                "empty command",
            ));
            continue;
        };
        match resolve(program, &agent.cwd, path_var) {
            Some(found) => out.push(CheckResult::new(
                format!("{name}:command"),
                Outcome::Ok,
                format!("{} -> {}", program, found.display()),
            )),
            None => out.push(CheckResult::new(
                format!("{name}:command"),
                Outcome::Critical,
                format!(
                    "{}: command {program:?} is not on PATH and is not an executable file",
                    agent.name
                ),
            )),
        }
        // `python3 agents/x.py`: the script is as necessary as the interpreter.
        if let Some(script) = agent
            .command
            .get(1)
            .filter(|a| a.ends_with(".py") && !a.starts_with('-'))
        {
            let path = agent.cwd.join(script);
            if !path.is_file() {
                out.push(CheckResult::new(
                    format!("{name}:script"),
                    Outcome::Critical,
                    format!("{}: script {} is missing", agent.name, path.display()),
                ));
            }
        }
    }
    out
}

/// Where `program` resolves: relative to `cwd` when it has a `/`, else the first executable on PATH.
pub fn resolve(program: &str, cwd: &Path, path_var: Option<&OsStr>) -> Option<PathBuf> {
    if program.contains('/') {
        let path = cwd.join(program);
        return is_executable(&path).then_some(path);
    }
    std::env::split_paths(path_var?)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Each required variable is present and non-empty (healing-core's one env check). Only the name is
/// ever reported.
pub fn required_env(names: &[String], env: &dyn Fn(&str) -> Option<String>) -> Vec<CheckResult> {
    environment::check_env(names, env)
        .into_iter()
        .map(|(name, found)| {
            let check = format!("env:{name}");
            match found {
                EnvVar::Set => CheckResult::new(check, Outcome::Ok, format!("{name} is set")),
                EnvVar::Blank => {
                    CheckResult::new(check, Outcome::Critical, format!("{name} is set but empty"))
                }
                EnvVar::Unset => {
                    CheckResult::new(check, Outcome::Critical, format!("{name} is not set"))
                }
            }
        })
        .collect()
}

/// The state directory accepts a new file (a full disk or a read-only mount shows here first).
pub fn state_dir_writable(dir: &Path) -> CheckResult {
    let probe = dir.join(format!(".prevention-write-check-{}", std::process::id()));
    let result = fs::write(&probe, b"ok").and_then(|()| fs::remove_file(&probe));
    match result {
        Ok(()) => CheckResult::new(
            "state_dir",
            Outcome::Ok,
            format!("{} is writable", dir.display()),
        ),
        Err(e) => CheckResult::new(
            "state_dir",
            Outcome::Critical,
            format!("{} is not writable: {e}", dir.display()),
        ),
    }
}

/// The name of the [`state_store`] check.
pub const STATE_STORE: &str = "state_store";

/// The Key Value state store as its writer last saw it. An outage is a warning (state waits in memory);
/// a lost lease is critical (this process no longer writes state at all).
pub fn state_store(health: &StoreHealth) -> CheckResult {
    match health {
        StoreHealth::Reachable => {
            CheckResult::new(STATE_STORE, Outcome::Ok, "the state store is reachable")
        }
        StoreHealth::Unreachable { error } => CheckResult::new(
            STATE_STORE,
            Outcome::Warning,
            format!("the state store is unreachable, state is kept in memory: {error}"),
        ),
        StoreHealth::LeaseLost => CheckResult::new(
            STATE_STORE,
            Outcome::Critical,
            "the state lease was taken by another process; state is no longer written",
        ),
    }
}

/// Each `create_path_roots` directory exists; a missing one is created through the policy (healing-core's
/// one path check).
pub async fn path_roots(roots: &[PathBuf], executor: Option<&Executor>) -> Vec<CheckResult> {
    let checks = environment::ensure_paths(roots, executor).await;
    checks
        .into_iter()
        .map(|check| match check {
            PathCheck::Present(path) => CheckResult::new(
                format!("path:{}", path.display()),
                Outcome::Ok,
                format!("{} exists", path.display()),
            ),
            PathCheck::Created(path) => CheckResult::new(
                format!("path:{}", path.display()),
                Outcome::Fixed,
                format!("{} was missing and has been created", path.display()),
            ),
            PathCheck::Missing { path, reason } => CheckResult::new(
                format!("path:{}", path.display()),
                Outcome::Warning,
                format!("{} is missing; {reason}", path.display()),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_checks_name_the_variable_and_never_the_value() {
        let env = |name: &str| match name {
            "SET" => Some("s3cr3t-value-123".to_string()),
            "EMPTY" => Some("  ".to_string()),
            _ => None,
        };
        let names = ["SET", "EMPTY", "ABSENT"].map(String::from);
        let results = required_env(&names, &env);
        let outcomes: Vec<_> = results.iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes,
            [Outcome::Ok, Outcome::Critical, Outcome::Critical]
        );
        for r in &results {
            assert!(!r.message.contains("s3cr3t"), "{r:?}");
        }
        assert_eq!(results[2].message, "ABSENT is not set");
    }

    #[test]
    fn commands_resolve_on_path_or_as_files_relative_to_cwd() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let tool = bin.join("tool");
        fs::write(&tool, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(bin.join("plain"), "").unwrap();
        let path_var = std::env::join_paths([&bin]).unwrap();
        assert_eq!(
            resolve("tool", dir.path(), Some(&path_var)),
            Some(tool.clone())
        );
        assert_eq!(
            resolve("./bin/tool", dir.path(), None),
            Some(dir.path().join("./bin/tool"))
        );
        assert_eq!(
            resolve("plain", dir.path(), Some(&path_var)),
            None,
            "not executable"
        );
        assert_eq!(resolve("nope", dir.path(), Some(&path_var)), None);
    }

    #[test]
    fn agents_with_missing_cwd_command_or_script_are_critical() {
        let dir = tempfile::tempdir().unwrap();
        let agent = |name: &str, command: &[&str], cwd: &Path| AgentConfig {
            name: name.into(),
            command: command.iter().map(|s| s.to_string()).collect(),
            cwd: cwd.to_path_buf(),
            env: Default::default(),
            pass_env: Vec::new(),
            env_clear: false,
            log_file: None,
            health_url: None,
            health_start_period: std::time::Duration::from_secs(10),
            heartbeat_file: None,
            heartbeat_max_age: std::time::Duration::from_secs(180),
            enabled: true,
            depends_on: Vec::new(),
            ready_after: std::time::Duration::from_secs(2),
            health_failure_threshold: 3,
            health_period: None,
            dump_command: None,
        };
        fs::write(dir.path().join("ok.py"), "").unwrap();
        let path_var = std::env::var_os("PATH");
        let list = [
            agent("good", &["sh", "ok.py"], dir.path()),
            agent("no_cwd", &["sh"], &dir.path().join("missing")),
            agent("no_cmd", &["definitely-not-a-command-xyz"], dir.path()),
            agent("no_script", &["sh", "gone.py"], dir.path()),
        ];
        let results = agents(&list, path_var.as_deref());
        let bad: Vec<&str> = results
            .iter()
            .filter(|r| r.outcome == Outcome::Critical)
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(
            bad,
            [
                "agent:no_cwd:cwd",
                "agent:no_cmd:command",
                "agent:no_script:script"
            ]
        );
    }

    #[test]
    fn an_unwritable_state_dir_is_critical() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(state_dir_writable(dir.path()).outcome, Outcome::Ok);
        assert!(
            fs::read_dir(dir.path()).unwrap().next().is_none(),
            "probe file removed"
        );
        let missing = state_dir_writable(&dir.path().join("nope"));
        assert_eq!(missing.outcome, Outcome::Critical);
    }

    #[test]
    fn an_unreachable_state_store_warns_and_a_lost_lease_is_critical() {
        assert_eq!(state_store(&StoreHealth::Reachable).outcome, Outcome::Ok);
        let away = state_store(&StoreHealth::Unreachable {
            error: "connection refused".into(),
        });
        assert_eq!(away.outcome, Outcome::Warning);
        assert!(
            away.message.contains("connection refused"),
            "{}",
            away.message
        );
        assert_eq!(
            state_store(&StoreHealth::LeaseLost).outcome,
            Outcome::Critical
        );
    }
}
