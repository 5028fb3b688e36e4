//! Bulk scanning of a whole file or buffer with the same results as feeding it line by line.
//!
//! The streaming path pays a prefilter call per line. Here one prefilter search runs over a large
//! chunk and jumps straight to the next line that can matter; the lines in between are only counted
//! (SIMD newline count) to keep line numbers. Only while a traceback is open is every line examined.
//! Memory is one chunk plus at most two lines of `max_line` bytes, whatever the input.

use super::core::Core;
use crate::catalogue::Catalogue;
use crate::incident::Incident;
use std::io::{self, Read};

/// Bytes read per chunk.
const CHUNK: usize = 4 << 20;

/// What a scan went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Bytes read.
    pub bytes: u64,
    /// `'\n'`-separated records (a last line without `'\n'` counts).
    pub lines: u64,
}

/// Scans a reader to its end; `on_incident` gets each incident in order. Lines longer than
/// `max_line` are cut exactly as [`crate::line_reader::LineBuf`] cuts them.
pub fn scan_reader<R: Read>(
    mut reader: R,
    catalogue: &Catalogue,
    max_line: usize,
    mut on_incident: impl FnMut(Incident),
) -> io::Result<ScanStats> {
    let max_line = max_line.max(1);
    let mut buf = vec![0u8; CHUNK.max(2 * max_line) + max_line];
    let mut len = 0usize;
    let mut stats = ScanStats::default();
    // Number of the line that starts at buf[0].
    let mut line_no = 1u64;
    // The kept head of an overlong line whose rest is being discarded (then `len == 0`).
    let mut long: Option<Vec<u8>> = None;
    let mut core = Core::default();
    let emit = &mut on_incident as &mut dyn FnMut(Incident);
    loop {
        let n = read_some(&mut reader, &mut buf[len..])?;
        stats.bytes += n as u64;
        if n == 0 {
            break;
        }
        len += n;
        if let Some(kept) = &long {
            match memchr::memchr(b'\n', &buf[..len]) {
                None => {
                    len = 0;
                    continue;
                }
                Some(nl) => {
                    core.process_line(catalogue, line_no, kept, emit);
                    line_no += 1;
                    long = None;
                    buf.copy_within(nl + 1..len, 0);
                    len -= nl + 1;
                }
            }
        }
        if let Some(last_nl) = memchr::memrchr(b'\n', &buf[..len]) {
            scan_region(
                &buf[..=last_nl],
                &mut line_no,
                &mut core,
                catalogue,
                max_line,
                emit,
            );
            buf.copy_within(last_nl + 1..len, 0);
            len -= last_nl + 1;
        }
        if len >= max_line {
            long = Some(buf[..max_line].to_vec());
            len = 0;
        }
    }
    if let Some(kept) = long {
        core.process_line(catalogue, line_no, &kept, emit);
        line_no += 1;
    } else if len > 0 {
        core.process_line(catalogue, line_no, &buf[..len], emit);
        line_no += 1;
    }
    core.flush(catalogue, emit);
    stats.lines = line_no - 1;
    Ok(stats)
}

/// [`scan_reader`] over a buffer in memory.
pub fn scan_bytes(
    bytes: &[u8],
    catalogue: &Catalogue,
    max_line: usize,
    on_incident: impl FnMut(Incident),
) -> ScanStats {
    // Reading from a slice cannot fail.
    scan_reader(bytes, catalogue, max_line, on_incident).unwrap_or_default()
}

/// Complete lines (`region` ends with `'\n'`): jump from prefilter hit to prefilter hit while no
/// traceback is open, run the state machine on the hit lines and on every line of a traceback.
fn scan_region(
    region: &[u8],
    line_no: &mut u64,
    core: &mut Core,
    catalogue: &Catalogue,
    max_line: usize,
    emit: &mut dyn FnMut(Incident),
) {
    let prefilter = catalogue.prefilter();
    let mut pos = 0usize;
    while pos < region.len() {
        if core.is_idle() {
            let Some(hit) = prefilter.find_at(region, pos) else {
                *line_no += count_lines(&region[pos..]);
                return;
            };
            let line_start =
                memchr::memrchr(b'\n', &region[pos..hit.start()]).map_or(pos, |i| pos + i + 1);
            *line_no += count_lines(&region[pos..line_start]);
            pos = line_start;
        }
        let end = memchr::memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i);
        let line = &region[pos..end];
        core.process_line(catalogue, *line_no, &line[..line.len().min(max_line)], emit);
        *line_no += 1;
        pos = end + 1;
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// One `read`, retried on `Interrupted`.
fn read_some<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
