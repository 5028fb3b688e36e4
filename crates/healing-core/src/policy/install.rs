//! How an allowed distribution is installed: the installer's arguments after `install_command`,
//! following the requirements file's own options (see [`crate::requirements::InstallOptions`]).

use super::Refusal;
use crate::requirements::InstallOptions;
use std::path::PathBuf;

/// The install rule of one policy.
#[derive(Debug, Clone, Default)]
pub(crate) enum InstallMode {
    /// No options: `install_command + [requirement]`.
    #[default]
    Plain,
    /// `install_command + options + [requirement]`: the file's index, links and constraints.
    WithOptions(Vec<String>),
    /// Hash-pinned file: `install_command + options + ["--require-hashes", "-r", file]` — the file
    /// itself is installed (already satisfied lines are skipped), so every hash is checked.
    Hashed { options: Vec<String>, file: PathBuf },
    /// The file has options that cannot be honoured: nothing is installed, this is why.
    Refused(String),
}

impl InstallMode {
    /// The mode for requirements read from `file` with `options`.
    pub(crate) fn from_file(file: PathBuf, options: InstallOptions) -> InstallMode {
        if !options.unsupported.is_empty() {
            return InstallMode::Refused(format!(
                "the requirements file has installer options that cannot be passed on: {}",
                options.unsupported.join(", ")
            ));
        }
        match (options.hashed, options.args.is_empty()) {
            (true, _) => InstallMode::Hashed {
                options: options.args,
                file,
            },
            (false, true) => InstallMode::Plain,
            (false, false) => InstallMode::WithOptions(options.args),
        }
    }

    /// The arguments after `install_command` for `requirement`; `from_file` says whether the
    /// distribution is listed in the requirements file (or only in `allow_packages`).
    pub(crate) fn args(&self, requirement: &str, from_file: bool) -> Result<Vec<String>, Refusal> {
        match self {
            InstallMode::Plain => Ok(vec![requirement.to_string()]),
            InstallMode::WithOptions(options) => {
                let mut args = options.clone();
                args.push(requirement.to_string());
                Ok(args)
            }
            InstallMode::Hashed { options, file } if from_file => {
                let mut args = options.clone();
                args.extend([
                    "--require-hashes".to_string(),
                    "-r".to_string(),
                    file.display().to_string(),
                ]);
                Ok(args)
            }
            InstallMode::Hashed { .. } => Err(Refusal::InstallOptions {
                reason: format!(
                    "the requirements file is hash-pinned and {requirement:?} has no hash in it"
                ),
            }),
            InstallMode::Refused(reason) => Err(Refusal::InstallOptions {
                reason: reason.clone(),
            }),
        }
    }
}
