//! [`fit_stream`], an online fit over a file of any size in bounded memory: one or more passes,
//! each reading the file in batches (a table through `read_batches` and [`HashedColumns`], or a
//! Vowpal Wabbit file through `vw_batches`), every batch learned row by row. A CSV or TSV table
//! is hashed straight from its lines (`hashed_csv_batches`), a Parquet file through frames.
//! Batches are read and featurized on a thread of their own while the previous one is learned;
//! memory holds the model's arrays and at most four batches. With a checkpoint file the state is saved every so many rows
//! and at the end of each pass; a fit started from a checkpoint skips the rows of the current
//! pass that it has already learned from, so it ends exactly where an uninterrupted one does.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::checkpoint::save_checkpoint;
use super::learner::{OnlineModel, Report};
use crate::data::{
    hashed_csv_batches_from, open_part, parquet_group_batches, parquet_row_groups, read_batches,
    vw_batches_from, Column, FilePart, Format, Frame, HashedColumns, Layout, ReadOptions, Span,
};
use crate::distributed::{Communicator, Single};
use crate::error::{Error, Result};
use crate::sparse::Csr;

/// Where the rows of a stream come from.
#[derive(Debug, Clone)]
pub enum StreamSource {
    /// A table file (CSV, TSV, Parquet; gzipped text too) read in batches: the `target`
    /// column is the label (0/1 or −1/1), `features` makes the rows.
    Table { path: PathBuf, read: ReadOptions, target: String, features: HashedColumns },
    /// A Vowpal Wabbit text file hashed into `2^bits` columns.
    Vw { path: PathBuf, bits: u32 },
}

/// The rows each process learns between two merges when several share a stream.
pub const DEFAULT_SYNC_ROWS: u64 = 16_384;

/// How [`fit_stream`] runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOptions {
    /// Passes over the file (at least 1); a resumed fit runs the passes it has left.
    pub passes: u32,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Save the state here (atomically) every `checkpoint_rows` rows and after each pass.
    pub checkpoint: Option<PathBuf>,
    pub checkpoint_rows: u64,
    /// The caller's description of the settings, stored in checkpoints.
    pub settings: String,
    /// Stop (and checkpoint) after the first batch that brings the rows learned to this many.
    pub stop_after: Option<u64>,
    /// With several processes: the rows each learns between two merges of their models.
    pub sync_rows: u64,
    /// With several processes resuming a checkpoint: its places, the rows of the current pass
    /// each process had learned, by rank ([`super::Saved::places`]).
    pub places: Vec<u64>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            passes: 1,
            batch_rows: 65_536,
            checkpoint: None,
            checkpoint_rows: 1 << 22,
            settings: String::new(),
            stop_after: None,
            sync_rows: DEFAULT_SYNC_ROWS,
            places: Vec::new(),
        }
    }
}

/// What [`fit_stream`] tells its caller as it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StreamEvent {
    /// The progressive loss at a power of two rows.
    Report(Report),
    /// A batch was learned: rows of the current pass so far.
    Batch { pass: u32, rows_in_pass: u64 },
}

/// The end of a stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamSummary {
    /// Rows learned from by this call, and over the model's life.
    pub rows_now: u64,
    pub rows: u64,
    /// Passes completed.
    pub passes: u32,
    /// The mean progressive log loss over every row learned.
    pub average_loss: f64,
    pub seconds: f64,
}

/// A batch of rows: the matrix, 0/1 labels, importance weights (None: all 1).
pub(super) type SparseBatch = (Csr, Vec<f64>, Option<Vec<f64>>);

impl StreamSource {
    /// The width of the rows.
    pub fn n_features(&self) -> usize {
        match self {
            StreamSource::Table { features, .. } => features.n_features(),
            StreamSource::Vw { bits, .. } => 1 << bits,
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            StreamSource::Table { path, .. } | StreamSource::Vw { path, .. } => path,
        }
    }

    /// How the source's files are cut between processes (see [`rank_parts`]).
    ///
    /// [`rank_parts`]: crate::data::rank_parts
    pub fn layout(&self, file: &Path) -> Result<Layout> {
        match self {
            StreamSource::Table { read, .. } if delimiter(read, file).is_some() => {
                Ok(Layout::LinesWithHeader)
            }
            StreamSource::Table { read, .. } => {
                Ok(Layout::RowGroups { row_groups: parquet_row_groups(file, read)? })
            }
            StreamSource::Vw { .. } => Ok(Layout::Lines),
        }
    }

    /// The batches of `part` (a file of the source, or a part of one).
    fn batches(
        &self,
        part: &FilePart,
        rows: usize,
    ) -> Result<Box<dyn Iterator<Item = Result<SparseBatch>> + '_>> {
        let path = &part.path;
        match self {
            StreamSource::Table { read, target, features, .. }
                if delimiter(read, path).is_some() =>
            {
                let delimiter = delimiter(read, path).unwrap_or(b',');
                let batches = hashed_csv_batches_from(
                    open_part(part)?,
                    part.shown(),
                    features,
                    target,
                    delimiter,
                    rows,
                )?;
                Ok(Box::new(batches.map(|b| b.map(|(x, labels)| (x, labels, None)))))
            }
            StreamSource::Table { read, target, features, .. } => {
                let frames: Box<dyn Iterator<Item = Result<Frame>>> = match &part.span {
                    Span::RowGroups(groups) => {
                        let read = ReadOptions { format: Some(Format::Parquet), ..read.clone() };
                        Box::new(parquet_group_batches(path, &read, rows, Some(groups))?)
                    }
                    _ => read_batches(path, read, rows)?,
                };
                let path = path.clone();
                Ok(Box::new(frames.map(move |frame| {
                    let frame = frame?;
                    let labels = binary_labels(&frame, target, &path)?;
                    Ok((features.transform(&frame)?, labels, None))
                })))
            }
            StreamSource::Vw { bits, .. } => {
                let batches = vw_batches_from(open_part(part)?, part.shown(), *bits, rows)?;
                Ok(Box::new(batches.map(|b| b.map(|b| (b.x, b.labels, Some(b.weights))))))
            }
        }
    }
}

/// Calls `learn` with each batch of `parts` (in order, one part after another) until it returns
/// `false`; the batches are read and featurized on a thread of their own, up to two ahead of
/// the one being learned.
pub(super) fn each_batch(
    source: &StreamSource,
    parts: &[FilePart],
    rows: usize,
    learn: &mut dyn FnMut(SparseBatch) -> Result<bool>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<SparseBatch>>(2);
        scope.spawn(move || {
            for part in parts {
                match source.batches(part, rows) {
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    Ok(batches) => {
                        for batch in batches {
                            if tx.send(batch).is_err() {
                                return; // the learner stopped
                            }
                        }
                    }
                }
            }
        });
        // Leaving drops `rx`, which ends the reader's next send.
        for batch in rx {
            if !learn(batch?)? {
                break;
            }
        }
        Ok(())
    })
}

/// The delimiter of a CSV or TSV table (read by `hashed_csv_batches`), `None` for Parquet.
fn delimiter(read: &ReadOptions, path: &Path) -> Option<u8> {
    match Format::resolve(read.format, path) {
        Format::Csv => Some(read.delimiter.unwrap_or(b',')),
        Format::Tsv => Some(read.delimiter.unwrap_or(b'\t')),
        _ => None,
    }
}

/// The 0/1 labels of the `target` column: numbers 0/1 or −1/1, or the same as text.
fn binary_labels(frame: &Frame, target: &str, path: &Path) -> Result<Vec<f64>> {
    let bad = |value: &str| Error::Encoding {
        column: target.to_owned(),
        msg: format!("{}: label `{value}`: expected 0/1 or -1/1", path.display()),
    };
    let of = |x: f64| match x {
        1.0 => Ok(1.0),
        0.0 | -1.0 => Ok(0.0),
        _ => Err(bad(&format!("{x}"))),
    };
    match frame.column(target)? {
        Column::Numeric(xs) => xs.iter().map(|&x| of(x)).collect(),
        Column::Categorical { levels, codes } => {
            let by_level: Vec<Result<f64>> = levels
                .iter()
                .map(|l| l.trim().parse::<f64>().map_err(|_| bad(l)).and_then(of))
                .collect();
            codes.iter().map(|&c| by_level[c as usize].clone()).collect()
        }
    }
}

/// Fits `model` online to `source` (see the module docs), calling `on_event` with each report
/// and after each batch. The model may be a fresh one or one loaded from a checkpoint.
pub fn fit_stream(
    source: &StreamSource,
    model: &mut OnlineModel,
    options: &StreamOptions,
    on_event: &mut dyn FnMut(StreamEvent),
) -> Result<StreamSummary> {
    let whole = [FilePart::whole(source.path())];
    fit_stream_parts(source, &whole, model, options, &Single, on_event)
}

/// [`fit_stream`] of the files or parts of files `parts` (read one after another) as one of
/// `comm`'s processes: with one process, exactly `fit_stream` of those rows; with several, each
/// learns its own parts and the models are merged every [`StreamOptions::sync_rows`] rows and
/// at the end of each pass (see `ranks.rs`), every process ending with the same model.
pub fn fit_stream_parts(
    source: &StreamSource,
    parts: &[FilePart],
    model: &mut OnlineModel,
    options: &StreamOptions,
    comm: &dyn Communicator,
    on_event: &mut dyn FnMut(StreamEvent),
) -> Result<StreamSummary> {
    if options.passes == 0 {
        return Err(Error::invalid("passes", 0, "at least one pass"));
    }
    if source.n_features() != model.n_features() {
        return Err(Error::invalid(
            "model",
            model.n_features(),
            format!("the data is hashed into {} columns", source.n_features()),
        ));
    }
    let k = comm.size();
    let resumed = model.progress.rows > 0 || model.progress.pass > 0;
    // Each process's place in its part of the input holds only for as many processes as wrote
    // it (one process writes none).
    let by = options.places.len().max(1);
    if resumed && by != k {
        let processes =
            |n: usize| if n == 1 { "one process".to_owned() } else { format!("{n} processes") };
        return Err(Error::invalid(
            "resume",
            processes(k),
            format!(
                "the checkpoint was written by {}: each process's place in its part of the \
                 input holds only for that many; resume with {by}",
                processes(by)
            ),
        ));
    }
    if k > 1 {
        return super::ranks::fit_over_ranks(source, parts, model, options, comm, on_event);
    }
    let start = Instant::now();
    let first_row = model.progress.rows;
    let mut last_checkpoint = model.progress.rows;
    let checkpoint = |model: &OnlineModel| match &options.checkpoint {
        Some(path) => save_checkpoint(path, model, &options.settings, &[]),
        None => Ok(()),
    };
    let mut stopped = false;
    while model.progress.pass < options.passes && !stopped {
        let mut skip = model.progress.rows_in_pass;
        each_batch(source, parts, options.batch_rows, &mut |(mut x, mut labels, mut weights)| {
            if skip > 0 {
                let n = x.n_rows() as u64;
                if skip >= n {
                    skip -= n;
                    return Ok(true);
                }
                let keep: Vec<usize> = (skip as usize..n as usize).collect();
                x = x.take_rows(&keep);
                labels.drain(..skip as usize);
                if let Some(w) = weights.as_mut() {
                    w.drain(..skip as usize);
                }
                skip = 0;
            }
            for report in model.learn_batch(&x, &labels, weights.as_deref())? {
                on_event(StreamEvent::Report(report));
            }
            let p = model.progress;
            on_event(StreamEvent::Batch { pass: p.pass, rows_in_pass: p.rows_in_pass });
            if options.stop_after.is_some_and(|n| p.rows >= n) {
                checkpoint(model)?;
                stopped = true;
                return Ok(false);
            }
            if p.rows - last_checkpoint >= options.checkpoint_rows {
                checkpoint(model)?;
                last_checkpoint = p.rows;
            }
            Ok(true)
        })?;
        if stopped {
            break;
        }
        if skip > 0 {
            return Err(Error::invalid(
                "checkpoint",
                model.progress.rows_in_pass,
                format!(
                    "{} has fewer rows than the checkpoint's pass had",
                    source.path().display()
                ),
            ));
        }
        model.end_pass();
        checkpoint(model)?;
        last_checkpoint = model.progress.rows;
    }
    Ok(StreamSummary::of(model, first_row, start))
}

impl StreamSummary {
    /// The summary of `model` after a stream that started at `first_row` rows, at `start`.
    pub(super) fn of(model: &OnlineModel, first_row: u64, start: Instant) -> StreamSummary {
        let p = model.progress;
        StreamSummary {
            rows_now: p.rows - first_row,
            rows: p.rows,
            passes: p.pass,
            average_loss: p.average_loss(),
            seconds: start.elapsed().as_secs_f64(),
        }
    }
}
