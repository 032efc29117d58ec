//! Reading Parquet files (the columnar format data scientists keep tables in) into a [`Frame`],
//! through the Rust Arrow implementation's `parquet` crate: only the columns asked for are
//! decoded, the pieces of a file (row groups, and groups of columns when there are fewer row
//! groups than threads) are decoded in parallel on the rayon threads, and the frame is the one
//! the CSV reader makes of the same table. [`parquet_batches`] reads a file a batch of rows at a
//! time instead, with memory bounded by the batch. A file that is not Parquet, or is damaged, is
//! an error naming it, never a panic.

use std::fs::File;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use ::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use ::parquet::arrow::ProjectionMask;
use arrow_array::RecordBatch;
use rayon::prelude::*;

use super::frame::{first_duplicate, Frame};
use super::parquet_column::{assemble, numeric_type, Piece};
use super::read_options::ReadOptions;
use crate::error::{Error, Result};

/// The rows decoded at a time by one reader.
const BATCH_ROWS: usize = 1 << 16;

/// Reads a Parquet file into a [`Frame`], the columns [`ReadOptions::columns`] names (in that
/// order) or all; of the other options only `drop_missing` applies.
///
/// Integer, floating-point, decimal and boolean (0/1) columns become numeric columns; string
/// columns (plain, large, view or dictionary-encoded) become categorical columns with levels in
/// byte order, as the CSV reader makes them; a column of another type (dates, times, binary,
/// lists, structs) is an [`Error::Format`] naming it and its type, when it is read. A null or a
/// non-finite number (NaN, ±inf) is a missing value: an [`Error::Parse`] naming the row (1-based,
/// counting every row of the file) and the column, unless `drop_missing` is set. (Text values are
/// taken as they are: `NA` or an empty string is a level, not missing, since Parquet has nulls.)
///
/// A file that cannot be opened is an [`Error::Io`]; one that is not Parquet or is damaged, an
/// unknown column in [`ReadOptions::columns`], and a file with no rows (or none left after
/// dropping) are [`Error::Format`]s naming the file (with `line` 0: a binary file has no lines).
pub fn read_parquet(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Frame> {
    let table = Table::open(path.as_ref(), options)?;
    let groups = table.metadata.metadata().num_row_groups();
    let tasks = table.tasks(groups, rayon::current_num_threads());
    let decoded = tasks
        .par_iter()
        .map(|(group, columns)| guarded(&table.shown, || table.decode(*group, columns)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    // The pieces of each row group, the columns in the frame's order.
    let width = table.roots.len();
    let mut pieces: Vec<Vec<Option<Piece>>> =
        (0..groups).map(|_| (0..width).map(|_| None).collect()).collect();
    for ((group, columns), decoded) in tasks.into_iter().zip(decoded) {
        for (j, piece) in columns.into_iter().zip(decoded) {
            pieces[group][j] = Some(piece);
        }
    }
    let pieces = pieces.into_iter().map(|p| p.into_iter().flatten().collect()).collect();
    let frame = assemble(pieces, table.names.clone(), options.drop_missing, 0, &table.shown)?;
    if frame.n_rows == 0 {
        return Err(table.no_rows(frame.dropped_rows));
    }
    Ok(frame)
}

/// Reads a Parquet file `batch_rows` rows at a time (see [`ParquetBatches`]), with the types,
/// missing-value rules and errors of [`read_parquet`]. Opening checks the file, the columns and
/// their types; a file with no rows is an error here.
pub fn parquet_batches(
    path: impl AsRef<Path>,
    options: &ReadOptions,
    batch_rows: usize,
) -> Result<ParquetBatches> {
    parquet_group_batches(path, options, batch_rows, None)
}

/// The number of row groups of a Parquet file (how it can be shared between processes).
pub fn parquet_row_groups(path: impl AsRef<Path>, options: &ReadOptions) -> Result<usize> {
    Ok(Table::open(path.as_ref(), options)?.metadata.metadata().num_row_groups())
}

/// [`parquet_batches`] of the row groups `groups` only (all of them for `None`), in order.
pub fn parquet_group_batches(
    path: impl AsRef<Path>,
    options: &ReadOptions,
    batch_rows: usize,
    groups: Option<&[usize]>,
) -> Result<ParquetBatches> {
    if batch_rows == 0 {
        return Err(Error::invalid("batch_rows", 0, "a batch must have at least one row"));
    }
    let table = Table::open(path.as_ref(), options)?;
    if table.metadata.metadata().file_metadata().num_rows() == 0 {
        return Err(table.no_rows(0));
    }
    let file = table.open_file()?;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, table.metadata.clone())
        .with_projection(table.projection(&table.roots))
        .with_batch_size(batch_rows);
    let reader = match groups {
        Some(groups) => reader.with_row_groups(groups.to_vec()),
        None => reader,
    };
    let reader = reader.build().map_err(|e| table.corrupt(e))?;
    let order = table.file_order(&(0..table.roots.len()).collect::<Vec<_>>());
    Ok(ParquetBatches {
        reader,
        order,
        drop_missing: options.drop_missing,
        rows: 0,
        kept: 0,
        dropped: 0,
        done: false,
        table,
    })
}

/// The frames of a Parquet file, `batch_rows` rows (or fewer) each, in file order, one record
/// batch decoded at a time. Each frame is a table of its own: a categorical column has the
/// levels of its batch's rows only (sorted), so codes are per batch, not per file; map them
/// through the levels. Rows with a missing value, when dropped, are counted in the
/// `dropped_rows` of their batch's frame, which may then have no rows. An error ends the
/// iteration; so does a file all of whose rows were dropped, with an error at the end.
pub struct ParquetBatches {
    reader: ParquetRecordBatchReader,
    table: Table,
    /// For each column of a frame, its position in a record batch (which is in file order).
    order: Vec<usize>,
    drop_missing: bool,
    /// The rows read so far, kept and dropped.
    rows: usize,
    kept: usize,
    dropped: usize,
    done: bool,
}

impl ParquetBatches {
    /// The frame of one record batch.
    fn frame(&mut self, batch: &RecordBatch) -> Result<Frame> {
        let rows = batch.num_rows();
        let mut pieces: Vec<Piece> =
            self.table.numeric.iter().map(|&n| Piece::new(n, rows)).collect();
        for (j, (piece, &at)) in pieces.iter_mut().zip(&self.order).enumerate() {
            let column =
                batch.columns().get(at).ok_or_else(|| self.table.corrupt("a column is missing"))?;
            piece.push(column.as_ref()).map_err(|msg| self.table.column_error(j, &msg))?;
        }
        let names = self.table.names.clone();
        let frame = assemble(vec![pieces], names, self.drop_missing, self.rows, &self.table.shown)?;
        self.rows += batch.num_rows();
        self.kept += frame.n_rows;
        self.dropped += frame.dropped_rows;
        Ok(frame)
    }
}

impl Iterator for ParquetBatches {
    type Item = Result<Frame>;

    fn next(&mut self) -> Option<Result<Frame>> {
        if self.done {
            return None;
        }
        let next = guarded(&self.table.shown, || Ok(self.reader.next()));
        let item = match next {
            Err(e) => Err(e),
            Ok(Some(Ok(batch))) => self.frame(&batch),
            Ok(Some(Err(e))) => Err(self.table.corrupt(e)),
            Ok(None) if self.kept == 0 => Err(self.table.no_rows(self.dropped)),
            Ok(None) => {
                self.done = true;
                return None;
            }
        };
        self.done = item.is_err();
        Some(item)
    }
}

/// A Parquet file opened for reading: its metadata, read once and shared by every reader, and
/// the columns to read.
struct Table {
    path: PathBuf,
    /// The path as errors show it.
    shown: String,
    metadata: ArrowReaderMetadata,
    /// The frame's columns: their names, their top-level field in the file, and whether each is
    /// read as numbers.
    names: Vec<String>,
    roots: Vec<usize>,
    numeric: Vec<bool>,
}

impl Table {
    /// Opens `path`, reads its metadata and checks the columns `options` asks for.
    fn open(path: &Path, options: &ReadOptions) -> Result<Table> {
        let shown = path.display().to_string();
        let file =
            File::open(path).map_err(|e| Error::Io { path: shown.clone(), msg: e.to_string() })?;
        let metadata = guarded(&shown, || {
            ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
                .map_err(|e| format_error(&shown, format!("not a readable Parquet file: {e}")))
        })?;
        let length = file
            .metadata()
            .map_err(|e| Error::Io { path: shown.clone(), msg: e.to_string() })?
            .len();
        check_chunks(&metadata, length, &shown)?;
        let fields = metadata.schema().fields();
        let all: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        let roots: Vec<usize> = match &options.columns {
            None => (0..fields.len()).collect(),
            Some(names) => names
                .iter()
                .map(|name| {
                    all.iter().position(|n| n == name).ok_or_else(|| {
                        let msg =
                            format!("no column `{name}`; the columns are: {}", all.join(", "));
                        format_error(&shown, msg)
                    })
                })
                .collect::<Result<_>>()?,
        };
        let names: Vec<String> = roots.iter().map(|&r| all[r].to_owned()).collect();
        if names.is_empty() {
            return Err(format_error(&shown, "no columns to read".into()));
        }
        if let Some(dup) = first_duplicate(&names) {
            return Err(format_error(&shown, format!("column `{dup}` is named twice")));
        }
        let mut numeric = Vec::with_capacity(roots.len());
        for (&root, name) in roots.iter().zip(&names) {
            let data_type = fields[root].data_type();
            numeric.push(numeric_type(data_type).ok_or_else(|| {
                let msg = format!(
                    "column `{name}` has type {data_type}; axon reads integer, floating-point, \
                     decimal, boolean and string columns"
                );
                format_error(&shown, msg)
            })?);
        }
        Ok(Table { path: path.to_owned(), shown, metadata, names, roots, numeric })
    }

    /// The pieces to decode, enough to keep `threads` threads busy: every row group with every
    /// column when there are many row groups, else each row group's columns cut into groups.
    /// Each is a row group and the frame's columns it decodes.
    fn tasks(&self, groups: usize, threads: usize) -> Vec<(usize, Vec<usize>)> {
        let width = self.roots.len();
        let column_groups = (2 * threads).div_ceil(groups.max(1)).clamp(1, width);
        // The frame's columns in file order, so that each group reads one stretch of the file.
        let mut by_file: Vec<usize> = (0..width).collect();
        by_file.sort_by_key(|&j| self.roots[j]);
        let size = width.div_ceil(column_groups);
        let mut tasks = Vec::with_capacity(groups * column_groups);
        for group in 0..groups {
            tasks.extend(by_file.chunks(size).map(|columns| (group, columns.to_vec())));
        }
        tasks
    }

    /// Decodes the frame's `columns` (in file order) of row group `group`.
    fn decode(&self, group: usize, columns: &[usize]) -> Result<Vec<Piece>> {
        // A file of its own: the `parquet` crate's readers seek a shared file offset.
        let file = self.open_file()?;
        let roots: Vec<usize> = columns.iter().map(|&j| self.roots[j]).collect();
        let reader =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
                .with_row_groups(vec![group])
                .with_projection(self.projection(&roots))
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| self.corrupt(e))?;
        // The footer's row count, trusted only as far as a reservation goes.
        let rows = self.metadata.metadata().row_group(group).num_rows();
        let rows = usize::try_from(rows).unwrap_or(0).min(1 << 22);
        let mut pieces: Vec<Piece> =
            columns.iter().map(|&j| Piece::new(self.numeric[j], rows)).collect();
        let order = self.file_order(columns);
        for batch in reader {
            let batch = batch.map_err(|e| self.corrupt(e))?;
            for ((piece, &at), &j) in pieces.iter_mut().zip(&order).zip(columns) {
                let column =
                    batch.columns().get(at).ok_or_else(|| self.corrupt("a column is missing"))?;
                piece.push(column.as_ref()).map_err(|msg| self.column_error(j, &msg))?;
            }
        }
        Ok(pieces)
    }

    /// The projection that decodes the top-level fields `roots`.
    fn projection(&self, roots: &[usize]) -> ProjectionMask {
        ProjectionMask::roots(self.metadata.parquet_schema(), roots.iter().copied())
    }

    /// For each of the frame's `columns`, its position in a record batch of just those columns
    /// (a projection keeps file order).
    fn file_order(&self, columns: &[usize]) -> Vec<usize> {
        columns
            .iter()
            .map(|&j| columns.iter().filter(|&&k| self.roots[k] < self.roots[j]).count())
            .collect()
    }

    fn open_file(&self) -> Result<File> {
        File::open(&self.path)
            .map_err(|e| Error::Io { path: self.shown.clone(), msg: e.to_string() })
    }

    /// A decoding failure: the file is damaged.
    fn corrupt(&self, e: impl std::fmt::Display) -> Error {
        format_error(&self.shown, format!("damaged Parquet file: {e}"))
    }

    /// A column whose values are not of its schema's type.
    fn column_error(&self, j: usize, msg: &str) -> Error {
        format_error(&self.shown, format!("damaged Parquet file: column `{}` {msg}", self.names[j]))
    }

    /// The error for a file that has no rows, or none left after dropping `dropped`.
    fn no_rows(&self, dropped: usize) -> Error {
        let msg = match dropped {
            0 => "no data rows".to_owned(),
            n => format!("all {n} data rows have a missing value and were dropped"),
        };
        format_error(&self.shown, msg)
    }
}

/// Checks that every column chunk the footer describes lies within the file: the `parquet` crate
/// asserts (panics) on a negative offset or size when it comes to read the chunk.
fn check_chunks(metadata: &ArrowReaderMetadata, length: u64, shown: &str) -> Result<()> {
    for (g, group) in metadata.metadata().row_groups().iter().enumerate() {
        for chunk in group.columns() {
            let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
            let size = chunk.compressed_size();
            let inside = u64::try_from(start).ok().zip(u64::try_from(size).ok()).is_some_and(
                |(start, size)| start.checked_add(size).is_some_and(|end| end <= length),
            );
            if !inside {
                let msg = format!(
                    "damaged Parquet file: row group {g}, column `{}`: {size} bytes at offset \
                     {start} do not lie within the file's {length} bytes",
                    chunk.column_path()
                );
                return Err(format_error(shown, msg));
            }
        }
    }
    Ok(())
}

/// Runs a call into the `parquet` crate, turning a panic into an error naming the file. The
/// crate (60.1) panics on some damaged files instead of returning an error: the damaged-file
/// tests in `tests/parquet.rs` found a bitmap slice out of bounds (`arrow-buffer`), a dictionary
/// page without its decoder, a decimal's dictionary index out of range, a byte-stream-split
/// index out of bounds, and an `assert!` on negative column offsets (which [`check_chunks`] now
/// reports first). So every decoding call goes through here. The panic hook still prints the
/// panic's message; the caller gets an [`Error::Format`].
fn guarded<T>(shown: &str, call: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        Err(format_error(shown, format!("damaged Parquet file: the decoder failed ({what})")))
    })
}

fn format_error(shown: &str, msg: String) -> Error {
    Error::Format { path: shown.to_owned(), line: 0, msg }
}
