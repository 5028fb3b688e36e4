//! `logs NAME [-n N] [-f]`: the last lines of an agent's captured log, and what is appended after,
//! read here; every caller masks them with the one redactor (`healing_core::redact::line`) as they leave.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

/// How much is read backwards at a time while looking for line starts.
const CHUNK: u64 = 16 * 1024;
/// A single line longer than this is cut (the log writer already bounds lines; this bounds memory).
const MAX_TAIL_BYTES: u64 = 8 * 1024 * 1024;
/// How often a followed file is checked for new lines.
pub const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// The last `n` lines of `path` (without their newlines) and the offset the file was read up to.
/// A missing file is empty (the agent has not written anything yet).
pub fn tail(path: &Path, n: usize) -> io::Result<(Vec<String>, u64)> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let mut start = len;
    let mut buf: Vec<u8> = Vec::new();
    // Walk back until the buffer holds n+1 newlines (the last line may end with one) or the start.
    while start > 0 && len - start < MAX_TAIL_BYTES {
        let step = CHUNK.min(start);
        start -= step;
        file.seek(SeekFrom::Start(start))?;
        let mut chunk = vec![0; usize::try_from(step).unwrap_or(0)];
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        if buf.iter().filter(|&&b| b == b'\n').count() > n {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if start > 0 && !lines.is_empty() {
        // The first line may have been cut in the middle.
        lines.remove(0);
    }
    let skip = lines.len().saturating_sub(n);
    Ok((lines.split_off(skip), len))
}

/// Lines appended to `path` since `offset`; after a rotation (the file is shorter) reading starts
/// over at the beginning of the new file. Returns the lines and the new offset; a partial last line
/// is left for the next call.
pub fn read_new(path: &Path, offset: u64) -> io::Result<(Vec<String>, u64)> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let from = if len < offset { 0 } else { offset };
    let want = (len - from).min(MAX_TAIL_BYTES);
    file.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0; usize::try_from(want).unwrap_or(0)];
    file.read_exact(&mut buf)?;
    let complete = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&buf[..complete]);
    let lines = text.lines().map(str::to_string).collect();
    Ok((lines, from + complete as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_returns_the_last_lines_across_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&p, &text).unwrap();
        let (lines, end) = tail(&p, 3).unwrap();
        assert_eq!(lines, ["line 4997", "line 4998", "line 4999"]);
        assert_eq!(end, text.len() as u64);
        let (all, _) = tail(&p, 100_000).unwrap();
        assert_eq!(all.len(), 5000);
        assert_eq!(tail(&dir.path().join("none.log"), 5).unwrap().0.len(), 0);
    }

    #[test]
    fn read_new_keeps_a_partial_line_and_starts_over_after_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        std::fs::write(&p, "one\ntw").unwrap();
        let (lines, off) = read_new(&p, 0).unwrap();
        assert_eq!((lines, off), (vec!["one".to_string()], 4));
        std::fs::write(&p, "x\n").unwrap();
        let (lines, off) = read_new(&p, off).unwrap();
        assert_eq!((lines, off), (vec!["x".to_string()], 2));
    }
}
