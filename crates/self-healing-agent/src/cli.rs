//! The command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// Supervises the agents in `healing.toml` and heals what breaks.
#[derive(Debug, Parser)]
#[command(name = "self-healing-agent", version)]
pub struct Cli {
    /// Config file (default: env HEALING_CONFIG, then ./healing.toml, else built-in defaults).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// State directory (overrides `state_dir`).
    #[arg(long, global = true)]
    pub state_dir: Option<PathBuf>,
    /// Key Value store for the state documents, `redis://…` or `rediss://…` (overrides `state_url`
    /// and `HEALING_STATE_URL`); the state directory is used when neither is set.
    #[arg(long, global = true)]
    pub state_url: Option<String>,
    /// Run this long, then shut down cleanly (e.g. "30s"); used by the demo and tests.
    #[arg(long, global = true, value_parser = parse_duration)]
    pub exit_after: Option<Duration>,
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
    },
    /// Validate the config and print the effective configuration (secrets masked).
    CheckConfig,
    /// Print the agents' status from the state documents.
    Status,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}
