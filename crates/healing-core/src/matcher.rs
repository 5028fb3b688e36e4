//! Streaming, traceback-aware matching of a worker's output against the [`Catalogue`].
//!
//! One [`Matcher`] per stream (an agent's stdout+stderr, a followed log file) because it holds the
//! traceback in progress. Lines come from a [`crate::line_reader::LineBuf`], so they are bounded.
//! For whole files, [`scan_reader`] gives the same incidents much faster: one prefilter search per
//! large chunk instead of one per line; [`scan_file`] also splits a large file over all cores.
//!
//! ```
//! use healing_core::{catalogue::Catalogue, kind::ErrorKind, matcher::Matcher};
//! use std::sync::Arc;
//! let mut m = Matcher::new(Arc::new(Catalogue::builtin()));
//! m.feed(b"Traceback (most recent call last):");
//! m.feed(b"  File \"app.py\", line 1, in <module>");
//! let incidents = m.feed(b"ModuleNotFoundError: No module named 'yaml'");
//! assert!(incidents.is_empty() && m.has_pending()); // a chain might still follow
//! let incidents = m.flush();
//! assert_eq!(incidents[0].kind, ErrorKind::ModuleNotFound);
//! assert_eq!(incidents[0].detail.distribution.as_deref(), Some("PyYAML"));
//! ```

mod core;
pub(crate) mod record_text;
mod scan;
mod segments;

/// Decodes one output record for display (CRLF, invalid UTF-8, ANSI colour codes removed).
pub use record_text::clean;
pub use record_text::truncate;
pub use scan::{ScanStats, scan_bytes, scan_reader};
pub use segments::{scan_file, scan_file_segmented};

use crate::catalogue::Catalogue;
use crate::incident::{Detail, Incident};
use crate::kind::ErrorKind;
use std::sync::Arc;

/// Matches one stream, line by line.
#[derive(Debug)]
pub struct Matcher {
    catalogue: Arc<Catalogue>,
    core: core::Core,
    /// Number of the last line fed (1-based line numbers of the raw stream).
    line_no: u64,
}

impl Matcher {
    /// A matcher for a new stream.
    pub fn new(catalogue: Arc<Catalogue>) -> Matcher {
        Matcher {
            catalogue,
            core: core::Core::default(),
            line_no: 0,
        }
    }

    /// One record without its `'\n'` (may hold `'\r'`, ANSI codes, invalid UTF-8, be truncated).
    /// Returns the incidents this line completed (a traceback completes on the line after it).
    pub fn feed(&mut self, line: &[u8]) -> Vec<Incident> {
        self.line_no += 1;
        let mut out = Vec::new();
        self.core
            .process_line(&self.catalogue, self.line_no, line, &mut |i| out.push(i));
        out
    }

    /// End of stream, process exit or idle output: emits the pending traceback incident, if any.
    pub fn flush(&mut self) -> Vec<Incident> {
        let mut out = Vec::new();
        self.core.flush(&self.catalogue, &mut |i| out.push(i));
        out
    }

    /// A traceback is in progress (call [`Matcher::flush`] when the stream goes quiet or ends).
    pub fn has_pending(&self) -> bool {
        !self.core.is_idle()
    }

    /// Lines fed so far.
    pub fn lines(&self) -> u64 {
        self.line_no
    }

    /// Bytes of line text held for the traceback in progress; bounded whatever the input.
    pub fn retained_bytes(&self) -> usize {
        self.core.retained_bytes()
    }
}

/// The incident for a process exit. `oom_killed` is the caller's verdict from the cgroup's
/// `memory.events` (a plain SIGKILL is not enough to tell); exit code 137 is what a shell in between
/// reports for a SIGKILL, which in a container is almost always the OOM killer.
pub fn exit_incident(exit_code: Option<i32>, signal: Option<i32>, oom_killed: bool) -> Incident {
    let kind = if oom_killed || exit_code == Some(137) {
        ErrorKind::OomKilled
    } else {
        ErrorKind::ProcessExit
    };
    let line = match (exit_code, signal) {
        (Some(code), _) => format!("process exited with code {code}"),
        (None, Some(sig)) => format!("process killed by signal {sig}"),
        (None, None) => "process exited".to_string(),
    };
    Incident {
        kind,
        severity: Catalogue::default_severity(kind),
        action: Catalogue::default_action(kind),
        pattern: kind.as_str().to_string(),
        line_no: 0,
        fingerprint: crate::fingerprint::of_line(kind.as_str(), &line),
        line,
        detail: Detail {
            exit_code,
            signal,
            ..Detail::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_are_oom_kills_only_with_evidence() {
        assert_eq!(
            exit_incident(Some(1), None, false).kind,
            ErrorKind::ProcessExit
        );
        assert_eq!(
            exit_incident(None, Some(9), false).kind,
            ErrorKind::ProcessExit
        );
        assert_eq!(
            exit_incident(None, Some(9), true).kind,
            ErrorKind::OomKilled
        );
        let shell = exit_incident(Some(137), None, false);
        assert_eq!(shell.kind, ErrorKind::OomKilled);
        assert_eq!(shell.detail.exit_code, Some(137));
        assert_eq!(shell.key(), "oom_killed:exit:137");
    }
}
