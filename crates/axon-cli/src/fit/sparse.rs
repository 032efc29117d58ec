//! `axon fit` on a LibSVM / SVMlight file: an L2 (or unpenalised) binary logit on the sparse
//! design as the file gives it (`axon::data::read_libsvm` → `Csr`), never densified, by
//! LIBLINEAR's trust-region Newton method (`--solver auto|newton`) or L-BFGS (`--solver lbfgs`).
//! The report gives the objective, the training log loss and accuracy, and the largest
//! coefficients by feature index (`--json`: all of them). Sparse fits have no inference table
//! and are not saved yet; the flags of the table path (columns, basis expansions, weights,
//! covariance, `--out`) are refused with a message that says so.

use std::collections::BTreeSet;

use axon::data::{read_libsvm, LibsvmOptions};
use axon::linear::{fit_sparse_logit, SparseLogitOptions, SparseSolver};
use serde::Serialize;

use super::report::print_json;
use super::{Cov, FitArgs};
use crate::common::flag;
use crate::options::{ClassWeightKind, Model, PenaltyKind, Solver};
use crate::output::outln;

/// Coefficients listed in the text report, per sign.
const SHOWN: usize = 10;

#[derive(Serialize)]
struct SparseJson {
    model: &'static str,
    data: String,
    n_obs: usize,
    n_features: usize,
    nnz: usize,
    positive_label: f64,
    penalty: String,
    solver: &'static str,
    iterations: usize,
    converged: bool,
    gradient_norm: f64,
    /// Wall time of the fit alone (not the reading).
    fit_seconds: f64,
    objective: f64,
    log_loss: f64,
    accuracy: f64,
    intercept: Option<f64>,
    /// By feature index as the file numbers them.
    coefficients: Vec<(u64, f64)>,
}

/// Refuses the flags that have no meaning for a sparse LibSVM design.
fn check_flags(args: &FitArgs) -> anyhow::Result<()> {
    let refuse = |what: &str| anyhow::bail!("--data {}: {what}", args.design.data.display());
    let d = &args.design;
    if args.model != Model::Logit {
        return refuse(&format!(
            "a LibSVM file is fitted by the binary logit only (got --model {})",
            flag(args.model)
        ));
    }
    if d.features.is_some() || !d.categorical.is_empty() || d.poly != 1 || d.interactions {
        return refuse("a LibSVM file has numbered features: --features, --categorical, --poly and --interactions do not apply");
    }
    if d.standardize || args.weights.is_some() || args.cov != Cov::Nonrobust {
        return refuse("--standardize, --weights and --cov are not available for sparse fits");
    }
    if args.fit.class_weight != ClassWeightKind::None {
        return refuse("--class-weight is not available for sparse fits");
    }
    if matches!(args.fit.penalty, Some(PenaltyKind::L1 | PenaltyKind::Elasticnet)) {
        return refuse("sparse fits take --penalty l2 or none");
    }
    if !matches!(args.fit.solver, Solver::Auto | Solver::Newton | Solver::Lbfgs) {
        return refuse(&format!(
            "sparse fits use --solver auto (trust-region Newton) or lbfgs (got {})",
            flag(args.fit.solver)
        ));
    }
    if let Some(path) = &args.out {
        return refuse(&format!(
            "--out {}: saving a sparse model is not available yet",
            path.display()
        ));
    }
    Ok(())
}

/// Runs `axon fit` on a LibSVM file.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let data = read_libsvm(&args.design.data, &LibsvmOptions::default())?;
    let labels: BTreeSet<u64> = data.labels.iter().map(|l| l.to_bits()).collect();
    let mut distinct: Vec<f64> = labels.into_iter().map(f64::from_bits).collect();
    distinct.sort_by(f64::total_cmp);
    if distinct.len() != 2 {
        anyhow::bail!(
            "--data {}: the binary logit needs two labels, the file has {} ({})",
            args.design.data.display(),
            distinct.len(),
            distinct.iter().take(5).map(|l| l.to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let positive = match &args.design.positive {
        Some(p) => {
            let value: f64 =
                p.parse().map_err(|_| anyhow::anyhow!("--positive {p}: not a label"))?;
            if !distinct.contains(&value) {
                anyhow::bail!("--positive {p}: the labels are {} and {}", distinct[0], distinct[1]);
            }
            value
        }
        None => distinct[1],
    };
    let y: Vec<f64> = data.labels.iter().map(|&l| f64::from(l == positive)).collect();
    let penalised = args.fit.penalty == Some(PenaltyKind::L2) || args.fit.alpha > 0.0;
    let alpha = if penalised { args.fit.alpha } else { 0.0 };
    let (solver, solver_name) = match args.fit.solver {
        Solver::Lbfgs => (SparseSolver::Lbfgs, "lbfgs"),
        _ => (SparseSolver::Tron, "trust-region Newton (TRON)"),
    };
    let opts = SparseLogitOptions {
        alpha,
        fit_intercept: !args.design.no_intercept,
        solver,
        tol: args.tol,
        max_iter: args.max_iter,
    };
    let started = std::time::Instant::now();
    let fit = fit_sparse_logit(&data.x, &y, None, &opts)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let p = fit.predict_proba(&data.x)?;
    let n = y.len() as f64;
    let log_loss = p
        .iter()
        .zip(&y)
        .map(|(&p, &y)| -(if y == 1.0 { p } else { 1.0 - p }).max(f64::MIN_POSITIVE).ln())
        .sum::<f64>()
        / n;
    let accuracy = p.iter().zip(&y).filter(|(&p, &y)| (p >= 0.5) == (y == 1.0)).count() as f64 / n;
    let shift = u64::from(!data.zero_based);
    let coefficients: Vec<(u64, f64)> =
        fit.coef.iter().enumerate().map(|(j, &c)| (j as u64 + shift, c)).collect();
    let penalty = if alpha > 0.0 { format!("L2 (alpha = {alpha})") } else { "none".to_owned() };
    let report = SparseJson {
        model: "logit",
        data: args.design.data.display().to_string(),
        n_obs: data.x.n_rows(),
        n_features: data.x.n_cols(),
        nnz: data.x.nnz(),
        positive_label: positive,
        penalty,
        solver: solver_name,
        iterations: fit.iterations,
        converged: fit.converged,
        gradient_norm: fit.gradient_norm,
        fit_seconds,
        objective: fit.objective,
        log_loss,
        accuracy,
        intercept: opts.fit_intercept.then_some(fit.intercept),
        coefficients,
    };
    if args.json {
        return print_json(&report);
    }
    print_text(&report)
}

fn print_text(r: &SparseJson) -> anyhow::Result<()> {
    let density = r.nnz as f64 / (r.n_obs as f64 * r.n_features.max(1) as f64);
    outln!(
        "Sparse logit on {} (LibSVM): {} rows, {} features, {} non-zeros ({:.2}% dense)",
        r.data,
        r.n_obs,
        r.n_features,
        r.nnz,
        100.0 * density
    )?;
    outln!("Positive class: label {}   Penalty: {}", r.positive_label, r.penalty)?;
    let state = if r.converged { "converged" } else { "NOT CONVERGED" };
    outln!(
        "Solver {}: {state} in {} iterations (‖∇F‖₂ = {:.3e})",
        r.solver,
        r.iterations,
        r.gradient_norm
    )?;
    outln!(
        "Objective F = {:.10}   training log loss = {:.6}   training accuracy = {:.2}%",
        r.objective,
        r.log_loss,
        100.0 * r.accuracy
    )?;
    if let Some(b) = r.intercept {
        outln!("Intercept: {b:.6}")?;
    }
    let mut sorted = r.coefficients.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let positive: Vec<_> = sorted.iter().filter(|c| c.1 > 0.0).take(SHOWN).collect();
    let negative: Vec<_> = sorted.iter().rev().filter(|c| c.1 < 0.0).take(SHOWN).collect();
    for (title, list) in [("Largest positive", positive), ("Largest negative", negative)] {
        if list.is_empty() {
            continue;
        }
        outln!("\n{title} coefficients (feature index: coefficient):")?;
        for (j, c) in list {
            outln!("  {j:>8}  {c:>12.6}")?;
        }
    }
    if r.coefficients.len() > 2 * SHOWN {
        outln!("\n(--json lists all {} coefficients)", r.coefficients.len())?;
    }
    Ok(())
}
