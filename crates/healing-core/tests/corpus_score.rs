//! The built-in catalogue on logs other people wrote (`tests/corpus/real`, collected from public issue
//! threads and docs): recall, false reports, unsafe fixes and import → distribution mapping, with the
//! thresholds of issue #12. Figures are printed (`cargo test --test corpus_score -- --nocapture`) and
//! kept in docs/benchmarks.md.

mod corpus_support;

use corpus_support::{corpus_dir, load_labels, score};
use healing_core::catalogue::Catalogue;
use healing_core::kind::{ActionKind, ErrorKind};
use std::collections::BTreeSet;

#[test]
fn the_catalogue_is_right_on_real_logs() {
    let labels = load_labels();
    let s = score(&Catalogue::builtin(), &labels, &corpus_dir());
    for p in &s.problems {
        println!("{p}");
    }
    println!(
        "corpus: {} logs, {} labelled incidents; recall {:.3} ({}/{}); false reports {} ({:.2} per 50 logs); \
         unsafe fixes {}; mapping {:.3} ({}/{}); action right {}/{}; unlabelled reports {}",
        s.logs,
        s.labelled,
        s.recall(),
        s.found,
        s.labelled,
        s.false_reports,
        s.false_per_50(),
        s.unsafe_fixes,
        s.mapping(),
        s.mapping_right,
        s.mapping_total,
        s.action_right,
        s.found,
        s.unlabelled
    );
    assert!(s.logs >= 120, "the corpus needs at least 120 logs");
    assert!(s.recall() >= 0.92, "recall {:.3} < 0.92", s.recall());
    assert!(
        s.false_per_50() <= 1.0,
        "{:.2} false reports per 50 logs",
        s.false_per_50()
    );
    assert_eq!(s.unsafe_fixes, 0, "unsafe fixes");
    assert!(
        s.mapping_total > 0 && s.mapping() >= 0.9,
        "mapping {:.3}",
        s.mapping()
    );
}

#[test]
fn every_log_is_labelled_once_with_a_public_source_and_known_names() {
    let labels = load_labels();
    let dir = corpus_dir();
    let mut on_disk = BTreeSet::new();
    for family in std::fs::read_dir(&dir).unwrap() {
        let family = family.unwrap().path();
        if family.is_dir() {
            for f in std::fs::read_dir(&family).unwrap() {
                let f = f.unwrap().path();
                on_disk.insert(f.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let labelled: BTreeSet<String> = labels.log.iter().map(|l| l.file.clone()).collect();
    assert_eq!(labelled.len(), labels.log.len(), "a log is labelled twice");
    assert_eq!(
        on_disk, labelled,
        "every .log file has exactly one [[log]] entry"
    );
    let kinds: BTreeSet<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    let actions = [
        ActionKind::Restart,
        ActionKind::Retry,
        ActionKind::Alert,
        ActionKind::InstallPackage,
        ActionKind::CreatePath,
        ActionKind::None,
    ];
    for log in &labels.log {
        assert!(
            log.source.starts_with("http"),
            "{}: source must be a URL",
            log.file
        );
        assert!(
            !log.incident.is_empty() || !log.negatives.is_empty(),
            "{}: a log needs incidents or negative lines",
            log.file
        );
        for i in &log.incident {
            for k in std::iter::once(&i.kind).chain(&i.alternatives) {
                assert!(kinds.contains(k.as_str()), "{}: unknown kind {k}", log.file);
            }
            assert!(
                actions.iter().any(|a| a.as_str() == i.action),
                "{}: unknown action {}",
                log.file,
                i.action
            );
        }
    }
}
