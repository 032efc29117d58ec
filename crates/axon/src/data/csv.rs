//! Reading tabular data from CSV files (plain or gzipped) into a [`Frame`], with the type inference
//! and missing-value rules of R's `read.csv`, and every failure reported with the file, the line and
//! the column, so that a user's bad file is an error message and never a panic. The public
//! [`read_csv`](super::read_csv) comes through `table.rs`, which recognises scikit-learn's layout
//! first.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use csv::{StringRecord, StringRecordsIntoIter};
use flate2::read::MultiGzDecoder;

use super::read_ahead::ReadAhead;

use super::csv_table::parse_frame;
use super::frame::Frame;
use super::read_options::ReadOptions;
use crate::error::{Error, Result};

/// A stream of CSV records from a plain or gzipped file.
type Records = StringRecordsIntoIter<Box<dyn Read>>;

/// Reads a CSV file with a header row into a [`Frame`]: [`read_csv`](super::read_csv) for a file
/// that is not in scikit-learn's layout.
pub(crate) fn read_csv_with_header(path: &Path, options: &ReadOptions) -> Result<Frame> {
    let rules = options.rules(options.delimiter.unwrap_or(b','));
    let shown = path.display().to_string();
    let size = (!is_gzipped(path)).then(|| std::fs::metadata(path).ok().map(|m| m.len())).flatten();
    parse_frame(&|| open_read_ahead(path), size, &rules, &shown)
}

/// The bytes of `path` as a stream, gunzipped when its name ends in `.gz`.
pub(crate) fn open_bytes(path: &Path) -> Result<Box<dyn Read>> {
    let file = File::open(path)
        .map_err(|e| Error::Io { path: path.display().to_string(), msg: e.to_string() })?;
    Ok(if is_gzipped(path) {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file)))
    } else {
        Box::new(file)
    })
}

/// [`open_bytes`], read ahead on a thread of its own while the caller parses.
pub(crate) fn open_read_ahead(path: &Path) -> Result<Box<dyn Read>> {
    let file = File::open(path)
        .map_err(|e| Error::Io { path: path.display().to_string(), msg: e.to_string() })?;
    Ok(Box::new(if is_gzipped(path) {
        ReadAhead::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file)))
    } else {
        ReadAhead::new(file)
    }))
}

pub(crate) fn is_gzipped(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// An error for a record whose number of fields is not `width`.
pub(super) fn check_width(
    record: &StringRecord,
    width: usize,
    line: usize,
    shown: &str,
) -> Result<()> {
    if record.len() == width {
        return Ok(());
    }
    Err(Error::Format {
        path: shown.to_owned(),
        line,
        msg: format!("{} fields, but the header has {width}", record.len()),
    })
}

/// Opens `path` (gunzipping a `.gz` file) as a stream of CSV records, without a header, with rows
/// of any width (the callers check widths to report them with their line). Read them through
/// [`next_record`], which skips blank lines and trims the fields.
pub(super) fn open_records(path: &Path, delimiter: u8) -> Result<Records> {
    let reader = open_bytes(path)?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader)
        .into_records())
}

/// The next record that is not a blank line, its fields trimmed, or `None` at the end of the
/// file. The `csv` crate already skips empty lines, so a lone empty field was quoted (`""`): an
/// empty value, not a blank line; a lone field of spaces is a line of spaces, which is blank.
pub(super) fn next_record(records: &mut Records, shown: &str) -> Result<Option<StringRecord>> {
    for record in records.by_ref() {
        let mut record = record.map_err(|e| csv_error(e, shown))?;
        let spaces = record.len() == 1 && !record[0].is_empty() && record[0].trim().is_empty();
        if !spaces {
            record.trim();
            return Ok(Some(record));
        }
    }
    Ok(None)
}

/// The 1-based line a record starts on.
pub(super) fn line_of(record: &StringRecord) -> usize {
    record.position().map_or(0, |p| p.line() as usize)
}

/// A `csv` crate error (bad UTF-8, an I/O failure such as a corrupt gzip stream) as ours.
fn csv_error(e: csv::Error, shown: &str) -> Error {
    let line = e.position().map_or(0, |p| p.line() as usize);
    match e.kind() {
        csv::ErrorKind::Io(io) => Error::Io { path: shown.to_owned(), msg: io.to_string() },
        _ => Error::Format { path: shown.to_owned(), line, msg: e.to_string() },
    }
}

/// A CSV file of numbers without a header row, `rows × width` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericRows {
    pub values: Vec<f64>,
    pub width: usize,
    pub rows: usize,
    /// The line each row starts on.
    pub lines: Vec<usize>,
}

impl NumericRows {
    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        &self.values[r * self.width..(r + 1) * self.width]
    }
}

/// Reads a CSV file of finite numbers without a header row (gunzipped when it ends in `.gz`),
/// every row as wide as the first. A field that is not a finite number is an [`Error::Format`]
/// naming the line and the field (1-based), with `header_hint` added when it is on line 1.
pub fn read_numeric_csv(path: impl AsRef<Path>, header_hint: &str) -> Result<NumericRows> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let mut records = open_records(path, b',')?;
    let mut table = NumericRows { values: Vec::new(), width: 0, rows: 0, lines: Vec::new() };
    while let Some(record) = next_record(&mut records, &shown)? {
        let line = line_of(&record);
        if table.rows == 0 {
            table.width = record.len();
        }
        if record.len() != table.width {
            let msg = format!("{} fields, expected {}", record.len(), table.width);
            return Err(Error::Format { path: shown, line, msg });
        }
        for (j, field) in record.iter().enumerate() {
            match field.parse::<f64>() {
                Ok(v) if v.is_finite() => table.values.push(v),
                _ => {
                    let hint = if line == 1 { header_hint } else { "" };
                    let msg = format!("field {} `{field}` is not a finite number{hint}", j + 1);
                    return Err(Error::Format { path: shown, line, msg });
                }
            }
        }
        table.rows += 1;
        table.lines.push(line);
    }
    if table.rows == 0 {
        return Err(Error::Format { path: shown, line: 1, msg: "no rows".into() });
    }
    Ok(table)
}

/// Writes rows of text fields as CSV to `out`, quoting a field only where it needs it. Errors
/// are `std::io::Error`s, so that a caller can tell a closed pipe (`| head`) from a failure.
pub struct CsvWriter<W: Write>(csv::Writer<W>);

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W) -> Self {
        CsvWriter(csv::Writer::from_writer(out))
    }

    /// Writes one row.
    pub fn write_row<I, S>(&mut self, fields: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.0.write_record(fields).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => io,
            kind => std::io::Error::other(format!("{kind:?}")),
        })
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }

    /// Flushes and returns the writer underneath.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.0.into_inner().map_err(|e| e.into_error())
    }
}

/// A finite number, or an error naming the line and the column.
pub(super) fn parse_number(field: &str, line: usize, column: &str, shown: &str) -> Result<f64> {
    match field.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(Error::Parse {
            path: shown.to_owned(),
            line,
            column: column.to_owned(),
            msg: format!("`{field}` is not a finite number"),
        }),
    }
}
