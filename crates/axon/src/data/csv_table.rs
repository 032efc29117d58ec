//! The fast core of `read_csv`: a CSV file already in memory becomes a [`Frame`] at close to disk
//! speed. Data without a quote character are split at newlines and delimiters with memchr and cut
//! at line ends into chunks that rayon parses on all cores (no field can span lines); data with
//! quotes are read on one thread by the `csv` crate into one reused `ByteRecord`. Fields are
//! trimmed as byte slices, numbers go straight into `f64` buffers through `fast-float2` (exact, as
//! `f64::from_str`), and text columns intern their byte slices, so that no field costs an
//! allocation. Every path gives the same frame and the same errors, with exact line numbers.

use csv::{ByteRecord, ReaderBuilder};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::frame::{first_duplicate, Column, Frame};
use crate::error::{Error, Result};

/// The reading rules of `CsvOptions`, borrowed.
pub(crate) struct Rules<'a> {
    pub delimiter: u8,
    pub missing: &'a [String],
    pub drop_missing: bool,
    pub parallel: bool,
}

/// The smallest chunk worth a task of its own.
const MIN_CHUNK: usize = 1 << 18;

/// How many data rows are looked at to guess which columns hold text.
const GUESS_ROWS: usize = 100;

/// Parses the bytes of a CSV file with a header row (see `read_csv` for the rules); `shown` names
/// the file in errors.
pub(crate) fn parse_frame(bytes: &[u8], rules: &Rules, shown: &str) -> Result<Frame> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (header, header_line, data_start) = read_header(bytes, rules.delimiter, shown)?;
    let names = header_names(header, header_line, shown)?;
    let first_line = 1 + count_newlines(&bytes[..data_start]);
    let chunks = split_chunks(&bytes[data_start..], first_line, rules.parallel);
    let mut kinds = guess_kinds(chunks[0].bytes, names.len(), rules);
    // A column guessed numeric that turns out to hold text is read again as text.
    let parts = loop {
        let parts = chunks
            .par_iter()
            .map(|chunk| parse_chunk(chunk, &kinds, rules, &names, shown))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<Vec<Part>>>()?;
        let failed: Vec<usize> =
            (0..kinds.len()).filter(|&j| parts.iter().any(|p| p.columns[j].failed())).collect();
        if failed.is_empty() {
            break parts;
        }
        failed.into_iter().for_each(|j| kinds[j] = Kind::Text);
    };
    let n_rows = parts.iter().map(|p| p.rows).sum();
    let dropped_rows = parts.iter().map(|p| p.dropped).sum();
    if n_rows == 0 {
        let msg = match dropped_rows {
            0 => "no data rows after the header".to_owned(),
            n => format!("all {n} data rows have a missing value and were dropped"),
        };
        return Err(Error::Format { path: shown.to_owned(), line: header_line, msg });
    }
    let mut by_column: Vec<Vec<Builder>> = names.iter().map(|_| Vec::new()).collect();
    for part in parts {
        by_column.iter_mut().zip(part.columns).for_each(|(c, b)| c.push(b));
    }
    let columns = (by_column.into_iter().zip(&names))
        .map(|(builders, name)| merge_column(builders, name, shown))
        .collect::<Result<Vec<_>>>()?;
    Ok(Frame { names, columns, n_rows, dropped_rows })
}

/// A slice of the data rows, cut at a line end, and the line it starts on. A `simple` chunk has
/// no quote character and no carriage return but before a newline: its lines are split at
/// newlines and delimiters directly, as the `csv` crate would split them.
struct Chunk<'a> {
    bytes: &'a [u8],
    first_line: usize,
    simple: bool,
}

/// What a column is read as: numbers until a value is not one, or interned text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Numeric,
    Text,
}

/// The rows of one chunk, column by column.
struct Part {
    columns: Vec<Builder>,
    rows: usize,
    dropped: usize,
}

/// One column of one chunk as it is read.
enum Builder {
    /// The numbers so far, and the line and text of the first non-finite one; `failed` once a
    /// value is not a number (the values are then dropped and the column is read again as text).
    Numeric { values: Vec<f64>, non_finite: Option<(usize, String)>, failed: bool },
    /// `codes[i]` indexes `levels`, the distinct values in order of appearance, each with the
    /// line it first appears on.
    Text { codes: Vec<u32>, index: FxHashMap<Vec<u8>, u32>, levels: Vec<(Vec<u8>, usize)> },
}

impl Builder {
    fn new(kind: Kind) -> Builder {
        match kind {
            Kind::Numeric => {
                Builder::Numeric { values: Vec::new(), non_finite: None, failed: false }
            }
            Kind::Text => {
                Builder::Text { codes: Vec::new(), index: FxHashMap::default(), levels: Vec::new() }
            }
        }
    }

    /// Adds a trimmed field from line `line`.
    fn push(&mut self, field: &[u8], line: usize) {
        match self {
            Builder::Numeric { failed: true, .. } => {}
            Builder::Numeric { values, non_finite, failed } => match parse_number(field) {
                Some(x) => {
                    if !x.is_finite() && non_finite.is_none() {
                        *non_finite = Some((line, String::from_utf8_lossy(field).into_owned()));
                    }
                    values.push(x);
                }
                None => {
                    *failed = true;
                    *values = Vec::new();
                }
            },
            Builder::Text { codes, index, levels } => {
                let code = match index.get(field) {
                    Some(&code) => code,
                    None => {
                        let code = levels.len() as u32;
                        index.insert(field.to_vec(), code);
                        levels.push((field.to_vec(), line));
                        code
                    }
                };
                codes.push(code);
            }
        }
    }

    fn failed(&self) -> bool {
        matches!(self, Builder::Numeric { failed: true, .. })
    }
}

/// A number as `f64::from_str` reads it: `fast-float2` first, the standard parser for what it
/// declines.
pub(crate) fn parse_number(field: &[u8]) -> Option<f64> {
    match fast_float2::parse::<f64, _>(field) {
        Ok(x) => Some(x),
        Err(_) => std::str::from_utf8(field).ok()?.parse().ok(),
    }
}

/// Reads the rows of one chunk, checking widths and missing values as they come.
fn parse_chunk(
    chunk: &Chunk,
    kinds: &[Kind],
    rules: &Rules,
    names: &[String],
    shown: &str,
) -> Result<Part> {
    let mut part =
        Part { columns: kinds.iter().map(|&k| Builder::new(k)).collect(), rows: 0, dropped: 0 };
    let mut row = Row { part: &mut part, rules, names, shown };
    if chunk.simple {
        let mut fields = Vec::with_capacity(kinds.len());
        let ends = memchr::memchr_iter(b'\n', chunk.bytes).chain([chunk.bytes.len()]);
        let mut start = 0;
        for (line, end) in (chunk.first_line..).zip(ends) {
            let text = &chunk.bytes[start..end];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            start = end + 1;
            fields.clear();
            fields.extend(Fields { rest: Some(text), delimiter: rules.delimiter });
            if !(fields.len() == 1 && trim(fields[0]).is_empty()) {
                row.add(fields.len(), fields.iter().copied(), line)?;
            }
        }
    } else {
        let mut reader = reader(chunk.bytes, rules.delimiter);
        let mut lines = Lines::new(chunk.bytes, chunk.first_line);
        let mut record = ByteRecord::new();
        while let Some(line) = next_record(&mut reader, &mut record, &mut lines, shown)? {
            row.add(record.len(), record.iter(), line)?;
        }
    }
    Ok(part)
}

/// Adds rows to a [`Part`].
struct Row<'a> {
    part: &'a mut Part,
    rules: &'a Rules<'a>,
    names: &'a [String],
    shown: &'a str,
}

impl Row<'_> {
    /// Adds the row of `n` `fields` on `line`, or drops it when a value is missing.
    fn add<'f>(
        &mut self,
        n: usize,
        fields: impl Iterator<Item = &'f [u8]> + Clone,
        line: usize,
    ) -> Result<()> {
        let width = self.names.len();
        if n != width {
            let msg = format!("{n} fields, but the header has {width}");
            return Err(Error::Format { path: self.shown.to_owned(), line, msg });
        }
        let missing = self.rules.missing;
        if let Some((j, field)) =
            fields.clone().enumerate().find(|(_, f)| is_missing(trim(f), missing))
        {
            if self.rules.drop_missing {
                self.part.dropped += 1;
                return Ok(());
            }
            let value = String::from_utf8_lossy(trim(field));
            return Err(Error::Parse {
                path: self.shown.to_owned(),
                line,
                column: self.names[j].clone(),
                msg: format!("missing value `{value}` (set drop_missing to drop such rows)"),
            });
        }
        for (builder, field) in self.part.columns.iter_mut().zip(fields) {
            builder.push(trim(field), line);
        }
        self.part.rows += 1;
        Ok(())
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

/// One column from its chunks: numbers when every value is one (a non-finite number is an error),
/// else the chunks' dictionaries merged into sorted levels and the codes remapped to them.
fn merge_column(builders: Vec<Builder>, name: &str, shown: &str) -> Result<Column> {
    let mut distinct: Vec<(String, usize)> = Vec::new();
    for builder in &builders {
        match builder {
            Builder::Numeric { non_finite: Some((line, text)), .. } => {
                return Err(Error::Parse {
                    path: shown.to_owned(),
                    line: *line,
                    column: name.to_owned(),
                    msg: format!("non-finite value `{text}`"),
                });
            }
            Builder::Numeric { .. } => {}
            Builder::Text { levels, .. } => {
                for (bytes, line) in levels {
                    let level = String::from_utf8(bytes.clone()).map_err(|_| Error::Format {
                        path: shown.to_owned(),
                        line: *line,
                        msg: format!("column `{name}`: a value is not valid UTF-8"),
                    })?;
                    distinct.push((level, *line));
                }
            }
        }
    }
    if builders.iter().all(|b| matches!(b, Builder::Numeric { .. })) {
        let mut numbers = Vec::with_capacity(builders.iter().map(numeric_len).sum());
        for builder in builders {
            if let Builder::Numeric { values, .. } = builder {
                numbers.extend_from_slice(&values);
            }
        }
        return Ok(Column::Numeric(numbers));
    }
    let mut levels: Vec<String> = distinct.into_iter().map(|(level, _)| level).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut codes = Vec::new();
    for builder in builders {
        if let Builder::Text { codes: local, levels: local_levels, .. } = builder {
            let remap: Vec<u32> = local_levels
                .iter()
                .map(|(bytes, _)| {
                    levels.partition_point(|l| l.as_bytes() < bytes.as_slice()) as u32
                })
                .collect();
            codes.extend(local.iter().map(|&c| remap[c as usize]));
        }
    }
    Ok(Column::Categorical { levels, codes })
}

fn numeric_len(builder: &Builder) -> usize {
    match builder {
        Builder::Numeric { values, .. } => values.len(),
        Builder::Text { codes, .. } => codes.len(),
    }
}

/// The header's trimmed fields, its line and the byte offset where the data rows start.
fn read_header(bytes: &[u8], delimiter: u8, shown: &str) -> Result<(Vec<Vec<u8>>, usize, usize)> {
    let mut reader = reader(bytes, delimiter);
    let mut record = ByteRecord::new();
    let line = next_record(&mut reader, &mut record, &mut Lines::new(bytes, 1), shown)?
        .ok_or_else(|| Error::Format {
            path: shown.to_owned(),
            line: 1,
            msg: "empty file: a header row with the column names is required".into(),
        })?;
    let fields = record.iter().map(|f| trim(f).to_vec()).collect();
    Ok((fields, line, reader.position().byte() as usize))
}

/// The column names of the header: UTF-8, present and unique.
fn header_names(header: Vec<Vec<u8>>, line: usize, shown: &str) -> Result<Vec<String>> {
    let format_error = |msg: String| Error::Format { path: shown.to_owned(), line, msg };
    let mut names = Vec::with_capacity(header.len());
    for (j, field) in header.into_iter().enumerate() {
        let name = String::from_utf8(field)
            .map_err(|_| format_error(format!("column {} has a name that is not UTF-8", j + 1)))?;
        names.push(name);
    }
    if let Some(first) = names.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_owned();
    }
    if let Some(j) = names.iter().position(String::is_empty) {
        return Err(format_error(format!("column {} has an empty name in the header", j + 1)));
    }
    if let Some(dup) = first_duplicate(&names) {
        return Err(format_error(format!("duplicate column name `{dup}` in the header")));
    }
    Ok(names)
}

/// The data rows in chunks cut after a newline: one chunk, read by the `csv` crate, when
/// `parallel` is off or the data are not simple (a quoted field may hold a newline); one simple
/// chunk when the data are small.
fn split_chunks(data: &[u8], first_line: usize, parallel: bool) -> Vec<Chunk<'_>> {
    let threads = rayon::current_num_threads();
    let simple = parallel && is_simple(data);
    if !simple || threads == 1 || data.len() < 2 * MIN_CHUNK {
        return vec![Chunk { bytes: data, first_line, simple }];
    }
    let size = (data.len() / (4 * threads)).max(MIN_CHUNK);
    let mut starts = vec![0];
    let mut at = size;
    while let Some(i) = data.get(at..).and_then(|rest| memchr::memchr(b'\n', rest)) {
        let start = at + i + 1;
        if start >= data.len() {
            break;
        }
        starts.push(start);
        at = start + size;
    }
    let ends = starts.iter().skip(1).copied().chain([data.len()]);
    let slices: Vec<&[u8]> = starts.iter().zip(ends).map(|(&s, e)| &data[s..e]).collect();
    let newlines: Vec<usize> = slices.par_iter().map(|s| count_newlines(s)).collect();
    let mut line = first_line;
    let mut chunks = Vec::with_capacity(slices.len());
    for (bytes, n) in slices.into_iter().zip(newlines) {
        chunks.push(Chunk { bytes, first_line: line, simple });
        line += n;
    }
    chunks
}

/// Which columns hold text, from the first kept rows: a value that is neither missing nor a
/// number makes its column text. Only a guess that saves a second reading; the result is the
/// same without it.
fn guess_kinds(data: &[u8], width: usize, rules: &Rules) -> Vec<Kind> {
    let mut kinds = vec![Kind::Numeric; width];
    let mut reader = reader(data, rules.delimiter);
    let mut lines = Lines::new(data, 1);
    let mut record = ByteRecord::new();
    for _ in 0..GUESS_ROWS {
        match next_record(&mut reader, &mut record, &mut lines, "") {
            Ok(Some(_)) => {}
            _ => break,
        }
        if record.len() != width || record.iter().any(|f| is_missing(trim(f), rules.missing)) {
            continue;
        }
        for (kind, field) in kinds.iter_mut().zip(record.iter()) {
            if parse_number(trim(field)).is_none() {
                *kind = Kind::Text;
            }
        }
    }
    kinds
}

/// A CSV reader of bytes: no header, rows of any width, fields left untrimmed (see [`trim`]).
fn reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes)
}

/// Reads the next record that is not a blank line; its line, or `None` at the end.
fn next_record(
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
        if !(record.len() == 1 && trim(&record[0]).is_empty()) {
            return Ok(Some(lines.line_of(record)));
        }
    }
}

/// Counts the lines of the bytes a reader reads, record by record. (The `csv` crate gives a
/// record the line where the previous one ended, which is one short after a blank line or a
/// CRLF line end.)
struct Lines<'a> {
    bytes: &'a [u8],
    /// A byte offset and the line it is on.
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8], first_line: usize) -> Self {
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
fn trim(field: &[u8]) -> &[u8] {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
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
fn is_missing(field: &[u8], missing: &[String]) -> bool {
    missing.iter().any(|m| m.as_bytes() == field)
}

/// Whether `data` has no quote character, and a carriage return only before a newline.
fn is_simple(data: &[u8]) -> bool {
    memchr::memchr2_iter(b'"', b'\r', data)
        .all(|i| data[i] == b'\r' && data.get(i + 1) == Some(&b'\n'))
}

fn count_newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}
