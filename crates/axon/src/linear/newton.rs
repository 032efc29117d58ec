//! Damped Newton–Raphson for a concave (penalised) log-likelihood — the binary fits' (for the
//! logit link this is exactly IRLS) and the multinomial fit's — written once, with step-halving so
//! that every accepted step raises the objective.
//!
//! At `β` the Newton direction solves `H Δ = g` (information `H`, gradient `g`) by a Cholesky
//! factorisation `H = L Lᵀ`; the step `β + t Δ` starts at `t = 1` and is halved (at most 30 times)
//! while the objective decreases. The iteration stops when `max_j |Δ_j| / (1 + |β_j|) < tol` (the
//! tiny last step is still applied), when `‖g‖ < tol` and that step is below `√tol` (a vanishing
//! gradient with a large step is a flat direction, not an optimum), or after `max_iter` steps.
//!
//! For an unpenalised fit the solver watches for separation: when the gradient vanishes or an
//! observation's margin (`q η` for a binary fit, own score minus the best rival for a multinomial
//! one) grows past the link's saturation margin while the Newton direction itself is a
//! (quasi-)separating direction, the coefficients are running off to infinity and it stops with
//! [`Stop::Separated`] instead of reporting huge estimates. What "separating" means is the
//! problem's business ([`Concave::separates`]); the loop is the same.

use faer::linalg::solvers::{Llt, LltError, Solve};
use faer::{Mat, Side};

/// Halvings of a step before the line search gives up.
const MAX_HALVINGS: usize = 30;
/// Relative size of the objective's rounding error below which a predicted gain is noise.
const ROUNDING: f64 = 1e-12;

/// A concave objective Newton's method maximises: a (penalised) log-likelihood.
pub(crate) trait Concave {
    /// Objective, gradient and information at `beta`.
    fn evaluate(&self, beta: &[f64]) -> Evaluation;

    /// The objective alone (the line search needs no more).
    fn objective(&self, beta: &[f64]) -> f64;

    /// Whether the maximum may fail to exist, so that the solver must watch for separation
    /// (an unpenalised likelihood; a penalised one always has its maximum).
    fn watches_separation(&self) -> bool;

    /// The margin beyond which an observation is fitted so well that its information vanishes.
    fn saturation_margin(&self) -> f64;

    /// Whether `direction` (quasi-)separates the outcomes.
    fn separates(&self, direction: &[f64]) -> bool;
}

/// The objective, its gradient and the information matrix at one `β`.
#[derive(Debug, Clone)]
pub(crate) struct Evaluation {
    /// Penalised log-likelihood `ℓ(β) − α/2 ‖β̃‖²`.
    pub objective: f64,
    pub gradient: Vec<f64>,
    /// `−∇²` of the objective (positive semi-definite).
    pub information: Mat<f64>,
    /// The largest margin over observations with positive weight.
    pub max_margin: f64,
    /// The smallest margin over observations with positive weight (above 0: every observation
    /// ranked correctly).
    pub min_margin: f64,
}

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
    /// The smallest margin at the final `β`.
    pub min_margin: f64,
}

/// Maximises the problem's objective from `beta` by damped Newton–Raphson.
pub(crate) fn maximise(
    problem: &impl Concave,
    mut beta: Vec<f64>,
    max_iter: usize,
    tol: f64,
) -> Outcome {
    let watch = problem.watches_separation();
    let mut iterations = 0;
    let mut direction = Vec::new();
    let stop = loop {
        let ev = problem.evaluate(&beta);
        match newton_direction(&ev) {
            Ok(delta) => direction = delta,
            Err(index) => break Stop::Singular { index },
        }
        let gnorm = norm(&ev.gradient);
        let saturated = ev.max_margin > problem.saturation_margin();
        if watch && (gnorm < tol || saturated) && problem.separates(&direction) {
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
        // An interrupted fit stops as if at the limit; its caller turns it into the error.
        if iterations == max_iter || crate::interrupt::stopped() {
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
    problem: &impl Concave,
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

/// `converged` and the warning for the way the iteration stopped.
pub(crate) fn convergence(out: &Outcome, max_iter: usize) -> (bool, Option<String>) {
    let step = relative_step(&out.direction, &out.beta);
    let detail = format!("relative step = {step:.3e}, gradient norm = {:.3e}", out.gradient_norm);
    match out.stop {
        Stop::Converged | Stop::Separated | Stop::Singular { .. } => (true, None),
        Stop::MaxIter => (
            false,
            Some(format!(
                "Newton-Raphson did not converge in max_iter = {} iterations ({detail}); the \
                 estimates are not the maximum-likelihood estimates",
                max_iter
            )),
        ),
        // A step at the rounding level of the coefficients is the optimum.
        Stop::LineSearch if step <= 1e-8 => (true, None),
        Stop::LineSearch => (
            false,
            Some(format!("step-halving found no increase of the log-likelihood ({detail})")),
        ),
    }
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
