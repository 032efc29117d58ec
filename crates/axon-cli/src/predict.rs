//! `axon predict`: a saved model (linear or network) applied to the rows of a data file, written
//! as CSV to stdout, one output row per input row in order: the row's id (its number in the
//! file, or the value of the `--id` column), the predicted class and, with `--proba`, one
//! probability column per class (`--log-odds` adds a binary model's log-odds).
//!
//! The library reads the rows in the layout the model was trained on (`SavedModel::read`: a
//! CSV file with a header, a header-less CSV file, or an IDX folder's test files) and applies
//! the model's own encoder or scaling to the raw values.

use std::path::PathBuf;

use axon::data::{CsvWriter, Examples, Features, Format, Labels, ReadOptions};
use axon::metrics::argmax;
use axon::model::{SavedModel, Scores};
use clap::Args;

use crate::options::FormatArg;
use crate::output::{OutputError, Stream};

/// Arguments of `axon predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model file written by `axon fit --out` or `axon train --out`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The CSV file with the model's feature columns (other columns, the target too, are ignored),
    /// or for a network trained on a header-less CSV file or an IDX folder, the same layout (an
    /// IDX folder's test files). A missing value is an error naming its row and column.
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
}

/// Runs `axon predict`.
pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let model = SavedModel::load(&args.model)?;
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
    let read = ReadOptions { format: args.format.map(Format::from), ..ReadOptions::default() };
    let examples = model.read(&args.data, Labels::Optional, &read)?;
    let scores = model.scores(&examples, args.log_odds)?;
    let ids = row_ids(args, &examples)?;
    // `main` ends the run quietly when the reader stopped early (`axon predict ... | head`).
    write(args, &classes, &ids, &scores).map_err(|e| OutputError::new(Stream::Stdout, e))?;
    Ok(())
}

/// The name of the id column and every row's id: `row` and the row's number in the file (1 for
/// the first row of data, a header not counted; an IDX folder's test items 1, 2, ...), or the
/// `--id` column's name and values.
fn row_ids(args: &PredictArgs, examples: &Examples) -> anyhow::Result<(String, Vec<String>)> {
    let Some(name) = &args.id else {
        return Ok(("row".to_owned(), (1..=examples.len()).map(|r| r.to_string()).collect()));
    };
    let Features::Table(frame) = &examples.features else {
        anyhow::bail!("--id {name}: {} has no header, so no named columns", examples.path);
    };
    let column = frame.column(name).map_err(|e| anyhow::anyhow!("--id {name}: {e}"))?;
    Ok((name.clone(), (0..frame.n_rows).map(|r| column.label(r).into_owned()).collect()))
}

/// Writes the CSV: the id column, `prediction`, then `p_<class>` (`--proba`) and `log_odds`
/// (`--log-odds`).
fn write(
    args: &PredictArgs,
    classes: &[String],
    (id_name, ids): &(String, Vec<String>),
    scores: &Scores,
) -> std::io::Result<()> {
    let mut out = CsvWriter::new(std::io::stdout().lock());
    let mut header = vec![id_name.clone(), "prediction".to_owned()];
    if args.proba {
        header.extend(classes.iter().map(|c| format!("p_{c}")));
    }
    if scores.log_odds.is_some() {
        header.push("log_odds".to_owned());
    }
    out.write_row(&header)?;
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
        out.write_row(&record)?;
    }
    out.flush()
}
