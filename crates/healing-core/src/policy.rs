//! The safety policy: the one place that decides whether a proposed fix may run.
//!
//! A log line must never choose what gets installed or created. Installs are limited to distributions in
//! the requirements file or `allow_packages` (PEP 503 names, pinned as the file pins them), so
//! `No module named 'reqeusts'` cannot install a typosquat and `No module named 'x; rm -rf ~'` is only an
//! invalid name. Paths are resolved (symlinks and `..` included) and must land inside `create_path_roots`;
//! a missing file is created only when it matches a `create_files` glob, because an empty config file
//! would only turn one error into another. The executor calls [`Policy::check`] again before acting.

mod paths;

use crate::package_map::{
    is_valid_distribution_name as pep508_valid_name, normalize as pep503_normalize,
};

use crate::config::FixesConfig;
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

/// Why the policy said no. The text is what plans and history record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{name:?} is not a valid distribution name")]
    InvalidName { name: String },
    #[error("distribution {name:?} is not in the requirements file or fixes.allow_packages")]
    NotAllowed { name: String },
    #[error("install of {requirement:?} differs from the allowed requirement {allowed:?}")]
    Mismatch {
        requirement: String,
        allowed: String,
    },
    #[error("the incident names no {what}")]
    MissingDetail { what: &'static str },
    #[error(
        "{module:?} is not a top-level import: its package imports, so no install can provide it (version skew)"
    )]
    VersionSkew { module: String },
    #[error("{module:?} is the agent's own code (found under its cwd): it is never installed")]
    FirstParty { module: String },
    #[error("path {path:?} refused: {why}")]
    BadPath { path: String, why: String },
    #[error("path {path:?} is outside fixes.create_path_roots")]
    OutsideRoots { path: String },
    #[error("file {path:?} matches no fixes.create_files glob and its directory exists")]
    FileNotAllowed { path: String },
}

/// An installable distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    /// The argv element given to the installer.
    requirement: String,
    /// The name as configured.
    name: String,
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
}

impl Policy {
    /// Compiles `[fixes]`. A missing requirements file allows nothing from it (with a warning).
    pub fn from_config(fixes: &FixesConfig, base_dir: &Path) -> Result<Policy, PolicyError> {
        let base_dir =
            paths::resolve(&absolute(base_dir)).unwrap_or_else(|_| base_dir.to_path_buf());
        let mut packages = BTreeMap::new();
        if let Some(file) = &fixes.requirements {
            let file = base_dir.join(file);
            match requirements::parse_file(&file) {
                Ok(reqs) => {
                    for r in reqs {
                        let requirement = format!("{}{}", r.name, r.specifier);
                        packages.entry(r.normalized).or_insert(Allowed {
                            requirement,
                            name: r.name,
                        });
                    }
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
            });
        }
        let roots = fixes
            .create_path_roots
            .iter()
            .map(|root| {
                paths::resolve(&base_dir.join(root)).map_err(|why| PolicyError::Root {
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
        })
    }

    /// Nothing installable, no roots: every fix beyond restart/alert is refused.
    pub fn deny_all() -> Policy {
        Policy {
            packages: BTreeMap::new(),
            roots: Vec::new(),
            files: GlobSet::empty(),
            base_dir: PathBuf::from("/"),
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
                Ok(())
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
        if text.is_empty() || paths::has_control_chars(text) {
            return Err(refuse("empty or contains control characters"));
        }
        if paths::is_home_relative(text) {
            return Err(refuse("home-relative paths are never created"));
        }
        let cwd = if cwd.is_absolute() {
            cwd.to_path_buf()
        } else {
            self.base_dir.join(cwd)
        };
        let resolved = paths::resolve(&cwd.join(text)).map_err(|why| refuse(&why))?;
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
            paths::resolve(path).map_err(|why| Refusal::BadPath { path: shown(), why })?;
        if self.roots.iter().any(|root| resolved.starts_with(root)) {
            Ok(resolved)
        } else {
            Err(Refusal::OutsideRoots { path: shown() })
        }
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

/// A final component with a dot (`app.log`, `.env`) is taken for a file; anything else for a directory.
fn looks_like_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().contains('.'))
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Log text quoted in a reason stays short.
fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A module the agent ships itself: `<cwd>/name.py` or a `<cwd>/name/` package directory.
fn is_first_party(module: &str, cwd: &Path) -> bool {
    crate::package_map::is_top_level_import(module)
        && (cwd.join(format!("{module}.py")).is_file() || cwd.join(module).is_dir())
}
