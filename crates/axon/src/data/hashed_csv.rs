//! A CSV or TSV file streamed straight into hashed sparse rows, for click logs: each line's
//! fields are hashed by [`HashedColumns`] from the bytes as read, with no [`Frame`] of text
//! columns in between (sorting the levels of a million-valued column per batch costs more than
//! learning from it). The rows are the same as `HashedColumns::transform` gives for the
//! featurized columns read as text (`ReadOptions::categorical`, no missing-value markers): an
//! empty field is no feature. A batch's lines are parsed on all cores in chunks and joined in
//! order. Memory holds one batch. A line with a quote character is split by the `csv` crate;
//! a field may not span lines.
//!
//! [`Frame`]: super::Frame

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use rayon::prelude::*;

use super::csv::open_read_ahead;
use super::csv_columns::parse_number;
use super::hashed::{text_cell, Cell, HashedColumns};
use crate::error::{Error, Result};
use crate::sparse::Csr;

/// Lines per parallel task.
const CHUNK_LINES: usize = 2048;

/// A batch: the rows and their 0/1 labels.
pub type HashedBatch = (Csr, Vec<f64>);

/// The batches of a CSV file hashed by a [`HashedColumns`]; see [`hashed_csv_batches`].
pub struct HashedCsvBatches {
    reader: BufReader<Box<dyn Read>>,
    parser: Parser,
    rows: usize,
    line: usize,
    done: bool,
}

/// What parsing a line takes (shared by the parallel tasks).
struct Parser {
    shown: String,
    features: HashedColumns,
    /// The field of each featurized column, and of the target.
    fields: Vec<usize>,
    target: usize,
    target_name: String,
    width: usize,
    delimiter: u8,
    seeds: Vec<u32>,
    crosses: Vec<(usize, usize)>,
}

/// Streams `path` (gzipped when its name ends in `.gz`; fields separated by `delimiter`, a
/// header line naming the columns) in batches of `rows` rows featurized by `features`, the
/// `target` column (0/1 or −1/1) as labels. A column missing from the header is an error.
pub fn hashed_csv_batches(
    path: impl AsRef<Path>,
    features: &HashedColumns,
    target: &str,
    delimiter: u8,
    rows: usize,
) -> Result<HashedCsvBatches> {
    let path = path.as_ref();
    let source = open_read_ahead(path)?;
    hashed_csv_batches_from(source, path.display().to_string(), features, target, delimiter, rows)
}

/// [`hashed_csv_batches`] of the bytes `source` (a header line, then rows), named `shown` in
/// errors: a part of a file that several processes share (`parts.rs`).
pub fn hashed_csv_batches_from(
    source: Box<dyn Read>,
    shown: String,
    features: &HashedColumns,
    target: &str,
    delimiter: u8,
    rows: usize,
) -> Result<HashedCsvBatches> {
    if rows == 0 {
        return Err(Error::invalid("rows", 0, "a batch has at least one row"));
    }
    let mut reader = BufReader::with_capacity(1 << 20, source);
    let mut header = Vec::new();
    reader
        .read_until(b'\n', &mut header)
        .map_err(|e| Error::Io { path: shown.clone(), msg: e.to_string() })?;
    let header = header.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&header);
    let names: Vec<String> =
        split(header, delimiter).iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    let find = |name: &str| {
        names.iter().position(|n| n == name).ok_or_else(|| Error::Format {
            path: shown.clone(),
            line: 1,
            msg: format!("no column `{name}` in the header"),
        })
    };
    let fields = features.columns().iter().map(|c| find(&c.name)).collect::<Result<_>>()?;
    let target_field = find(target)?;
    let parser = Parser {
        shown,
        features: features.clone(),
        fields,
        target: target_field,
        target_name: target.to_owned(),
        width: names.len(),
        delimiter,
        seeds: features.seeds(),
        crosses: features.cross_positions(),
    };
    Ok(HashedCsvBatches { reader, parser, rows, line: 1, done: false })
}

/// The trimmed fields of a line: split on the delimiter, or by the `csv` crate when quoted.
fn split(line: &[u8], delimiter: u8) -> Vec<Vec<u8>> {
    let line = line.trim_ascii_end();
    if line.contains(&b'"') {
        let mut reader =
            csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(line);
        let mut record = csv::ByteRecord::new();
        if reader.read_byte_record(&mut record).unwrap_or(false) {
            return record.iter().map(|f| f.trim_ascii().to_vec()).collect();
        }
    }
    line.split(|&b| b == delimiter).map(|f| f.trim_ascii().to_vec()).collect()
}

/// One parsed chunk: labels, row lengths, columns, values.
#[derive(Default)]
struct Part {
    labels: Vec<f64>,
    lengths: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl Iterator for HashedCsvBatches {
    type Item = Result<HashedBatch>;

    fn next(&mut self) -> Option<Result<HashedBatch>> {
        if self.done {
            return None;
        }
        let out = self.read_batch();
        if !matches!(out, Ok(Some(_))) {
            self.done = true;
        }
        out.transpose()
    }
}

impl HashedCsvBatches {
    fn read_batch(&mut self) -> Result<Option<HashedBatch>> {
        // The batch's lines: one buffer, each line's range and number.
        let mut text = Vec::new();
        let mut lines: Vec<(usize, usize, usize)> = Vec::with_capacity(self.rows);
        while lines.len() < self.rows {
            let start = text.len();
            let n = self
                .reader
                .read_until(b'\n', &mut text)
                .map_err(|e| Error::Io { path: self.parser.shown.clone(), msg: e.to_string() })?;
            if n == 0 {
                break;
            }
            self.line += 1;
            if text[start..].trim_ascii().is_empty() {
                text.truncate(start);
                continue;
            }
            lines.push((start, text.len(), self.line));
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let parser = &self.parser;
        let parts: Vec<Result<Part>> =
            lines.par_chunks(CHUNK_LINES).map(|chunk| parser.parse_chunk(&text, chunk)).collect();
        let mut indptr = Vec::with_capacity(lines.len() + 1);
        indptr.push(0);
        let (mut labels, mut indices, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for part in parts {
            let part = part?;
            for len in part.lengths {
                indptr.push(indptr[indptr.len() - 1] + len);
            }
            labels.extend(part.labels);
            indices.extend(part.indices);
            values.extend(part.values);
        }
        let x = Csr::new(self.parser.features.n_features(), indptr, indices, values)?;
        Ok(Some((x, labels)))
    }
}

impl Parser {
    fn parse_chunk(&self, text: &[u8], lines: &[(usize, usize, usize)]) -> Result<Part> {
        let mut part = Part::default();
        let mut cells: Vec<Cell> = Vec::with_capacity(self.fields.len());
        let mut row = Vec::new();
        let mut fields: Vec<&[u8]> = Vec::with_capacity(self.width);
        for &(start, end, line) in lines {
            let bytes = text[start..end].trim_ascii_end();
            if bytes.contains(&b'"') {
                let owned = split(bytes, self.delimiter);
                let quoted: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
                self.parse_line(&quoted, line, &mut cells, &mut row, &mut part)?;
            } else {
                fields.clear();
                fields.extend(bytes.split(|&b| b == self.delimiter));
                self.parse_line(&fields, line, &mut cells, &mut row, &mut part)?;
            }
        }
        Ok(part)
    }

    /// Adds the row of one line's `fields` to `part`.
    fn parse_line(
        &self,
        fields: &[&[u8]],
        line: usize,
        cells: &mut Vec<Cell>,
        row: &mut Vec<(u32, f64)>,
        part: &mut Part,
    ) -> Result<()> {
        if fields.len() != self.width {
            return Err(Error::Format {
                path: self.shown.clone(),
                line,
                msg: format!("{} fields, but the header has {}", fields.len(), self.width),
            });
        }
        let parse_error = |column: &str, msg: String| Error::Parse {
            path: self.shown.clone(),
            line,
            column: column.to_owned(),
            msg,
        };
        let label = fields[self.target].trim_ascii();
        part.labels.push(match parse_number(label) {
            Some(1.0) => 1.0,
            Some(0.0) | Some(-1.0) => 0.0,
            _ => {
                let shown = String::from_utf8_lossy(label);
                let msg = format!("label `{shown}`: expected 0/1 or -1/1");
                return Err(parse_error(&self.target_name, msg));
            }
        });
        cells.clear();
        for ((column, &field), &seed) in
            self.features.columns().iter().zip(&self.fields).zip(&self.seeds)
        {
            let cell = text_cell(column, seed, fields[field])
                .map_err(|msg| parse_error(&column.name, msg))?;
            cells.push(cell);
        }
        let before = part.indices.len();
        self.features.push_row(cells, &self.crosses, row, &mut part.indices, &mut part.values);
        part.lengths.push(part.indices.len() - before);
        Ok(())
    }
}
