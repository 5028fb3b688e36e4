//! Scanning a file on several threads: segment boundaries that cut tracebacks, chains and long
//! lines change nothing — same incidents, same line numbers as one sequential pass.

mod common;

use common::{bulk, fixture, segmented, stream};
use healing_core::catalogue::Catalogue;
use healing_core::kind::ErrorKind;
use healing_core::matcher::scan_file;
use std::io::Write;
use std::sync::Arc;

#[test]
fn the_fixtures_give_the_same_incidents_whatever_the_segment_size() {
    let cat = Arc::new(Catalogue::builtin());
    for name in ["requests_chain.log", "ansi_crlf.log", "mixed.log"] {
        let bytes = fixture(name);
        let expected = stream(&bytes, 4096, 64 * 1024, &cat);
        assert!(!expected.is_empty(), "{name} has incidents");
        for segment_bytes in [1, 3, 17, 64, 200, 1000, 1 << 20] {
            for workers in [1, 2, 3] {
                assert_eq!(
                    segmented(&bytes, 64 * 1024, segment_bytes, workers, &cat),
                    expected,
                    "{name}, segments of {segment_bytes} bytes on {workers} threads"
                );
            }
        }
        assert_eq!(
            segmented(&bytes, 40, 23, 2, &cat),
            stream(&bytes, 17, 40, &cat),
            "{name} truncated"
        );
    }
}

#[test]
fn a_traceback_cut_by_a_segment_boundary_is_one_incident_at_its_true_line() {
    let cat = Catalogue::builtin();
    let mut log = Vec::new();
    for i in 0..50 {
        writeln!(log, "INFO worker heartbeat {i}").unwrap();
    }
    let header_at = log.len();
    log.extend_from_slice(
        b"Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    import yaml\n",
    );
    let cut = log.len() as u64; // the next segment starts at the exception line
    log.extend_from_slice(b"ModuleNotFoundError: No module named 'yaml'\n");
    log.extend_from_slice(b"INFO shutting down\n");
    assert!(header_at > 0);

    let incidents = segmented(&log, 64 * 1024, cut, 2, &cat);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(incidents[0].kind, ErrorKind::ModuleNotFound);
    assert_eq!(incidents[0].line_no, 54);
    assert_eq!(incidents[0].detail.distribution.as_deref(), Some("PyYAML"));
    assert_eq!(incidents, bulk(&log, 64 * 1024, &cat));
}

#[test]
fn a_line_longer_than_a_segment_is_cut_as_in_a_sequential_scan() {
    let cat = Catalogue::builtin();
    let mut log = b"MemoryError\n".to_vec();
    log.extend(std::iter::repeat_n(b'x', 5000));
    log.extend_from_slice(b" KeyError: 'API_TOKEN'\nMemoryError\nKeyError: 'DB_URL'");
    let expected = bulk(&log, 100, &cat);
    assert_eq!(expected.len(), 3, "{expected:#?}");
    for segment_bytes in [1, 50, 1000, 4999] {
        assert_eq!(segmented(&log, 100, segment_bytes, 2, &cat), expected);
    }
}

#[test]
fn scan_file_reports_what_the_bulk_scanner_reports() {
    let cat = Catalogue::builtin();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let bytes = fixture("requests_chain.log");
    std::fs::write(&path, &bytes).unwrap();
    let mut found = Vec::new();
    let stats = scan_file(&path, &cat, 64 * 1024, |i| found.push(i)).unwrap();
    assert_eq!(found, bulk(&bytes, 64 * 1024, &cat));
    assert_eq!(stats.bytes, bytes.len() as u64);
    assert_eq!(
        stats.lines,
        bytes.iter().filter(|&&b| b == b'\n').count() as u64
    );

    let missing = scan_file(&dir.path().join("gone.log"), &cat, 1024, |_| {});
    assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
}
