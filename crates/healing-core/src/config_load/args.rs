//! The command-line options all three binaries share: which config, and where the state lives.

use super::{ConfigError, LoadedConfig, load};
use std::path::PathBuf;

/// Flattened into each binary's arguments (`#[command(flatten)]`), so the three spell, document and
/// apply `--config`, `--state-dir` and `--state-url` the same way.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// Config file (default: $HEALING_CONFIG, then ./healing.toml, else built-in defaults).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// State directory (overrides `state_dir` and $HEALING_STATE_DIR).
    #[arg(long, global = true)]
    pub state_dir: Option<PathBuf>,
    /// Key Value store for the state documents, `redis://…` or `rediss://…` (overrides `state_url` and
    /// $HEALING_STATE_URL; prefer the variable, which keeps the password out of the process list).
    #[arg(long, global = true)]
    pub state_url: Option<String>,
}

impl ConfigArgs {
    /// Loads the config, then applies `--state-dir` / `--state-url` over it. Says so in the log when no
    /// file was found and the built-in defaults apply.
    pub fn load(&self) -> Result<LoadedConfig, ConfigError> {
        let mut loaded = load(self.config.as_deref())?;
        if loaded.used_defaults {
            tracing::info!("no config file found: using built-in defaults");
        }
        loaded.override_state(self.state_dir.clone(), self.state_url.clone());
        Ok(loaded)
    }
}
