//! `axon train --text COL`: a network (`logreg` or `mlp:H1,...`) on the words of text columns,
//! trained by mini-batch gradient descent with the first layer reading the sparse bag of words
//! (the library's `train_text_network`; the documents are never densified).
//!
//! The rows are split as `axon train` splits a table (seeded, 20% held out for testing); the
//! vectorizer (the text flags of `axon fit`: vocabulary or hashing, tf-idf by default) is fitted
//! on the training rows only, and the test rows are scored through it. `--out` saves the
//! network with its vectorizer as a `text-network` model file, so `axon predict` and `axon eval`
//! take raw-text files. The layer, optimizer and epoch flags are `axon train`'s; flags that
//! describe tables, images, validation or checkpoints are refused by name.

use axon::cv::train_test_split;
use axon::data::{read_table, Format, ReadOptions};
use axon::metrics::{accuracy, argmax, log_loss};
use axon::nn::{train_text_network, Architecture, TextEpoch, TextTrainOptions};
use axon::text::SparseEncoder;
use axon::Rng;
use serde::Serialize;

use crate::common::settings_record;
use crate::fit::text::classes;
use crate::output::{errln, outln};
use crate::text_args::WeightingArg;
use crate::train::{ClassWeightArg, TrainArgs};

/// The share of rows held out for testing, as `axon train` holds out of a table.
const TEST_FRACTION: f64 = 0.2;

/// The report, as text or one JSON object.
#[derive(Serialize)]
struct Report<'a> {
    model: String,
    data: String,
    columns: &'a [String],
    classes: &'a [String],
    n_features: usize,
    parameters: usize,
    train_rows: usize,
    test_rows: usize,
    epochs: &'a [TextEpoch],
    test_accuracy: f64,
    test_log_loss: f64,
}

/// Refuses the flags of `axon train` that do not apply to text columns.
fn check_flags(args: &TrainArgs) -> anyhow::Result<()> {
    if args.target.is_none() {
        anyhow::bail!("--text needs --target COL, the class column");
    }
    if matches!(args.format.map(Format::from), Some(Format::Libsvm | Format::Vw)) {
        anyhow::bail!("--text reads a table with named columns, not a LibSVM or VW file");
    }
    let refused = [
        ("--features", args.features.is_some()),
        ("--drop", !args.drop.is_empty()),
        ("--categorical", !args.categorical.is_empty()),
        ("--class-weight", args.class_weight != ClassWeightArg::None),
        ("--scheduler", args.scheduler.is_some()),
        ("--patience", args.patience.is_some()),
        ("--no-restore-best", args.no_restore_best),
        ("--checkpoint", args.checkpoint.is_some()),
        ("--plot", args.plot.is_some()),
        ("--val-fraction", args.val_fraction != 0.1),
        ("--nb-alpha", args.text.nb_alpha.is_some()),
    ];
    if let Some((name, _)) = refused.iter().find(|r| r.1) {
        anyhow::bail!(
            "{name} does not apply to `axon train --text`: the features are the words of the \
             --text columns, trained on 80% of the rows with no validation split"
        );
    }
    if args.model.trim() == "cnn" {
        anyhow::bail!("--model cnn takes images; --text trains logreg or mlp:H1,H2,...");
    }
    Ok(())
}

/// Runs `axon train --text`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let options = args.options()?;
    let specs = args.text.specs(WeightingArg::Tfidf)?;
    let target = args.target.as_deref().unwrap_or_default().trim().to_owned();
    let inputs: Vec<String> = specs.iter().map(|s| s.column.clone()).collect();
    if inputs.contains(&target) {
        anyhow::bail!("--text {target}: the target column cannot also be a feature");
    }
    let mut columns = inputs.clone();
    columns.push(target.clone());
    // As `predict` reads them: an empty field is an empty document.
    let read = ReadOptions {
        format: args.format.map(Format::from),
        missing: Vec::new(),
        columns: Some(columns),
        categorical: inputs.clone(),
        ..ReadOptions::default()
    };
    let frame = read_table(&args.data, &read)?;
    let (classes, y) = classes(&target, None, &frame)?;
    let split = train_test_split(frame.n_rows, TEST_FRACTION, Some(&mut Rng::seed(args.seed)))?;
    let (encoder, x_train) = SparseEncoder::fit_transform(&specs, &frame.take_rows(&split.train))?;
    let x_test = encoder.transform(&frame.take_rows(&split.test))?;
    drop(frame);
    let y_train: Vec<i64> = split.train.iter().map(|&r| i64::from(y[r])).collect();
    let y_test: Vec<usize> = split.test.iter().map(|&r| y[r] as usize).collect();
    let train = TextTrainOptions {
        model: options.model.clone(),
        layers: options.layers,
        optimizer: options.optimizer,
        batch_size: args.batch_size,
        epochs: args.epochs,
        seed: args.seed,
    };
    let n_features = x_train.n_cols();
    if !args.quiet {
        let arch =
            Architecture::parse(&train.model, &train.layers, n_features, None, classes.len())?;
        errln!(
            "axon: training {arch} on the words of {}, {} classes, {} rows",
            inputs.join(", "),
            classes.len(),
            y_train.len()
        )?;
    }
    let mut epochs = Vec::new();
    let mut failed = None;
    let mut on_epoch = |e: &TextEpoch| {
        if !args.quiet && failed.is_none() {
            let line = format!(
                "epoch {:>3}  train loss {:.4} acc {:.2}%",
                e.epoch,
                e.train_loss,
                100.0 * e.train_accuracy
            );
            failed = errln!("{line}").err();
        }
        epochs.push(*e);
    };
    let net = train_text_network(
        encoder,
        &x_train,
        &y_train,
        &target,
        classes.clone(),
        &train,
        &mut on_epoch,
    )?;
    if let Some(failed) = failed {
        return Err(failed.into());
    }
    let (proba, _) = net.predict_proba_design(&x_test)?;
    let k = classes.len();
    let predicted: Vec<usize> = proba.chunks(k).map(argmax).collect();
    let report = Report {
        model: args.model.trim().to_owned(),
        data: args.data.display().to_string(),
        columns: &inputs,
        classes: &classes,
        n_features,
        parameters: net.architecture.parameter_count()?,
        train_rows: y_train.len(),
        test_rows: y_test.len(),
        epochs: &epochs,
        test_accuracy: accuracy(&y_test, &predicted)?,
        test_log_loss: log_loss(&y_test, &proba)?,
    };
    if let Some(out) = &args.out {
        net.save(out, &settings_record("train", args)?)?;
        if !args.quiet {
            errln!("axon: model written to {}", out.display())?;
        }
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    outln!("{}", net.net)?;
    outln!(
        "{} features from {}; test accuracy {:.2}% ({} rows), log loss {:.4}, {} epochs",
        n_features,
        inputs.join(", "),
        100.0 * report.test_accuracy,
        report.test_rows,
        report.test_log_loss,
        epochs.len()
    )?;
    Ok(())
}
