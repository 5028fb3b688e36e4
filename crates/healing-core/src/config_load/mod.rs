//! Loading `healing.toml`: find the file, parse it, apply env overrides, resolve relative paths, validate.
//!
//! All three binaries start here. The rules users rely on:
//! - the file is `--config PATH`, else env `HEALING_CONFIG`, else `./healing.toml`; when none of these
//!   exists the binary runs on built-in defaults and says so ([`LoadedConfig::used_defaults`]);
//! - env overrides (`HEALING_STATE_DIR`, `HEALING_STATE_URL`, `SELF_HEALING_INTERVAL`,
//!   `PREVENTION_INTERVAL`, `PORT`) beat the file;
//! - relative paths mean "next to the config file";
//! - every mistake is reported at once, each with its key path and line:column, and the binaries exit 2.
//!
//! ```
//! use healing_core::config_load::load_from_str;
//! use std::path::Path;
//! let src = "[restart]\nmultipler = 2.0\nmax_per_hour = 0\n";
//! let err = load_from_str(src, None, Path::new("/srv"), &|_| None).unwrap_err();
//! let text = err.to_string();
//! assert!(text.contains("healing.toml:2:1: restart.multipler: unknown key"));
//! assert!(text.contains("healing.toml:3:1: restart.max_per_hour: must be at least 1, got 0"));
//! ```

mod agent_order;
mod args;
mod effective;
mod env;
mod find;
mod keypath;
mod parse;
mod paths;
mod rules;
mod validate;

pub use args::ConfigArgs;
pub use env::{EnvLookup, on_render, render_mode};
pub use find::{DEFAULTS_LABEL, load, load_with};
pub use validate::{REGEX_MAX_LEN, REGEX_SIZE_LIMIT};

use crate::config::Config;
use keypath::{KeyPath, line_col};
use std::fmt;
use std::path::{Path, PathBuf};

/// Largest config file read: a config is hand-written; anything bigger is a mistake, not a config.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// The file used when neither `--config` nor `HEALING_CONFIG` names one.
pub const DEFAULT_CONFIG_FILE: &str = "healing.toml";

/// A validated configuration and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The configuration, env overrides applied and relative paths made absolute.
    pub config: Config,
    /// The file read; `None` when running on built-in defaults.
    pub path: Option<PathBuf>,
    /// The directory relative paths were resolved against (the file's, or the working directory).
    pub base_dir: PathBuf,
    /// No file was found: the binary must say so in its first log line.
    pub used_defaults: bool,
    /// Legal but probably unintended settings, to be logged at start-up.
    pub warnings: Vec<Problem>,
}

impl LoadedConfig {
    /// Applies the `--state-dir` / `--state-url` flags every binary has: a flag beats the file and the
    /// environment.
    pub fn override_state(&mut self, dir: Option<PathBuf>, url: Option<String>) {
        if let Some(dir) = dir {
            self.config.state_dir = dir;
        }
        if let Some(url) = url {
            self.config.state_url = Some(url);
        }
    }

    /// The effective configuration as TOML, with agent env values, URL passwords and values of keys
    /// named like secrets (`*token*`, `*secret*`, `*key*`, `*password*`) shown as `***`.
    pub fn effective_toml(&self) -> String {
        effective::render(&self.config)
    }
}

/// One mistake in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the config: `agents[1].command`, `restart.multipler`; an env var name for overrides.
    pub key: String,
    /// 1-based line in the file, when the key is written there.
    pub line: Option<usize>,
    /// 1-based column (characters), when the key is written there.
    pub column: Option<usize>,
    /// What is wrong, in one line. Never contains a secret value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, "{line}:{col}: ")?;
        }
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why no configuration could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The named config file (or the working directory) could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The config has problems; Display prints one `path:line:col: key: message` line per problem.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        path: String,
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &str, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| match p.line {
            Some(_) => format!("{path}:{p}"),
            None => format!("{path}: {p}"),
        })
        .collect();
    lines.join("\n")
}

/// Loads a config from text. `path` only labels messages; `base_dir` is where relative paths point
/// (the config file's directory). Env overrides are read through `env`.
pub fn load_from_str(
    src: &str,
    path: Option<&Path>,
    base_dir: &Path,
    env: EnvLookup<'_>,
) -> Result<LoadedConfig, ConfigError> {
    let label = path.map_or_else(
        || DEFAULT_CONFIG_FILE.to_owned(),
        |p| p.display().to_string(),
    );
    let invalid = |problems| ConfigError::Invalid {
        path: label.clone(),
        problems,
    };
    let root = match parse::syntax(src) {
        Ok(root) => root,
        Err(found) => return Err(invalid(place(src, None, &env::Origins::new(), found))),
    };
    let mut found = Vec::new();
    let mut config = parse::config(&root, &mut found);
    let (origins, env_problems) = env::apply(&mut config, env);
    let report = validate::check(&config);
    found.extend(
        report
            .problems
            .into_iter()
            .map(|(key, message)| parse::Found {
                key,
                span: None,
                message,
            }),
    );
    let mut problems = place(src, Some(&root), &origins, found);
    problems.extend(env_problems.into_iter().map(|(var, message)| Problem {
        key: var.into(),
        line: None,
        column: None,
        message,
    }));
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let warnings = place(
        src,
        Some(&root),
        &origins,
        report
            .warnings
            .into_iter()
            .map(|(key, message)| parse::Found {
                key,
                span: None,
                message,
            })
            .collect(),
    );
    paths::resolve(&mut config, base_dir);
    // From here on children never inherit these, and outgoing text never shows them.
    crate::secrets::register(crate::secrets::SecretSet::from_config(&config, env));
    Ok(LoadedConfig {
        config,
        path: path.map(Path::to_path_buf),
        base_dir: base_dir.to_path_buf(),
        used_defaults: false,
        warnings,
    })
}

/// Gives each found problem its line and column, names env vars for overridden keys, hides secrets,
/// and sorts by position.
fn place(
    src: &str,
    root: Option<&toml::Spanned<toml::de::DeTable<'_>>>,
    origins: &env::Origins,
    found: Vec<parse::Found>,
) -> Vec<Problem> {
    let mut out: Vec<Problem> = found
        .into_iter()
        .map(|f| {
            if let Some(var) = overriding_var(&f.key, origins) {
                return Problem {
                    key: var.into(),
                    line: None,
                    column: None,
                    message: format!("(overrides `{}`) {}", f.key, f.message),
                };
            }
            // The key as written beats serde's span, which beats the nearest written ancestor.
            let located = root.and_then(|r| f.key.locate(r));
            let span = match (located, f.span) {
                (Some((span, true)), _) => Some(span),
                (_, Some(span)) => Some(span),
                (Some((span, false)), None) => Some(span),
                (None, None) => None,
            };
            let (line, column) = span.map(|s| line_col(src, s.start)).unzip();
            let message = if is_secret_path(&f.key) && f.message.contains("invalid") {
                "invalid value (not shown: this key holds a secret)".into()
            } else {
                f.message
            };
            Problem {
                key: f.key.to_string(),
                line,
                column,
                message,
            }
        })
        .collect();
    out.sort_by_key(|p| (p.line.is_none(), p.line, p.column));
    out.dedup();
    out
}

fn overriding_var(key: &KeyPath, origins: &env::Origins) -> Option<&'static str> {
    origins
        .iter()
        .find(|(k, _)| key.0.starts_with(&k.0))
        .map(|(_, v)| *v)
}

/// Values under these keys are secrets, so serde's "invalid value `...`" messages must not echo them.
fn is_secret_path(key: &KeyPath) -> bool {
    use keypath::Seg;
    key.0.iter().any(|s| matches!(s, Seg::Key(k) if k == "env" || k == "state_url" || effective::is_secret_key(k)))
}
