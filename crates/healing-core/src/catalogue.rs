//! The error catalogue: which log lines are failures, of which [`ErrorKind`], and what a fix needs.
//!
//! Compiled once at start-up from the built-in rules for Python workers and the user's `[[patterns]]`
//! (checked first, so a user can re-classify anything). Matching is two-staged for speed: one literal
//! prefilter over the raw bytes ([`Catalogue::may_match`]) rejects almost every line, and only lines that
//! pass it go through the rule set and the capture work. Traceback structure is the
//! [`crate::matcher`]'s business; the catalogue classifies one line at a time.
//!
//! Only the prefilter is compiled up front. The rule set and the per-rule capture regexes are compiled
//! the first time a line gets past the prefilter: a supervisor whose agents are healthy never needs them,
//! and together they are most of the catalogue's memory (part of the supervisor's idle RSS goal).

mod builtin;

use crate::config::PatternConfig;
use crate::incident::Detail;
use crate::kind::{ActionKind, ErrorKind, Severity};
use crate::package_map::{distribution_for, is_valid_distribution_name};
use builtin::RuleKind;
use regex::{Captures, Regex, RegexSet};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A pattern or mapping that cannot be used, named so the user can find it in `healing.toml`.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// A `[[patterns]]` regex does not compile.
    #[error("pattern {name:?}: invalid regex: {source}")]
    InvalidPattern {
        name: String,
        #[source]
        source: Box<regex::Error>,
    },
    /// A `[fixes] package_map` value is not a valid distribution name.
    #[error(
        "package_map: {module:?} maps to {distribution:?}, which is not a valid distribution name"
    )]
    InvalidDistribution {
        module: String,
        distribution: String,
    },
}

/// One compiled rule.
#[derive(Debug)]
struct Rule {
    /// Shown as the incident's `pattern` (the user's name; `None` for built-ins, which use the kind).
    name: Option<String>,
    /// Capture pass, run only on the line the rule set picked.
    regex: LazyRegex,
    kind: RuleKind,
    severity: Option<Severity>,
    action: Option<ActionKind>,
}

/// The result of classifying one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The kind after host resolution (see [`Classification::resolve`]).
    pub kind: ErrorKind,
    pub severity: Severity,
    pub action: ActionKind,
    /// The rule's name: the user's pattern name, else the kind's name.
    pub pattern: String,
    pub detail: Detail,
    /// Index of the rule, so a chain can re-resolve the kind once more detail is known.
    rule: usize,
}

/// The compiled catalogue. `Send + Sync`; share it as `Arc<Catalogue>`.
#[derive(Debug)]
pub struct Catalogue {
    /// User rules first, then the built-ins.
    rules: Vec<Rule>,
    /// All rules at once: which ones match a line. Built from the rules' sources on first use.
    set: OnceLock<RegexSet>,
    /// Literal needles plus the user's regexes, over raw bytes: can this line match at all?
    prefilter: regex::bytes::Regex,
    host_port: LazyRegex,
    exception_name: LazyRegex,
    package_map: BTreeMap<String, String>,
}

impl Catalogue {
    /// Only the built-in rules and package table.
    pub fn builtin() -> Catalogue {
        match Self::new(&[], &BTreeMap::new()) {
            Ok(catalogue) => catalogue,
            // The built-in patterns are constants covered by tests; failing here is a programming error.
            Err(e) => panic!("built-in catalogue does not compile: {e}"),
        }
    }

    /// The user's patterns (checked first) plus the built-ins, and the user's import→distribution map.
    pub fn new(
        user: &[PatternConfig],
        package_map: &BTreeMap<String, String>,
    ) -> Result<Catalogue, CatalogueError> {
        for (module, distribution) in package_map {
            if !is_valid_distribution_name(distribution) {
                return Err(CatalogueError::InvalidDistribution {
                    module: module.clone(),
                    distribution: distribution.clone(),
                });
            }
        }
        let mut rules = Vec::with_capacity(user.len() + builtin::RULES.len());
        for p in user {
            // The user's patterns are compiled now: a mistake in one is an error at start-up, by name.
            let regex = Regex::new(&p.regex).map_err(|e| CatalogueError::InvalidPattern {
                name: p.name.clone(),
                source: Box::new(e),
            })?;
            rules.push(Rule {
                name: Some(p.name.clone()),
                regex: LazyRegex::compiled(regex),
                kind: RuleKind::Fixed(p.kind),
                severity: p.severity,
                action: p.action,
            });
        }
        for (kind, src) in builtin::RULES {
            rules.push(Rule {
                name: None,
                regex: LazyRegex::builtin(src),
                kind: *kind,
                severity: None,
                action: None,
            });
        }
        let mut alternatives: Vec<String> =
            builtin::NEEDLES.iter().map(|n| regex::escape(n)).collect();
        alternatives.extend(user.iter().map(|p| format!("(?m:{})", p.regex)));
        let prefilter = regex::bytes::Regex::new(&alternatives.join("|")).map_err(|e| {
            CatalogueError::InvalidPattern {
                name: "(prefilter)".into(),
                source: Box::new(e),
            }
        })?;
        // With user patterns the union is compiled now: together they could exceed the size limit, and
        // that must be an error at start-up, not a surprise on the first failing line.
        let set = OnceLock::new();
        if !user.is_empty() {
            let compiled = rule_set(&rules).map_err(|e| CatalogueError::InvalidPattern {
                name: "(all patterns together)".into(),
                source: Box::new(e),
            })?;
            let _ = set.set(compiled);
        }
        Ok(Catalogue {
            rules,
            set,
            prefilter,
            host_port: LazyRegex::builtin(builtin::HOST_PORT),
            exception_name: LazyRegex::builtin(builtin::EXCEPTION_NAME),
            package_map: package_map.clone(),
        })
    }

    /// Severity of a kind when no pattern says otherwise.
    pub fn default_severity(kind: ErrorKind) -> Severity {
        match kind {
            ErrorKind::MemoryError | ErrorKind::OomKilled | ErrorKind::DiskFull => {
                Severity::Critical
            }
            ErrorKind::ModuleNotFound
            | ErrorKind::ImportError
            | ErrorKind::FileNotFound
            | ErrorKind::PermissionDenied
            | ErrorKind::EnvVarMissing
            | ErrorKind::ConnectionRefusedLocal
            | ErrorKind::DatabaseUnavailable
            | ErrorKind::SslError
            | ErrorKind::AddressInUse
            | ErrorKind::SyntaxError
            | ErrorKind::RecursionError
            | ErrorKind::SharedLibraryMissing
            | ErrorKind::WorkerTimeout
            | ErrorKind::ConfigError
            | ErrorKind::QuotaExceeded
            | ErrorKind::TooManyOpenFiles => Severity::High,
            ErrorKind::ConnectionError
            | ErrorKind::Timeout
            | ErrorKind::ProcessExit
            | ErrorKind::Unclassified => Severity::Medium,
            ErrorKind::RateLimited => Severity::Low,
        }
    }

    /// What the catalogue proposes for a kind when no pattern says otherwise. Anything a restart cannot
    /// fix (a code change, a missing secret, a system library, a full disk, a local sidecar that is
    /// down) is an alert, so the supervisor holds the agent instead of restarting it in a loop.
    pub fn default_action(kind: ErrorKind) -> ActionKind {
        match kind {
            ErrorKind::ModuleNotFound => ActionKind::InstallPackage,
            ErrorKind::FileNotFound => ActionKind::CreatePath,
            ErrorKind::ConnectionError
            | ErrorKind::Timeout
            | ErrorKind::RateLimited
            | ErrorKind::DatabaseUnavailable => ActionKind::Retry,
            ErrorKind::MemoryError
            | ErrorKind::OomKilled
            | ErrorKind::AddressInUse
            | ErrorKind::ProcessExit
            | ErrorKind::WorkerTimeout
            | ErrorKind::TooManyOpenFiles => ActionKind::Restart,
            ErrorKind::ImportError
            | ErrorKind::PermissionDenied
            | ErrorKind::EnvVarMissing
            | ErrorKind::ConnectionRefusedLocal
            | ErrorKind::SslError
            | ErrorKind::DiskFull
            | ErrorKind::SyntaxError
            | ErrorKind::RecursionError
            | ErrorKind::SharedLibraryMissing
            | ErrorKind::ConfigError
            | ErrorKind::QuotaExceeded
            | ErrorKind::Unclassified => ActionKind::Alert,
        }
    }

    /// Cheap gate over raw bytes: `false` means no rule can match this line (and it is no traceback
    /// header), so it needs no decoding and no rule work. Also used over whole chunks by the bulk scan.
    pub fn may_match(&self, raw: &[u8]) -> bool {
        self.prefilter.is_match(raw)
    }

    /// The prefilter, for the bulk scanner's one search per chunk.
    pub(crate) fn prefilter(&self) -> &regex::bytes::Regex {
        &self.prefilter
    }

    /// Classifies one clean line (decoded, ANSI-stripped). The first matching rule wins.
    pub fn classify(&self, line: &str) -> Option<Classification> {
        let rule = self.set().matches(line).into_iter().next()?;
        let regex = self.rules[rule].regex.get();
        let caps = regex.captures(line)?;
        let mut detail = Detail::default();
        Self::fill_from_captures(regex, &caps, &mut detail);
        if detail.host.is_none()
            && let Some((host, port)) = self.host_port(line)
        {
            detail.host = Some(host);
            detail.port = detail.port.or(port);
        }
        if detail.exception.is_none() {
            detail.exception = self
                .exception_name
                .get()
                .captures(line)
                .and_then(|c| c.name("exception"))
                .map(|m| m.as_str().to_string());
        }
        let mut c = Classification {
            kind: ErrorKind::Unclassified,
            severity: Severity::Medium,
            action: ActionKind::Alert,
            pattern: String::new(),
            detail,
            rule,
        };
        self.resolve(&mut c);
        Some(c)
    }

    /// Re-derives kind, severity, action and pattern name from the rule and the current detail (a
    /// refused connection is local or remote depending on its host, which a chain may supply later).
    pub fn resolve(&self, c: &mut Classification) {
        let rule = &self.rules[c.rule];
        c.kind = match rule.kind {
            RuleKind::Fixed(kind) => kind,
            RuleKind::RefusedByHost => match c.detail.host.as_deref() {
                Some(host) if builtin::is_local_host(host) => ErrorKind::ConnectionRefusedLocal,
                _ => ErrorKind::ConnectionError,
            },
        };
        c.severity = rule.severity.unwrap_or(Self::default_severity(c.kind));
        c.action = rule.action.unwrap_or(Self::default_action(c.kind));
        c.pattern = rule
            .name
            .clone()
            .unwrap_or_else(|| c.kind.as_str().to_string());
        if c.kind == ErrorKind::ModuleNotFound {
            let module = c.detail.module.as_deref();
            // `No module named 'a.b'` means `a` itself was imported (Python names the top level when
            // that is what is missing): version skew, which no install of a look-alike fixes.
            if module.is_some_and(|m| m.contains('.')) {
                c.action = rule.action.unwrap_or(ActionKind::Alert);
                c.detail.distribution = None;
            } else {
                c.detail.distribution = module.map(|m| distribution_for(m, &self.package_map));
            }
        }
    }

    /// The rule set. With user patterns it was compiled at construction; the built-in set alone is a
    /// constant (covered by the unit tests) compiled on the first line that passes the prefilter.
    fn set(&self) -> &RegexSet {
        self.set.get_or_init(|| match rule_set(&self.rules) {
            Ok(set) => set,
            Err(e) => panic!("the built-in rule set does not compile: {e}"),
        })
    }

    /// Host and port named anywhere on a line, if any.
    pub fn host_port(&self, line: &str) -> Option<(String, Option<u16>)> {
        let regex = self.host_port.get();
        let caps = regex.captures(line)?;
        let mut detail = Detail::default();
        Self::fill_from_captures(regex, &caps, &mut detail);
        detail.host.map(|h| (h, detail.port))
    }

    /// Copies named groups into the detail; `path2` fills `path` like `path` does.
    fn fill_from_captures(regex: &Regex, caps: &Captures<'_>, detail: &mut Detail) {
        for (i, name) in regex.capture_names().enumerate() {
            let (Some(name), Some(m)) = (name, caps.get(i)) else {
                continue;
            };
            let value = m.as_str();
            match name.trim_end_matches(|c: char| c.is_ascii_digit()) {
                "module" => detail.module = Some(value.to_string()),
                "path" => detail.path = Some(value.to_string()),
                "env_var" => detail.env_var = Some(value.to_string()),
                "exception" => detail.exception = Some(value.to_string()),
                "host" => {
                    let host = value.trim_start_matches('[').trim_end_matches(']');
                    detail.host = Some(host.to_string());
                }
                "port" => detail.port = value.parse().ok(),
                "exit_code" => detail.exit_code = value.parse().ok(),
                "signal" => detail.signal = value.parse().ok(),
                _ => {}
            }
        }
    }
}

/// All rules in one set, in rule order (the first match wins).
fn rule_set(rules: &[Rule]) -> Result<RegexSet, regex::Error> {
    RegexSet::new(rules.iter().map(|r| r.regex.source()))
}

/// A regex compiled on first use (built-ins) or at construction (the user's, to report errors early).
#[derive(Debug)]
struct LazyRegex {
    source: String,
    compiled: OnceLock<Regex>,
}

impl LazyRegex {
    fn builtin(source: &str) -> LazyRegex {
        LazyRegex {
            source: source.to_string(),
            compiled: OnceLock::new(),
        }
    }

    fn compiled(regex: Regex) -> LazyRegex {
        LazyRegex {
            source: regex.as_str().to_string(),
            compiled: OnceLock::from(regex),
        }
    }

    fn source(&self) -> &str {
        &self.source
    }

    /// Built-in patterns are constants; a failure is a bug caught by the unit tests.
    fn get(&self) -> &Regex {
        self.compiled
            .get_or_init(|| match Regex::new(&self.source) {
                Ok(re) => re,
                Err(e) => panic!("built-in pattern {:?} does not compile: {e}", self.source),
            })
    }
}

#[cfg(test)]
mod tests;
