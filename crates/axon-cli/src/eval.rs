//! `axon eval`: a saved model scored on labelled data: accuracy, log loss, Brier score,
//! ROC AUC (two classes), precision/recall/F1 per class with macro and weighted averages, and the
//! confusion matrix, as a table in scikit-learn's `classification_report` layout or one JSON
//! object. The predicted class is the most probable one.
//!
//! A linear model (`axon fit --out`) reads a CSV file with its target column; a network (`axon
//! train --out`) reads the layout it was trained on with the true classes (a header CSV with its
//! class column, a header-less CSV with the label last, or an IDX folder's test files).

use std::path::PathBuf;

use anyhow::Context;
use axon::linear::LinearModel;
use axon::metrics::ClassificationReport;
use clap::Args;
use serde::Serialize;

use crate::common::read_frame;
use crate::network::{softmax_rows, Network, KIND};
use crate::network_data::read_rows;
use crate::train::Architecture;

/// Arguments of `axon eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model file written by `axon fit --out` or `axon train --out`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The CSV file with the model's feature columns and its target column (for a network
    /// trained on one: a header-less CSV file with the label last, or an IDX folder).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Drop rows with a missing value (NA, empty, ?) instead of failing.
    #[arg(long)]
    drop_missing: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct EvalJson<'a> {
    model: String,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    architecture: Option<&'a Architecture>,
    data: String,
    target: &'a str,
    classes: &'a [String],
    dropped_rows: usize,
    #[serde(flatten)]
    report: &'a ClassificationReport,
}

/// A model's probabilities for labelled rows, with what the report says about them.
struct Scored {
    kind: String,
    architecture: Option<Architecture>,
    target: String,
    classes: Vec<String>,
    y: Vec<usize>,
    /// `(n, k)` row-major.
    proba: Vec<f64>,
    dropped_rows: usize,
}

fn score_linear(args: &EvalArgs) -> anyhow::Result<Scored> {
    let model = LinearModel::load(&args.model)?;
    let frame = read_frame(&args.data, args.drop_missing)?;
    let p = model.predict_proba(&frame)?;
    let y = model.encoder.transform_target(&frame)?.into_iter().map(|c| c as usize).collect();
    let proba = (0..p.nrows()).flat_map(|i| (0..p.ncols()).map(move |c| (i, c)));
    Ok(Scored {
        kind: model.kind.name().to_owned(),
        architecture: None,
        target: model.encoder.target_name().to_owned(),
        classes: model.classes(),
        y,
        proba: proba.map(|(i, c)| p[(i, c)]).collect(),
        dropped_rows: frame.dropped_rows,
    })
}

fn score_network(args: &EvalArgs, net: Network) -> anyhow::Result<Scored> {
    let rows = read_rows(&net, &args.data, true, args.drop_missing)?;
    let y = rows.labels.with_context(|| format!("{}: no class labels", args.data.display()))?;
    let logits = net.logits(rows.x)?;
    let k = net.classes.len();
    Ok(Scored {
        kind: KIND.to_owned(),
        architecture: Some(net.arch),
        target: rows.target,
        classes: net.classes,
        y,
        proba: softmax_rows(&logits, k),
        dropped_rows: rows.dropped_rows,
    })
}

/// Runs `axon eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let s = match Network::load(&args.model)? {
        Some(net) => score_network(args, net)?,
        None => score_linear(args)?,
    };
    let report = ClassificationReport::from_probabilities(&s.y, &s.proba, s.classes.len())?;
    if args.json {
        let json = EvalJson {
            model: args.model.display().to_string(),
            kind: &s.kind,
            architecture: s.architecture.as_ref(),
            data: args.data.display().to_string(),
            target: &s.target,
            classes: &s.classes,
            dropped_rows: s.dropped_rows,
            report: &report,
        };
        println!("{}", serde_json::to_string_pretty(&json).context("writing the JSON report")?);
        return Ok(());
    }
    println!(
        "{} model {} on {} ({} rows{})",
        s.kind,
        args.model.display(),
        args.data.display(),
        report.n_samples,
        if s.dropped_rows > 0 {
            format!(", {} dropped for missing values", s.dropped_rows)
        } else {
            String::new()
        }
    );
    let legend: Vec<String> =
        s.classes.iter().enumerate().map(|(k, c)| format!("{k} = {c}")).collect();
    println!("classes of `{}`: {}\n", s.target, legend.join(", "));
    print!("{report}");
    Ok(())
}
