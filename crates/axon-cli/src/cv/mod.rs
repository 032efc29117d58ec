//! `axon cv`: k-fold cross-validation of a linear classifier over a grid of fit options
//! (`--grid NAME=V1,V2,...`, repeatable: every combination is a candidate), printing each
//! candidate's mean and spread of the chosen metric, marking the best, and with `--out` refitting
//! the best on all rows and saving it as `axon fit --out` would.
//!
//! The folds are stratified by class and shuffled by a seeded generator, so the same `--seed`
//! gives the same folds and numbers. Every fold is fitted as `axon fit` would fit its training
//! rows: the design (categorical levels, the basis expansion, and with `--standardize` the means
//! and standard deviations) is learned from those rows alone, the model goes through the same
//! `axon::linear::fit_linear` with the same options, and the held-out rows are transformed by
//! the fold's encoder and scored (`axon::linear::fit_fold`). `grid.rs` reads the grid.
//! Networks are not cross-validated here (`axon train` has its own validation split).

mod grid;
mod text;

use std::cell::RefCell;
use std::path::PathBuf;

use anyhow::Context;
use axon::cv::{grid_search, Goal, GridSearch, Metric as LibMetric};
use axon::data::{read_table, Design, DesignSpec};
use axon::linear::{
    check_options, fit_fold, fit_linear, stratified_folds, LinearKind, LinearOptions,
};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::common::{flag, message, settings_record};
use crate::options::{DesignArgs, Model, PenaltyKind, SolverArgs};
use crate::output::{errln, outln};
use crate::text_args::TextArgs;
use grid::Setting;

/// Arguments of `axon cv`.
#[derive(Debug, Args, Serialize)]
pub struct CvArgs {
    #[command(flatten)]
    design: DesignArgs,
    #[command(flatten)]
    fit: SolverArgs,
    #[command(flatten)]
    text: TextArgs,
    /// The model.
    #[arg(long, value_enum, default_value_t = Model::Logit)]
    model: Model,
    /// The number of folds.
    #[arg(long, value_name = "K", default_value_t = 5)]
    folds: usize,
    /// Candidate values of a fit option, `NAME=V1,V2,...`; repeat for more options (every
    /// combination is a candidate). NAME is one of alpha, l1-ratio, penalty, model,
    /// class-weight, solver, poly, interactions, standardize; the other flags hold for every
    /// candidate.
    #[arg(long, value_name = "NAME=V1,V2,...", required = true)]
    grid: Vec<String>,
    /// The score to compare candidates by.
    #[arg(long, value_enum, default_value_t = Metric::LogLoss)]
    metric: Metric,
    /// The most iterations of each fit (Newton or IRLS steps).
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_iter: usize,
    /// Refit the best candidate on all rows and save it (as `axon fit --out`), for `axon
    /// predict`, `axon eval` and `axon summary`. Written atomically.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// `--metric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
enum Metric {
    LogLoss,
    Accuracy,
    RocAuc,
    Brier,
    F1Macro,
}

impl From<Metric> for LibMetric {
    fn from(m: Metric) -> LibMetric {
        match m {
            Metric::LogLoss => LibMetric::LogLoss,
            Metric::Accuracy => LibMetric::Accuracy,
            Metric::RocAuc => LibMetric::RocAuc,
            Metric::Brier => LibMetric::Brier,
            Metric::F1Macro => LibMetric::F1Macro,
        }
    }
}

#[derive(Serialize)]
struct CvJson<'a> {
    data: String,
    target: &'a str,
    model: Model,
    metric: Metric,
    folds: usize,
    seed: u64,
    penalty: Option<PenaltyKind>,
    n_obs: usize,
    /// The grid's parameter names, in the order of the --grid flags.
    grid: &'a [&'static str],
    #[serde(flatten)]
    search: &'a GridSearch<Setting>,
}

/// One candidate made ready to fit: the model, the design and the library's options.
struct Candidate {
    kind: LinearKind,
    spec: DesignSpec,
    options: LinearOptions,
    /// The flags with the candidate's values, for the record of a saved model.
    design: DesignArgs,
    fit: SolverArgs,
    model: Model,
}

/// The record kept with a model saved by `axon cv --out`.
#[derive(Serialize)]
struct OutRecord<'a> {
    /// The flags of the refit (the best candidate's values put in).
    design: &'a DesignArgs,
    fit: &'a SolverArgs,
    model: Model,
    max_iter: usize,
    /// The candidate chosen and the cross-validation that chose it.
    best: &'a Setting,
    metric: Metric,
    folds: usize,
    cv_mean: f64,
    cv_std: f64,
}

/// Runs `axon cv`.
pub fn run(args: &CvArgs) -> anyhow::Result<()> {
    if !args.text.text.is_empty() || args.model == Model::Nb {
        if args.text.text.is_empty() {
            anyhow::bail!("--model nb: name the text columns with --text COL");
        }
        return text::run(args);
    }
    if let Some(name) = args.text.other_flags().first() {
        anyhow::bail!("{name} describes text features: name the text columns with --text COL");
    }
    let (names, settings) = grid::settings(&args.grid)?;
    if names.contains(&"nb-alpha") {
        anyhow::bail!("--grid nb-alpha: the smoothing of --model nb, on --text columns");
    }
    if !names.contains(&"model") {
        LinearKind::try_from(args.model)?;
    }
    let candidates = (settings.iter())
        .map(|s| {
            candidate(args, s).map_err(|e| anyhow::anyhow!("--grid setting `{s}`: {}", message(&e)))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let frame = read_table(&args.design.data, &args.design.read_options(&[]))?;
    let target = args.design.spec().target;
    let metric = LibMetric::from(args.metric);
    metric.check(frame.column(&target)?.distinct_labels().len())?;
    let folds = stratified_folds(&frame, &target, args.folds, args.fit.seed)?;
    // The setting being scored, to name it when its fit fails.
    let current = RefCell::new(String::new());
    let score = |setting: &Setting, fold: &axon::cv::Fold| {
        let i = settings.iter().position(|s| s == setting).expect("a setting of the grid");
        let c = &candidates[i];
        *current.borrow_mut() = setting.to_string();
        let fit = |design: &Design| {
            fit_linear(c.kind, design, None, &c.options)?
                .to_model(design.encoder.clone(), Default::default())
        };
        fit_fold(&frame, &c.spec, fold, fit)?.score(metric)
    };
    let search =
        grid_search(&names.join(","), &settings, &folds, metric.goal(), score).map_err(|e| {
            match current.borrow().as_str() {
                "" => anyhow::Error::from(e),
                s => anyhow::anyhow!("--grid setting `{s}`: {}", message(&anyhow::Error::from(e))),
            }
        })?;
    if args.json {
        let json = CvJson {
            data: args.design.data.display().to_string(),
            target: &target,
            model: args.model,
            metric: args.metric,
            folds: args.folds,
            seed: args.fit.seed,
            penalty: args.fit.penalty,
            n_obs: frame.n_rows,
            grid: &names,
            search: &search,
        };
        outln!("{}", serde_json::to_string_pretty(&json).context("writing the JSON report")?)?;
    } else {
        outln!(
            "{}-fold stratified cross-validation (seed {}) of {} on {}, n = {}, metric {}",
            args.folds,
            args.fit.seed,
            flag(args.model),
            args.design.data.display(),
            frame.n_rows,
            flag(args.metric)
        )?;
        outln!("{}", table(&names, &search))?;
    }
    if let Some(path) = &args.out {
        let best = &candidates[search.best];
        let design = Design::new(&frame, &best.spec)?;
        drop(frame);
        let row = search.best_row();
        let record = OutRecord {
            design: &best.design,
            fit: &best.fit,
            model: best.model,
            max_iter: args.max_iter,
            best: &row.value,
            metric: args.metric,
            folds: args.folds,
            cv_mean: row.cv.mean,
            cv_std: row.cv.std,
        };
        let fit = fit_linear(best.kind, &design, None, &best.options)?;
        fit.to_model(design.encoder, settings_record("cv", &record)?)?.save(path)?;
        errln!(
            "axon: best setting {} refitted on all rows, model written to {}",
            row.value,
            path.display()
        )?;
    }
    Ok(())
}

/// The flags of `args` with `setting` put in, checked and made into library options.
fn candidate(args: &CvArgs, setting: &Setting) -> anyhow::Result<Candidate> {
    let (design, fit, model) = setting.apply(&args.design, &args.fit, args.model);
    let kind = LinearKind::try_from(model)?;
    let options = fit.options(fit.alpha, args.max_iter, 1e-10)?;
    check_options(kind, &options)?;
    Ok(Candidate { kind, spec: design.spec(), options, design, fit, model })
}

/// One row per candidate: its values, the mean ± sd of the metric over the folds; `*` marks
/// the best.
fn table(names: &[&str], search: &GridSearch<Setting>) -> String {
    let cells: Vec<Vec<String>> =
        (search.rows.iter()).map(|r| r.value.0.iter().map(ToString::to_string).collect()).collect();
    let widths: Vec<usize> = (0..names.len())
        .map(|j| {
            cells.iter().map(|c| c[j].chars().count()).chain([names[j].len()]).max().unwrap_or(0)
        })
        .collect();
    let goal = match search.goal {
        Goal::Maximize => "higher is better",
        Goal::Minimize => "lower is better",
    };
    let pad = |s: &str, w: usize| format!("{s:<w$}");
    let header: Vec<String> = names.iter().zip(&widths).map(|(n, &w)| pad(n, w)).collect();
    let mut out = format!("  {}  {:>8}   {}    ({goal})\n", header.join("  "), "mean", "± sd");
    for (i, (row, cells)) in search.rows.iter().zip(&cells).enumerate() {
        let mark = if i == search.best { '*' } else { ' ' };
        let values: Vec<String> = cells.iter().zip(&widths).map(|(c, &w)| pad(c, w)).collect();
        out.push_str(&format!(
            "{mark} {}  {:>8.4} ± {:.4}\n",
            values.join("  "),
            row.cv.mean,
            row.cv.std
        ));
    }
    out + &format!("best: {}", search.best_value())
}
