//! One way in for every table file: [`read_table`] reads a CSV, TSV or Parquet file (gzipped
//! text too) into a [`Frame`] of typed columns, and [`read_batches`] streams it as frames of a
//! fixed number of rows in bounded memory. The format comes from the file name or is given;
//! [`ReadOptions`] holds every reading rule (missing values, columns to read, columns that are
//! categories), so that fitting, training, prediction and evaluation all read files the same way.
//! scikit-learn's bundled CSV files (`iris.csv`) are recognised here and read as tables.

use std::path::Path;

use super::csv::{open_bytes, read_csv_with_header};
use super::csv_batches::CsvBatches;
use super::frame::Frame;
use super::parquet::{parquet_batches, read_parquet};
use super::read_options::{Format, ReadOptions};
use super::sklearn::{is_sklearn_layout, read_sklearn_frame};
use crate::error::{Error, Result};

/// Reads a table file into a [`Frame`]: CSV and TSV as [`read_csv`] describes (gzipped when the
/// name ends in `.gz`), Parquet as [`read_parquet`](super::read_parquet) does.
pub fn read_table(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Frame> {
    let path = path.as_ref();
    match Format::resolve(options.format, path) {
        Format::Csv => read_csv(path, options),
        Format::Tsv => read_csv_with_header(path, &tab_separated(options)),
        Format::Parquet => read_parquet(path, options),
        Format::Libsvm | Format::Vw => Err(not_a_table(path)),
    }
}

/// Reads a CSV file with a header row into a [`Frame`]. Files whose name ends in `.gz` are gunzipped.
///
/// Fields may be quoted; whitespace around fields is trimmed; blank lines are skipped; a UTF-8 byte
/// order mark and CRLF line ends are allowed. A column is numeric when every value parses as a
/// number, categorical (levels sorted) otherwise; but a value that is not a number in a column of
/// numbers (at least 90% of its values) is an [`Error::Parse`] naming the line, unless the column
/// is listed in [`ReadOptions::categorical`]. A missing value (see [`ReadOptions::missing`]) is
/// an [`Error::Parse`] naming the file, the line and the column, unless `drop_missing` is set. An
/// empty file, a missing or duplicate column name, or a row with the wrong number of fields is an
/// [`Error::Format`]. The file is read in blocks of a few megabytes, each parsed on all rayon
/// threads when it has no quoted field (see [`ReadOptions::parallel`]), so memory holds the
/// columns and one block, never the whole file. `ReadOptions::format` is not looked at: the
/// delimiter is [`ReadOptions::delimiter`] or a comma.
///
/// A comma-separated file in scikit-learn's layout (`iris.csv`: a first line
/// `n_rows,n_features,class names...`, then the features and the class code last) is read as if
/// it had a header: the features named as scikit-learn names them for its three bundled sets
/// (`sepal_length`, ...; `feature_0`, ... for another file), then the class column `target`
/// holding the class names (see [`read_sklearn_csv`](super::read_sklearn_csv)).
pub fn read_csv(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Frame> {
    let path = path.as_ref();
    if is_sklearn(path, options) {
        return read_sklearn_frame(path, options);
    }
    read_csv_with_header(path, options)
}

/// Streams a table file as frames of `rows` rows (the last may be shorter, and so may a Parquet
/// file's at the end of each row group), holding one block of the file and one frame in memory. Each frame's categorical columns have the levels its rows
/// hold (sorted), as if the frame were a file of its own. The column types are settled by the
/// first block of the file: a later value that is not a number in a column of numbers is an
/// error, unless the column is listed in [`ReadOptions::categorical`], which a stream always
/// reads as categories.
pub fn read_batches(
    path: impl AsRef<Path>,
    options: &ReadOptions,
    rows: usize,
) -> Result<Box<dyn Iterator<Item = Result<Frame>>>> {
    let path = path.as_ref();
    if rows == 0 {
        return Err(Error::invalid("rows", 0, "a batch has at least one row"));
    }
    match Format::resolve(options.format, path) {
        // A small file in scikit-learn's layout is read whole and cut into batches.
        Format::Csv if is_sklearn(path, options) => {
            let frame = read_sklearn_frame(path, options)?;
            let n = frame.n_rows;
            let batches = (0..n).step_by(rows).map(move |s| Ok(frame.slice(s..n.min(s + rows))));
            Ok(Box::new(batches))
        }
        Format::Csv => Ok(Box::new(CsvBatches::open(path, options.clone(), rows)?)),
        Format::Tsv => Ok(Box::new(CsvBatches::open(path, tab_separated(options), rows)?)),
        Format::Parquet => Ok(Box::new(parquet_batches(path, options, rows)?)),
        Format::Libsvm | Format::Vw => Err(not_a_table(path)),
    }
}

/// The column names of a table file, without reading its rows: a CSV or TSV file's header line
/// (fields trimmed), a Parquet file's schema (through its first batch), the names
/// [`read_csv`] gives a file in scikit-learn's layout.
pub fn read_column_names(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<String>> {
    let path = path.as_ref();
    let delimiter = match Format::resolve(options.format, path) {
        Format::Csv if is_sklearn(path, options) => b',',
        Format::Csv => options.delimiter.unwrap_or(b','),
        Format::Tsv => options.delimiter.unwrap_or(b'\t'),
        Format::Parquet | Format::Libsvm | Format::Vw => {
            let first = read_batches(path, options, 1)?.next().transpose()?;
            return Ok(first.map(|f| f.names).unwrap_or_default());
        }
    };
    if is_sklearn(path, options) {
        return Ok(read_sklearn_frame(path, options)?.names);
    }
    let shown = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(open_bytes(path)?);
    let mut record = csv::ByteRecord::new();
    let read = reader
        .read_byte_record(&mut record)
        .map_err(|e| Error::Io { path: shown.clone(), msg: e.to_string() })?;
    if !read {
        return Err(Error::Format { path: shown, line: 1, msg: "empty file: no header".into() });
    }
    let text =
        |f: &[u8]| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').to_owned();
    Ok(record.iter().map(text).collect())
}

/// The error for a LibSVM or Vowpal Wabbit file where a table is needed.
fn not_a_table(path: &Path) -> Error {
    let msg = if Format::of(path) == Some(Format::Vw) {
        "a Vowpal Wabbit file holds sparse rows, not a table of named columns: stream it with \
         vw_batches (`axon fit --stream` takes it directly)"
    } else {
        "a LibSVM file holds sparse rows, not a table of named columns: read it with \
         read_libsvm (`axon fit` takes it directly)"
    };
    Error::Io { path: path.display().to_string(), msg: msg.into() }
}

/// Whether `path`, read with `options`, is a comma-separated file in scikit-learn's layout.
fn is_sklearn(path: &Path, options: &ReadOptions) -> bool {
    options.delimiter.is_none_or(|d| d == b',') && is_sklearn_layout(path)
}

/// `options` with a tab as the delimiter unless one is set.
fn tab_separated(options: &ReadOptions) -> ReadOptions {
    ReadOptions { delimiter: Some(options.delimiter.unwrap_or(b'\t')), ..options.clone() }
}
