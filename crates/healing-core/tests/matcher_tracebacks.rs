//! Tracebacks, chains and messy streams as a worker really prints them.

mod common;

use common::{bulk, fixture, stream};
use healing_core::catalogue::Catalogue;
use healing_core::kind::{ActionKind, ErrorKind};
use std::sync::Arc;

#[test]
fn a_requests_chain_is_one_incident_at_its_root_cause_with_the_host_from_the_chain() {
    let cat = Arc::new(Catalogue::builtin());
    let incidents = stream(&fixture("requests_chain.log"), 4096, 64 * 1024, &cat);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let i = &incidents[0];
    assert_eq!(i.kind, ErrorKind::ConnectionRefusedLocal);
    assert_eq!(i.action, ActionKind::Alert);
    assert_eq!(
        i.line_no, 5,
        "reported at the root ConnectionRefusedError line"
    );
    assert_eq!(i.detail.host_port().as_deref(), Some("localhost:8000"));
    assert_eq!(
        i.detail.exception.as_deref(),
        Some("ConnectionRefusedError")
    );
}

#[test]
fn colour_codes_crlf_and_invalid_utf8_do_not_hide_a_missing_module() {
    let cat = Arc::new(Catalogue::builtin());
    let incidents = stream(&fixture("ansi_crlf.log"), 7, 64 * 1024, &cat);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let i = &incidents[0];
    assert_eq!((i.kind, i.line_no), (ErrorKind::ModuleNotFound, 5));
    assert_eq!(i.line, "ModuleNotFoundError: No module named 'cv2'");
    assert_eq!(i.detail.distribution.as_deref(), Some("opencv-python"));
}

#[test]
fn json_lines_plain_lines_interleaving_and_unknown_tracebacks_each_give_one_incident() {
    let cat = Arc::new(Catalogue::builtin());
    let incidents = stream(&fixture("mixed.log"), 13, 64 * 1024, &cat);
    let got: Vec<(u64, ErrorKind)> = incidents.iter().map(|i| (i.line_no, i.kind)).collect();
    assert_eq!(
        got,
        vec![
            (2, ErrorKind::FileNotFound),
            (3, ErrorKind::ConnectionError),
            (4, ErrorKind::EnvVarMissing),
            (11, ErrorKind::MemoryError),
            (15, ErrorKind::Unclassified),
            (16, ErrorKind::SharedLibraryMissing),
            (17, ErrorKind::OomKilled),
        ],
        "{incidents:#?}"
    );
    assert_eq!(
        incidents[0].detail.path.as_deref(),
        Some("/srv/app/data/in.csv")
    );
    assert_eq!(incidents[2].detail.env_var.as_deref(), Some("API_TOKEN"));
    assert_eq!(
        incidents[3].severity,
        healing_core::kind::Severity::Critical
    );
    assert_eq!(incidents[4].detail.exception.as_deref(), Some("ValueError"));
    assert_eq!(incidents[5].action, ActionKind::Alert);
    assert_eq!(incidents[5].detail.distribution, None);
}

#[test]
fn a_syntax_error_is_an_alert_never_a_restart() {
    let cat = Arc::new(Catalogue::builtin());
    let log = b"  File \"/app/plugin.py\", line 3\n    def handle(event)\n                     ^\nSyntaxError: expected ':'\n";
    let mut bytes = b"Traceback (most recent call last):\n".to_vec();
    bytes.extend_from_slice(log);
    let incidents = stream(&bytes, 64, 1024, &cat);
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        (incidents[0].kind, incidents[0].action),
        (ErrorKind::SyntaxError, ActionKind::Alert)
    );
}

#[test]
fn a_long_line_is_truncated_and_line_numbers_still_count_raw_records() {
    let cat = Arc::new(Catalogue::builtin());
    let mut bytes = vec![b'x'; 10_000];
    bytes.extend_from_slice(b" KeyError: 'LATE'\nKeyError: 'DATABASE_URL'\n");
    let incidents = stream(&bytes, 333, 256, &cat);
    assert_eq!(
        incidents.len(),
        1,
        "the error past the bound is cut off: {incidents:#?}"
    );
    assert_eq!(
        (incidents[0].line_no, incidents[0].kind),
        (2, ErrorKind::EnvVarMissing)
    );
    assert_eq!(bulk(&bytes, 256, &cat), incidents);
}

#[test]
fn the_fixtures_give_the_same_incidents_streamed_or_scanned_in_bulk() {
    let cat = Arc::new(Catalogue::builtin());
    for name in ["requests_chain.log", "ansi_crlf.log", "mixed.log"] {
        let bytes = fixture(name);
        for chunk in [1, 5, 4096] {
            assert_eq!(
                stream(&bytes, chunk, 64 * 1024, &cat),
                bulk(&bytes, 64 * 1024, &cat),
                "{name}"
            );
        }
        assert_eq!(
            stream(&bytes, 17, 40, &cat),
            bulk(&bytes, 40, &cat),
            "{name} truncated"
        );
    }
}
