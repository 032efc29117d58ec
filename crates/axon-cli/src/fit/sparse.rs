//! `axon fit` on a LibSVM / SVMlight file, on the sparse design as the file gives it
//! (`axon::data::read_libsvm` → `Csr`), never densified: the binary logit with an L2 (or no)
//! penalty by LIBLINEAR's trust-region Newton method (`--solver auto|newton`) or L-BFGS
//! (`--solver lbfgs`), or with an L1 / elastic-net penalty by newGLMNET (`--solver auto|cd`);
//! for more than two labels `--model softmax` (L-BFGS, L2) or `--model ovr` (one binary fit per
//! class, any of those penalties; `multi.rs` reports them). The report gives the objective, the training log
//! loss and accuracy, and the largest coefficients by feature index (`--json`: all of them).
//! Sparse fits have no inference table; the flags of the table path (columns, basis expansions,
//! weights, covariance) are refused with a message that says so. `--out` saves a sparse linear
//! model whose classes are the labels (`axon predict` and `axon eval` then read LibSVM files).

mod multi;

use std::collections::BTreeSet;

use axon::data::{read_libsvm, LibsvmOptions, SparseData};
use axon::linear::{
    fit_sparse_l1, fit_sparse_logit, largest, SparseL1Options, SparseLinearModel,
    SparseLogitOptions, SparseSolver,
};
use axon::text::SparseEncoder;
use serde::Serialize;

use super::report::{print_json, training_fit};
use super::{Cov, FitArgs};
use crate::common::{flag, settings_record};
use crate::options::{ClassWeightKind, Model, PenaltyKind, Solver};
use crate::output::{errln, outln};
use crate::ranks;

/// The class column a LibSVM model names: the label before the features.
const TARGET: &str = "label";

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
    /// Coefficients that are not zero (an L1 penalty sets many to exactly zero).
    nonzero: usize,
    /// By feature index as the file numbers them.
    coefficients: Vec<(u64, f64)>,
}

/// Refuses the flags that have no meaning for a sparse LibSVM design.
fn check_flags(args: &FitArgs) -> anyhow::Result<()> {
    let refuse = |what: &str| anyhow::bail!("--data {}: {what}", args.design.data.display());
    let d = &args.design;
    if !matches!(args.model, Model::Logit | Model::Softmax | Model::Ovr) {
        return refuse(&format!(
            "a LibSVM file is fitted by --model logit, softmax or ovr (got --model {})",
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
    let sparse_l1 = matches!(args.fit.penalty, Some(PenaltyKind::L1 | PenaltyKind::Elasticnet));
    if sparse_l1 && args.model == Model::Softmax {
        return refuse(&format!(
            "--penalty {} on a LibSVM file is fitted per class, as LIBLINEAR's -s 6: use --model \
             ovr (--model softmax takes --penalty l2 or none)",
            flag(args.fit.penalty.unwrap_or(PenaltyKind::L2)),
        ));
    }
    let allowed: &[Solver] = match args.model {
        _ if sparse_l1 => &[Solver::Auto, Solver::Cd],
        Model::Softmax => &[Solver::Auto, Solver::Lbfgs],
        _ => &[Solver::Auto, Solver::Newton, Solver::Lbfgs],
    };
    if !allowed.contains(&args.fit.solver) {
        let names: Vec<String> = allowed.iter().map(|s| flag(*s)).collect();
        return refuse(&format!(
            "this sparse fit uses --solver {} (got {})",
            names.join(" or "),
            flag(args.fit.solver)
        ));
    }
    Ok(())
}

/// With `--out`, writes the model `build` makes from the encoder of `data` (the file's own
/// columns) and the run's settings.
fn save(
    args: &FitArgs,
    data: &SparseData,
    build: impl FnOnce(SparseEncoder, serde_json::Value) -> axon::Result<SparseLinearModel>,
) -> anyhow::Result<()> {
    let Some(path) = &args.out else { return Ok(()) };
    let encoder = SparseEncoder::libsvm(data.x.n_cols(), data.zero_based);
    build(encoder, settings_record("fit", args)?)?.save(path)?;
    errln!("axon: model written to {}", path.display())?;
    Ok(())
}

/// `α` of an L2 fit: `--alpha` unless `--penalty none`; of an L1 / elastic-net fit, `--alpha`.
fn penalty_alpha(args: &FitArgs) -> f64 {
    if args.fit.penalty == Some(PenaltyKind::None) {
        0.0
    } else {
        args.fit.alpha
    }
}

/// `--max-iter`, at least 1000 for L-BFGS (as the table path: its default of 100 counts Newton
/// steps).
fn max_iter_of(args: &FitArgs) -> usize {
    if args.fit.solver == Solver::Lbfgs || args.model == Model::Softmax {
        args.max_iter.max(1000)
    } else {
        args.max_iter
    }
}

/// The solver of L1 and elastic-net fits.
pub(super) const L1_SOLVER: &str = "newGLMNET (coordinate descent)";

/// The options and the penalty's name of an L1 or elastic-net fit (`None` for L2 or none), on a
/// LibSVM file or text columns.
pub(super) fn l1_options(args: &FitArgs) -> anyhow::Result<Option<(SparseL1Options, String)>> {
    let kind = match args.fit.penalty {
        Some(kind @ (PenaltyKind::L1 | PenaltyKind::Elasticnet)) => kind,
        _ => return Ok(None),
    };
    let l1_ratio = if kind == PenaltyKind::L1 { 1.0 } else { args.fit.l1_ratio };
    if !(l1_ratio > 0.0 && l1_ratio <= 1.0) {
        anyhow::bail!(
            "--l1-ratio {l1_ratio}: a sparse elastic net needs 0 < r ≤ 1 (r = 0 is --penalty l2)"
        );
    }
    let alpha = args.fit.alpha;
    if alpha.is_nan() || alpha <= 0.0 {
        anyhow::bail!("--alpha {alpha}: an L1 or elastic-net penalty needs --alpha > 0");
    }
    let opts = SparseL1Options {
        alpha,
        l1_ratio,
        fit_intercept: !args.design.no_intercept,
        tol: args.tol(),
        max_iter: args.max_iter,
    };
    let name = if kind == PenaltyKind::L1 {
        format!("L1 (alpha = {alpha})")
    } else {
        format!("elastic net (alpha = {alpha}, l1_ratio = {l1_ratio})")
    };
    Ok(Some((opts, name)))
}

/// TRON unless `--solver lbfgs`.
fn solver_of(args: &FitArgs) -> SparseSolver {
    if args.fit.solver == Solver::Lbfgs {
        SparseSolver::Lbfgs
    } else {
        SparseSolver::Tron
    }
}

fn solver_name(solver: SparseSolver) -> &'static str {
    match solver {
        SparseSolver::Lbfgs => "lbfgs",
        SparseSolver::Tron => "trust-region Newton (TRON)",
    }
}

fn l2_name(alpha: f64) -> String {
    if alpha > 0.0 {
        format!("L2 (alpha = {alpha})")
    } else {
        "none".to_owned()
    }
}

/// Runs `axon fit` on a LibSVM file.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let data = read_libsvm(&args.design.data, &LibsvmOptions::default())?;
    let labels: BTreeSet<u64> = data.labels.iter().map(|l| l.to_bits()).collect();
    let mut distinct: Vec<f64> = labels.into_iter().map(f64::from_bits).collect();
    distinct.sort_by(f64::total_cmp);
    let shown = || distinct.iter().take(5).map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
    if distinct.len() < 2 {
        anyhow::bail!("--data {}: one label only ({})", args.design.data.display(), shown());
    }
    if args.model != Model::Logit {
        return multi::run(args, &data, &distinct);
    }
    if distinct.len() != 2 {
        anyhow::bail!(
            "--data {}: the binary logit needs two labels, the file has {} ({}); fit them with \
             --model softmax or --model ovr",
            args.design.data.display(),
            distinct.len(),
            shown()
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
    let alpha = penalty_alpha(args);
    let fit_intercept = !args.design.no_intercept;
    let started = std::time::Instant::now();
    // Over MPI ranks: this rank fits its rows, the solver's sums run over every rank's, and
    // rank 0 alone reports on the whole file and writes the model.
    let (fit, solver_name, penalty) = match l1_options(args)? {
        Some((opts, penalty)) => {
            let fit = ranks::fit_sparse_rows(&data.x, &y, |x, y| fit_sparse_l1(x, y, None, &opts))?;
            (fit, L1_SOLVER, penalty)
        }
        None => {
            let opts = SparseLogitOptions {
                alpha,
                fit_intercept,
                solver: solver_of(args),
                tol: args.tol(),
                max_iter: max_iter_of(args),
            };
            let fit =
                ranks::fit_sparse_rows(&data.x, &y, |x, y| fit_sparse_logit(x, y, None, &opts))?;
            (fit, solver_name(opts.solver), l2_name(alpha))
        }
    };
    if !ranks::is_root() {
        return Ok(());
    }
    let fit_seconds = started.elapsed().as_secs_f64();
    let classes: Vec<usize> = y.iter().map(|&v| usize::from(v == 1.0)).collect();
    let (log_loss, accuracy) = training_fit(&fit.predict_proba(&data.x)?, &classes)?;
    let shift = u64::from(!data.zero_based);
    let coefficients: Vec<(u64, f64)> =
        fit.coef.iter().enumerate().map(|(j, &c)| (j as u64 + shift, c)).collect();
    let nonzero = fit.coef.iter().filter(|c| **c != 0.0).count();
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
        intercept: fit_intercept.then_some(fit.intercept),
        nonzero,
        coefficients,
    };
    if args.json {
        print_json(&report)?;
    } else {
        print_text(&report)?;
    }
    let negative = distinct.iter().find(|&&l| l != positive).copied().unwrap_or(positive);
    let classes = vec![negative.to_string(), positive.to_string()];
    save(args, &data, |encoder, settings| {
        SparseLinearModel::from_logit(encoder, TARGET.into(), classes, &fit, settings)
    })
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
    outln!("Non-zero coefficients: {} of {}", r.nonzero, r.coefficients.len())?;
    // The largest coefficients by size on the side `sign`.
    let side = |sign: f64| {
        let scored = (r.coefficients.iter().enumerate()).map(|(i, c)| (i, sign * c.1));
        let top = largest(scored.filter(|c| c.1 > 0.0), SHOWN);
        top.into_iter().map(|(i, _)| r.coefficients[i]).collect::<Vec<_>>()
    };
    for (title, list) in [("Largest positive", side(1.0)), ("Largest negative", side(-1.0))] {
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
