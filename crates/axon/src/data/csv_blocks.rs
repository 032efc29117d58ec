//! A CSV byte stream cut into blocks that end at record boundaries, so that a file far larger
//! than memory can be parsed a few megabytes at a time, each block on all cores, and the bytes of
//! one block freed before the next is read. A block of data without a quote character ends after
//! its last newline; a block with quotes ends after its last record terminator outside a quoted field ([`RecordEnds`]: every record
//! before it is complete whatever follows). A record longer than a block makes the block grow.

use std::io::Read;

use super::csv_records::RecordEnds;
use crate::error::{Error, Result};

/// The block size to aim for. A block is parsed on all cores and then freed.
pub(crate) const BLOCK_BYTES: usize = 16 << 20;

/// Blocks of a CSV stream; see the module docs.
pub(crate) struct Blocks<R> {
    source: R,
    /// Bytes read: `buf[..filled]`; those after `handed` are not handed out yet.
    buf: Vec<u8>,
    filled: usize,
    /// How many leading bytes of `buf` the last block handed out.
    handed: usize,
    /// The line the first byte of `buf` is on.
    line: usize,
    /// The newlines of the block handed out, when the caller counted them.
    handed_newlines: Option<usize>,
    size: usize,
    eof: bool,
    delimiter: u8,
    shown: String,
}

/// One block: whole records, and the line its first byte is on.
pub(crate) struct Block<'a> {
    pub bytes: &'a [u8],
    pub first_line: usize,
}

impl<R: Read> Blocks<R> {
    pub fn new(source: R, size: usize, delimiter: u8, shown: &str) -> Self {
        Blocks {
            source,
            buf: Vec::new(),
            filled: 0,
            handed: 0,
            line: 1,
            handed_newlines: None,
            size,
            eof: false,
            delimiter,
            shown: shown.to_owned(),
        }
    }

    /// The next block, or `None` at the end of the stream.
    pub fn next_block(&mut self) -> Result<Option<Block<'_>>> {
        let handed = &self.buf[..self.handed];
        self.line += self.handed_newlines.take().unwrap_or_else(|| count_newlines(handed));
        self.buf.copy_within(self.handed..self.filled, 0);
        self.filled -= self.handed;
        self.handed = 0;
        loop {
            self.fill()?;
            if self.filled == 0 {
                return Ok(None);
            }
            let cut = if self.eof { Some(self.filled) } else { self.record_end() };
            match cut {
                Some(end) if end > 0 => {
                    self.handed = end;
                    return Ok(Some(Block { bytes: &self.buf[..end], first_line: self.line }));
                }
                _ => self.size *= 2,
            }
        }
    }

    /// The block last handed out (empty before the first): still in the buffer until the next
    /// one is asked for, so that a caller that looked at its start can parse it without a copy.
    pub fn handed(&self) -> &[u8] {
        &self.buf[..self.handed]
    }

    /// Tells the number of newlines in the block last handed out, so that they are not counted
    /// again.
    pub fn handed_newlines(&mut self, newlines: usize) {
        self.handed_newlines = Some(newlines);
    }

    /// Reads until `size` bytes are filled or the stream ends. The buffer is zeroed only when it
    /// grows, and then read into in place.
    fn fill(&mut self) -> Result<()> {
        if self.filled >= self.size || self.eof {
            return Ok(());
        }
        if self.buf.len() < self.size {
            self.buf.resize(self.size, 0);
        }
        while self.filled < self.size {
            match self.source.read(&mut self.buf[self.filled..self.size]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io { path: self.shown.clone(), msg: e.to_string() }),
            }
        }
        Ok(())
    }

    /// Where the complete records of `buf` end, `None` if it holds no complete record.
    fn record_end(&self) -> Option<usize> {
        let buf = &self.buf[..self.filled];
        if memchr::memchr(b'"', buf).is_none() {
            return memchr::memrchr(b'\n', buf).map(|i| i + 1);
        }
        RecordEnds::new(buf, self.delimiter).last()
    }
}

/// The newlines in `bytes`, counted on all cores when there are many bytes.
pub(crate) fn count_newlines(bytes: &[u8]) -> usize {
    use rayon::prelude::*;
    const PIECE: usize = 1 << 20;
    if bytes.len() < 2 * PIECE {
        return memchr::memchr_iter(b'\n', bytes).count();
    }
    bytes.par_chunks(PIECE).map(|piece| memchr::memchr_iter(b'\n', piece).count()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block of `text` read `size` bytes at a time, with its first line.
    fn blocks(text: &str, size: usize) -> Vec<(String, usize)> {
        let mut blocks = Blocks::new(text.as_bytes(), size, b',', "t.csv");
        let mut out = Vec::new();
        while let Some(block) = blocks.next_block().unwrap() {
            out.push((String::from_utf8(block.bytes.to_vec()).unwrap(), block.first_line));
        }
        out
    }

    #[test]
    fn blocks_end_at_newlines_and_count_lines() {
        let got = blocks("a,b\n1,2\n3,4\n5,6", 6);
        assert_eq!(got.concat_text(), "a,b\n1,2\n3,4\n5,6");
        assert!(got.iter().all(|(b, _)| b.ends_with('\n') || b.ends_with('6')));
        let lines: Vec<usize> = got.iter().map(|(_, l)| *l).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
    }

    #[test]
    fn a_quoted_newline_never_ends_a_block() {
        let text = "a,b\n\"x\ny\",2\n\"p\nq\nr\",3\n4,5\n";
        for size in 1..text.len() + 2 {
            let got = blocks(text, size);
            assert_eq!(got.concat_text(), text, "size {size}");
            for (block, _) in &got {
                assert_eq!(block.matches('"').count() % 2, 0, "size {size}: {block:?}");
            }
        }
    }

    trait Concat {
        fn concat_text(&self) -> String;
    }

    impl Concat for Vec<(String, usize)> {
        fn concat_text(&self) -> String {
            self.iter().map(|(b, _)| b.as_str()).collect()
        }
    }
}
