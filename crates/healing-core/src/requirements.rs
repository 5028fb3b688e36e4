//! `requirements.txt` parsing: the list of distributions the fix policy may install, and the list the
//! prevention agent checks.
//!
//! Follows pip's file format closely enough for real files — comments, blank lines, `\` continuations,
//! `-r`/`--requirement` includes (relative to the including file, cycle-safe), extras, markers after `;`,
//! `--hash` options — and skips, with a warning, what cannot be installed by name: editable installs,
//! URLs, local paths and direct references (`name @ url`). Installing `name` from the index when the
//! file asked for a URL would install something else. Global options (`--index-url`, `-c`, hashes) are
//! collected into [`InstallOptions`], which the installer is given exactly as the file has them.

mod options;
mod version;

pub use options::InstallOptions;
pub use version::version_satisfies;

use crate::package_map::{
    is_valid_distribution_name as pep508_valid_name, normalize as pep503_normalize,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Largest requirements file read (hostile or accidental huge files stay bounded).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Deepest `-r` nesting followed.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// One requirement line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Requirement {
    /// The name as written (`PyYAML`).
    pub name: String,
    /// PEP 503 normalised name (`pyyaml`), the key for comparisons.
    pub normalized: String,
    /// Version specifier without spaces (`>=1.2,<2`), `""` when unconstrained.
    pub specifier: String,
    /// The version when the specifier is exactly one `==` without a wildcard.
    pub pinned: Option<String>,
    /// The environment marker after `;`, if any.
    pub marker: Option<String>,
    /// The file the line came from.
    pub source: PathBuf,
    /// 1-based line number (of the first physical line of a continued line).
    pub line: usize,
}

/// Problems met while reading requirements; all but the top-level `Io` are warnings.
#[derive(Debug, thiserror::Error)]
pub enum RequirementsError {
    #[error("cannot read requirements file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("requirements file {path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path}:{line}: invalid requirement: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: skipped ({reason})")]
    Skipped {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "{path}:{line}: include of {target} skipped: already being read (cycle) or nested too deep"
    )]
    Include {
        path: PathBuf,
        line: usize,
        target: PathBuf,
    },
}

/// Parses a requirements file and its includes. Only an unreadable top-level file is an error; every
/// other problem is logged as a warning and the line skipped.
pub fn parse_file(path: &Path) -> Result<Vec<Requirement>, RequirementsError> {
    parse_file_with_options(path).map(|(reqs, _)| reqs)
}

/// [`parse_file`], with the options the installer must be given for these requirements.
pub fn parse_file_with_options(
    path: &Path,
) -> Result<(Vec<Requirement>, InstallOptions), RequirementsError> {
    let src = read_bounded(path)?;
    let mut parser = Parser::default();
    parser.enter(path);
    parser.parse(&src, path, 0);
    for w in &parser.warnings {
        tracing::warn!(warning = %w, "requirements line skipped");
    }
    Ok((parser.reqs, parser.options))
}

/// [`parse_file`], returning the warnings instead of logging them.
pub fn parse_file_with_warnings(
    path: &Path,
) -> Result<(Vec<Requirement>, Vec<RequirementsError>), RequirementsError> {
    let src = read_bounded(path)?;
    let mut parser = Parser::default();
    parser.enter(path);
    parser.parse(&src, path, 0);
    Ok((parser.reqs, parser.warnings))
}

/// Parses requirements text as if it were the file `source` (includes resolve against its directory).
pub fn parse_str(src: &str, source: &Path) -> (Vec<Requirement>, Vec<RequirementsError>) {
    let mut parser = Parser::default();
    parser.enter(source);
    parser.parse(src, source, 0);
    (parser.reqs, parser.warnings)
}

fn read_bounded(path: &Path) -> Result<String, RequirementsError> {
    let io = |source| RequirementsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(RequirementsError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[derive(Default)]
struct Parser {
    reqs: Vec<Requirement>,
    warnings: Vec<RequirementsError>,
    /// Files on the current include chain, canonicalised where possible.
    active: BTreeSet<PathBuf>,
    /// Global options and hash mode, over all included files.
    options: InstallOptions,
}

impl Parser {
    fn enter(&mut self, path: &Path) -> bool {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.active.insert(key)
    }

    fn leave(&mut self, path: &Path) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.active.remove(&key);
    }

    fn parse(&mut self, src: &str, source: &Path, depth: usize) {
        for (line_no, logical) in logical_lines(src) {
            let text = strip_comment(&logical);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            if let Some(target) = include_target(text) {
                self.include(source, line_no, target, depth);
            } else if matches!(first_word(text), "-e" | "--editable") {
                self.skip(source, line_no, format!("option `{}`", first_word(text)));
            } else if text.starts_with('-') {
                self.options.add_line(text, source, line_no);
            } else {
                if text.contains("--hash") {
                    self.options.hashed = true;
                }
                match parse_requirement(text) {
                    Ok(Parsed::Req(mut req)) => {
                        req.source = source.to_path_buf();
                        req.line = line_no;
                        self.reqs.push(req);
                    }
                    Ok(Parsed::Skip(reason)) => self.skip(source, line_no, reason),
                    Err(message) => self.warnings.push(RequirementsError::Invalid {
                        path: source.to_path_buf(),
                        line: line_no,
                        message,
                    }),
                }
            }
        }
    }

    fn include(&mut self, source: &Path, line: usize, target: &str, depth: usize) {
        let base = source.parent().unwrap_or(Path::new(""));
        let target = base.join(target);
        if depth + 1 > MAX_INCLUDE_DEPTH || !self.enter(&target) {
            self.warnings.push(RequirementsError::Include {
                path: source.to_path_buf(),
                line,
                target,
            });
            return;
        }
        match read_bounded(&target) {
            Ok(src) => self.parse(&src, &target, depth + 1),
            Err(e) => self.warnings.push(e),
        }
        self.leave(&target);
    }

    fn skip(&mut self, source: &Path, line: usize, reason: String) {
        self.warnings.push(RequirementsError::Skipped {
            path: source.to_path_buf(),
            line,
            reason,
        });
    }
}

/// Joins `\`-continued physical lines; yields (first line number, text).
fn logical_lines(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (idx, raw) in src.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut text) = current.take().unwrap_or((idx + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                text.push_str(head);
                current = Some((start, text));
            }
            None => {
                text.push_str(raw);
                out.push((start, text));
            }
        }
    }
    out.extend(current);
    out
}

/// pip's rule: `#` starts a comment at the start of a line or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn first_word(text: &str) -> &str {
    let word = text.split_whitespace().next().unwrap_or(text);
    word.split('=').next().unwrap_or(word)
}

fn include_target(text: &str) -> Option<&str> {
    let rest = if let Some(r) = text.strip_prefix("--requirement") {
        r.strip_prefix('=').unwrap_or(r)
    } else {
        text.strip_prefix("-r")?
    };
    let target = rest.trim();
    (!target.is_empty()).then_some(target)
}

enum Parsed {
    Req(Requirement),
    Skip(String),
}

/// Parses `name[extras] specifier ; marker --hash=...` (source/line are filled by the caller).
fn parse_requirement(text: &str) -> Result<Parsed, String> {
    if text.contains("://") || text.starts_with('.') || text.starts_with('/') {
        return Ok(Parsed::Skip("URL or local path".into()));
    }
    // Per-requirement options (`--hash=...`, `--config-settings ...`) come after the requirement.
    let text = match text.find(" -") {
        Some(i) => text[..i].trim_end(),
        None => text,
    };
    let (body, marker) = match text.split_once(';') {
        Some((b, m)) => (
            b.trim(),
            Some(m.trim().to_string()).filter(|m| !m.is_empty()),
        ),
        None => (text.trim(), None),
    };
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(body.len());
    let name = &body[..name_end];
    if !pep508_valid_name(name) {
        return Err(format!("`{name}` is not a valid distribution name"));
    }
    let mut rest = body[name_end..].trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']').ok_or("unclosed `[` in extras")?;
        rest = after[close + 1..].trim_start();
    }
    if rest.starts_with('@') {
        return Ok(Parsed::Skip(format!("direct reference for `{name}`")));
    }
    let rest = match rest.strip_prefix('(') {
        Some(inner) => inner.strip_suffix(')').ok_or("unclosed `(` in specifier")?,
        None => rest,
    };
    let specifier: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    if !specifier.is_empty() {
        for clause in specifier.split(',') {
            version::parse_clause(clause)?;
        }
    }
    let pinned = match specifier.strip_prefix("==") {
        Some(v) if !v.contains([',', '*']) && !v.starts_with('=') => Some(v.to_string()),
        _ => None,
    };
    Ok(Parsed::Req(Requirement {
        name: name.to_string(),
        normalized: pep503_normalize(name),
        specifier,
        pinned,
        marker,
        source: PathBuf::new(),
        line: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_extras_marker_and_hashes_keeps_name_specifier_and_marker() {
        let src = "Requests[socks, security] >= 2.31 , <3 ; python_version >= \"3.8\" --hash=sha256:abc\n";
        let (reqs, warnings) = parse_str(src, Path::new("/nonexistent/requirements.txt"));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(reqs[0].name, "Requests");
        assert_eq!(reqs[0].normalized, "requests");
        assert_eq!(reqs[0].specifier, ">=2.31,<3");
        assert_eq!(reqs[0].pinned, None);
        assert_eq!(reqs[0].marker.as_deref(), Some("python_version >= \"3.8\""));
    }

    #[test]
    fn continuations_join_and_keep_the_first_line_number() {
        let (reqs, _) = parse_str(
            "# c\nPyYAML \\\n  ==6.0.1 \\\n  --hash=sha256:x\n",
            Path::new("r.txt"),
        );
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].pinned.as_deref(), Some("6.0.1"));
        assert_eq!(reqs[0].line, 2);
    }
}
