//! The safety policy: the one place that decides whether a proposed fix may run.
//!
//! A log line must never choose what gets installed or created. Installs are limited to distributions in
//! the requirements file or `allow_packages` (PEP 503 names, pinned as the file pins them), so
//! `No module named 'reqeusts'` cannot install a typosquat and `No module named 'x; rm -rf ~'` is only an
//! invalid name. Paths are resolved (symlinks and `..` included) and must land inside `create_path_roots`;
//! a missing file is created only when it matches a `create_files` glob, because an empty config file
//! would only turn one error into another. The executor calls [`Policy::check`] again before acting.

mod future_path;
mod install;
mod refusal;

pub use refusal::Refusal;

use future_path::{absolute, is_first_party, looks_like_file, shorten};

use install::InstallMode;

use crate::package_map::{
    is_valid_distribution_name as pep508_valid_name, normalize as pep503_normalize,
};

use crate::config::{Config, FixesConfig};
use crate::fix::{FixAction, FixPlan};
use crate::incident::{Detail, Incident};
use crate::kind::ActionKind;
use crate::requirements::{self, RequirementsError};
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Setting up the policy failed; each variant names the offending entry.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("fixes.requirements: {0}")]
    Requirements(#[from] RequirementsError),
    #[error("fixes.allow_packages: {name:?} is not a valid distribution name")]
    InvalidPackage { name: String },
    #[error("fixes.create_files: invalid glob {pattern:?}: {source}")]
    Glob {
        pattern: String,
        #[source]
        source: globset::Error,
    },
    #[error("fixes.create_path_roots: {root} cannot be resolved: {why}")]
    Root { root: PathBuf, why: String },
}

/// An installable distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    /// The argv element given to the installer.
    requirement: String,
    /// The name as configured.
    name: String,
    /// Listed in the requirements file (not only in `allow_packages`).
    from_file: bool,
}

/// The compiled policy. Built once; shared as `Arc<Policy>`.
#[derive(Debug, Clone)]
pub struct Policy {
    /// PEP 503 name → what to install.
    packages: BTreeMap<String, Allowed>,
    /// Canonical roots under which paths may be created.
    roots: Vec<PathBuf>,
    /// `create_files` globs, made absolute against the (canonical) config directory.
    files: GlobSet,
    /// Where relative things resolve when an agent's cwd is itself relative.
    base_dir: PathBuf,
    /// How installs are invoked (the requirements file's options).
    install: InstallMode,
    /// Canonical directories no fix may create anything in: the state directory (agent logs included).
    protected: Vec<(PathBuf, &'static str)>,
}

impl Policy {
    /// Compiles `[fixes]`. A missing requirements file allows nothing from it (with a warning).
    pub fn from_config(fixes: &FixesConfig, base_dir: &Path) -> Result<Policy, PolicyError> {
        let base_dir =
            future_path::resolve(&absolute(base_dir)).unwrap_or_else(|_| base_dir.to_path_buf());
        let mut packages = BTreeMap::new();
        let mut install = InstallMode::Plain;
        if let Some(file) = &fixes.requirements {
            let file = base_dir.join(file);
            match requirements::parse_file_with_options(&file) {
                Ok((reqs, options)) => {
                    for r in reqs {
                        let requirement = format!("{}{}", r.name, r.specifier);
                        packages.entry(r.normalized).or_insert(Allowed {
                            requirement,
                            name: r.name,
                            from_file: true,
                        });
                    }
                    install = InstallMode::from_file(file.clone(), options);
                }
                Err(RequirementsError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    tracing::warn!(file = %file.display(), "requirements file not found: nothing is installable from it");
                }
                Err(e) => return Err(e.into()),
            }
        }
        for name in &fixes.allow_packages {
            if !pep508_valid_name(name) {
                return Err(PolicyError::InvalidPackage { name: name.clone() });
            }
            packages.entry(pep503_normalize(name)).or_insert(Allowed {
                requirement: name.clone(),
                name: name.clone(),
                from_file: false,
            });
        }
        let roots = fixes
            .create_path_roots
            .iter()
            .map(|root| {
                future_path::resolve(&base_dir.join(root)).map_err(|why| PolicyError::Root {
                    root: root.clone(),
                    why,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut globs = GlobSetBuilder::new();
        for pattern in &fixes.create_files {
            let full = if Path::new(pattern).is_absolute() {
                pattern.clone()
            } else {
                format!(
                    "{}/{}",
                    globset::escape(&base_dir.to_string_lossy()),
                    pattern
                )
            };
            globs.add(compile_glob(pattern, &full)?);
        }
        let files = globs.build().map_err(|source| PolicyError::Glob {
            pattern: fixes.create_files.join(", "),
            source,
        })?;
        Ok(Policy {
            packages,
            roots,
            files,
            base_dir,
            install,
            protected: Vec::new(),
        })
    }

    /// The policy a service uses: `[fixes]`, with the state directory (and the agents' logs in it)
    /// protected.
    pub fn for_service(config: &Config, base_dir: &Path) -> Result<Policy, PolicyError> {
        Ok(Policy::from_config(&config.fixes, base_dir)?.protecting(
            "the state directory and the agents' logs",
            &config.state_dir,
        ))
    }

    /// Never creates anything inside `dir` (`what`: the state directory, the agents' log directory),
    /// wherever it is and whatever the roots say: a log line naming `state/.agent_status.json.tmp/` must
    /// not turn the supervisor's own files into directories.
    pub fn protecting(mut self, what: &'static str, dir: &Path) -> Policy {
        let dir = absolute(&self.base_dir.join(dir));
        let dir = future_path::resolve(&dir).unwrap_or(dir);
        self.protected.push((dir, what));
        self
    }

    /// The root `path` lies under and the path relative to it (for creation relative to the opened
    /// root, see [`crate::create_path`]). `None` when it is under no root.
    pub fn split_root<'p>(&self, path: &'p Path) -> Option<(&Path, &'p Path)> {
        self.roots
            .iter()
            .find_map(|root| Some((root.as_path(), path.strip_prefix(root).ok()?)))
    }

    /// Nothing installable, no roots: every fix beyond restart/alert is refused.
    pub fn deny_all() -> Policy {
        Policy {
            packages: BTreeMap::new(),
            roots: Vec::new(),
            files: GlobSet::empty(),
            base_dir: PathBuf::from("/"),
            install: InstallMode::Plain,
            protected: Vec::new(),
        }
    }

    /// Turns an incident into a plan; a refused plan alerts and says why.
    pub fn plan(&self, incident: &Incident, agent_cwd: &Path) -> FixPlan {
        let proposed = incident.action;
        let decided = match proposed {
            ActionKind::InstallPackage => self.plan_install(&incident.detail, agent_cwd),
            ActionKind::CreatePath => self.plan_create(&incident.detail, agent_cwd),
            ActionKind::Restart => Ok((FixAction::Restart, None)),
            ActionKind::Retry => Ok((FixAction::Retry, None)),
            ActionKind::Alert => Ok((FixAction::Alert, None)),
            ActionKind::None => Ok((FixAction::None, None)),
        };
        match decided {
            Ok((action, note)) => FixPlan::accepted(proposed, action, note),
            Err((target, refusal)) => FixPlan::refused(proposed, target, refusal.to_string()),
        }
    }

    /// Whether `action` may run now. Pure for installs; for paths it looks at the filesystem again.
    pub fn check(&self, action: &FixAction) -> Result<(), Refusal> {
        match action {
            FixAction::InstallPackage {
                distribution,
                requirement,
            } => {
                let allowed = self.allowed(distribution)?;
                if &allowed.requirement != requirement {
                    return Err(Refusal::Mismatch {
                        requirement: requirement.clone(),
                        allowed: allowed.requirement.clone(),
                    });
                }
                self.install
                    .args(requirement, allowed.from_file)
                    .map(|_| ())
            }
            FixAction::CreateDir { path } => self.inside_roots(path).map(|_| ()),
            FixAction::CreateFile { path } => {
                let resolved = self.inside_roots(path)?;
                if self.files.is_match(&resolved) {
                    Ok(())
                } else {
                    Err(Refusal::FileNotAllowed {
                        path: path.display().to_string(),
                    })
                }
            }
            FixAction::Restart | FixAction::Retry | FixAction::Alert | FixAction::None => Ok(()),
        }
    }

    /// The installer's arguments after `install_command` for an allowed distribution (checked again).
    pub fn install_args(&self, distribution: &str) -> Result<Vec<String>, Refusal> {
        let allowed = self.allowed(distribution)?;
        self.install.args(&allowed.requirement, allowed.from_file)
    }

    fn allowed(&self, name: &str) -> Result<&Allowed, Refusal> {
        if !pep508_valid_name(name) {
            return Err(Refusal::InvalidName {
                name: shorten(name),
            });
        }
        self.packages
            .get(&pep503_normalize(name))
            .ok_or_else(|| Refusal::NotAllowed {
                name: name.to_string(),
            })
    }

    fn plan_install(&self, detail: &Detail, cwd: &Path) -> Decided {
        if let Some(module) = detail.module.as_deref() {
            // Python names the top level when that is what is missing, so a dotted name means the
            // package imported: installing it (or a look-alike) again cannot help.
            if module.contains('.') {
                let module = shorten(module);
                return Err((Some(module.clone()), Refusal::VersionSkew { module }));
            }
            if is_first_party(module, cwd) {
                let module = shorten(module);
                return Err((Some(module.clone()), Refusal::FirstParty { module }));
            }
        }
        let candidate = match (&detail.distribution, &detail.module) {
            (Some(dist), _) => dist.clone(),
            (None, Some(module)) => module.clone(),
            (None, None) => return Err((None, Refusal::MissingDetail { what: "module" })),
        };
        let refuse = |r| (Some(shorten(&candidate)), r);
        let allowed = self.allowed(&candidate).map_err(refuse)?;
        let action = FixAction::InstallPackage {
            distribution: allowed.name.clone(),
            requirement: allowed.requirement.clone(),
        };
        self.check(&action).map_err(refuse)?;
        Ok((action, None))
    }

    fn plan_create(&self, detail: &Detail, cwd: &Path) -> Decided {
        let Some(text) = detail.path.as_deref() else {
            return Err((None, Refusal::MissingDetail { what: "path" }));
        };
        let refuse = |why: &str| {
            (
                Some(shorten(text)),
                Refusal::BadPath {
                    path: shorten(text),
                    why: why.into(),
                },
            )
        };
        if text.is_empty() || future_path::has_control_chars(text) {
            return Err(refuse("empty or contains control characters"));
        }
        if future_path::is_home_relative(text) {
            return Err(refuse("home-relative paths are never created"));
        }
        let cwd = if cwd.is_absolute() {
            cwd.to_path_buf()
        } else {
            self.base_dir.join(cwd)
        };
        let resolved = future_path::resolve(&cwd.join(text)).map_err(|why| refuse(&why))?;
        let target = Some(resolved.display().to_string());
        let (action, note) = if text.ends_with('/') || !looks_like_file(&resolved) {
            (FixAction::CreateDir { path: resolved }, None)
        } else if self.files.is_match(&resolved) {
            (FixAction::CreateFile { path: resolved }, None)
        } else {
            let parent = resolved.parent().unwrap_or(&resolved).to_path_buf();
            if parent.is_dir() {
                let path = resolved.display().to_string();
                return Err((target, Refusal::FileNotAllowed { path }));
            }
            let note = format!(
                "{} matches no create_files glob: only its missing parent directories are created",
                resolved.display()
            );
            (FixAction::CreateDir { path: parent }, Some(note))
        };
        self.check(&action).map_err(|r| (target, r))?;
        Ok((action, note))
    }

    fn inside_roots(&self, path: &Path) -> Result<PathBuf, Refusal> {
        let shown = || path.display().to_string();
        let resolved =
            future_path::resolve(path).map_err(|why| Refusal::BadPath { path: shown(), why })?;
        if let Some((_, what)) = self.protected.iter().find(|(d, _)| resolved.starts_with(d)) {
            return Err(Refusal::Protected {
                path: shown(),
                what,
            });
        }
        let Some((_, below)) = self.split_root(&resolved) else {
            return Err(Refusal::OutsideRoots { path: shown() });
        };
        if below
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        {
            return Err(Refusal::BadPath {
                path: shown(),
                why:
                    "a component starts with '.' (hidden, temporary or the supervisor's own files)"
                        .into(),
            });
        }
        Ok(resolved)
    }
}

type Decided = Result<(FixAction, Option<String>), (Option<String>, Refusal)>;

fn compile_glob(pattern: &str, full: &str) -> Result<Glob, PolicyError> {
    GlobBuilder::new(full)
        .literal_separator(true)
        .build()
        .map_err(|source| PolicyError::Glob {
            pattern: pattern.to_string(),
            source,
        })
}
