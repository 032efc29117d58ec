//! `axon eval`: a saved model (linear or network) scored on labelled data: accuracy, log loss,
//! Brier score, ROC AUC (two classes), precision/recall/F1 per class with macro and weighted
//! averages, and the confusion matrix, as a table in scikit-learn's `classification_report`
//! layout or one JSON object. The predicted class is the most probable one.
//!
//! The library reads the rows with their true classes in the layout the model was trained on
//! (a CSV file with its class column, a header-less CSV file with the label last, or an IDX
//! folder's test files).
//!
//! `--plot FILE.svg` draws a binary model's ROC and precision–recall curves (`plot.rs`).

use std::path::PathBuf;

use anyhow::Context;
use axon::data::{Format, Labels, ReadOptions};
use axon::metrics::{precision_recall_curve, roc_auc, roc_curve, ClassificationReport};
use axon::model::SavedModel;
use axon::nn::Architecture;
use clap::Args;
use serde::Serialize;

use crate::options::FormatArg;
use crate::output::{errln, out, outln};

mod plot;

/// Arguments of `axon eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model file written by `axon fit --out` or `axon train --out`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The CSV file with the model's feature columns and its target column (for a network
    /// trained on one: a header-less CSV file with the label last, or an IDX folder; for a model
    /// fitted on a LibSVM file: a LibSVM file, its labels the model's classes).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// The format of --data [default: from the file name: .csv, .tsv, .parquet, optionally .gz;
    /// else Parquet by its magic bytes, else CSV].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Drop rows with a missing value (NA, empty, ?) instead of failing.
    #[arg(long)]
    drop_missing: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Draw the ROC curve (with its AUC) and the precision–recall curve of a binary model to
    /// this SVG file. Written atomically.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// For a model fitted with --encoder: load the sentence encoder from this directory instead
    /// of the one the model file names (its files must be the same, checked by SHA-256).
    #[arg(long, value_name = "DIR")]
    encoder: Option<PathBuf>,
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
    let mut model = SavedModel::load(&args.model)?;
    if let Some(dir) = &args.encoder {
        model.set_encoder_dir(dir).map_err(|e| anyhow::anyhow!("--encoder: {e}"))?;
    }
    model.load_encoder()?;
    let classes = model.classes();
    if let (Some(plot), k @ 3..) = (&args.plot, classes.len()) {
        anyhow::bail!(
            "--plot {}: ROC and precision–recall curves need a binary model; {} is a {} model \
             of {k} classes",
            plot.display(),
            args.model.display(),
            model.kind()
        );
    }
    let read = ReadOptions {
        format: args.format.map(Format::from),
        drop_missing: args.drop_missing,
        ..ReadOptions::default()
    };
    let examples = model.read(&args.data, Labels::Required, &read)?;
    let y = examples.labels.as_deref().context("the data has no class labels")?;
    let proba = model.scores(&examples, false)?.proba;
    let report = ClassificationReport::from_probabilities(y, &proba, classes.len())?;
    let (target, dropped_rows) = (&examples.target, examples.dropped_rows);
    if let Some(path) = &args.plot {
        plot_curves(path, args, &model, y, &proba)?;
    }
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

/// Draws the curves of the binary model's `P(class 1)` (column 1 of the row-major `proba`)
/// against the true classes `y` to `path`.
fn plot_curves(
    path: &std::path::Path,
    args: &EvalArgs,
    model: &SavedModel,
    y: &[usize],
    proba: &[f64],
) -> anyhow::Result<()> {
    let p1: Vec<f64> = proba.chunks(2).map(|r| r[1]).collect();
    let context = || format!("--plot {}", path.display());
    let roc = roc_curve(y, &p1).with_context(context)?;
    let pr = precision_recall_curve(y, &p1).with_context(context)?;
    let auc = roc_auc(y, &p1).with_context(context)?;
    let positive_share = y.iter().filter(|&&c| c == 1).count() as f64 / y.len() as f64;
    let title =
        format!("{} model {} on {}", model.kind(), args.model.display(), args.data.display());
    let classes = model.classes();
    let curves = plot::Curves {
        title: &title,
        roc: &roc,
        auc,
        pr: &pr,
        positive_share,
        positive: &classes[1],
    };
    plot::write(path, &curves)?;
    errln!("axon: ROC and precision–recall curves written to {}", path.display())?;
    Ok(())
}
