//! One block of CSV rows parsed on all cores: the block is cut at line ends into chunks (when it
//! has no quote character, so no field can span lines), each chunk's lines are split at
//! delimiters with memchr (or read by the `csv` crate into one reused `ByteRecord` when it has
//! quotes), lines of plain numbers take the fast lane of `csv_fast.rs`, and the fields go into
//! one column builder per column. Also the record-level helpers the header and the kind guess
//! share: the `csv` reader of a byte slice, blank-line skipping with exact line numbers,
//! trimming and the missing-value test.

use csv::{ByteRecord, ReaderBuilder};
use rayon::prelude::*;
use smallvec::SmallVec;

use super::csv_blocks::count_newlines;
use super::csv_columns::{Builder, Kind};
use super::csv_fast::FastLines;
use super::csv_records::RecordEnds;
use crate::error::{Error, Result};

/// The reading rules of `ReadOptions`, borrowed.
pub(crate) struct Rules<'a> {
    pub delimiter: u8,
    pub missing: &'a [String],
    pub drop_missing: bool,
    pub parallel: bool,
    /// Read only these columns (all when `None`); missing values elsewhere are not looked at.
    pub columns: Option<&'a [String]>,
    /// Columns that may hold text among numbers (read as categories without the check).
    pub categorical: &'a [String],
}

/// The smallest chunk worth a task of its own.
const MIN_CHUNK: usize = 1 << 18;

/// Parses the rows of one block (whole records) on all cores.
pub(crate) fn parse_block(
    data: &[u8],
    first_line: usize,
    kinds: &[Kind],
    rules: &Rules,
    names: &[String],
    shown: &str,
) -> Result<Vec<Part>> {
    let chunks = split_chunks(data, first_line, rules.parallel, rules.delimiter);
    chunks
        .par_iter()
        .map(|chunk| parse_chunk(chunk, kinds, rules, names, shown))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// A slice of the data rows, cut at a line end, and the line it starts on. A `simple` chunk has
/// no quote character and no carriage return but before a newline: its lines are split at
/// newlines and delimiters directly, as the `csv` crate would split them.
struct Chunk<'a> {
    bytes: &'a [u8],
    first_line: usize,
    simple: bool,
    /// Its newlines, when they were counted.
    newlines: Option<usize>,
}

/// The rows of one chunk, column by column.
pub(crate) struct Part {
    pub columns: Vec<Builder>,
    pub rows: usize,
    pub dropped: usize,
    /// The newlines of the chunk, when they were counted.
    pub newlines: Option<usize>,
}

/// Reads the rows of one chunk, checking widths and missing values as they come.
fn parse_chunk(
    chunk: &Chunk,
    kinds: &[Kind],
    rules: &Rules,
    names: &[String],
    shown: &str,
) -> Result<Part> {
    let newlines = chunk.newlines;
    let rows = newlines.unwrap_or(0) + 1;
    let columns = kinds.iter().map(|&k| Builder::with_capacity(k, rows)).collect();
    let mut part = Part { columns, rows: 0, dropped: 0, newlines };
    let mut row = Row { part: &mut part, kinds, rules, names, shown };
    if chunk.simple {
        let bytes = chunk.bytes;
        let fast = FastLines::new(kinds, rules.delimiter, rules.missing);
        let mut values = vec![0.0; kinds.len()];
        let mut fields = Vec::with_capacity(kinds.len());
        let mut start = 0;
        let mut line = chunk.first_line;
        while start < bytes.len() {
            let rest = &bytes[start..];
            if let Some(n) = fast.as_ref().and_then(|fast| fast.line(rest, &mut values)) {
                row.add_numbers(&values);
                start += n;
            } else {
                let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
                let text = &rest[..end];
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                start += end + 1;
                fields.clear();
                fields.extend(Fields { rest: Some(text), delimiter: rules.delimiter }.map(trim));
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    row.add(&fields, line)?;
                }
            }
            line += 1;
        }
    } else {
        let mut reader = reader(chunk.bytes, rules.delimiter);
        let mut lines = Lines::new(chunk.bytes, chunk.first_line);
        let mut record = ByteRecord::new();
        while let Some(line) = next_record(&mut reader, &mut record, &mut lines, shown)? {
            let fields: SmallVec<[&[u8]; 32]> = record.iter().map(trim).collect();
            row.add(&fields, line)?;
        }
    }
    Ok(part)
}

/// Adds rows to a [`Part`].
struct Row<'a> {
    part: &'a mut Part,
    kinds: &'a [Kind],
    rules: &'a Rules<'a>,
    names: &'a [String],
    shown: &'a str,
}

impl Row<'_> {
    /// Adds the row of trimmed `fields` on `line`, or drops it when a value is missing.
    fn add(&mut self, fields: &[&[u8]], line: usize) -> Result<()> {
        let (n, width) = (fields.len(), self.names.len());
        if n != width {
            let msg = format!("{n} fields, but the header has {width}");
            return Err(Error::Format { path: self.shown.to_owned(), line, msg });
        }
        let missing = self.rules.missing;
        let kinds = self.kinds;
        let missing_at = |(j, f): (usize, &&[u8])| kinds[j] != Kind::Skip && is_missing(f, missing);
        if let Some((j, field)) = fields.iter().enumerate().find(|&(j, f)| missing_at((j, f))) {
            if self.rules.drop_missing {
                self.part.dropped += 1;
                return Ok(());
            }
            let value = String::from_utf8_lossy(field);
            return Err(Error::Parse {
                path: self.shown.to_owned(),
                line,
                column: self.names[j].clone(),
                msg: format!("missing value `{value}` (set drop_missing to drop such rows)"),
            });
        }
        for (builder, field) in self.part.columns.iter_mut().zip(fields) {
            builder.push(field, line);
        }
        self.part.rows += 1;
        Ok(())
    }
}

impl Row<'_> {
    /// Adds a row of plain numbers read by [`FastLines`] (one value per column; skipped
    /// columns' values are not looked at).
    #[inline]
    fn add_numbers(&mut self, values: &[f64]) {
        for (builder, &x) in self.part.columns.iter_mut().zip(values) {
            builder.push_number(x);
        }
        self.part.rows += 1;
    }
}

/// The fields of a line without quote characters.
struct Fields<'a> {
    rest: Option<&'a [u8]>,
    delimiter: u8,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(self.delimiter, rest) {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// The data rows in chunks that start at a record, their newlines counted (and their simplicity
/// checked) on all cores: one chunk when `parallel` is off or the data are small; else chunks cut
/// after a newline when the data are simple, and after a record terminator outside quoted fields
/// ([`RecordEnds`]) when they are not (a quoted field may hold a newline).
fn split_chunks(data: &[u8], first_line: usize, parallel: bool, delimiter: u8) -> Vec<Chunk<'_>> {
    let threads = rayon::current_num_threads();
    if !parallel || threads == 1 || data.len() < 2 * MIN_CHUNK {
        let simple = parallel && is_simple(data);
        return vec![Chunk { bytes: data, first_line, simple, newlines: None }];
    }
    let size = (data.len() / (4 * threads)).max(MIN_CHUNK);
    let by_lines = cuts(size, |at| {
        data.get(at..).and_then(|rest| memchr::memchr(b'\n', rest)).map(|i| at + i + 1)
    });
    let by_lines = slices_at(data, &by_lines);
    let simple = by_lines.par_iter().all(|s| is_simple(s));
    let slices = if simple {
        by_lines
    } else {
        let mut ends = RecordEnds::new(data, delimiter);
        slices_at(data, &cuts(size, |at| ends.find(|&end| end > at)))
    };
    let newlines: Vec<usize> = slices.par_iter().map(|s| count_newlines(s)).collect();
    let mut line = first_line;
    let mut chunks = Vec::with_capacity(slices.len());
    for (bytes, lines) in slices.into_iter().zip(newlines) {
        chunks.push(Chunk { bytes, first_line: line, simple, newlines: Some(lines) });
        line += lines;
    }
    chunks
}

/// The starts of chunks of about `size` bytes: 0, then for each next target offset the first
/// cut `next_cut(target)` gives at or after it, until it gives none inside the data.
fn cuts(size: usize, mut next_cut: impl FnMut(usize) -> Option<usize>) -> Vec<usize> {
    let mut starts = vec![0];
    let mut at = size;
    while let Some(start) = next_cut(at) {
        starts.push(start);
        at = start + size;
    }
    starts
}

/// `data` cut at `starts` (the first is 0); a start at the very end gives no empty slice.
fn slices_at<'a>(data: &'a [u8], starts: &[usize]) -> Vec<&'a [u8]> {
    let starts: Vec<usize> = starts.iter().copied().filter(|&s| s == 0 || s < data.len()).collect();
    let ends = starts.iter().skip(1).copied().chain([data.len()]);
    starts.iter().zip(ends).map(|(&s, e)| &data[s..e]).collect()
}

/// A CSV reader of bytes: no header, rows of any width, fields left untrimmed (see [`trim`]).
pub(crate) fn reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes)
}

/// Reads the next record that is not a blank line; its line, or `None` at the end.
pub(crate) fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut ByteRecord,
    lines: &mut Lines,
    shown: &str,
) -> Result<Option<usize>> {
    loop {
        let more = reader.read_byte_record(record).map_err(|e| {
            let line = lines.line - 1 + e.position().map_or(1, |p| p.line() as usize);
            Error::Format { path: shown.to_owned(), line, msg: e.to_string() }
        })?;
        if !more {
            return Ok(None);
        }
        // A lone empty field is a blank line, unless it was quoted (`""`): an empty value.
        if record.len() == 1 && trim(&record[0]).is_empty() {
            let end = reader.position().byte() as usize;
            let start = record.position().map_or(end, |p| p.byte() as usize).min(end);
            if !lines.bytes[start..end].contains(&b'"') {
                continue;
            }
        }
        return Ok(Some(lines.line_of(record)));
    }
}

/// Counts the lines of the bytes a reader reads, record by record. (The `csv` crate gives a
/// record the line where the previous one ended, which is one short after a blank line or a
/// CRLF line end.)
pub(crate) struct Lines<'a> {
    bytes: &'a [u8],
    /// A byte offset and the line it is on.
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(bytes: &'a [u8], first_line: usize) -> Self {
        Lines { bytes, at: 0, line: first_line }
    }

    /// The line `record` starts on: the first byte after the line ends its position points to.
    fn line_of(&mut self, record: &ByteRecord) -> usize {
        let mut start = record.position().map_or(self.at, |p| p.byte() as usize).max(self.at);
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        self.line += count_newlines(&self.bytes[self.at..start]);
        self.at = start;
        self.line
    }
}

/// The field without surrounding whitespace, as `str::trim` (Unicode whitespace when the field
/// starts or ends with a non-ASCII character).
#[inline]
pub(crate) fn trim(field: &[u8]) -> &[u8] {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    // Most fields have nothing to trim.
    if let (Some(first), Some(last)) = (field.first(), field.last()) {
        if !space(first) && !space(last) && *first < 0x80 && *last < 0x80 {
            return field;
        }
    }
    let start = field.iter().position(|b| !space(b)).unwrap_or(field.len());
    let end = field.iter().rposition(|b| !space(b)).map_or(start, |i| i + 1);
    let field = &field[start..end];
    let non_ascii = |b: Option<&u8>| b.is_some_and(|b| *b >= 0x80);
    if non_ascii(field.first()) || non_ascii(field.last()) {
        if let Ok(text) = std::str::from_utf8(field) {
            return text.trim().as_bytes();
        }
    }
    field
}

/// Whether a trimmed field is one of the missing-value markers.
#[inline]
pub(crate) fn is_missing(field: &[u8], missing: &[String]) -> bool {
    missing.iter().any(|m| m.len() == field.len() && m.as_bytes() == field)
}

/// Whether `data` has no quote character, and a carriage return only before a newline.
fn is_simple(data: &[u8]) -> bool {
    memchr::memchr2_iter(b'"', b'\r', data)
        .all(|i| data[i] == b'\r' && data.get(i + 1) == Some(&b'\n'))
}
