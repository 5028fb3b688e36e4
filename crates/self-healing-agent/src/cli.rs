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
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}
