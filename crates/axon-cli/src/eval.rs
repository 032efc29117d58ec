//! `axon eval`: a saved model (linear or network) scored on labelled data: accuracy, log loss,
//! Brier score, ROC AUC (two classes), precision/recall/F1 per class with macro and weighted
//! averages, and the confusion matrix, as a table in scikit-learn's `classification_report`
//! layout or one JSON object. The predicted class is the most probable one.
//!
//! The library reads the rows with their true classes in the layout the model was trained on
//! (a CSV file with its class column, a header-less CSV file with the label last, or an IDX
//! folder's test files).

use std::path::PathBuf;

use anyhow::Context;
use axon::data::Labels;
use axon::metrics::ClassificationReport;
use axon::model::SavedModel;
use axon::nn::Architecture;
use clap::Args;
use serde::Serialize;

use crate::output::{out, outln};

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

/// Runs `axon eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let model = SavedModel::load(&args.model)?;
    let examples = model.read(&args.data, Labels::Required, args.drop_missing)?;
    let y = examples.labels.as_deref().context("the data has no class labels")?;
    let proba = model.scores(&examples, false)?.proba;
    let classes = model.classes();
    let report = ClassificationReport::from_probabilities(y, &proba, classes.len())?;
    let (target, dropped_rows) = (&examples.target, examples.dropped_rows);
    if args.json {
        let json = EvalJson {
            model: args.model.display().to_string(),
            kind: model.kind(),
            architecture: model.architecture(),
            data: args.data.display().to_string(),
            target,
            classes: &classes,
            dropped_rows,
            report: &report,
        };
        outln!("{}", serde_json::to_string_pretty(&json).context("writing the JSON report")?)?;
        return Ok(());
    }
    let dropped = match dropped_rows {
        0 => String::new(),
        n => format!(", {n} dropped for missing values"),
    };
    outln!(
        "{} model {} on {} ({} rows{dropped})",
        model.kind(),
        args.model.display(),
        args.data.display(),
        report.n_samples,
    )?;
    let legend: Vec<String> =
        classes.iter().enumerate().map(|(k, c)| format!("{k} = {c}")).collect();
    outln!("classes of `{target}`: {}\n", legend.join(", "))?;
    out!("{report}")?;
    Ok(())
}
