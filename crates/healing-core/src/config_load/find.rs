//! Which file to read, and reading it with bounds: the first step of [`super::load`].

use super::keypath::line_col;
use super::{
    ConfigError, DEFAULT_CONFIG_FILE, EnvLookup, LoadedConfig, MAX_CONFIG_BYTES, Problem,
    load_from_str,
};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How problems are labelled when no file was read.
pub const DEFAULTS_LABEL: &str = "(built-in defaults)";

/// Loads the config with the process environment and working directory.
pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    let cwd = std::env::current_dir().map_err(|source| ConfigError::Io {
        path: PathBuf::from("."),
        source,
    })?;
    load_with(explicit, &cwd, &|name| std::env::var(name).ok())
}

/// [`load`] with the working directory and environment passed in (tests, and binaries that have
/// already read them).
pub fn load_with(
    explicit: Option<&Path>,
    cwd: &Path,
    env: EnvLookup<'_>,
) -> Result<LoadedConfig, ConfigError> {
    let from_env = env("HEALING_CONFIG")
        .filter(|v| !v.trim().is_empty())
        .map(PathBuf::from);
    let (path, required) = match (explicit, from_env) {
        (Some(p), _) => (p.to_path_buf(), true),
        (None, Some(p)) => (p, true),
        (None, None) => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
    };
    let path = if path.is_relative() {
        cwd.join(path)
    } else {
        path
    };
    let src = match read_bounded(&path) {
        Ok(src) => src,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            // Only env overrides can be wrong here; there is no file to blame.
            let mut loaded = load_from_str("", None, cwd, env).map_err(|e| match e {
                ConfigError::Invalid { problems, .. } => ConfigError::Invalid {
                    path: DEFAULTS_LABEL.into(),
                    problems,
                },
                other => other,
            })?;
            loaded.used_defaults = true;
            return Ok(loaded);
        }
        Err(source) => return Err(ConfigError::Io { path, source }),
    };
    let label = path.display().to_string();
    let src = match src {
        Src::Text(text) => text,
        Src::TooLarge => {
            return Err(one_problem(
                label,
                "file",
                format!("larger than {MAX_CONFIG_BYTES} bytes"),
            ));
        }
        Src::NotUtf8(offset, bytes) => {
            let text = String::from_utf8_lossy(&bytes[..offset]);
            let (line, column) = line_col(&text, offset);
            return Err(ConfigError::Invalid {
                path: label,
                problems: vec![Problem {
                    key: "file".into(),
                    line: Some(line),
                    column: Some(column),
                    message: "not valid UTF-8".into(),
                }],
            });
        }
    };
    let base = path
        .parent()
        .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
    load_from_str(&src, Some(&path), &base, env)
}

enum Src {
    Text(String),
    TooLarge,
    NotUtf8(usize, Vec<u8>),
}

fn read_bounded(path: &Path) -> std::io::Result<Src> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Ok(Src::TooLarge);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Src::Text(text)),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            Ok(Src::NotUtf8(offset, e.into_bytes()))
        }
    }
}

fn one_problem(path: String, key: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        path,
        problems: vec![Problem {
            key: key.into(),
            line: None,
            column: None,
            message,
        }],
    }
}
