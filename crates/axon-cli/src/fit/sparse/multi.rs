//! `axon fit --model softmax|ovr` on a LibSVM file: the multinomial logit (L-BFGS) or one binary
//! logit per class (TRON, or L-BFGS with `--solver lbfgs`; newGLMNET for an L1 or elastic-net
//! penalty, as LIBLINEAR's `-s 6`) on the sparse design, the classes being the file's labels in
//! increasing order. The report gives the
//! objective, the training log loss and accuracy, each class's intercept and largest
//! coefficients (`--json`: all of them, `K` lists by feature index). Over MPI ranks each rank
//! fits its rows and rank 0 reports on the whole file.

use axon::data::SparseData;
use axon::linear::{
    fit_sparse_one_vs_rest, fit_sparse_one_vs_rest_l1, fit_sparse_softmax, largest,
    SparseLinearModel, SparseLogitOptions,
};
use serde::Serialize;

use super::{
    l1_options, l2_name, max_iter_of, penalty_alpha, save, solver_name, solver_of, FitArgs,
    L1_SOLVER, TARGET,
};
use crate::fit::report::{print_json, training_fit};
use crate::options::Model;
use crate::output::outln;
use crate::ranks;

/// Coefficients listed per class in the text report.
const SHOWN: usize = 5;

#[derive(Serialize)]
struct MultiJson {
    model: &'static str,
    data: String,
    n_obs: usize,
    n_features: usize,
    nnz: usize,
    /// The labels, in the order of the classes' rows.
    classes: Vec<f64>,
    penalty: String,
    solver: &'static str,
    iterations: usize,
    converged: bool,
    /// Wall time of the fit alone (not the reading).
    fit_seconds: f64,
    objective: f64,
    log_loss: f64,
    accuracy: f64,
    /// One per class (zeros with `--no-intercept`).
    intercept: Vec<f64>,
    /// One list per class, by feature index as the file numbers them.
    coefficients: Vec<Vec<(u64, f64)>>,
}

/// Fits and reports `K = classes.len()` classes.
pub fn run(args: &FitArgs, data: &SparseData, classes: &[f64]) -> anyhow::Result<()> {
    if let Some(p) = &args.design.positive {
        anyhow::bail!(
            "--positive {p}: --model {} has no positive class",
            crate::common::flag(args.model)
        );
    }
    let y: Vec<usize> =
        data.labels.iter().map(|l| classes.partition_point(|c| c.total_cmp(l).is_lt())).collect();
    let k = classes.len();
    let alpha = penalty_alpha(args);
    let opts = SparseLogitOptions {
        alpha,
        fit_intercept: !args.design.no_intercept,
        solver: solver_of(args),
        tol: args.tol(),
        max_iter: max_iter_of(args),
    };
    let started = std::time::Instant::now();
    // Over MPI ranks each rank fits its rows (the solvers sum across the ranks).
    let (fit, model, solver, penalty) = match l1_options(args)? {
        Some((l1, penalty)) => {
            let fit = ranks::fit_sparse_rows(&data.x, &y, |x, y| {
                fit_sparse_one_vs_rest_l1(x, y, k, None, &l1)
            })?;
            (fit, "ovr", L1_SOLVER, penalty)
        }
        None if args.model == Model::Softmax => {
            let fit = ranks::fit_sparse_rows(&data.x, &y, |x, y| {
                fit_sparse_softmax(x, y, k, None, &opts)
            })?;
            (fit, "softmax", "lbfgs", l2_name(alpha))
        }
        None => {
            let fit = ranks::fit_sparse_rows(&data.x, &y, |x, y| {
                fit_sparse_one_vs_rest(x, y, k, None, &opts)
            })?;
            (fit, "ovr", solver_name(opts.solver), l2_name(alpha))
        }
    };
    if !ranks::is_root() {
        return Ok(());
    }
    let fit_seconds = started.elapsed().as_secs_f64();
    let (log_loss, accuracy) = training_fit(&fit.predict_proba(&data.x)?, &y)?;
    let shift = u64::from(!data.zero_based);
    let p = fit.n_features();
    let coefficients = (0..k)
        .map(|c| {
            fit.coef[c * p..(c + 1) * p]
                .iter()
                .enumerate()
                .map(|(j, &v)| (j as u64 + shift, v))
                .collect()
        })
        .collect();
    let report = MultiJson {
        model,
        data: args.design.data.display().to_string(),
        n_obs: data.x.n_rows(),
        n_features: data.x.n_cols(),
        nnz: data.x.nnz(),
        classes: classes.to_vec(),
        penalty,
        solver,
        iterations: fit.iterations,
        converged: fit.converged,
        fit_seconds,
        objective: fit.objective,
        log_loss,
        accuracy,
        intercept: fit.intercept.clone(),
        coefficients,
    };
    if args.json {
        print_json(&report)?;
    } else {
        print_text(&report)?;
    }
    let names = classes.iter().map(f64::to_string).collect();
    save(args, data, |encoder, settings| {
        SparseLinearModel::from_multi(encoder, TARGET.into(), names, &fit, settings)
    })
}

fn print_text(r: &MultiJson) -> anyhow::Result<()> {
    let name =
        if r.model == "softmax" { "Softmax (multinomial) logit" } else { "One-vs-rest logits" };
    outln!(
        "{name} on {} (LibSVM): {} rows, {} features, {} non-zeros, {} classes",
        r.data,
        r.n_obs,
        r.n_features,
        r.nnz,
        r.classes.len()
    )?;
    outln!("Penalty: {}", r.penalty)?;
    let state = if r.converged { "converged" } else { "NOT CONVERGED" };
    outln!("Solver {}: {state} in {} iterations", r.solver, r.iterations)?;
    outln!(
        "Objective F = {:.10}   training log loss = {:.6}   training accuracy = {:.2}%",
        r.objective,
        r.log_loss,
        100.0 * r.accuracy
    )?;
    for ((label, b), coef) in r.classes.iter().zip(&r.intercept).zip(&r.coefficients) {
        let positive = (coef.iter().enumerate()).map(|(i, c)| (i, c.1)).filter(|c| c.1 > 0.0);
        let top: Vec<String> = (largest(positive, SHOWN).into_iter())
            .map(|(i, c)| format!("{}: {c:.4}", coef[i].0))
            .collect();
        outln!("\nClass {label}: intercept {b:.6}; largest coefficients {}", top.join(", "))?;
    }
    outln!("\n(--json lists all coefficients of every class)")?;
    Ok(())
}
