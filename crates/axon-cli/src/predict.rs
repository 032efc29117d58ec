//! `axon predict`: a saved model (linear or network) applied to the rows of a data file, written
//! as CSV to stdout, one output row per input row in order: the row's id (its number in the
//! file, or the value of the `--id` column), the predicted class and, with `--proba`, one
//! probability column per class (`--log-odds` adds a binary model's log-odds).
//!
//! The library reads the rows in the layout the model was trained on and applies the model's
//! own encoder or scaling to the raw values. A table file (CSV, TSV or Parquet, plain or gzip)
//! is streamed: read in batches of `--batch-rows` rows (`SavedModel::read_batches`), each scored
//! and written before the next is read, so memory holds one batch whatever the file's size, and
//! an error names the file and the row (its line) counted from the start of the file. A
//! header-less CSV file or an IDX folder's test files are read whole (`SavedModel::read`).
//! `--out FILE` writes the predictions to a temporary file renamed over FILE at the end, so an
//! interrupted run never leaves a partial FILE; without it they go to stdout as they come. A
//! model on sentence embeddings (`axon fit --encoder`) embeds each batch's texts by its encoder,
//! checked against the digests the model file keeps (`--encoder DIR` loads it from elsewhere).

use std::path::PathBuf;

use axon::data::{CsvWriter, Examples, Features, Format, Labels, ReadOptions, Source};
use axon::io::AtomicWriter;
use axon::metrics::argmax;
use axon::model::{SavedModel, Scores};
use clap::Args;

use crate::options::FormatArg;
use crate::output::{OutputError, Stream};

/// Rows per batch of a streamed table file.
const BATCH_ROWS: usize = 65_536;

/// Arguments of `axon predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model file written by `axon fit --out` or `axon train --out`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The CSV file with the model's feature columns (other columns, the target too, are ignored),
    /// or for a network trained on a header-less CSV file or an IDX folder, the same layout (an
    /// IDX folder's test files), or for a model fitted on a LibSVM file, a LibSVM file (features
    /// the model has not seen are ignored, as LIBLINEAR does). A missing value is an error naming
    /// its row and column.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// The format of --data [default: from the file name: .csv, .tsv, .parquet, optionally .gz;
    /// else Parquet by its magic bytes, else CSV].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Also write `p_<class>`, the probability of every class.
    #[arg(long)]
    proba: bool,
    /// For a binary model: also write `log_odds`, log P(positive) − log P(negative) (a network's
    /// logit difference).
    #[arg(long)]
    log_odds: bool,
    /// For a binary model: predict the positive class when its probability is at least this.
    #[arg(long, value_name = "T")]
    threshold: Option<f64>,
    /// Name each output row by this column of --data (a table with a header) instead of by its
    /// row number: the first output column is then COL.
    #[arg(long, value_name = "COL")]
    id: Option<String>,
    /// Write the predictions to this file (atomically: a temporary file renamed at the end)
    /// instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Rows per batch when streaming a table file: memory holds one batch.
    #[arg(long, value_name = "N", default_value_t = BATCH_ROWS)]
    batch_rows: usize,
    /// For a model fitted with --encoder: load the sentence encoder from this directory instead
    /// of the one the model file names (its files must be the same, checked by SHA-256).
    #[arg(long, value_name = "DIR")]
    encoder: Option<PathBuf>,
}

/// Where the predictions go: stdout, or a file written atomically.
enum Sink {
    Stdout(CsvWriter<std::io::StdoutLock<'static>>),
    File(CsvWriter<AtomicWriter>, PathBuf),
}

impl Sink {
    fn open(args: &PredictArgs) -> anyhow::Result<Sink> {
        Ok(match &args.out {
            Some(path) => Sink::File(CsvWriter::new(AtomicWriter::create(path)?), path.clone()),
            None => Sink::Stdout(CsvWriter::new(std::io::stdout().lock())),
        })
    }

    /// Writes one CSV row; a failure names the stream or the file.
    fn row(&mut self, fields: &[String]) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(out) => {
                out.write_row(fields).map_err(|e| OutputError::new(Stream::Stdout, e))?
            }
            Sink::File(out, path) => out
                .write_row(fields)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        }
        Ok(())
    }

    /// Flushes stdout, or renames the finished file over the destination.
    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(mut out) => {
                out.flush().map_err(|e| OutputError::new(Stream::Stdout, e))?
            }
            Sink::File(out, path) => {
                let inner = out
                    .into_inner()
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
                inner.commit()?;
            }
        }
        Ok(())
    }
}

/// Runs `axon predict`.
pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let mut model = SavedModel::load(&args.model)?;
    if let Some(dir) = &args.encoder {
        model.set_encoder_dir(dir).map_err(|e| anyhow::anyhow!("--encoder: {e}"))?;
    }
    model.load_encoder()?;
    let classes = model.classes();
    let k = classes.len();
    match args.threshold {
        Some(t) if k != 2 => anyhow::bail!("--threshold {t}: the model has {k} classes, not 2"),
        Some(t) if !(0.0..=1.0).contains(&t) => {
            anyhow::bail!("--threshold {t}: must be a probability in [0, 1]")
        }
        _ => {}
    }
    if args.log_odds && k != 2 {
        anyhow::bail!("--log-odds: the model has {k} classes, not 2");
    }
    if args.batch_rows == 0 {
        anyhow::bail!("--batch-rows 0: a batch holds at least one row");
    }
    let read = ReadOptions { format: args.format.map(Format::from), ..ReadOptions::default() };
    let mut sink = Sink::open(args)?;
    if model.schema().source != Source::Table || args.data.is_dir() {
        let examples = model.read(&args.data, Labels::Optional, &read)?;
        let scores = model.scores(&examples, args.log_odds)?;
        let ids = row_ids(args, &examples, 0)?;
        sink.row(&header(args, &classes, &ids.0))?;
        write(&mut sink, args, &classes, &ids.1, &scores)?;
        return sink.finish();
    }
    // `main` ends the run quietly when the reader stopped early (`axon predict ... | head`).
    // The header goes out with the first batch (or alone for a file of no rows), so that a
    // file whose first batch is bad prints nothing. A text model's vocabulary index is built on
    // another thread while the first batch is read.
    let header = header(args, &classes, args.id.as_deref().unwrap_or("row"));
    std::thread::scope(|scope| -> anyhow::Result<()> {
        if let Some(encoder) = model.sparse_encoder() {
            scope.spawn(|| encoder.prepare());
        }
        let mut header = Some(header);
        for batch in model.read_batches(&args.data, &read, args.batch_rows)? {
            let (first_row, examples) = batch?;
            // The encoder names the column and the data row; the file is said here.
            let scores =
                model.scores_from(&examples, args.log_odds, first_row).map_err(|e| match e {
                    axon::Error::Encoding { .. } => {
                        anyhow::anyhow!("{}: {e}", args.data.display())
                    }
                    e => e.into(),
                })?;
            let (_, ids) = row_ids(args, &examples, first_row)?;
            if let Some(header) = header.take() {
                sink.row(&header)?;
            }
            write(&mut sink, args, &classes, &ids, &scores)?;
        }
        if let Some(header) = header {
            sink.row(&header)?;
        }
        Ok(())
    })?;
    // The run ends next: the model's vocabulary is left to the system rather than freed.
    crate::fit::text::end_without_freeing(model);
    sink.finish()
}

/// The name of the id column and every row's id: `row` and the row's number in the file (1 for
/// the first row of data, a header not counted; an IDX folder's test items 1, 2, ...), or the
/// `--id` column's name and values.
fn row_ids(
    args: &PredictArgs,
    examples: &Examples,
    first_row: usize,
) -> anyhow::Result<(String, Vec<String>)> {
    let Some(name) = &args.id else {
        let rows = (first_row + 1..=first_row + examples.len()).map(|r| r.to_string());
        return Ok(("row".to_owned(), rows.collect()));
    };
    let Features::Table(frame) = &examples.features else {
        anyhow::bail!("--id {name}: {} has no header, so no named columns", examples.path);
    };
    let column = frame.column(name).map_err(|e| anyhow::anyhow!("--id {name}: {e}"))?;
    Ok((name.clone(), (0..frame.n_rows).map(|r| column.label(r).into_owned()).collect()))
}

/// The header: the id column, `prediction`, then `p_<class>` (`--proba`) and `log_odds`
/// (`--log-odds`).
fn header(args: &PredictArgs, classes: &[String], id_name: &str) -> Vec<String> {
    let mut header = vec![id_name.to_owned(), "prediction".to_owned()];
    if args.proba {
        header.extend(classes.iter().map(|c| format!("p_{c}")));
    }
    if args.log_odds {
        header.push("log_odds".to_owned());
    }
    header
}

/// Writes one CSV row per scored row, in the columns of [`header`].
fn write(
    sink: &mut Sink,
    args: &PredictArgs,
    classes: &[String],
    ids: &[String],
    scores: &Scores,
) -> anyhow::Result<()> {
    for (i, row) in scores.proba.chunks(classes.len().max(1)).enumerate() {
        let label = match args.threshold {
            Some(t) => usize::from(row[1] >= t),
            None => argmax(row),
        };
        let mut record = vec![ids[i].clone(), classes[label].clone()];
        if args.proba {
            record.extend(row.iter().map(|p| p.to_string()));
        }
        if let Some(l) = &scores.log_odds {
            record.push(l[i].to_string());
        }
        sink.row(&record)?;
    }
    Ok(())
}
