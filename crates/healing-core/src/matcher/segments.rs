//! Scanning one regular file on all cores, with exactly the incidents of a single sequential pass.
//!
//! The file is cut at line starts into segments that worker threads scan independently (each with
//! positioned reads, so no shared cursor), starting with no traceback open. Results are merged in
//! file order on the calling thread, which shifts line numbers by the lines of earlier segments.
//! Where a traceback was still open at the end of a segment, the next segment's start was scanned
//! with the wrong state; the merge then replays that segment's first lines twice in lockstep — once
//! with the true state carried over, once from an idle start as the worker did — until both are
//! idle after the same line. From there on the worker's results are exact, so its incidents up to
//! that line (as many as the replay from idle produced) are dropped in favour of the true ones.
//! Channels are bounded, so memory stays bounded however many incidents a file holds.

use super::core::Core;
use super::scan::{ScanStats, read_some, scan_lines, scan_reader};
use crate::catalogue::Catalogue;
use crate::incident::Incident;
use crate::line_reader::LineBuf;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// Files smaller than this are scanned on one thread: splitting costs more than it saves.
const MIN_PARALLEL: u64 = 16 << 20;
/// Incidents a worker may run ahead of the merge, per segment.
const CHANNEL: usize = 1024;
/// Bytes per read while looking for a line start or replaying a segment's first lines.
const WINDOW: usize = 64 << 10;

/// Scans a file with the same results as [`scan_reader`] over it; a large regular file is split
/// over [`std::thread::available_parallelism`] threads.
pub fn scan_file(
    path: &Path,
    catalogue: &Catalogue,
    max_line: usize,
    on_incident: impl FnMut(Incident),
) -> io::Result<ScanStats> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || !meta.is_file() || meta.len() < MIN_PARALLEL {
        return scan_reader(file, catalogue, max_line, on_incident);
    }
    let segment_bytes = meta.len().div_ceil(threads as u64);
    scan_file_segmented(
        &file,
        catalogue,
        max_line,
        segment_bytes,
        threads,
        on_incident,
    )
}

/// The parallel path of [`scan_file`] with its knobs exposed, so tests can cut a small file into
/// many tiny segments: segments of about `segment_bytes` (cut at line starts) spread round-robin
/// over `workers` threads. Reads from offset 0 to the end of the file, whatever its cursor.
pub fn scan_file_segmented(
    file: &File,
    catalogue: &Catalogue,
    max_line: usize,
    segment_bytes: u64,
    workers: usize,
    mut on_incident: impl FnMut(Incident),
) -> io::Result<ScanStats> {
    let max_line = max_line.max(1);
    let starts = line_starts(file, file.metadata()?.len(), segment_bytes.max(1))?;
    // The last segment reads to the end of the file, even if it grew meanwhile.
    let ranges: Vec<(u64, Option<u64>)> = starts
        .iter()
        .enumerate()
        .map(|(k, &start)| (start, starts.get(k + 1).copied()))
        .collect();
    let workers = workers.clamp(1, ranges.len());
    let cancelled = AtomicBool::new(false);
    let emit = &mut on_incident as &mut dyn FnMut(Incident);
    std::thread::scope(|scope| {
        let mut receivers = Vec::with_capacity(ranges.len());
        let mut jobs: Vec<Vec<Job>> = (0..workers).map(|_| Vec::new()).collect();
        for (k, &(start, end)) in ranges.iter().enumerate() {
            let (tx, rx) = mpsc::sync_channel(CHANNEL);
            receivers.push(rx);
            jobs[k % workers].push(Job { start, end, tx });
        }
        for worker_jobs in jobs {
            let cancelled = &cancelled;
            scope.spawn(move || {
                for job in worker_jobs {
                    job.run(file, catalogue, max_line, cancelled);
                }
            });
        }
        let result = merge(file, catalogue, max_line, &ranges, &receivers, emit);
        if result.is_err() {
            cancelled.store(true, Ordering::Relaxed);
        }
        result
    })
}

/// One segment for a worker, and where its results go.
struct Job {
    start: u64,
    end: Option<u64>,
    tx: mpsc::SyncSender<Msg>,
}

enum Msg {
    Incident(Incident),
    /// The segment's line count and its traceback state at its end.
    Done(io::Result<(ScanStats, Core)>),
}

impl Job {
    fn run(self, file: &File, catalogue: &Catalogue, max_line: usize, cancelled: &AtomicBool) {
        let reader = SegmentReader::new(file, self.start, self.end, cancelled);
        let tx = &self.tx;
        let result = scan_lines(reader, catalogue, max_line, &mut |incident| {
            if tx.send(Msg::Incident(incident)).is_err() {
                // The merge gave up: make every reader fail so all workers stop soon.
                cancelled.store(true, Ordering::Relaxed);
            }
        });
        let _ = self.tx.send(Msg::Done(result));
    }
}

/// Emits all incidents in file order, replaying segment starts where a traceback crossed over.
fn merge(
    file: &File,
    catalogue: &Catalogue,
    max_line: usize,
    ranges: &[(u64, Option<u64>)],
    receivers: &[mpsc::Receiver<Msg>],
    emit: &mut dyn FnMut(Incident),
) -> io::Result<ScanStats> {
    let mut truth = Core::default();
    let mut total = ScanStats::default();
    let never = AtomicBool::new(false);
    for (&(start, end), rx) in ranges.iter().zip(receivers) {
        let mut replay = None;
        if !truth.is_idle() {
            let reader = SegmentReader::new(file, start, end, &never);
            replay = Some(lockstep(
                reader,
                &mut truth,
                total.lines,
                catalogue,
                max_line,
                emit,
            )?);
        }
        // `None` after a replay: the true state never met the worker's, all of it is superseded.
        let mut skip = match replay {
            None => Some(0),
            Some(synced) => synced,
        };
        loop {
            match rx.recv() {
                Ok(Msg::Incident(mut incident)) => match &mut skip {
                    Some(0) => {
                        incident.line_no += total.lines;
                        emit(incident);
                    }
                    Some(n) => *n -= 1,
                    None => {}
                },
                Ok(Msg::Done(Ok((stats, core)))) => {
                    if skip.is_some() {
                        truth = core;
                        truth.shift_lines(total.lines);
                    }
                    total.lines += stats.lines;
                    total.bytes += stats.bytes;
                    break;
                }
                Ok(Msg::Done(Err(e))) => return Err(e),
                Err(_) => return Err(io::Error::other("a scan worker stopped early")),
            }
        }
    }
    truth.flush(catalogue, emit);
    Ok(total)
}

/// Runs a segment's lines through `truth` (emitting) and through a fresh core (counting) until both
/// are idle after the same line. Returns how many incidents the fresh core produced by then, or
/// `None` if the segment ended first (then `truth` holds the true state at its end).
fn lockstep(
    mut reader: SegmentReader<'_>,
    truth: &mut Core,
    lines_before: u64,
    catalogue: &Catalogue,
    max_line: usize,
    emit: &mut dyn FnMut(Incident),
) -> io::Result<Option<usize>> {
    let mut pair = Lockstep {
        truth,
        shadow: Core::default(),
        shadow_incidents: 0,
        line_no: lines_before,
        synced: false,
    };
    let mut lines = LineBuf::new(max_line);
    let mut buf = vec![0u8; WINDOW];
    loop {
        let n = read_some(&mut reader, &mut buf)?;
        if n == 0 {
            lines.finish(&mut |line| pair.step(catalogue, line, emit));
            break;
        }
        lines.push(&buf[..n], &mut |line| pair.step(catalogue, line, emit));
        if pair.synced {
            break;
        }
    }
    Ok(pair.synced.then_some(pair.shadow_incidents))
}

/// The two cores of a replay.
struct Lockstep<'a> {
    truth: &'a mut Core,
    shadow: Core,
    shadow_incidents: usize,
    line_no: u64,
    synced: bool,
}

impl Lockstep<'_> {
    fn step(&mut self, catalogue: &Catalogue, line: &[u8], emit: &mut dyn FnMut(Incident)) {
        if self.synced {
            return;
        }
        self.line_no += 1;
        self.truth.process_line(catalogue, self.line_no, line, emit);
        let counter = &mut self.shadow_incidents;
        self.shadow
            .process_line(catalogue, self.line_no, line, &mut |_| *counter += 1);
        self.synced = self.truth.is_idle() && self.shadow.is_idle();
    }
}

/// Segment starts: 0, then the first line start at or after each multiple of `segment_bytes`
/// (a line too long to hold one merges its segments).
fn line_starts(file: &File, len: u64, segment_bytes: u64) -> io::Result<Vec<u64>> {
    let never = AtomicBool::new(false);
    let mut starts = vec![0u64];
    let mut target = segment_bytes;
    let mut window = vec![0u8; WINDOW];
    while target < len {
        // A line starts at `target` if the byte before it is a '\n'.
        let mut reader = SegmentReader::new(file, target - 1, Some(len), &never);
        let mut pos = target - 1;
        let mut found = None;
        while found.is_none() && pos < target + segment_bytes {
            let n = read_some(&mut reader, &mut window)?;
            if n == 0 {
                break;
            }
            found = memchr::memchr(b'\n', &window[..n]).map(|i| pos + i as u64 + 1);
            pos += n as u64;
        }
        match found {
            Some(start) if start < len => {
                starts.push(start);
                target = start + segment_bytes;
            }
            Some(_) => break,
            None => target += segment_bytes,
        }
    }
    Ok(starts)
}

/// Positioned reads of `[pos, end)` of a file shared by all threads; fails once the scan is cancelled.
struct SegmentReader<'a> {
    file: &'a File,
    pos: u64,
    end: Option<u64>,
    cancelled: &'a AtomicBool,
}

impl<'a> SegmentReader<'a> {
    fn new(file: &'a File, pos: u64, end: Option<u64>, cancelled: &'a AtomicBool) -> Self {
        Self {
            file,
            pos,
            end,
            cancelled,
        }
    }
}

impl Read for SegmentReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(io::Error::other("scan cancelled"));
        }
        let want = match self.end {
            Some(end) => usize::try_from(end.saturating_sub(self.pos))
                .map_or(buf.len(), |left| left.min(buf.len())),
            None => buf.len(),
        };
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}
