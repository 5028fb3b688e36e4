//! The command line.

use clap::{Parser, Subcommand};
use healing_core::config_load::ConfigArgs;
use std::path::PathBuf;
use std::time::Duration;

/// Supervises the agents in `healing.toml` and heals what breaks.
#[derive(Debug, Parser)]
#[command(name = "self-healing-agent", version)]
pub struct Cli {
    /// `--config`, `--state-dir`, `--state-url`.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Run this long, then shut down cleanly (e.g. "30s"); used by the demo and tests.
    #[arg(long, global = true, value_parser = parse_duration)]
    pub exit_after: Option<Duration>,
    /// Control commands with `state_url`: the supervisor instance to command (default: the only one).
    #[arg(long, global = true)]
    pub instance: Option<String>,
    /// What to do (default: run).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Supervise the agents (the default).
    Run,
    /// Diagnose log files with the same catalogue (no fixes are run).
    Scan {
        /// Files to scan.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one row per fingerprint (kind, count, first and last line, masked message, action)
        /// instead of one JSON object per incident.
        #[arg(long)]
        summary: bool,
    },
    /// Validate the config and print the effective configuration (secrets masked).
    CheckConfig,
    /// Print the agents' status from the state documents.
    Status,
    /// Start a stopped agent (in the running supervisor).
    Start {
        /// The agent.
        name: String,
    },
    /// Stop an agent (TERM, grace, KILL) and keep it stopped, also across supervisor restarts.
    Stop {
        /// The agent.
        name: String,
    },
    /// Restart an agent gracefully now (not counted in the hourly budget; backoff starts over).
    Restart {
        /// The agent.
        name: String,
    },
    /// Clear an agent's hold (breaker, budget, needs attention) and start one trial now.
    Resume {
        /// The agent.
        name: String,
    },
    /// Hold back an agent's alerts (every sink) for an hour; the mute ends by itself.
    Mute {
        /// The agent.
        name: String,
    },
    /// Re-read the configuration in the running supervisor (same as SIGHUP).
    Reload,
    /// Run a proposed fix (`fixes.mode = "propose"`; ids are listed by `status`).
    Apply {
        /// The proposal id.
        id: u64,
    },
    /// Drop a proposed fix; the agent stays held.
    Skip {
        /// The proposal id.
        id: u64,
    },
    /// Print an agent's last log lines (redacted).
    Logs {
        /// The agent.
        name: String,
        /// How many lines.
        #[arg(short = 'n', long = "lines", default_value_t = crate::control::DEFAULT_LOG_LINES,
              value_parser = parse_lines)]
        lines: usize,
        /// Keep printing new lines as they are written.
        #[arg(short = 'f', long)]
        follow: bool,
    },
}

impl Command {
    /// The control request this command sends to a running supervisor, if it is one.
    pub fn control_request(&self) -> Option<crate::control::Request> {
        use crate::control::{Request, Verb};
        let (verb, name) = match self {
            Command::Start { name } => (Verb::Start, Some(name)),
            Command::Stop { name } => (Verb::Stop, Some(name)),
            Command::Restart { name } => (Verb::Restart, Some(name)),
            Command::Resume { name } => (Verb::Resume, Some(name)),
            Command::Mute { name } => (Verb::Mute, Some(name)),
            Command::Reload => (Verb::Reload, None),
            Command::Apply { id } => return Some(Request::named(Verb::Apply, id.to_string())),
            Command::Skip { id } => return Some(Request::named(Verb::Skip, id.to_string())),
            Command::Logs { name, .. } => (Verb::Logs, Some(name)),
            Command::Run | Command::Scan { .. } | Command::CheckConfig | Command::Status => {
                return None;
            }
        };
        let (lines, follow) = match self {
            Command::Logs { lines, follow, .. } => (Some(*lines), *follow),
            _ => (None, false),
        };
        Some(Request {
            verb,
            name: name.cloned(),
            lines,
            follow,
        })
    }
}

fn parse_lines(s: &str) -> Result<usize, String> {
    let max = crate::control::MAX_LOG_LINES;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of lines from 1 to {max}, got {s:?}"
        )),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}
