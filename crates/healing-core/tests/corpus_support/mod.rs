//! The labels of the real-log corpus (`tests/corpus/real/labels.toml`, schema in the README next to it) and
//! the score of the built-in catalogue on it.

use healing_core::catalogue::Catalogue;
use healing_core::incident::Incident;
use healing_core::kind::ActionKind;
use healing_core::matcher::scan_bytes;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The whole label file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub log: Vec<Log>,
}

/// One log excerpt.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    pub file: String,
    pub source: String,
    /// Text of lines that must not be reported (the first line containing each).
    #[serde(default)]
    pub negatives: Vec<String>,
    #[serde(default)]
    pub incident: Vec<Label>,
}

/// One incident a correct diagnosis reports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Text of the decisive line (the first line containing it).
    pub line: String,
    pub kind: String,
    /// Other kinds that are also right.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// The action a correct diagnosis proposes.
    pub action: String,
    /// Installing or creating anything for this incident would be wrong.
    #[serde(default)]
    pub refuse_fix: bool,
    /// For a missing module: the distribution that provides it.
    #[serde(default)]
    pub distribution: Option<String>,
    /// Other lines where reporting this incident is also right.
    #[serde(default)]
    pub alt_lines: Vec<String>,
}

/// The corpus directory.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/real")
}

pub fn load_labels() -> Labels {
    let path = corpus_dir().join("labels.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// 1-based number of the first line of `text` containing `needle`.
pub fn line_of(file: &str, text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{file}: no line contains {needle:?}"))
}

/// The figures of one run over the corpus.
#[derive(Debug, Default)]
pub struct Score {
    pub logs: usize,
    pub labelled: usize,
    pub found: usize,
    pub false_reports: usize,
    pub unsafe_fixes: usize,
    pub mapping_total: usize,
    pub mapping_right: usize,
    pub action_right: usize,
    /// Reports on lines that are neither labelled nor negative (not scored).
    pub unlabelled: usize,
    /// One line per miss, false report or unsafe fix, for the test output.
    pub problems: Vec<String>,
}

impl Score {
    pub fn recall(&self) -> f64 {
        self.found as f64 / self.labelled.max(1) as f64
    }
    pub fn false_per_50(&self) -> f64 {
        self.false_reports as f64 * 50.0 / self.logs.max(1) as f64
    }
    pub fn mapping(&self) -> f64 {
        self.mapping_right as f64 / self.mapping_total.max(1) as f64
    }
}

fn is_fix(action: ActionKind) -> bool {
    matches!(action, ActionKind::InstallPackage | ActionKind::CreatePath)
}

/// Runs the catalogue over every labelled log and scores it.
pub fn score(catalogue: &Catalogue, labels: &Labels, dir: &Path) -> Score {
    let mut s = Score::default();
    for log in &labels.log {
        let path = dir.join(&log.file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes);
        let mut incidents: Vec<Incident> = Vec::new();
        scan_bytes(&bytes, catalogue, 64 * 1024, |i| incidents.push(i));
        s.logs += 1;
        let negatives: Vec<u64> = log
            .negatives
            .iter()
            .map(|n| line_of(&log.file, &text, n))
            .collect();
        let mut labelled_lines = Vec::new();
        for label in &log.incident {
            s.labelled += 1;
            let mut lines = vec![line_of(&log.file, &text, &label.line)];
            lines.extend(label.alt_lines.iter().map(|l| line_of(&log.file, &text, l)));
            labelled_lines.extend(lines.iter().copied());
            let hit = incidents.iter().find(|i| {
                lines.contains(&i.line_no)
                    && (i.kind.as_str() == label.kind
                        || label.alternatives.iter().any(|a| a == i.kind.as_str()))
            });
            match hit {
                Some(i) => {
                    s.found += 1;
                    s.action_right += usize::from(i.action.as_str() == label.action);
                }
                None => s.problems.push(format!(
                    "MISSED {}:{} want {} got [{}]",
                    log.file,
                    lines[0],
                    label.kind,
                    incidents
                        .iter()
                        .map(|i| format!("{}@{}", i.kind, i.line_no))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
            if let Some(want) = &label.distribution {
                s.mapping_total += 1;
                let got = hit.and_then(|i| i.detail.distribution.as_deref());
                if got == Some(want.as_str()) {
                    s.mapping_right += 1;
                } else {
                    s.problems
                        .push(format!("MAPPING {}: want {want} got {got:?}", log.file));
                }
            }
        }
        for i in &incidents {
            if negatives.contains(&i.line_no) {
                s.false_reports += 1;
                s.problems.push(format!(
                    "FALSE {}:{} {} {:?}",
                    log.file, i.line_no, i.kind, i.line
                ));
            } else if !labelled_lines.contains(&i.line_no) {
                s.unlabelled += 1;
            }
            let expected_fix = log
                .incident
                .iter()
                .any(|l| !l.refuse_fix && l.action == i.action.as_str());
            if is_fix(i.action) && !expected_fix {
                s.unsafe_fixes += 1;
                s.problems.push(format!(
                    "UNSAFE {}:{} {} proposes {}",
                    log.file, i.line_no, i.kind, i.action
                ));
            }
        }
    }
    s
}
