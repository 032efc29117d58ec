//! `axon predict`: a saved model applied to the rows of a CSV file, written as CSV to stdout,
//! one output row per input row in order: the predicted class and, with `--proba`, one
//! probability column per class (`--log-odds` adds the log-odds of a binary model). The feature columns are transformed by the model's own encoder
//! (levels, reference levels, standardisation), so the file holds raw values, as at training.

use std::path::PathBuf;

use anyhow::Context;
use axon::linear::LinearModel;
use axon::metrics::argmax;
use clap::Args;

use crate::common::read_frame;

/// Arguments of `axon predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model file written by `axon fit --out`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The CSV file with the model's feature columns (other columns, the target too, are ignored).
    /// A missing value is an error naming its row and column.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Also write `p_<class>`, the probability of every class.
    #[arg(long)]
    proba: bool,
    /// For a binary model: also write `log_odds`, log P(positive) − log P(negative).
    #[arg(long)]
    log_odds: bool,
    /// For a binary model: predict the positive class when its probability is at least this.
    #[arg(long, value_name = "T")]
    threshold: Option<f64>,
}

/// Runs `axon predict`.
pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let model = LinearModel::load(&args.model)?;
    let classes = model.classes();
    let threshold = match args.threshold {
        Some(t) if classes.len() != 2 => {
            anyhow::bail!("--threshold {t}: the model has {} classes, not 2", classes.len())
        }
        Some(t) if !(0.0..=1.0).contains(&t) => {
            anyhow::bail!("--threshold {t}: must be a probability in [0, 1]")
        }
        t => t,
    };
    let frame = read_frame(&args.data, false)?;
    let proba = model.predict_proba(&frame)?;
    let log_odds = if args.log_odds { Some(model.log_odds(&frame)?) } else { None };
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    let mut header = vec!["prediction".to_owned()];
    if args.proba {
        header.extend(classes.iter().map(|c| format!("p_{c}")));
    }
    if log_odds.is_some() {
        header.push("log_odds".to_owned());
    }
    out.write_record(&header).context("writing to stdout")?;
    for i in 0..proba.nrows() {
        let row: Vec<f64> = (0..proba.ncols()).map(|c| proba[(i, c)]).collect();
        let label = match threshold {
            Some(t) => usize::from(row[1] >= t),
            None => argmax(&row),
        };
        let mut record = vec![classes[label].clone()];
        if args.proba {
            record.extend(row.iter().map(|p| p.to_string()));
        }
        if let Some(l) = &log_odds {
            record.push(l[i].to_string());
        }
        out.write_record(&record).context("writing to stdout")?;
    }
    out.flush().context("writing to stdout")?;
    Ok(())
}
