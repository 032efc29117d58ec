//! `axon fit --text COL --encoder DIR`: a logistic regression (logit, probit, softmax or
//! one-vs-rest, with any penalty, solver and class weights `axon fit` takes) on the frozen
//! sentence embeddings of text columns. The library embeds each --text column by the sentence
//! encoder (`EncoderFeatures`: columns `COL:emb0 …`, several text columns concatenated), the
//! --features columns join them as in any fit, and the design, fit and saved model are those of
//! a table fit (`fit_linear`); `--out` saves an `EncodedLinearModel`, which keeps the encoder's
//! directory and the SHA-256 of its files so that `axon predict` and `axon eval` embed raw text
//! through the very same encoder (or refuse a changed one).
//!
//! The report is short, as a text fit's: the fit, the training log loss and accuracy, the
//! coefficients of the other columns and the largest embedding coefficients; `--json` is the
//! full report of a table fit (every coefficient, with inference where the fit has it).

use std::io::IsTerminal;
use std::time::Instant;

use axon::data::{Design, Format, ReadOptions};
use axon::linear::{check_options, fit_linear, largest, row_major, EncodedLinearModel, LinearKind};
use axon::nn::bert::{EncoderFeatures, SentenceEncoder};
use indicatif::{ProgressBar, ProgressStyle};

use super::report::{training_fit, Context};
use super::{report_fit, weight_column, Cov, FitArgs};
use crate::common::{flag, settings_record};
use crate::options::{describe, Model};
use crate::output::{errln, outln};

/// Embedding coefficients listed per equation in the text report.
const SHOWN: usize = 10;

/// Refuses flags that do not apply to a fit on sentence embeddings, naming them.
fn check_flags(args: &FitArgs) -> anyhow::Result<()> {
    let d = &args.design;
    if args.text.text.is_empty() {
        anyhow::bail!("--encoder embeds text columns: name them with --text COL");
    }
    if let Some(name) = args.text.other_flags().first() {
        anyhow::bail!(
            "{name} describes word features; --encoder embeds each --text column whole by the \
             sentence encoder"
        );
    }
    if matches!(args.model, Model::Nb | Model::Ols) {
        anyhow::bail!(
            "--model {} does not apply to --encoder, which fits --model logit, probit, softmax \
             or ovr on the embeddings",
            flag(args.model)
        );
    }
    let stream = [("--stream", args.stream.stream), ("--hash", args.stream.hash.is_some())];
    let stream = stream.into_iter().chain([
        ("--numeric", !args.stream.numeric.is_empty()),
        ("--log-bin", !args.stream.log_bin.is_empty()),
        ("--cross", !args.stream.cross.is_empty()),
    ]);
    if let Some((name, _)) = stream.into_iter().find(|f| f.1) {
        anyhow::bail!("{name} hashes table columns; --encoder fits on sentence embeddings");
    }
    let expansions = [
        ("--poly", d.poly != 1),
        ("--interactions", d.interactions),
        ("--drop-missing", d.drop_missing),
    ];
    if let Some((name, _)) = expansions.iter().find(|f| f.1) {
        anyhow::bail!(
            "{name} does not apply to --encoder (it would expand or drop rows of hundreds of \
             embedding columns; an empty text is an empty text)"
        );
    }
    let format = Format::resolve(d.format.map(Format::from), &d.data);
    if matches!(format, Format::Libsvm | Format::Vw) {
        anyhow::bail!("--encoder reads a table with named columns (CSV, TSV or Parquet)");
    }
    if args.fit.batch_size == 0 {
        anyhow::bail!("--batch-size 0: a mini-batch holds at least one row");
    }
    if args.embed_batch == 0 {
        anyhow::bail!("--embed-batch 0: embed at least one text at a time");
    }
    Ok(())
}

/// Runs `axon fit --text COL --encoder DIR`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let Some(dir) = &args.encoder else { anyhow::bail!("--encoder DIR is required here") };
    let kind = LinearKind::try_from(args.model)?;
    let options = args.fit.options(args.fit.alpha, args.max_iter, args.tol())?;
    check_options(kind, &options)?;
    if args.cov != Cov::Nonrobust && !matches!(args.model, Model::Logit | Model::Probit) {
        anyhow::bail!("--cov {} is available for logit and probit only", flag(args.cov));
    }
    let texts: Vec<String> = args.text.text.iter().map(|t| t.trim().to_owned()).collect();
    let mut spec = args.design.spec();
    let others = spec.features.clone().unwrap_or_default();
    let target = spec.target.clone();
    if let Some(c) = others.iter().find(|c| texts.contains(c)) {
        anyhow::bail!("--features {c}: a --text column is embedded, not also a feature");
    }
    if texts.contains(&target) {
        anyhow::bail!("--text {target}: the target column cannot also be a feature");
    }
    let encoder = SentenceEncoder::load(dir)?;
    let features = EncoderFeatures::new(&encoder, texts.clone(), args.embed_batch)?;
    let mut columns = texts.clone();
    columns.extend(others.iter().cloned());
    columns.extend(args.weights.iter().cloned());
    columns.push(target.clone());
    let mut categorical = texts.clone();
    categorical.extend(spec.categorical.iter().cloned());
    let read = ReadOptions {
        format: args.design.format.map(Format::from),
        // An empty field is an empty text, as `axon predict` reads it.
        missing: Vec::new(),
        columns: Some(columns),
        categorical,
        ..ReadOptions::default()
    };
    let frame = axon::data::read_table(&args.design.data, &read)?;
    for name in others.iter().filter(|c| !spec.categorical.contains(c)) {
        let column = frame.column(name)?;
        if !column.is_numeric() {
            let text = column.distinct_labels().into_iter().find(|l| l.parse::<f64>().is_err());
            anyhow::bail!(
                "--features {name}: the column holds `{}`, not a number (no value is missing \
                 with --encoder; list a column of labels in --categorical, and embed a text \
                 column with --text)",
                text.unwrap_or_default()
            );
        }
    }
    let mut names = features.feature_names();
    names.extend(others);
    spec.features = Some(names);
    let weights = match &args.weights {
        Some(column) => Some(weight_column(&frame, &mut spec, column)?),
        None => None,
    };
    let n_texts = frame.n_rows * texts.len();
    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(n_texts as u64);
        let style = ProgressStyle::with_template("embed {bar:30} {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    });
    let started = Instant::now();
    let embedded = features.append_with_progress(&encoder, &frame, |done| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    })?;
    let embed_seconds = started.elapsed().as_secs_f64();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    drop(frame);
    let design = Design::new(&embedded, &spec)?;
    drop(embedded);
    let started = Instant::now();
    let fit = fit_linear(kind, &design, weights.as_deref(), &options)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let model = fit.to_model(design.encoder.clone(), settings_record("fit", args)?)?;
    let model = EncodedLinearModel::new(features, model)?;
    if args.json {
        let ctx = Context {
            data: args.design.data.display().to_string(),
            dropped_rows: 0,
            max_iter: args.max_iter,
            tol: args.tol(),
            json: true,
            force_inference: args.force_inference,
        };
        report_fit(args, &fit, &design, weights.as_deref(), &ctx)?;
    } else {
        let times = (embed_seconds, n_texts, fit_seconds);
        let penalty = describe(&options.penalty);
        report(args, &model, &design, fit.converged(), &penalty, times)?;
    }
    if let Some(path) = &args.out {
        model.save(path)?;
        errln!("axon: model written to {}", path.display())?;
    }
    Ok(())
}

/// The short text report.
fn report(
    args: &FitArgs,
    model: &EncodedLinearModel,
    design: &Design,
    converged: bool,
    penalty: &str,
    (embed_seconds, n_texts, fit_seconds): (f64, usize, f64),
) -> anyhow::Result<()> {
    let f = &model.features;
    outln!(
        "Model: {} of {} on the sentence embeddings of {} ({} dimensions each; encoder {}), \
         data {}",
        model.linear.kind.name(),
        design.encoder.target_name(),
        f.columns.join(", "),
        f.dim,
        f.dir.display(),
        args.design.data.display()
    )?;
    outln!(
        "n = {}, {} columns, classes {}, penalty {penalty}",
        design.n_rows(),
        design.n_cols(),
        design.classes().join(", ")
    )?;
    if !converged {
        outln!(
            "NOT CONVERGED: these are not the estimates of the objective; try --standardize or \
             more iterations (--max-iter, --steps)"
        )?;
    }
    let proba = row_major(&model.linear.predict_proba_design(design.x.as_ref())?);
    let (log_loss, accuracy) = training_fit(&proba, &design.class_indices())?;
    outln!("Training log loss = {log_loss:.6}   training accuracy = {:.2}%", 100.0 * accuracy)?;
    let rate = n_texts as f64 / embed_seconds.max(1e-9);
    outln!(
        "Embedding {n_texts} texts {embed_seconds:.2} s ({rate:.1} texts/s), fit {fit_seconds:.3} s"
    )?;
    let table = model.linear.coefficient_table();
    let embedded = f.feature_names();
    let width = table.names.iter().map(|n| n.chars().count()).max().unwrap_or(4).max(4);
    let others: Vec<usize> =
        (0..table.names.len()).filter(|&j| !embedded.contains(&table.names[j])).collect();
    if !others.is_empty() {
        outln!("\nCoefficients of the other columns:")?;
        let header: Vec<String> = table.equations.iter().map(|c| format!("{c:>12}")).collect();
        outln!("{:<width$} {}", "", header.join(" "))?;
        for &j in &others {
            let row: Vec<String> = table.values[j].iter().map(|b| format!("{b:>12.6}")).collect();
            outln!("{:<width$} {}", table.names[j], row.join(" "))?;
        }
    }
    for (k, class) in table.equations.iter().enumerate() {
        let sizes = (0..table.names.len())
            .filter(|&j| embedded.contains(&table.names[j]))
            .map(|j| (j, table.values[j][k].abs()));
        outln!("\nLargest embedding coefficients towards {class} (of {}):", embedded.len())?;
        for (j, _) in largest(sizes, SHOWN) {
            outln!("  {:<width$} {:>12.6}", table.names[j], table.values[j][k])?;
        }
    }
    outln!("\n(--json lists every coefficient, with standard errors where the fit gives them)")?;
    Ok(())
}
