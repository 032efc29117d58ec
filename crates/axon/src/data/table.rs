//! One way in for every table file: [`read_table`] reads a CSV, TSV or Parquet file (gzipped
//! text too) into a [`Frame`] of typed columns, and [`read_batches`] streams it as frames of a
//! fixed number of rows in bounded memory. The format comes from the file name or is given;
//! [`ReadOptions`] holds every reading rule (missing values, columns to read, columns that are
//! categories), so that fitting, training, prediction and evaluation all read files the same way.

use std::path::Path;

use super::csv::read_csv;
use super::csv_batches::CsvBatches;
use super::frame::Frame;
use super::parquet::{parquet_batches, read_parquet};
use super::read_options::{Format, ReadOptions};
use crate::error::{Error, Result};

/// Reads a table file into a [`Frame`]: CSV and TSV as [`read_csv`] describes (gzipped when the
/// name ends in `.gz`), Parquet as [`read_parquet`](super::read_parquet) does.
pub fn read_table(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Frame> {
    let path = path.as_ref();
    match Format::resolve(options.format, path) {
        Format::Csv => read_csv(path, options),
        Format::Tsv => read_csv(path, &tab_separated(options)),
        Format::Parquet => read_parquet(path, options),
        Format::Libsvm => Err(not_a_table(path)),
    }
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
        Format::Csv => Ok(Box::new(CsvBatches::open(path, options.clone(), rows)?)),
        Format::Tsv => Ok(Box::new(CsvBatches::open(path, tab_separated(options), rows)?)),
        Format::Parquet => Ok(Box::new(parquet_batches(path, options, rows)?)),
        Format::Libsvm => Err(not_a_table(path)),
    }
}

/// The error for a LibSVM file where a table is needed.
fn not_a_table(path: &Path) -> Error {
    Error::Io {
        path: path.display().to_string(),
        msg: "a LibSVM file holds sparse rows, not a table of named columns: read it with \
              read_libsvm (`axon fit` takes it directly)"
            .into(),
    }
}

/// `options` with a tab as the delimiter unless one is set.
fn tab_separated(options: &ReadOptions) -> ReadOptions {
    ReadOptions { delimiter: Some(options.delimiter.unwrap_or(b'\t')), ..options.clone() }
}
