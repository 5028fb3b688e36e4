//! Bounded line splitting.
//!
//! A worker can print a 2 GB line with no newline (a base64 payload, a runaway progress bar). Buffering
//! it whole would let one bad child exhaust the supervisor's memory, so a line longer than the bound is
//! cut at the bound and the rest is discarded up to the next `'\n'`. The record still counts as one line,
//! so line numbers stay those of the raw bytes.

/// Splits a byte stream into `'\n'`-terminated records, keeping at most `max_line` bytes of each.
#[derive(Debug)]
pub struct LineBuf {
    /// The current (incomplete) line; never longer than `max_line`.
    buf: Vec<u8>,
    /// The bound; at least 1.
    max_line: usize,
    /// The current line overflowed: drop bytes until its `'\n'`.
    discarding: bool,
}

impl LineBuf {
    /// A splitter keeping at most `max_line` bytes of each line (a bound of 0 is taken as 1).
    pub fn new(max_line: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_line: max_line.max(1),
            discarding: false,
        }
    }

    /// Feeds a chunk; calls `out` with each completed line (without its `'\n'`, possibly truncated).
    pub fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(&[u8])) {
        let mut rest = chunk;
        while !rest.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(nl) => {
                    let (head, tail) = (&rest[..nl], &rest[nl + 1..]);
                    if self.buf.is_empty() && !self.discarding {
                        // Fast path: the whole line is inside this chunk, no copy needed.
                        out(&head[..head.len().min(self.max_line)]);
                    } else {
                        self.append(head);
                        out(&self.buf);
                        self.buf.clear();
                    }
                    self.discarding = false;
                    rest = tail;
                }
                None => {
                    self.append(rest);
                    rest = &[];
                }
            }
        }
    }

    /// End of stream: emits the last line if it had no trailing `'\n'`.
    pub fn finish(&mut self, out: &mut dyn FnMut(&[u8])) {
        if !self.buf.is_empty() || self.discarding {
            out(&self.buf);
        }
        self.buf.clear();
        self.discarding = false;
    }

    /// Bytes currently held (always `<= max_line`).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends to the current line up to the bound; past it, marks the line as overflowing.
    fn append(&mut self, bytes: &[u8]) {
        if self.discarding {
            return;
        }
        let room = self.max_line - self.buf.len();
        if bytes.len() > room {
            self.buf.extend_from_slice(&bytes[..room]);
            self.discarding = true;
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(max: usize, chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut lb = LineBuf::new(max);
        let mut lines = Vec::new();
        for c in chunks {
            lb.push(c, &mut |l| lines.push(l.to_vec()));
        }
        lb.finish(&mut |l| lines.push(l.to_vec()));
        lines
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        assert_eq!(
            split(100, &[b"ab", b"c\nde", b"f\n", b"g"]),
            vec![b"abc".to_vec(), b"def".to_vec(), b"g".to_vec()]
        );
    }

    #[test]
    fn an_overlong_line_is_cut_and_the_next_line_is_intact() {
        assert_eq!(
            split(4, &[b"0123456", b"789\nok\n"]),
            vec![b"0123".to_vec(), b"ok".to_vec()]
        );
        assert_eq!(split(4, &[b"0123456789\n"]), vec![b"0123".to_vec()]);
    }

    #[test]
    fn a_trailing_newline_does_not_add_an_empty_line() {
        assert_eq!(
            split(10, &[b"a\n\nb\n"]),
            vec![b"a".to_vec(), b"".to_vec(), b"b".to_vec()]
        );
    }

    proptest! {
        #[test]
        fn memory_stays_bounded_and_line_count_matches_newlines(
            data in proptest::collection::vec(any::<u8>(), 0..4096),
            max in 1usize..64,
            cut in 1usize..300,
        ) {
            let mut lb = LineBuf::new(max);
            let mut count = 0usize;
            for chunk in data.chunks(cut) {
                lb.push(chunk, &mut |l| { assert!(l.len() <= max); count += 1; });
                prop_assert!(lb.buffered() <= max);
            }
            lb.finish(&mut |l| { assert!(l.len() <= max); count += 1; });
            let newlines = data.iter().filter(|b| **b == b'\n').count();
            let expected = newlines + usize::from(data.last().is_some_and(|b| *b != b'\n'));
            prop_assert_eq!(count, expected);
        }
    }
}
