//! `axon train --text COL --encoder DIR [--fine-tune [--freeze-layers K]]`: a classification head
//! on the pooled output of a pretrained BERT encoder (a sentence-transformers or Hugging Face
//! directory), trained as Hugging Face's `Trainer` trains (the library's `nn::bert::fine_tune`:
//! AdamW with weight decay 0.01 except on biases and layer norms, a linear warm-up then linear
//! decay of the rate per step, gradients clipped to norm 1). Without --fine-tune the encoder is
//! frozen (the head learns on fixed features); with it the encoder is updated too, but for the
//! embeddings and the first K layers with --freeze-layers K.
//!
//! The rows are split as `axon train --text` splits them (seeded, 20% held out for testing),
//! and --val-fraction of the training rows are scored after every epoch. `--out` writes the
//! classifier as a `bert-classifier` model file: the encoder's weights by Hugging Face's names
//! (`bert.…`, `classifier.…`), its config, tokenizer and pooling, so `axon predict`, `eval` and
//! `summary` read raw text with no other file; beside it the run record and training curves.
//! Flags that describe tables, other networks or other optimizers are refused by name.

use std::path::Path;

use axon::cv::train_test_split;
use axon::data::{read_table, Format, ReadOptions};
use axon::io::{DataRecord, RunRecord};
use axon::metrics::{accuracy, argmax, log_loss};
use axon::nn::bert::{fine_tune, BertClassifier, FineTuneOptions, Warmup};
use axon::nn::Module;
use axon::Rng;
use serde::Serialize;

use crate::common::settings_record;
use crate::curves::{self, CurveInfo};
use crate::fit::text::classes;
use crate::output::{errln, outln};
use crate::train::{
    duration, epochs, plot_path, with_suffix, ClassWeightArg, OptimizerKind, OutputArg, Reporter,
    TrainArgs,
};

/// The share of rows held out for testing, as `axon train --text` holds out.
const TEST_FRACTION: f64 = 0.2;
/// Texts per forward pass when scoring.
const EVAL_BATCH: usize = 64;

/// The report, as text or one JSON object.
#[derive(Serialize)]
struct Report<'a> {
    encoder: String,
    fine_tune: bool,
    frozen_layers: Option<usize>,
    data: String,
    column: &'a str,
    classes: &'a [String],
    parameters: usize,
    trainable_parameters: usize,
    train_rows: usize,
    val_rows: usize,
    test_rows: usize,
    steps: usize,
    warmup_steps: usize,
    epochs: &'a [axon::nn::EpochMetrics],
    test_accuracy: f64,
    test_log_loss: f64,
    train_seconds: f64,
}

/// Refuses the flags of `axon train` that do not apply to a BERT classifier.
fn check_flags(args: &TrainArgs) -> anyhow::Result<()> {
    if args.target.is_none() {
        anyhow::bail!("--encoder needs --target COL, the class column");
    }
    if args.text.text.len() != 1 {
        anyhow::bail!("--encoder reads one --text column, not {}", args.text.text.len());
    }
    if matches!(args.format.map(Format::from), Some(Format::Libsvm | Format::Vw)) {
        anyhow::bail!("--encoder reads a table with named columns, not a LibSVM or VW file");
    }
    let refused = [
        ("--features", args.features.is_some()),
        ("--drop", !args.drop.is_empty()),
        ("--categorical", !args.categorical.is_empty()),
        ("--model", args.model.trim() != "mlp:128"),
        ("--activation", args.activation.name != axon::nn::Activation::Relu),
        ("--dropout", args.dropout != 0.0),
        ("--batch-norm", args.batch_norm),
        ("--output", args.output != OutputArg::Softmax),
        ("--class-weight", args.class_weight != ClassWeightArg::None),
        ("--optimizer sgd", args.optimizer == OptimizerKind::Sgd),
        ("--momentum", args.momentum != 0.0),
        ("--nesterov", args.nesterov),
        ("--scheduler", args.scheduler.is_some()),
        ("--patience", args.patience.is_some()),
        ("--no-restore-best", args.no_restore_best),
    ];
    if let Some((name, _)) = refused.iter().find(|r| r.1) {
        anyhow::bail!(
            "{name} does not apply to `axon train --encoder`: the model is the encoder, its \
             pooling, dropout and a linear head, trained with AdamW and a warm-up then linear \
             decay of --lr (--warmup-steps, --warmup-ratio)"
        );
    }
    if let Some(name) = args.text.other_flags().first() {
        anyhow::bail!("{name} describes word features; --encoder tokenises with its tokenizer");
    }
    if !(0.0..1.0).contains(&args.val_fraction) {
        anyhow::bail!("--val-fraction {} must lie in [0, 1)", args.val_fraction);
    }
    Ok(())
}

/// Runs `axon train --encoder`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let dir = args.encoder.as_deref().unwrap_or(Path::new(""));
    let column = args.text.text[0].trim().to_owned();
    let target = args.target.as_deref().unwrap_or_default().trim().to_owned();
    if column == target {
        anyhow::bail!("--text {target}: the target column cannot also be the text");
    }
    let read = ReadOptions {
        format: args.format.map(Format::from),
        missing: Vec::new(),
        columns: Some(vec![column.clone(), target.clone()]),
        categorical: vec![column.clone()],
        ..ReadOptions::default()
    };
    let frame = read_table(&args.data, &read)?;
    let (class_names, y) = classes(&target, None, &frame)?;
    let texts: Vec<String> = {
        let c = frame.column(&column)?;
        (0..c.len()).map(|i| c.label(i).into_owned()).collect()
    };
    drop(frame);
    let mut rng = Rng::seed(args.seed);
    let split = train_test_split(texts.len(), TEST_FRACTION, Some(&mut rng))?;
    let n_val = (args.val_fraction * split.train.len() as f64).round() as usize;
    let (val_rows, train_rows) = split.train.split_at(n_val.min(split.train.len()));
    let pick = |rows: &[usize]| -> (Vec<&str>, Vec<i64>) {
        rows.iter().map(|&r| (texts[r].as_str(), i64::from(y[r]))).unzip()
    };
    let (train_x, train_y) = pick(train_rows);
    let (val_x, val_y) = pick(val_rows);
    let (test_x, test_y) = pick(&split.test);
    if train_x.is_empty() || test_x.is_empty() {
        anyhow::bail!("--data has {} rows: too few to train and test on", texts.len());
    }

    let mut model = BertClassifier::load(dir, class_names.clone(), args.seed)?;
    model.text_column = column.clone();
    model.target = target.clone();
    if let Some(n) = args.max_length {
        model.set_max_length(n)?;
    }
    let layers = model.encoder().num_layers();
    match (args.fine_tune, args.freeze_layers) {
        (false, _) => model.freeze_layers(layers)?,
        (true, Some(k)) => model.freeze_layers(k)?,
        (true, None) => {}
    }
    let lr = args.lr.unwrap_or(if args.fine_tune { 2e-5 } else { 1e-3 });
    let warmup = match (args.warmup_steps, args.warmup_ratio) {
        (_, Some(r)) => Warmup::Ratio(r),
        (n, None) => Warmup::Steps(n.unwrap_or(0)),
    };
    let options = FineTuneOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr,
        weight_decay: args.weight_decay.unwrap_or(0.01),
        warmup,
        max_grad_norm: args.max_grad_norm,
        seed: args.seed,
        eval_batch: EVAL_BATCH,
        checkpoint: args.checkpoint.clone(),
        resume: args.resume,
        group_by_length: true,
    };
    let total = train_x.len().div_ceil(args.batch_size.max(1)) * args.epochs;
    let warmup_steps = axon::nn::bert::warmup_steps(warmup, total)?;
    let trainable: usize = model.trainable_parameters().iter().map(|(_, p)| p.numel()).sum();
    if !args.quiet {
        let what = match (args.fine_tune, args.freeze_layers) {
            (false, _) => "a head on the frozen encoder".to_owned(),
            (true, None) => "the encoder and a head".to_owned(),
            (true, Some(k)) => format!("the encoder above layer {k} and a head"),
        };
        errln!(
            "axon: training {what} ({trainable} parameters) of {} on {column}, {} classes, {} \
             rows, {total} steps",
            dir.display(),
            class_names.len(),
            train_x.len()
        )?;
    }
    let mut reporter = Reporter::new(args.quiet, true);
    let val = (!val_x.is_empty()).then_some((val_x.as_slice(), val_y.as_slice()));
    let started = std::time::Instant::now();
    let report =
        fine_tune(&mut model, (&train_x, &train_y), val, &options, &mut |e| reporter.event(e))?;
    let train_seconds = started.elapsed().as_secs_f64();
    for warning in &report.warnings {
        errln!("axon: warning: {warning}")?;
    }
    let (proba, _) = model.predict_proba(&test_x, EVAL_BATCH)?;
    let k = class_names.len();
    let truth: Vec<usize> = test_y.iter().map(|&c| c as usize).collect();
    let predicted: Vec<usize> = proba.chunks(k).map(argmax).collect();
    let history = &report.progress.history;
    let summary = Report {
        encoder: dir.display().to_string(),
        fine_tune: args.fine_tune,
        frozen_layers: model.frozen_layers(),
        data: args.data.display().to_string(),
        column: &column,
        classes: &class_names,
        parameters: model.num_parameters(),
        trainable_parameters: trainable,
        train_rows: train_x.len(),
        val_rows: val_x.len(),
        test_rows: test_x.len(),
        steps: total,
        warmup_steps,
        epochs: history,
        test_accuracy: accuracy(&truth, &predicted)?,
        test_log_loss: log_loss(&truth, &proba)?,
        train_seconds,
    };
    if let Some(out) = &args.out {
        model.save(out, &settings_record("train", args)?)?;
        let files = DataRecord::new(&args.data, "csv", std::slice::from_ref(&args.data))?;
        let argv = std::env::args().collect();
        let mut record = RunRecord::new(argv, serde_json::to_value(args)?, args.seed, files);
        record.epochs = history.clone();
        record.result = serde_json::to_value(&summary)?;
        record.write(&with_suffix(out, ".run.json"))?;
        if !args.quiet {
            errln!("axon: model written to {}", out.display())?;
        }
    }
    if let Some(plot) = plot_path(args) {
        let title = format!("axon train: {} on {column}", dir.display());
        let info = CurveInfo {
            title: &title,
            test_accuracy: Some(summary.test_accuracy),
            best_epoch: None,
        };
        curves::write(&plot, history, &info)?;
        if !args.quiet {
            errln!("axon: training curves written to {}", plot.display())?;
        }
    }
    if let Some(failed) = reporter.failed {
        return Err(failed.into());
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
        return Ok(());
    }
    outln!("{}", model.describe())?;
    outln!(
        "test accuracy {:.2}% ({} rows), log loss {:.4}, {} in {}",
        100.0 * summary.test_accuracy,
        summary.test_rows,
        summary.test_log_loss,
        epochs(history.len()),
        duration(train_seconds)
    )?;
    Ok(())
}
