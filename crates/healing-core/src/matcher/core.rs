//! The per-line state machine shared by the streaming [`super::Matcher`] and the bulk scanner, so both
//! report identical incidents for the same bytes.
//!
//! A Python traceback is one incident, reported at its decisive `Type: message` line. In a chain
//! ("During handling of the above exception…", "The above exception was the direct cause…") the
//! decisive line is the root cause — the first exception a rule recognises — because the last line is
//! usually a wrapper (`requests.exceptions.ConnectionError` around a `ConnectionRefusedError`). Detail
//! the root line lacks (host and port) is taken from the other lines of the chain.

use super::record_text;
use crate::catalogue::{Catalogue, Classification};
use crate::fingerprint::{self, Frames};
use crate::incident::{Detail, Incident};
use crate::kind::ErrorKind;

/// Bytes of a line kept in an incident (and per remembered exception line).
pub(crate) const MAX_LINE_TEXT: usize = 512;
/// Exception lines remembered per chain: the first ones (root causes) and the latest.
const MAX_CHAIN: usize = 16;
/// A traceback longer than this is closed (a runaway or a misread stream must not hold the state).
const MAX_TRACEBACK_LINES: u32 = 10_000;
/// Unindented foreign lines tolerated inside a traceback (interleaved output of other threads).
const MAX_NOISE: u32 = 64;

/// One exception line of a chain.
#[derive(Debug)]
struct Exception {
    line_no: u64,
    /// Truncated to [`MAX_LINE_TEXT`].
    text: String,
    name: String,
    class: Option<Classification>,
}

/// A traceback being read.
#[derive(Debug)]
struct Traceback {
    header_line: u64,
    exceptions: Vec<Exception>,
    lines: u32,
    noise: u32,
    /// A chain marker was seen since the last exception line: the next header continues this chain.
    chained: bool,
    /// The frames seen so far (bounded), for the fingerprint.
    frames: Frames,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Idle,
    /// Inside frames, waiting for the exception line.
    Frames(Traceback),
    /// After an exception line: a chain may continue, or the traceback is over.
    AfterException(Traceback),
}

/// Traceback state of one stream.
#[derive(Debug, Default)]
pub(crate) struct Core {
    state: State,
}

impl Core {
    /// No traceback in progress.
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Bytes held in traceback state (bounded by `MAX_CHAIN * MAX_LINE_TEXT` plus names).
    pub(crate) fn retained_bytes(&self) -> usize {
        match &self.state {
            State::Idle => 0,
            State::Frames(tb) | State::AfterException(tb) => tb
                .exceptions
                .iter()
                .map(|e| e.text.len() + e.name.len())
                .sum(),
        }
    }

    /// Renumbers the held lines for a core that scanned a later part of a file as if it started at
    /// line 1: `lines_before` lines precede that part.
    pub(crate) fn shift_lines(&mut self, lines_before: u64) {
        if let State::Frames(tb) | State::AfterException(tb) = &mut self.state {
            tb.header_line += lines_before;
            for e in &mut tb.exceptions {
                e.line_no += lines_before;
            }
        }
    }

    /// One raw record. Outside a traceback, lines that fail the catalogue's prefilter are skipped
    /// without decoding.
    pub(crate) fn process_line(
        &mut self,
        cat: &Catalogue,
        line_no: u64,
        raw: &[u8],
        emit: &mut dyn FnMut(Incident),
    ) {
        if self.is_idle() && !cat.may_match(raw) {
            return;
        }
        let text = record_text::clean(raw);
        self.process_text(cat, line_no, &text, true, emit);
    }

    /// End of stream: a pending traceback becomes its incident.
    pub(crate) fn flush(&mut self, cat: &Catalogue, emit: &mut dyn FnMut(Incident)) {
        match std::mem::take(&mut self.state) {
            State::Idle => {}
            State::Frames(tb) | State::AfterException(tb) => emit(tb.finish(cat)),
        }
    }

    fn process_text(
        &mut self,
        cat: &Catalogue,
        line_no: u64,
        text: &str,
        json: bool,
        emit: &mut dyn FnMut(Incident),
    ) {
        let text = record_text::unwrap(text);
        match std::mem::take(&mut self.state) {
            State::Idle => self.idle(cat, line_no, text, json, emit),
            State::Frames(mut tb) => {
                tb.lines += 1;
                if tb.lines > MAX_TRACEBACK_LINES {
                    emit(tb.finish(cat));
                    return self.idle(cat, line_no, text, json, emit);
                }
                if text.is_empty() || record_text::is_indented(text) {
                    tb.frames.push_line(text);
                    self.state = State::Frames(tb);
                } else if record_text::is_traceback_header(text) {
                    // A new traceback before this one printed its exception: it was cut short.
                    emit(tb.finish(cat));
                    self.state = State::Frames(Traceback::new(line_no));
                } else if let Some(name) = record_text::exception_name(text) {
                    tb.push(cat, line_no, text, name);
                    self.state = State::AfterException(tb);
                } else {
                    tb.noise += 1;
                    if tb.noise > MAX_NOISE {
                        emit(tb.finish(cat));
                        return self.idle(cat, line_no, text, json, emit);
                    }
                    standalone(cat, line_no, text, json, emit);
                    self.state = State::Frames(tb);
                }
            }
            State::AfterException(mut tb) => {
                tb.lines += 1;
                if tb.lines <= MAX_TRACEBACK_LINES
                    && (text.is_empty() || record_text::is_indented(text))
                {
                    // Continuation of a multi-line message, or the blank lines around a chain marker.
                    self.state = State::AfterException(tb);
                } else if tb.lines <= MAX_TRACEBACK_LINES && record_text::is_chain_marker(text) {
                    tb.chained = true;
                    self.state = State::AfterException(tb);
                } else if tb.lines <= MAX_TRACEBACK_LINES
                    && tb.chained
                    && record_text::is_traceback_header(text)
                {
                    tb.chained = false;
                    self.state = State::Frames(tb);
                } else {
                    emit(tb.finish(cat));
                    self.idle(cat, line_no, text, json, emit);
                }
            }
        }
    }

    fn idle(
        &mut self,
        cat: &Catalogue,
        line_no: u64,
        text: &str,
        json: bool,
        emit: &mut dyn FnMut(Incident),
    ) {
        if json && expand_json(cat, line_no, text, emit) {
            return;
        }
        if record_text::is_traceback_header(text) {
            self.state = State::Frames(Traceback::new(line_no));
            return;
        }
        // Not JSON (already tried): classify the plain line.
        standalone(cat, line_no, text, false, emit);
    }
}

/// A line outside any traceback structure (possibly interleaved inside one).
fn standalone(
    cat: &Catalogue,
    line_no: u64,
    text: &str,
    json: bool,
    emit: &mut dyn FnMut(Incident),
) {
    if json && expand_json(cat, line_no, text, emit) {
        return;
    }
    if let Some(c) = cat.classify(text) {
        let print = fingerprint::of_line(c.kind.as_str(), text);
        emit(incident(c, line_no, text, print));
    }
}

/// A JSON log line: its message strings (which may hold a whole traceback with `\n` escapes) run
/// through a fresh state machine; the first incident found is the line's one incident.
/// Returns false when the line is not a JSON object.
fn expand_json(cat: &Catalogue, line_no: u64, text: &str, emit: &mut dyn FnMut(Incident)) -> bool {
    let Some(texts) = record_text::json_texts(text) else {
        return false;
    };
    let mut found: Option<Incident> = None;
    for value in texts {
        let mut nested = Core::default();
        let mut keep = |i: Incident| {
            if found.is_none() {
                found = Some(i);
            }
        };
        for sub in value.split('\n') {
            let sub = sub.strip_suffix('\r').unwrap_or(sub);
            nested.process_text(cat, line_no, sub, false, &mut keep);
        }
        nested.flush(cat, &mut keep);
        if found.is_some() {
            break;
        }
    }
    if let Some(i) = found {
        emit(i);
    }
    true
}

/// An incident for one classified line.
fn incident(c: Classification, line_no: u64, text: &str, fingerprint: String) -> Incident {
    Incident {
        kind: c.kind,
        severity: c.severity,
        action: c.action,
        pattern: c.pattern,
        line_no,
        line: record_text::truncate(text, MAX_LINE_TEXT).to_string(),
        detail: c.detail,
        fingerprint,
    }
}

/// The message of an exception line: what follows `Type: `.
fn message_of<'a>(text: &'a str, name: &str) -> &'a str {
    text.get(name.len()..)
        .map_or("", |rest| rest.trim_start_matches(':').trim_start())
}

impl Traceback {
    fn new(header_line: u64) -> Self {
        Self {
            header_line,
            exceptions: Vec::new(),
            lines: 0,
            noise: 0,
            chained: false,
            frames: Frames::default(),
        }
    }

    fn push(&mut self, cat: &Catalogue, line_no: u64, text: &str, name: &str) {
        let exception = Exception {
            line_no,
            text: record_text::truncate(text, MAX_LINE_TEXT).to_string(),
            name: record_text::truncate(name, MAX_LINE_TEXT).to_string(),
            class: cat.classify(text),
        };
        if self.exceptions.len() < MAX_CHAIN {
            self.exceptions.push(exception);
        } else if let Some(last) = self.exceptions.last_mut() {
            *last = exception;
        }
    }

    /// The traceback's one incident: the root-most recognised exception, with host/port filled from
    /// any line of the chain; an unrecognised traceback is `unclassified` at its last exception line.
    fn finish(self, cat: &Catalogue) -> Incident {
        let decisive = self
            .exceptions
            .iter()
            .find_map(|e| e.class.clone().map(|c| (e, c)));
        if let Some((e, mut c)) = decisive {
            if c.detail.host.is_none() {
                let carried = self.exceptions.iter().find_map(|other| {
                    other
                        .class
                        .as_ref()
                        .and_then(|oc| oc.detail.host.clone().map(|h| (h, oc.detail.port)))
                        .or_else(|| cat.host_port(&other.text))
                });
                if let Some((host, port)) = carried {
                    c.detail.host = Some(host);
                    c.detail.port = c.detail.port.or(port);
                }
            }
            if c.detail.exception.is_none() {
                c.detail.exception = Some(e.name.clone());
            }
            cat.resolve(&mut c);
            let print =
                fingerprint::of_traceback(&e.name, message_of(&e.text, &e.name), &self.frames);
            return incident(c, e.line_no, &e.text, print);
        }
        let (line_no, line, exception) = match self.exceptions.last() {
            Some(e) => (e.line_no, e.text.clone(), Some(e.name.clone())),
            None => (
                self.header_line,
                "Traceback (most recent call last):".to_string(),
                None,
            ),
        };
        let name = exception.as_deref().unwrap_or("");
        let print = fingerprint::of_traceback(name, message_of(&line, name), &self.frames);
        let kind = ErrorKind::Unclassified;
        Incident {
            kind,
            severity: Catalogue::default_severity(kind),
            action: Catalogue::default_action(kind),
            pattern: kind.as_str().to_string(),
            line_no,
            line,
            detail: Detail {
                exception,
                ..Detail::default()
            },
            fingerprint: print,
        }
    }
}
