//! The fast core of `read_csv`: a CSV stream becomes a [`Frame`] at close to disk speed and in
//! bounded memory. The stream is read in blocks that end at record boundaries (`csv_blocks.rs`);
//! a block without a quote character is split at newlines and delimiters with memchr and cut at
//! line ends into chunks that rayon parses on all cores (no field can span lines); a block with
//! quotes is read on one thread by the `csv` crate into one reused `ByteRecord`. Fields are
//! trimmed as byte slices, numbers go straight into `f64` buffers through `fast-float2` (exact, as
//! `f64::from_str`), and text columns intern their byte slices, so that no field costs an
//! allocation. A block's numbers are appended to the columns and its bytes freed before the next
//! block is read, so a file is never held in memory whole. Every path gives the same frame and
//! the same errors, with exact line numbers.
//!
//! A column is numeric when every value is a number and categorical when it holds text; a column
//! of numbers with a stray word (at least `csv_columns::NUMERIC_SHARE` of its values numbers) is an error
//! naming the line and the value, unless the caller lists it as categorical.

use std::io::Read;

use csv::{ByteRecord, ReaderBuilder};
use rayon::prelude::*;
use smallvec::SmallVec;

use super::csv_blocks::{count_newlines, Block, Blocks, BLOCK_BYTES};
use super::csv_columns::{parse_number, typo, Acc, Builder, Kind, Numbers};
use super::csv_fast::FastLines;
use super::frame::{first_duplicate, Column, Frame};
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

/// Opens the stream from its start, again when a column guessed numeric turns out to hold text.
pub(crate) type Open<'a> = &'a dyn Fn() -> Result<Box<dyn Read>>;

/// The smallest chunk worth a task of its own.
const MIN_CHUNK: usize = 1 << 18;

/// How many data rows are looked at to guess which columns hold text.
const GUESS_ROWS: usize = 100;

/// Parses a CSV stream with a header row (see `read_csv` for the rules); `size_hint` is its size
/// in bytes when known (to size the columns once), `shown` names the file in errors.
pub(crate) fn parse_frame(
    open: Open,
    size_hint: Option<u64>,
    rules: &Rules,
    shown: &str,
) -> Result<Frame> {
    parse_frame_in_blocks(open, size_hint, rules, shown, BLOCK_BYTES)
}

fn parse_frame_in_blocks(
    open: Open,
    size_hint: Option<u64>,
    rules: &Rules,
    shown: &str,
    block_bytes: usize,
) -> Result<Frame> {
    let mut kinds = None;
    loop {
        let mut blocks = Blocks::new(open()?, block_bytes, rules.delimiter, shown);
        let (layout, first) = Layout::read(&mut blocks, rules, shown, kinds.take())?;
        match read_rows(&mut blocks, &layout, first, size_hint, rules, shown)? {
            Pass::Done(frame) => return Ok(frame),
            Pass::Retry(retry) => kinds = Some(retry),
        }
    }
}

/// The columns of a file: its header and what each column is read as.
pub(crate) struct Layout {
    names: Vec<String>,
    kinds: Vec<Kind>,
    header_line: usize,
}

/// The data rows of the first block, and the line they start on.
pub(crate) struct FirstRows {
    pub bytes: Vec<u8>,
    pub first_line: usize,
}

impl Layout {
    /// The layout of a stream read in batches: guessed from the first block, with the columns
    /// `rules.categorical` names read as text.
    pub(crate) fn for_stream<R: Read>(
        blocks: &mut Blocks<R>,
        rules: &Rules,
        shown: &str,
    ) -> Result<(Layout, FirstRows)> {
        let (mut layout, first) = Layout::read(blocks, rules, shown, None)?;
        for (kind, name) in layout.kinds.iter_mut().zip(&layout.names) {
            if *kind != Kind::Skip && rules.categorical.contains(name) {
                *kind = Kind::Text;
            }
        }
        Ok((layout, first))
    }

    /// Reads the header from the first block and guesses the kinds (unless `kinds` are given).
    fn read<R: Read>(
        blocks: &mut Blocks<R>,
        rules: &Rules,
        shown: &str,
        kinds: Option<Vec<Kind>>,
    ) -> Result<(Layout, FirstRows)> {
        let empty = || Error::Format {
            path: shown.to_owned(),
            line: 1,
            msg: "empty file: a header row with the column names is required".into(),
        };
        let Block { bytes, first_line } = blocks.next_block()?.ok_or_else(empty)?;
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let (header, header_line, data_start) = read_header(&bytes[bom..], rules.delimiter, shown)?;
        let names = header_names(header, header_line, shown)?;
        let data = &bytes[bom + data_start..];
        let data_line = first_line + count_newlines(&bytes[..bom + data_start]);
        let selected = selected_columns(&names, rules, header_line, shown)?;
        let kinds = kinds.unwrap_or_else(|| guess_kinds(data, &selected, rules));
        let first = FirstRows { bytes: data.to_vec(), first_line: data_line };
        Ok((Layout { names, kinds, header_line }, first))
    }
}

/// Which columns are read: all, or those `rules.columns` names (each once, and in the header).
fn selected_columns(
    names: &[String],
    rules: &Rules,
    header_line: usize,
    shown: &str,
) -> Result<Vec<bool>> {
    let Some(wanted) = rules.columns else { return Ok(vec![true; names.len()]) };
    let error = |msg: String| Error::Format { path: shown.to_owned(), line: header_line, msg };
    if let Some(unknown) = wanted.iter().find(|w| !names.contains(w)) {
        return Err(error(format!(
            "no column `{unknown}` in the header (columns: {})",
            names.join(", ")
        )));
    }
    if let Some(twice) = first_duplicate(wanted) {
        return Err(error(format!("column `{twice}` is asked for twice")));
    }
    Ok(names.iter().map(|n| wanted.contains(n)).collect())
}

/// The end of one reading of the file.
enum Pass {
    Done(Frame),
    /// Columns guessed numeric hold text: read again with these kinds.
    Retry(Vec<Kind>),
}

/// Reads every data row, block by block, into the columns.
fn read_rows<R: Read>(
    blocks: &mut Blocks<R>,
    layout: &Layout,
    first: FirstRows,
    size_hint: Option<u64>,
    rules: &Rules,
    shown: &str,
) -> Result<Pass> {
    let names = &layout.names;
    let parts = parse_block(&first.bytes, first.first_line, &layout.kinds, rules, names, shown)?;
    let mut columns: Vec<Acc> = layout.kinds.iter().map(|&k| Acc::new(k)).collect();
    let first_rows: usize = parts.iter().map(|p| p.rows + p.dropped).sum();
    if let (Some(size), false) = (size_hint, first.bytes.is_empty()) {
        let expected = (size as f64 / first.bytes.len() as f64 * first_rows as f64 * 1.02) as usize;
        columns.iter_mut().for_each(|c| c.reserve(expected + 16));
    }
    let (mut n_rows, mut dropped_rows) = (0, 0);
    let mut add = |parts: Vec<Part>, columns: &mut [Acc]| {
        n_rows += parts.iter().map(|p| p.rows).sum::<usize>();
        dropped_rows += parts.iter().map(|p| p.dropped).sum::<usize>();
        append_parts(columns, parts);
    };
    add(parts, &mut columns);
    drop(first);
    while let Some(block) = blocks.next_block()? {
        let parts = parse_block(block.bytes, block.first_line, &layout.kinds, rules, names, shown)?;
        if let Some(newlines) = parts.iter().map(|p| p.newlines).sum::<Option<usize>>() {
            blocks.handed_newlines(newlines);
        }
        add(parts, &mut columns);
    }
    if n_rows == 0 {
        let msg = match dropped_rows {
            0 => "no data rows after the header".to_owned(),
            n => format!("all {n} data rows have a missing value and were dropped"),
        };
        return Err(Error::Format { path: shown.to_owned(), line: layout.header_line, msg });
    }
    let mut retry = layout.kinds.clone();
    for (j, column) in columns.iter().enumerate() {
        if let Acc::Numeric(numbers) = column {
            if let Some((line, value)) = &numbers.first_other {
                if numbers.is_mostly_numbers() && !rules.categorical.contains(&names[j]) {
                    return Err(typo(shown, *line, &names[j], value, numbers.share()));
                }
                retry[j] = Kind::Text;
            }
        }
    }
    if retry != layout.kinds {
        return Ok(Pass::Retry(retry));
    }
    let mut kept_names = Vec::new();
    let mut kept = Vec::new();
    for (name, column) in names.iter().zip(columns) {
        if let Some(column) = column.finish(name, true, rules.categorical, shown)? {
            kept_names.push(name.clone());
            kept.push(column);
        }
    }
    let (names, columns) = in_asked_order(kept_names, kept, rules.columns);
    Ok(Pass::Done(Frame { names, columns, n_rows, dropped_rows }))
}

/// Appends the chunks' columns to the file's, in chunk order, a column per task.
fn append_parts(columns: &mut [Acc], parts: Vec<Part>) {
    let mut per_column: Vec<Vec<Builder>> = columns.iter().map(|_| Vec::new()).collect();
    for part in parts {
        per_column.iter_mut().zip(part.columns).for_each(|(c, b)| c.push(b));
    }
    columns.par_iter_mut().zip(per_column).for_each(|(column, builders)| {
        builders.into_iter().for_each(|b| column.add(b));
    });
}

/// The columns in the order `asked` names them (file order when all are read).
fn in_asked_order(
    names: Vec<String>,
    columns: Vec<Column>,
    asked: Option<&[String]>,
) -> (Vec<String>, Vec<Column>) {
    let Some(asked) = asked else { return (names, columns) };
    let mut pairs: Vec<(String, Column)> = names.into_iter().zip(columns).collect();
    pairs.sort_by_key(|(name, _)| asked.iter().position(|a| a == name));
    pairs.into_iter().unzip()
}

/// The frame of the rows of one block, for a stream read in batches: a value that is not a
/// number in a column read as numbers is an error, and so, when `check_typos` (the first block),
/// is a text column of numbers with a stray word.
pub(crate) fn block_frame(
    data: &[u8],
    first_line: usize,
    layout: &Layout,
    rules: &Rules,
    check_typos: bool,
    shown: &str,
) -> Result<Frame> {
    let parts = parse_block(data, first_line, &layout.kinds, rules, &layout.names, shown)?;
    let mut columns: Vec<Acc> = layout.kinds.iter().map(|&k| Acc::new(k)).collect();
    let n_rows = parts.iter().map(|p| p.rows).sum();
    let dropped_rows = parts.iter().map(|p| p.dropped).sum();
    append_parts(&mut columns, parts);
    let mut names = Vec::new();
    let mut kept = Vec::new();
    for (name, column) in layout.names.iter().zip(columns) {
        if let Acc::Numeric(Numbers { first_other: Some((line, value)), .. }) = &column {
            return Err(Error::Parse {
                path: shown.to_owned(),
                line: *line,
                column: name.clone(),
                msg: format!(
                    "`{value}` is not a number, but the column held numbers in the first rows \
                     of the file: correct the value, or read the column as categorical"
                ),
            });
        }
        if let Some(column) = column.finish(name, check_typos, rules.categorical, shown)? {
            names.push(name.clone());
            kept.push(column);
        }
    }
    let (names, columns) = in_asked_order(names, kept, rules.columns);
    Ok(Frame { names, columns, n_rows, dropped_rows })
}

/// Parses the rows of one block (whole records) on all cores.
fn parse_block(
    data: &[u8],
    first_line: usize,
    kinds: &[Kind],
    rules: &Rules,
    names: &[String],
    shown: &str,
) -> Result<Vec<Part>> {
    let chunks = split_chunks(data, first_line, rules.parallel);
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
struct Part {
    columns: Vec<Builder>,
    rows: usize,
    dropped: usize,
    /// The newlines of the chunk, when they were counted.
    newlines: Option<usize>,
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
/// chunk when the data are small. Each chunk's newlines are counted, and its simplicity checked,
/// on all cores.
fn split_chunks(data: &[u8], first_line: usize, parallel: bool) -> Vec<Chunk<'_>> {
    let threads = rayon::current_num_threads();
    if !parallel || threads == 1 || data.len() < 2 * MIN_CHUNK {
        let simple = parallel && is_simple(data);
        return vec![Chunk { bytes: data, first_line, simple, newlines: None }];
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
    let looks: Vec<(usize, bool)> =
        slices.par_iter().map(|s| (count_newlines(s), is_simple(s))).collect();
    if !looks.iter().all(|&(_, simple)| simple) {
        let lines = looks.iter().map(|&(n, _)| n).sum();
        return vec![Chunk { bytes: data, first_line, simple: false, newlines: Some(lines) }];
    }
    let mut line = first_line;
    let mut chunks = Vec::with_capacity(slices.len());
    for (bytes, (lines, _)) in slices.into_iter().zip(looks) {
        chunks.push(Chunk { bytes, first_line: line, simple: true, newlines: Some(lines) });
        line += lines;
    }
    chunks
}

/// Which columns hold text, from the first kept rows: a value that is neither missing nor a
/// number makes its column text; a column not `selected` is skipped. Only a guess that saves a
/// second reading; the result is the same without it.
fn guess_kinds(data: &[u8], selected: &[bool], rules: &Rules) -> Vec<Kind> {
    let width = selected.len();
    let mut kinds: Vec<Kind> =
        selected.iter().map(|&s| if s { Kind::Numeric } else { Kind::Skip }).collect();
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
            if *kind == Kind::Numeric && parse_number(trim(field)).is_none() {
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
#[inline]
fn trim(field: &[u8]) -> &[u8] {
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
fn is_missing(field: &[u8], missing: &[String]) -> bool {
    missing.iter().any(|m| m.len() == field.len() && m.as_bytes() == field)
}

/// Whether `data` has no quote character, and a carriage return only before a newline.
fn is_simple(data: &[u8]) -> bool {
    memchr::memchr2_iter(b'"', b'\r', data)
        .all(|i| data[i] == b'\r' && data.get(i + 1) == Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, block_bytes: usize, rules: &Rules) -> Result<Frame> {
        let bytes = text.as_bytes().to_vec();
        let open =
            move || -> Result<Box<dyn Read>> { Ok(Box::new(std::io::Cursor::new(bytes.clone()))) };
        parse_frame_in_blocks(&open, Some(text.len() as u64), rules, "t.csv", block_bytes)
    }

    fn rules(missing: &[String]) -> Rules<'_> {
        Rules {
            delimiter: b',',
            missing,
            drop_missing: true,
            parallel: true,
            columns: None,
            categorical: &[],
        }
    }

    /// Small blocks cut the file everywhere: inside quoted fields, between CR and LF, before a
    /// column turns to text; every cut gives the frame (and the errors) of one big block.
    #[test]
    fn any_block_size_gives_the_same_frame() {
        let missing = vec!["NA".to_owned()];
        let rules = rules(&missing);
        let mut text = String::from("\u{feff}id,name,x\r\n");
        for i in 0..60 {
            let name = match i % 4 {
                0 => "\"two\nlines\"".to_owned(),
                1 => format!("\"q\"\"{i}\""),
                2 => "plain".to_owned(),
                _ => "NA".to_owned(),
            };
            text.push_str(&format!("{i},{name},{}\r\n", f64::from(i) / 7.0));
            if i % 9 == 0 {
                text.push('\n');
            }
        }
        let whole = parse(&text, 1 << 20, &rules).unwrap();
        assert_eq!((whole.n_rows, whole.dropped_rows), (45, 15));
        for block in 1..80 {
            assert_eq!(parse(&text, block, &rules).unwrap(), whole, "block {block}");
        }
        let ragged = format!("{text}1,2\n");
        let line = 2 + 60 + 15 + 7; // header, rows, quoted newlines, blank lines
        for block in [1, 7, 64, 1 << 20] {
            let err = parse(&ragged, block, &rules).unwrap_err();
            assert!(matches!(err, Error::Format { line: l, .. } if l == line), "{block}: {err}");
        }
    }

    /// The fast lane for lines of plain numbers (`csv_fast.rs`) and the `csv` crate's reading
    /// give the same frame, or the same error, on lines that mix numbers with everything the lane
    /// must hand on: spaces, markers, blank lines, CRLF, non-finite values, words, ragged rows.
    #[test]
    fn the_fast_lane_reads_as_the_csv_crate_does() {
        let values = [
            "1.5", "-2e3", "0.1", "7", "3.25", "1e-300", " 7", "8 ", "NA", "", "NaN", "inf", "1e",
            "x", "+4", ".5",
        ];
        let missing = vec!["NA".to_owned(), "".to_owned(), "NaN".to_owned()];
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        let (mut same_frames, mut same_errors) = (0, 0);
        for _ in 0..400 {
            let mut text = String::from("a,b,c\n");
            for _ in 0..12 {
                let width = if next(40) == 0 { 2 } else { 3 };
                let fields: Vec<&str> = (0..width)
                    .map(
                        |_| if next(5) == 0 { values[next(values.len())] } else { values[next(6)] },
                    )
                    .collect();
                text.push_str(&fields.join(","));
                text.push_str(if next(8) == 0 { "\r\n" } else { "\n" });
                if next(20) == 0 {
                    text.push('\n');
                }
            }
            let fast = parse(&text, 1 << 20, &rules(&missing));
            let slow = parse(&text, 1 << 20, &Rules { parallel: false, ..rules(&missing) });
            match (fast, slow) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{text}");
                    same_frames += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{text}");
                    same_errors += 1;
                }
                (a, b) => panic!("{text}\nfast: {a:?}\nslow: {b:?}"),
            }
        }
        assert!(same_frames > 50 && same_errors > 50, "{same_frames} frames, {same_errors} errors");
    }
}
