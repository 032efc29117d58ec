//! A CSV file streamed as frames of a fixed number of rows, for data larger than memory: the file
//! is read block by block (`csv_blocks.rs`), each block parsed on all cores into a frame, and the
//! frames cut and joined into batches of exactly the rows asked for. Memory holds one block, the
//! current block's frame and one batch.

use std::io::Read;
use std::path::Path;

use super::csv::open_read_ahead;
use super::csv_blocks::{Blocks, BLOCK_BYTES};
use super::csv_table::{block_frame, FirstRows, Layout};
use super::frame::Frame;
use super::read_options::ReadOptions;
use crate::error::Result;

/// The batches of a CSV file; see [`read_batches`](super::read_batches).
pub(crate) struct CsvBatches {
    blocks: Blocks<Box<dyn Read>>,
    layout: Layout,
    options: ReadOptions,
    shown: String,
    rows: usize,
    /// The rows of the first block, until they are parsed.
    first: Option<FirstRows>,
    /// Rows parsed and not yet handed out: `pending` from row `offset` on.
    pending: Option<Frame>,
    offset: usize,
    /// Set after an error, which ends the stream.
    failed: bool,
}

impl CsvBatches {
    pub fn open(path: &Path, options: ReadOptions, rows: usize) -> Result<CsvBatches> {
        CsvBatches::open_in_blocks(path, options, rows, BLOCK_BYTES)
    }

    fn open_in_blocks(
        path: &Path,
        options: ReadOptions,
        rows: usize,
        block_bytes: usize,
    ) -> Result<CsvBatches> {
        let shown = path.display().to_string();
        let rules = options.rules(b',');
        let mut blocks = Blocks::new(open_read_ahead(path)?, block_bytes, rules.delimiter, &shown);
        let (layout, first) = Layout::for_stream(&mut blocks, &rules, &shown)?;
        Ok(CsvBatches {
            blocks,
            layout,
            options,
            shown,
            rows,
            first: Some(first),
            pending: None,
            offset: 0,
            failed: false,
        })
    }

    /// The frame of the next block, `None` at the end of the file.
    fn next_frame(&mut self) -> Result<Option<Frame>> {
        let rules = self.options.rules(b',');
        if let Some(first) = self.first.take() {
            let frame = block_frame(
                &self.blocks.handed()[first.start..],
                first.first_line,
                &self.layout,
                &rules,
                true,
                &self.shown,
            )?;
            return Ok(Some(frame));
        }
        match self.blocks.next_block()? {
            Some(block) => {
                let frame = block_frame(
                    block.bytes,
                    block.first_line,
                    &self.layout,
                    &rules,
                    false,
                    &self.shown,
                )?;
                Ok(Some(frame))
            }
            None => Ok(None),
        }
    }

    fn next_batch(&mut self) -> Result<Option<Frame>> {
        loop {
            let available = self.pending.as_ref().map_or(0, |p| p.n_rows - self.offset);
            if available >= self.rows {
                let pending = self.pending.as_ref().expect("rows are pending");
                let batch = pending.slice(self.offset..self.offset + self.rows);
                self.offset += self.rows;
                return Ok(Some(batch));
            }
            let Some(next) = self.next_frame()? else {
                let rest = self.pending.take().filter(|_| available > 0);
                return Ok(rest.map(|p| p.slice(self.offset..p.n_rows)));
            };
            self.pending = Some(match self.pending.take() {
                Some(pending) if available > 0 => {
                    Frame::concat(&pending.slice(self.offset..pending.n_rows), &next)
                }
                _ => next,
            });
            self.offset = 0;
        }
    }
}

impl Iterator for CsvBatches {
    type Item = Result<Frame>;

    fn next(&mut self) -> Option<Result<Frame>> {
        if self.failed {
            return None;
        }
        let next = self.next_batch().transpose();
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_csv;
    use crate::error::Error;

    /// Blocks of 200 bytes: batches cross block boundaries, and a word in a column of numbers
    /// several blocks in ends the stream with an error naming its line, after the good batches.
    #[test]
    fn batches_cross_blocks_and_stop_at_a_late_word() {
        let mut text = String::from("x,g\n");
        for i in 0..500 {
            text.push_str(&format!("{i},\"{}\"\n", ["a", "b,c", "d\ne"][i % 3]));
        }
        let path = std::env::temp_dir().join(format!("axon_batches_{}.csv", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let options = ReadOptions::default();
        let whole = read_csv(&path, &options).unwrap();
        let batches = CsvBatches::open_in_blocks(&path, options.clone(), 37, 200).unwrap();
        let parts: Vec<Frame> = batches.collect::<Result<_>>().unwrap();
        assert_eq!(parts.len(), 14);
        let joined = parts.iter().skip(1).fold(parts[0].clone(), |a, b| Frame::concat(&a, b));
        assert_eq!(joined, whole);

        std::fs::write(&path, format!("{text}oops,\"a\"\n")).unwrap();
        let batches = CsvBatches::open_in_blocks(&path, options, 37, 200).unwrap();
        let results: Vec<Result<Frame>> = batches.collect();
        std::fs::remove_file(&path).unwrap();
        assert!(results.len() > 10 && results[..results.len() - 1].iter().all(Result::is_ok));
        let err = results.last().unwrap().as_ref().unwrap_err();
        // After the header, 500 rows and the 166 quoted newlines in them.
        assert!(matches!(err, Error::Parse { line: 668, column, .. } if column == "x"), "{err}");
    }
}
