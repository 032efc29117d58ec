//! Newton–Raphson for the concave (penalised) log-likelihood of a binary regression — for the
//! logit link this is exactly IRLS — with step-halving so that every accepted step raises the
//! objective.
//!
//! At `β` the Newton direction solves `H Δ = g` (information `H`, gradient `g`) by a Cholesky
//! factorisation `H = L Lᵀ`; the step `β + t Δ` starts at `t = 1` and is halved (at most 30 times)
//! while the objective decreases. The iteration stops when `max_j |Δ_j| / (1 + |β_j|) < tol` (the
//! tiny last step is still applied), when `‖g‖ < tol` and that step is below `√tol` (a vanishing
//! gradient with a large step is a flat direction, not an optimum), or after `max_iter` steps.
//!
//! For an unpenalised fit the solver watches for separation: when the gradient vanishes or an
//! observation's margin `q η` grows past the link's saturation margin while the Newton direction
//! itself is a (quasi-)separating direction — every `q xᵢᵀΔ ≥ 0` — the coefficients are running
//! off to infinity and it stops with [`Stop::Separated`] instead of reporting huge estimates.

use faer::linalg::solvers::{Llt, LltError, Solve};
use faer::{Mat, Side};

use super::binary::{Evaluation, Problem};
use super::separation;

/// Halvings of a step before the line search gives up.
const MAX_HALVINGS: usize = 30;
/// Relative size of the objective's rounding error below which a predicted gain is noise.
const ROUNDING: f64 = 1e-12;

/// Why the iteration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// `max |Δ| < tol` or `‖g‖ < tol`.
    Converged,
    /// `max_iter` steps taken.
    MaxIter,
    /// No step length in `2⁰ … 2⁻³⁰` raised the objective.
    LineSearch,
    /// The information matrix was not positive definite (pivot `index` failed).
    Singular { index: usize },
    /// The Newton direction separates the outcomes while the fit saturates.
    Separated,
}

/// The state the iteration ends in.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub beta: Vec<f64>,
    pub gradient_norm: f64,
    /// Newton steps taken (the final step below `tol` is applied but not counted).
    pub iterations: usize,
    pub stop: Stop,
    /// The last full Newton direction `Δ = H⁻¹ g` (empty if none could be computed).
    pub direction: Vec<f64>,
    /// The smallest margin `q η` at the final `β`.
    pub min_margin: f64,
}

/// Maximises the problem's objective from `beta` by damped Newton–Raphson.
pub(crate) fn maximise(
    problem: &Problem,
    mut beta: Vec<f64>,
    max_iter: usize,
    tol: f64,
) -> Outcome {
    let watch = problem.alpha == 0.0;
    let mut iterations = 0;
    let mut direction = Vec::new();
    let stop = loop {
        let ev = problem.evaluate(&beta);
        match newton_direction(&ev) {
            Ok(delta) => direction = delta,
            Err(index) => break Stop::Singular { index },
        }
        let gnorm = norm(&ev.gradient);
        let saturated = ev.max_margin > problem.link.saturation_margin();
        if watch
            && (gnorm < tol || saturated)
            && separation::separates(problem.x, problem.y, problem.weights, &direction)
        {
            break Stop::Separated;
        }
        let step = relative_step(&direction, &beta);
        if step < tol {
            axpy(&mut beta, 1.0, &direction);
            break Stop::Converged;
        }
        // A vanishing gradient with a large Newton step is a flat direction, not an optimum.
        if gnorm < tol && step < tol.sqrt() {
            break Stop::Converged;
        }
        if iterations == max_iter {
            break Stop::MaxIter;
        }
        match line_search(problem, &beta, &ev, &direction) {
            Some(next) => beta = next,
            None => break Stop::LineSearch,
        }
        iterations += 1;
    };
    let ev = problem.evaluate(&beta);
    Outcome {
        gradient_norm: norm(&ev.gradient),
        min_margin: ev.min_margin,
        beta,
        iterations,
        stop,
        direction,
    }
}

/// `Δ = H⁻¹ g` by Cholesky; `Err(pivot)` when `H` is not numerically positive definite.
fn newton_direction(ev: &Evaluation) -> Result<Vec<f64>, usize> {
    let llt = Llt::new(ev.information.as_ref(), Side::Lower)
        .map_err(|LltError::NonPositivePivot { index }| index)?;
    let g = Mat::from_fn(ev.gradient.len(), 1, |i, _| ev.gradient[i]);
    let delta = llt.solve(&g);
    let out: Vec<f64> = (0..delta.nrows()).map(|i| delta[(i, 0)]).collect();
    match out.iter().position(|v| !v.is_finite()) {
        None => Ok(out),
        Some(index) => Err(index),
    }
}

/// `β + t Δ` for the first `t = 1, ½, ¼, …` that does not lower the objective. The full step is
/// also taken when its predicted gain `gᵀΔ` is below the rounding error of the objective itself:
/// there a comparison of objective values is noise, and the quadratic model is exact.
fn line_search(
    problem: &Problem,
    beta: &[f64],
    ev: &Evaluation,
    delta: &[f64],
) -> Option<Vec<f64>> {
    let current = ev.objective;
    let gain: f64 = ev.gradient.iter().zip(delta).map(|(g, d)| g * d).sum();
    let noise = ROUNDING * (1.0 + current.abs());
    let mut t = 1.0;
    for _ in 0..=MAX_HALVINGS {
        let mut candidate = beta.to_vec();
        axpy(&mut candidate, t, delta);
        let value = problem.objective(&candidate);
        if value.is_finite() && (value >= current || (t == 1.0 && gain <= noise)) {
            return Some(candidate);
        }
        t *= 0.5;
    }
    None
}

/// `max_j |Δ_j| / (1 + |β_j|)`: an absolute step for coefficients below 1, relative above, so
/// that large coefficients can meet `tol` despite their own rounding.
pub(crate) fn relative_step(delta: &[f64], beta: &[f64]) -> f64 {
    delta.iter().zip(beta).fold(0.0, |m, (d, b)| m.max(d.abs() / (1.0 + b.abs())))
}

/// `y ← y + a x`.
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

pub(crate) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
