//! `docs/patterns.md` cannot drift from the catalogue: its table states each kind's real defaults, and
//! every example in it is classified, by the real matcher, as the kind and detail the doc claims.

use healing_core::catalogue::Catalogue;
use healing_core::config_load::load_from_str;
use healing_core::incident::Incident;
use healing_core::kind::{ErrorKind, Treatment};
use healing_core::matcher::Matcher;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn doc() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/patterns.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One row of the kinds table, cells with their backticks.
#[derive(Debug)]
struct Row {
    kind: String,
    severity: String,
    action: String,
    treatment: String,
    example: String,
    detail: String,
}

/// The rows of the table whose header starts with `| kind | severity | action |`.
fn kind_rows(doc: &str) -> Vec<Row> {
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with("| kind | severity | action |"));
    assert!(
        lines.next().is_some(),
        "docs/patterns.md has no kinds table"
    );
    lines
        .skip(1) // the |---| line
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<String> = l
                .trim()
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            assert_eq!(cells.len(), 6, "a kinds row needs 6 cells: {l}");
            Row {
                kind: cells[0].trim_matches('`').to_string(),
                severity: cells[1].clone(),
                action: cells[2].clone(),
                treatment: cells[3].clone(),
                example: cells[4].clone(),
                detail: cells[5].clone(),
            }
        })
        .collect()
}

/// The text of each `code span` in a cell, in order.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

fn treatment_name(t: Treatment) -> &'static str {
    match t {
        Treatment::NeedsHuman => "needs_human",
        Treatment::Transient => "transient",
        Treatment::FixThenRestart => "fix_then_restart",
        Treatment::Restart => "restart",
    }
}

/// Feeds `lines` as one stream and returns every incident, the pending traceback included.
fn incidents(catalogue: Catalogue, lines: &[&str]) -> Vec<Incident> {
    let mut m = Matcher::new(Arc::new(catalogue));
    let mut out = Vec::new();
    for line in lines {
        out.extend(m.feed(line.as_bytes()));
    }
    out.extend(m.flush());
    out
}

/// The incident's detail as `field=value` pairs, like the doc's detail column.
fn detail_pairs(incident: &Incident) -> BTreeMap<String, String> {
    let json = serde_json::to_value(&incident.detail).expect("a detail serialises");
    let obj = json.as_object().expect("a detail is a JSON object");
    obj.iter()
        .map(|(k, v)| {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            (k.clone(), v)
        })
        .collect()
}

/// `exception=OSError, path=logs/x.log` as pairs.
fn doc_pairs(cell: &str) -> BTreeMap<String, String> {
    cell.split(", ")
        .filter(|p| !p.trim().is_empty() && p.trim() != "—")
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .unwrap_or_else(|| panic!("detail {p:?} is not field=value"));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

#[test]
fn every_kind_has_exactly_one_row_in_catalogue_order() {
    let rows = kind_rows(&doc());
    let documented: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    let all: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(documented, all);
}

#[test]
fn each_row_states_the_catalogues_default_severity_action_and_treatment() {
    for (row, kind) in kind_rows(&doc()).iter().zip(ErrorKind::ALL) {
        assert_eq!(row.kind, kind.as_str());
        assert_eq!(
            row.severity,
            Catalogue::default_severity(kind).as_str(),
            "severity of {kind} in docs/patterns.md"
        );
        assert_eq!(
            row.action,
            Catalogue::default_action(kind).as_str(),
            "action of {kind} in docs/patterns.md"
        );
        assert_eq!(
            row.treatment,
            treatment_name(kind.treatment()),
            "treatment of {kind} in docs/patterns.md"
        );
    }
}

#[test]
fn each_example_is_classified_as_its_rows_kind_with_the_documented_detail() {
    for row in kind_rows(&doc()) {
        let lines = code_spans(&row.example);
        assert!(!lines.is_empty(), "{}: no example line", row.kind);
        let found = incidents(Catalogue::builtin(), &lines);
        assert_eq!(
            found.len(),
            1,
            "{}: example {lines:?} gave {found:#?}",
            row.kind
        );
        let incident = &found[0];
        assert_eq!(
            incident.kind.as_str(),
            row.kind,
            "example {lines:?} is classified as {}",
            incident.kind
        );
        assert_eq!(
            detail_pairs(incident),
            doc_pairs(&row.detail),
            "{}: detail of {lines:?}",
            row.kind
        );
    }
}

#[test]
fn the_user_pattern_example_loads_and_wins_over_the_builtin_rules() {
    let doc = doc();
    let toml = fenced_block(&doc, "```toml\n[[patterns]]");
    let line = fenced_block(&doc, "```text\n");
    let env = |_: &str| None;
    let loaded = load_from_str(&toml, None, Path::new("."), &env)
        .unwrap_or_else(|e| panic!("the [[patterns]] example does not load: {e}"));
    let patterns = &loaded.config.patterns;
    let catalogue = Catalogue::new(patterns, &BTreeMap::new()).expect("the example compiles");
    let found = incidents(catalogue, &[line.trim_end()]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let incident = &found[0];
    assert_eq!(
        incident.pattern, "redis_down",
        "the user pattern is checked first"
    );
    assert_eq!(incident.kind, ErrorKind::ConnectionError);
    assert_eq!(incident.severity.as_str(), "high");
    assert_eq!(incident.action.as_str(), "retry");
    assert_eq!(incident.detail.host.as_deref(), Some("cache.internal"));
    assert_eq!(incident.detail.port, Some(6379));
    assert_eq!(
        incident.dependency().as_deref(),
        Some("endpoint:cache.internal:6379")
    );
}

/// The body of the first fenced block that starts with `opening` (the fence and the block's first
/// line included when the opening spans it).
fn fenced_block(doc: &str, opening: &str) -> String {
    let start = doc
        .find(opening)
        .unwrap_or_else(|| panic!("docs/patterns.md has no block starting {opening:?}"));
    let body_start = start + doc[start..].find('\n').map_or(0, |i| i + 1);
    let end = body_start
        + doc[body_start..]
            .find("```")
            .unwrap_or_else(|| panic!("unclosed block {opening:?}"));
    doc[body_start..end].to_string()
}
