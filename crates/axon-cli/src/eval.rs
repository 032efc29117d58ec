//! `axon eval`: a saved model scored on a labelled CSV file: accuracy, log loss, Brier score,
//! ROC AUC (two classes), precision/recall/F1 per class with macro and weighted averages, and the
//! confusion matrix, as a table in scikit-learn's `classification_report` layout or one JSON
//! object. The predicted class is the most probable one.

use std::path::PathBuf;

use anyhow::Context;
use axon::linear::LinearModel;
use axon::metrics::ClassificationReport;
use clap::Args;
use serde::Serialize;

use crate::common::read_frame;

/// Arguments of `axon eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model file written by `axon fit --out`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The CSV file with the model's feature columns and its target column.
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
    kind: &'static str,
    data: String,
    target: &'a str,
    classes: Vec<String>,
    dropped_rows: usize,
    #[serde(flatten)]
    report: &'a ClassificationReport,
}

/// Runs `axon eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let model = LinearModel::load(&args.model)?;
    let frame = read_frame(&args.data, args.drop_missing)?;
    let proba = model.predict_proba(&frame)?;
    let y: Vec<usize> =
        model.encoder.transform_target(&frame)?.into_iter().map(|c| c as usize).collect();
    let classes = model.classes();
    let flat: Vec<f64> = (0..proba.nrows())
        .flat_map(|i| (0..proba.ncols()).map(move |c| (i, c)))
        .map(|(i, c)| proba[(i, c)])
        .collect();
    let report = ClassificationReport::from_probabilities(&y, &flat, classes.len())?;
    let target = model.encoder.target_name();
    if args.json {
        let json = EvalJson {
            model: args.model.display().to_string(),
            kind: model.kind.name(),
            data: args.data.display().to_string(),
            target,
            classes: classes.clone(),
            dropped_rows: frame.dropped_rows,
            report: &report,
        };
        println!("{}", serde_json::to_string_pretty(&json).context("writing the JSON report")?);
        return Ok(());
    }
    println!(
        "{} model {} on {} ({} rows{})",
        model.kind.name(),
        args.model.display(),
        args.data.display(),
        report.n_samples,
        if frame.dropped_rows > 0 {
            format!(", {} dropped for missing values", frame.dropped_rows)
        } else {
            String::new()
        }
    );
    let legend: Vec<String> =
        classes.iter().enumerate().map(|(k, c)| format!("{k} = {c}")).collect();
    println!("classes of `{target}`: {}\n", legend.join(", "));
    print!("{report}");
    Ok(())
}
