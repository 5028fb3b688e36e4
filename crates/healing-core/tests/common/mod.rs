//! Helpers shared by the matcher tests: run bytes through the streaming path and the bulk path.

#![allow(dead_code)]

use healing_core::catalogue::Catalogue;
use healing_core::incident::Incident;
use healing_core::line_reader::LineBuf;
use healing_core::matcher::{Matcher, scan_bytes};
use std::path::PathBuf;
use std::sync::Arc;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The streaming path as the supervisor uses it: chunks -> LineBuf -> Matcher, flush at the end.
pub fn stream(bytes: &[u8], chunk: usize, max_line: usize, cat: &Arc<Catalogue>) -> Vec<Incident> {
    let mut lines = LineBuf::new(max_line);
    let mut matcher = Matcher::new(Arc::clone(cat));
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        lines.push(piece, &mut |l| {
            out.extend(matcher.feed(l));
            assert!(
                matcher.retained_bytes() <= 16 * 1024,
                "traceback state grew"
            );
        });
    }
    lines.finish(&mut |l| out.extend(matcher.feed(l)));
    out.extend(matcher.flush());
    out
}

pub fn bulk(bytes: &[u8], max_line: usize, cat: &Catalogue) -> Vec<Incident> {
    let mut out = Vec::new();
    scan_bytes(bytes, cat, max_line, |i| out.push(i));
    out
}
