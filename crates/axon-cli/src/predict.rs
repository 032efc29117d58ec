//! `axon predict`: a saved model applied to the rows of a data file, written as CSV to stdout,
//! one output row per input row in order: the predicted class and, with `--proba`, one
//! probability column per class (`--log-odds` adds the log-odds of a binary model).
//!
//! A linear model (`axon fit --out`) reads a CSV file with a header and transforms the feature
//! columns by its own encoder (levels, reference levels, standardisation). A network (`axon
//! train --out`) reads the layout it was trained on (see `network_data.rs`: a header CSV, a
//! header-less CSV, or an IDX folder's test files) and scales as at training. Either way the
//! file holds raw values.

use std::path::PathBuf;

use anyhow::Context;
use axon::linear::LinearModel;
use axon::metrics::argmax;
use clap::Args;

use crate::common::read_frame;
use crate::network::{softmax_rows, Network};
use crate::network_data::read_rows;

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
}

/// What a model says about every row: `(n, k)` probabilities row-major and, when asked for, the
/// log-odds of a binary model.
struct Scores {
    classes: Vec<String>,
    proba: Vec<f64>,
    log_odds: Option<Vec<f64>>,
}

/// Runs `axon predict`.
pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let scores = match Network::load(&args.model)? {
        Some(net) => network_scores(args, &net)?,
        None => linear_scores(args)?,
    };
    write(args, &scores)
}

/// `--threshold`, checked against the number of classes.
fn threshold(args: &PredictArgs, classes: usize) -> anyhow::Result<Option<f64>> {
    match args.threshold {
        Some(t) if classes != 2 => {
            anyhow::bail!("--threshold {t}: the model has {classes} classes, not 2")
        }
        Some(t) if !(0.0..=1.0).contains(&t) => {
            anyhow::bail!("--threshold {t}: must be a probability in [0, 1]")
        }
        t => Ok(t),
    }
}

fn linear_scores(args: &PredictArgs) -> anyhow::Result<Scores> {
    let model = LinearModel::load(&args.model)?;
    let classes = model.classes();
    threshold(args, classes.len())?;
    let frame = read_frame(&args.data, false)?;
    let p = model.predict_proba(&frame)?;
    let proba = (0..p.nrows()).flat_map(|i| (0..p.ncols()).map(move |c| (i, c)));
    let proba = proba.map(|(i, c)| p[(i, c)]).collect();
    let log_odds = if args.log_odds { Some(model.log_odds(&frame)?) } else { None };
    Ok(Scores { classes, proba, log_odds })
}

/// A network's probabilities; its log-odds (two classes) are `z_1 − z_0` of its logits.
fn network_scores(args: &PredictArgs, net: &Network) -> anyhow::Result<Scores> {
    let k = net.classes.len();
    threshold(args, k)?;
    if args.log_odds && k != 2 {
        anyhow::bail!("--log-odds: the model has {k} classes, not 2");
    }
    let rows = read_rows(net, &args.data, false, false)?;
    let logits = net.logits(rows.x)?;
    let log_odds = args.log_odds.then(|| logits.chunks(2).map(|z| z[1] - z[0]).collect());
    Ok(Scores { classes: net.classes.clone(), proba: softmax_rows(&logits, k), log_odds })
}

/// Writes the CSV: `prediction`, then `p_<class>` (`--proba`) and `log_odds` (`--log-odds`).
/// A reader that stops early (`axon predict ... | head`) ends the output quietly.
fn write(args: &PredictArgs, scores: &Scores) -> anyhow::Result<()> {
    let threshold = threshold(args, scores.classes.len())?;
    match write_csv(args, scores, threshold) {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        result => result.context("writing to stdout"),
    }
}

/// Whether `e` is a write to a pipe whose reader has gone.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let io = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    e.chain().any(|cause| match cause.downcast_ref::<csv::Error>() {
        Some(c) => matches!(c.kind(), csv::ErrorKind::Io(e) if io(e)),
        None => cause.downcast_ref::<std::io::Error>().is_some_and(io),
    })
}

fn write_csv(args: &PredictArgs, scores: &Scores, threshold: Option<f64>) -> anyhow::Result<()> {
    let classes = &scores.classes;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    let mut header = vec!["prediction".to_owned()];
    if args.proba {
        header.extend(classes.iter().map(|c| format!("p_{c}")));
    }
    if scores.log_odds.is_some() {
        header.push("log_odds".to_owned());
    }
    out.write_record(&header)?;
    for (i, row) in scores.proba.chunks(classes.len().max(1)).enumerate() {
        let label = match threshold {
            Some(t) => usize::from(row[1] >= t),
            None => argmax(row),
        };
        let mut record = vec![classes[label].clone()];
        if args.proba {
            record.extend(row.iter().map(|p| p.to_string()));
        }
        if let Some(l) = &scores.log_odds {
            record.push(l[i].to_string());
        }
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}
