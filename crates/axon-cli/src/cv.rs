//! `axon cv`: k-fold cross-validation of a linear classifier over a grid of penalty strengths,
//! printing each candidate's mean and spread of the chosen metric and the best one.
//!
//! The folds are stratified by class and shuffled by a seeded generator, so the same `--seed`
//! gives the same folds and numbers. Every fold is fitted as `axon fit` would fit its training
//! rows: the design (categorical levels, and with `--standardize` the means and standard
//! deviations) is learned from those rows alone, the model goes through the same
//! `axon::linear::fit_linear` with the same options, and the held-out rows are transformed by
//! the fold's encoder and scored (`axon::linear::fit_fold`).

use anyhow::Context;
use axon::cv::{grid_search, GridSearch, Metric as LibMetric};
use axon::data::read_table;
use axon::linear::{check_options, fit_fold, fit_linear, stratified_folds, LinearKind};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::common::flag;
use crate::options::{DesignArgs, Model, PenaltyKind, SolverArgs};
use crate::output::outln;

/// Arguments of `axon cv`.
#[derive(Debug, Args, Serialize)]
pub struct CvArgs {
    #[command(flatten)]
    design: DesignArgs,
    #[command(flatten)]
    fit: SolverArgs,
    /// The model.
    #[arg(long, value_enum, default_value_t = Model::Logit)]
    model: Model,
    /// The number of folds.
    #[arg(long, value_name = "K", default_value_t = 5)]
    folds: usize,
    /// The candidate values, `alpha=A1,A2,...`: the penalty strength of `axon fit --alpha` (the
    /// penalty is --penalty, l2 by default).
    #[arg(long, value_name = "alpha=A1,A2,...")]
    grid: String,
    /// The score to compare candidates by.
    #[arg(long, value_enum, default_value_t = Metric::LogLoss)]
    metric: Metric,
    /// The most iterations of each fit (Newton or IRLS steps).
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_iter: usize,
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
    #[serde(flatten)]
    search: &'a GridSearch<f64>,
}

/// Runs `axon cv`.
pub fn run(args: &CvArgs) -> anyhow::Result<()> {
    let alphas = parse_grid(&args.grid)?;
    let kind = LinearKind::from(args.model);
    let options = (alphas.iter())
        .map(|&a| Ok((a, args.fit.options(a, args.max_iter, 1e-10)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (_, o) in &options {
        check_options(kind, o, false)?;
    }
    let frame = read_table(&args.design.data, &args.design.read_options(&[]))?;
    let spec = args.design.spec();
    let metric = LibMetric::from(args.metric);
    metric.check(frame.column(&spec.target)?.distinct_labels().len())?;
    let folds = stratified_folds(&frame, &spec.target, args.folds, args.fit.seed)?;
    let score = |alpha: &f64, fold: &axon::cv::Fold| {
        let (_, opts) = options.iter().find(|(a, _)| a == alpha).expect("an alpha of the grid");
        let fit = |design: &axon::data::Design| {
            fit_linear(kind, design, None, opts)?
                .to_model(design.encoder.clone(), Default::default())
        };
        fit_fold(&frame, &spec, fold, fit)?.score(metric)
    };
    let search = grid_search("alpha", &alphas, &folds, metric.goal(), score)?;
    if args.json {
        let json = CvJson {
            data: args.design.data.display().to_string(),
            target: &spec.target,
            model: args.model,
            metric: args.metric,
            folds: args.folds,
            seed: args.fit.seed,
            penalty: args.fit.penalty,
            n_obs: frame.n_rows,
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
        outln!("{search}")?;
    }
    Ok(())
}

/// `alpha=0.01,0.1,1` → the values; each finite and ≥ 0.
fn parse_grid(grid: &str) -> anyhow::Result<Vec<f64>> {
    let (name, values) = grid
        .split_once('=')
        .with_context(|| format!("--grid `{grid}`: expected `alpha=A1,A2,...`"))?;
    if name.trim() != "alpha" {
        anyhow::bail!(
            "--grid `{grid}`: unknown parameter `{}`; the grid is over `alpha`",
            name.trim()
        );
    }
    values
        .split(',')
        .map(|v| match v.trim().parse::<f64>() {
            Ok(a) if a.is_finite() && a >= 0.0 => Ok(a),
            _ => anyhow::bail!("--grid `{grid}`: `{v}` is not a penalty strength (a number ≥ 0)"),
        })
        .collect()
}
