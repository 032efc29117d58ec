//! `axon cv`: k-fold cross-validation of a linear classifier over a grid of penalty strengths,
//! printing each candidate's mean and spread of the chosen metric and the best one.
//!
//! The folds are stratified by class and shuffled by a seeded generator, so the same `--seed`
//! gives the same folds and numbers. The design matrix is built once from the whole file (the
//! categorical levels, and with `--standardize` the means and standard deviations, come from all
//! rows, as with a scaler fitted before scikit-learn's `cross_val_score`); each fold's model is
//! fitted on its training rows only and scored on its held-out rows.

use anyhow::Context;
use axon::cv::{grid_search, stratified_kfold, Fold, Goal, GridSearch};
use axon::data::Design;
use axon::linear::{
    fit_binary, fit_multinomial, fit_one_vs_rest, BinaryData, Link, MultinomialData,
    MultinomialOptions, Penalty,
};
use axon::metrics::{self, argmax};
use axon::Rng;
use clap::{Args, ValueEnum};
use faer::Mat;
use serde::Serialize;

use crate::common::read_frame;
use crate::fit::{DesignArgs, Model};
use crate::options::{flag, SolverArgs};

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

impl Metric {
    fn goal(self) -> Goal {
        match self {
            Metric::LogLoss | Metric::Brier => Goal::Minimize,
            Metric::Accuracy | Metric::RocAuc | Metric::F1Macro => Goal::Maximize,
        }
    }

    /// The score of probabilities `proba` (`n × K`) for the true classes `y`.
    fn score(self, y: &[usize], proba: &Mat<f64>) -> axon::Result<f64> {
        let k = proba.ncols();
        let rows: Vec<Vec<f64>> =
            (0..proba.nrows()).map(|i| (0..k).map(|c| proba[(i, c)]).collect()).collect();
        let flat: Vec<f64> = rows.concat();
        let pred: Vec<usize> = rows.iter().map(|r| argmax(r)).collect();
        match self {
            Metric::LogLoss => metrics::log_loss(y, &flat),
            Metric::Brier => metrics::brier_score(y, &flat),
            Metric::Accuracy => metrics::accuracy(y, &pred),
            Metric::F1Macro => Ok(metrics::precision_recall_f1(y, &pred, k)?.macro_avg.f1),
            Metric::RocAuc => {
                let p1: Vec<f64> = rows.iter().map(|r| r[1]).collect();
                metrics::roc_auc(y, &p1)
            }
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
    penalty: Option<crate::options::PenaltyKind>,
    n_obs: usize,
    #[serde(flatten)]
    search: &'a GridSearch<f64>,
}

/// Runs `axon cv`.
pub fn run(args: &CvArgs) -> anyhow::Result<()> {
    let alphas = parse_grid(&args.grid)?;
    let frame = read_frame(&args.design.data, args.design.drop_missing)?;
    let design = Design::new(&frame, &args.design.spec())?;
    let y = design.class_indices();
    let k = design.target.n_classes();
    if args.metric == Metric::RocAuc && k != 2 {
        anyhow::bail!(
            "--metric roc-auc needs a binary target; `{}` has {k} classes",
            args.design.target
        );
    }
    if args.model.link().is_some() && k != 2 {
        anyhow::bail!(
            "--model {} needs a binary target; `{}` has {k} classes (use --model softmax or ovr)",
            flag(args.model),
            args.design.target
        );
    }
    let mut rng = Rng::seed(args.fit.seed);
    let folds = stratified_kfold(&y, args.folds, Some(&mut rng))?;
    let score = |alpha: &f64, fold: &Fold| -> axon::Result<f64> {
        let proba = fit_and_predict(args, &design, &y, *alpha, fold)?;
        let test_y: Vec<usize> = fold.test.iter().map(|&i| y[i]).collect();
        args.metric.score(&test_y, &proba)
    };
    let search = grid_search("alpha", &alphas, &folds, args.metric.goal(), score)?;
    if args.json {
        let json = CvJson {
            data: args.design.data.display().to_string(),
            target: design.encoder.target_name(),
            model: args.model,
            metric: args.metric,
            folds: args.folds,
            seed: args.fit.seed,
            penalty: args.fit.penalty,
            n_obs: design.n_rows(),
            search: &search,
        };
        println!("{}", serde_json::to_string_pretty(&json).context("writing the JSON report")?);
    } else {
        println!(
            "{}-fold stratified cross-validation (seed {}) of {} on {}, n = {}, metric {}",
            args.folds,
            args.fit.seed,
            flag(args.model),
            args.design.data.display(),
            design.n_rows(),
            flag(args.metric)
        );
        println!("{search}");
    }
    Ok(())
}

/// Fits on the fold's training rows with penalty `alpha` and returns the test rows'
/// probabilities, `n_test × K`.
fn fit_and_predict(
    args: &CvArgs,
    design: &Design,
    y: &[usize],
    alpha: f64,
    fold: &Fold,
) -> axon::Result<Mat<f64>> {
    let rows =
        |idx: &[usize]| Mat::from_fn(idx.len(), design.x.ncols(), |i, j| design.x[(idx[i], j)]);
    let (x_train, x_test) = (rows(&fold.train), rows(&fold.test));
    let intercept = design.encoder.has_intercept().then_some(0);
    let options = |link| {
        args.fit
            .binary_options(link, intercept, alpha, args.max_iter, 1e-10)
            .map_err(|e| axon::Error::invalid("options", "flags", e.to_string()))
    };
    let train_classes: Vec<usize> = fold.train.iter().map(|&i| y[i]).collect();
    match args.model {
        Model::Logit | Model::Probit => {
            let link = args.model.link().unwrap_or(Link::Logit);
            let y_train: Vec<f64> = train_classes.iter().map(|&c| c as f64).collect();
            let data = BinaryData::new(x_train.as_ref(), &y_train, &design.names)?;
            let p1 = fit_binary(&data, &options(link)?)?.predict_proba(x_test.as_ref())?;
            Ok(Mat::from_fn(p1.len(), 2, |i, c| if c == 1 { p1[i] } else { 1.0 - p1[i] }))
        }
        Model::Ovr => {
            let data = MultinomialData::new(x_train.as_ref(), &train_classes, &design.names)?;
            let fit = fit_one_vs_rest(&data, &options(Link::Logit)?)?;
            fit.predict_proba(x_test.as_ref())
        }
        Model::Softmax => {
            let data = MultinomialData::new(x_train.as_ref(), &train_classes, &design.names)?;
            let opts = MultinomialOptions {
                penalty: Penalty::L2(alpha),
                max_iter: args.max_iter,
                ..MultinomialOptions::new(intercept)
            };
            fit_multinomial(&data, &opts)?.predict_proba(x_test.as_ref())
        }
    }
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
