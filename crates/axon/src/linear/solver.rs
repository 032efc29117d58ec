//! The choice of solver for a binary fit, and the two first-order ones that need no more than the
//! gradient of the smooth objective
//!
//! ```text
//! F(β) = −Σᵢ wᵢ ℓᵢ(β) + λ₂/2 ‖β̃‖²,    ∇F = −Xᵀ(w ⊙ ∂ℓ/∂η) + λ₂ β̃        X: (n, p), β: (p)
//! ```
//!
//! - L-BFGS ([`super::lbfgs`]) on `F / Σwᵢ`, scikit-learn's scaling, with scikit-learn's stop:
//!   `‖∇F‖∞ / Σwᵢ ≤ tol` (its `gtol = tol`) or a relative decrease of `F / Σwᵢ` in one iteration
//!   at most `64 ε` (its `ftol`); each evaluation reads `X` once;
//! - the lectures' gradient ascent on `−F`: `θ ← θ + η ∇(−F)(θ)` from `θ = 0`, the gradient
//!   `Σᵢ (yᵢ − σ(θᵀxᵢ)) xᵢⱼ` taken over the full pass before the update, until the step
//!   `max_j |η ∇ⱼ|` is below `tol` or after `max_steps` steps.
//!
//! [`Solver::Auto`] picks Newton for unpenalised and L2 fits up to [`NEWTON_MAX_COLUMNS`] columns,
//! L-BFGS beyond, and coordinate descent whenever the penalty has an L1 part.

use faer::MatRef;

use super::binary::Problem;
use super::blocks::fused_pass;
use super::lbfgs::{self, max_abs, LbfgsOptions, LbfgsStop};
use super::penalty::Penalty;
use crate::error::{Error, Result};

/// Above this many columns [`Solver::Auto`] prefers L-BFGS to Newton's `p × p` system.
pub const NEWTON_MAX_COLUMNS: usize = 1000;

/// A first-order stochastic method for [`Solver::Sgd`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SgdMethod {
    /// `v ← μ v + g`, `θ ← θ − η v` (`μ = 0`: plain SGD).
    Momentum { momentum: f64 },
    /// Adam (Kingma & Ba), bias-corrected moments.
    Adam { beta1: f64, beta2: f64, eps: f64 },
}

/// Mini-batch training of the model through the autograd engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdOptions {
    pub method: SgdMethod,
    /// `η₀`; epoch `e` (from 0) uses `η₀ / (1 + decay · e)`.
    pub learning_rate: f64,
    pub decay: f64,
    /// Rows per mini-batch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    pub epochs: usize,
    /// Seed of the shuffling (`axon::Rng`).
    pub seed: u64,
    /// Converged when the mean gradient `‖∇F‖∞ / Σwᵢ` at the end is below `tol`.
    pub tol: f64,
}

impl SgdOptions {
    /// Adam with `β₁ = 0.9`, `β₂ = 0.999`, `ε = 10⁻⁸`.
    pub fn adam(learning_rate: f64, batch_size: usize, epochs: usize, seed: u64) -> Self {
        let method = SgdMethod::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
        SgdOptions { method, learning_rate, decay: 0.0, batch_size, epochs, seed, tol: 1e-4 }
    }

    /// SGD with momentum `μ` (0 for plain SGD).
    pub fn momentum(learning_rate: f64, momentum: f64, batch_size: usize, epochs: usize) -> Self {
        let method = SgdMethod::Momentum { momentum };
        SgdOptions { method, learning_rate, decay: 0.0, batch_size, epochs, seed: 0, tol: 1e-4 }
    }
}

/// Which algorithm fits a binary model.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Solver {
    /// Newton up to [`NEWTON_MAX_COLUMNS`] columns, L-BFGS beyond, coordinate descent for L1.
    #[default]
    Auto,
    /// Damped Newton–Raphson (IRLS for the logit); `BinaryOptions::max_iter` steps at most.
    Newton,
    /// L-BFGS with `memory` pairs, at most `max_iter` iterations.
    Lbfgs { memory: usize, max_iter: usize },
    /// glmnet's IRLS + cyclic coordinate descent, at most `max_sweeps` sweeps over the columns
    /// per IRLS step (`BinaryOptions::max_iter` IRLS steps).
    CoordinateDescent { max_sweeps: usize },
    /// The lectures' full-batch gradient ascent on the log-likelihood.
    GradientAscent { learning_rate: f64, max_steps: usize, tol: f64 },
    /// Mini-batch SGD or Adam through the autograd engine.
    Sgd(SgdOptions),
}

impl Solver {
    /// L-BFGS with 10 pairs and at most 1000 iterations.
    pub fn lbfgs() -> Solver {
        Solver::Lbfgs { memory: 10, max_iter: 1000 }
    }

    /// Coordinate descent with at most 10 000 sweeps per IRLS step.
    pub fn coordinate_descent() -> Solver {
        Solver::CoordinateDescent { max_sweeps: 10_000 }
    }

    /// The lower-case name.
    pub fn name(&self) -> &'static str {
        match self {
            Solver::Auto => "auto",
            Solver::Newton => "newton",
            Solver::Lbfgs { .. } => "lbfgs",
            Solver::CoordinateDescent { .. } => "coordinate_descent",
            Solver::GradientAscent { .. } => "gradient_ascent",
            Solver::Sgd(o) => match o.method {
                SgdMethod::Momentum { .. } => "sgd",
                SgdMethod::Adam { .. } => "adam",
            },
        }
    }

    /// The concrete solver for `penalty` on `p` columns, or an error for a pair that cannot work
    /// (a smooth-only method on an L1 penalty, bad settings).
    pub fn resolve(self, penalty: &Penalty, p: usize) -> Result<Solver> {
        let solver = match self {
            Solver::Auto if penalty.has_l1() => Solver::coordinate_descent(),
            Solver::Auto if p > NEWTON_MAX_COLUMNS => Solver::lbfgs(),
            Solver::Auto => Solver::Newton,
            other => other,
        };
        if penalty.has_l1() && !matches!(solver, Solver::CoordinateDescent { .. }) {
            let reason = "an L1 penalty is not differentiable: use coordinate descent";
            return Err(Error::invalid("solver", solver.name(), reason));
        }
        solver.validate()?;
        Ok(solver)
    }

    fn validate(&self) -> Result<()> {
        let positive = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(name, v, "must be finite and > 0"))
            }
        };
        match *self {
            Solver::Lbfgs { memory: 0, .. } => {
                Err(Error::invalid("memory", 0, "L-BFGS needs at least one pair"))
            }
            Solver::GradientAscent { learning_rate, tol, .. } => {
                positive("learning_rate", learning_rate)?;
                positive("tol", tol)
            }
            Solver::Sgd(o) => {
                positive("learning_rate", o.learning_rate)?;
                if o.batch_size == 0 {
                    return Err(Error::invalid("batch_size", 0, "must be ≥ 1"));
                }
                if !(o.decay.is_finite() && o.decay >= 0.0) {
                    return Err(Error::invalid("decay", o.decay, "must be finite and ≥ 0"));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Where a solver other than Newton ended.
#[derive(Debug, Clone)]
pub(crate) struct SolverOutcome {
    pub beta: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
    /// `‖∇F‖₂` (for L1: the smallest subgradient's norm).
    pub gradient_norm: f64,
    pub warning: Option<String>,
    /// Which criterion stopped an L-BFGS fit (`None` for the other solvers).
    pub stop: Option<LbfgsStop>,
}

/// `F(β)` and `∇F(β)` (the negated penalised log-likelihood) without the information matrix, in
/// one read of `X` ([`fused_pass`]: `η`, the per-row loss and score, `Xᵀ(w ⊙ ∂ℓ/∂η)` per block).
pub(crate) fn objective_and_gradient(problem: &Problem, beta: &[f64], grad: &mut [f64]) -> f64 {
    let coef = MatRef::from_column_major_slice(beta, beta.len(), 1);
    let (nll, g) = fused_pass(problem.x, coef, |start, mut z| {
        let mut nll = 0.0;
        for i in 0..z.nrows() {
            let row = start + i;
            let w = problem.weight(row);
            z[(i, 0)] = if w > 0.0 {
                let d = problem.link.derivs(problem.y[row], z[(i, 0)]);
                nll -= w * d.log_lik;
                -w * d.score
            } else {
                0.0
            };
        }
        nll
    });
    let mut penalty = 0.0;
    for (j, out) in grad.iter_mut().enumerate() {
        *out = g[(j, 0)];
        if Some(j) != problem.intercept {
            *out += problem.alpha * beta[j];
            penalty += 0.5 * problem.alpha * beta[j] * beta[j];
        }
    }
    nll + penalty
}

/// L-BFGS from `β = 0` on scikit-learn's scaling of the objective, `F / Σwᵢ` (the mean loss plus
/// `λ₂/(2Σwᵢ) ‖β̃‖²`), with its stopping rule: `‖∇F‖∞ / Σwᵢ ≤ tol` or a relative decrease of
/// `F / Σwᵢ` below `64 ε` (SciPy's `ftol`, as scikit-learn passes it).
pub(crate) fn fit_lbfgs(
    problem: &Problem,
    memory: usize,
    max_iter: usize,
    tol: f64,
    n_obs: f64,
) -> Result<SolverOutcome> {
    let opts = LbfgsOptions { memory, max_iter, gtol: tol, ..LbfgsOptions::scipy() };
    let f = |b: &[f64], g: &mut [f64]| {
        let value = objective_and_gradient(problem, b, g);
        g.iter_mut().for_each(|v| *v /= n_obs);
        value / n_obs
    };
    let r = lbfgs::minimize(f, vec![0.0; problem.p()], &opts)?;
    let gradient_norm = n_obs * r.gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    let warning = match r.reason {
        LbfgsStop::Gradient | LbfgsStop::RelativeDecrease => None,
        LbfgsStop::MaxIter => Some(format!(
            "L-BFGS did not converge in max_iter = {max_iter} iterations (mean ‖∇F‖∞ = {:.3e}, \
             target {:.3e}); the estimates are not the optimum",
            r.gradient_norm, opts.gtol
        )),
        LbfgsStop::LineSearch => Some(format!(
            "L-BFGS stopped: the line search found no acceptable step after {} iterations \
             (mean ‖∇F‖∞ = {:.3e}, target {:.3e})",
            r.iterations, r.gradient_norm, opts.gtol
        )),
    };
    Ok(SolverOutcome {
        beta: r.x,
        iterations: r.iterations,
        converged: r.converged,
        gradient_norm,
        warning,
        stop: Some(r.reason),
    })
}

/// The lectures' loop: `θ ← θ + η ∇(−F)(θ)` after each full pass, from `θ = 0`.
pub(crate) fn gradient_ascent(
    problem: &Problem,
    learning_rate: f64,
    max_steps: usize,
    tol: f64,
) -> SolverOutcome {
    let mut theta = vec![0.0; problem.p()];
    let mut grad = vec![0.0; problem.p()];
    let mut steps = 0;
    let converged = loop {
        objective_and_gradient(problem, &theta, &mut grad);
        let step = learning_rate * max_abs(&grad);
        if step < tol || !step.is_finite() {
            break step < tol;
        }
        // An interrupted fit stops as if at the limit; fit_binary turns it into the error.
        if steps == max_steps || crate::interrupt::stopped() {
            break false;
        }
        theta.iter_mut().zip(&grad).for_each(|(t, g)| *t -= learning_rate * g);
        steps += 1;
    };
    let gradient_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
    let last_step = learning_rate * max_abs(&grad);
    let warning = (!converged).then(|| {
        if last_step.is_finite() {
            format!(
                "gradient ascent did not converge in max_steps = {max_steps} steps (last step \
                 {last_step:.3e} > tol = {tol:.1e}); lower the learning rate or allow more steps"
            )
        } else {
            format!("gradient ascent diverged (learning rate {learning_rate} is too large)")
        }
    });
    SolverOutcome { beta: theta, iterations: steps, converged, gradient_norm, warning, stop: None }
}

#[cfg(test)]
mod tests {
    use faer::Mat;

    use super::*;
    use crate::linear::binary::Link;
    use crate::{gradcheck, Tensor};

    /// The hand-written `F` and `∇F` against the same loss built from tensor ops, whose autograd
    /// gradient is itself checked by central differences (`axon::gradcheck`, f64).
    #[test]
    fn gradient_matches_autograd_and_finite_differences() {
        let (n, p, alpha) = (7, 3, 0.7);
        let value = |i: usize, j: usize| ((i * 3 + j * 5) % 7) as f64 / 3.0 - 1.0;
        let x = Mat::from_fn(n, p, |i, j| if j == 0 { 1.0 } else { value(i, j) });
        let y = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0];
        let w = [1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 0.0];
        let problem = Problem {
            x: x.as_ref(),
            y: &y,
            weights: Some(&w),
            link: Link::Logit,
            alpha,
            intercept: Some(0),
        };
        let beta = [0.3, -0.8, 1.1];
        let mut grad = vec![0.0; p];
        let f = objective_and_gradient(&problem, &beta, &mut grad);

        let flat: Vec<f64> =
            (0..n).flat_map(|i| (0..p).map(move |j| (i, j))).map(|ij| x[ij]).collect();
        let xt = Tensor::from_vec(flat, [n, p]).unwrap();
        let yt = Tensor::from_vec(y.to_vec(), [n, 1]).unwrap();
        let wt = Tensor::from_vec(w.to_vec(), [n, 1]).unwrap();
        let mask = Tensor::from_vec(vec![0.0, 1.0, 1.0], [p, 1]).unwrap();
        let loss = |v: &[Tensor]| -> Result<Tensor> {
            let eta = xt.matmul(&v[0])?;
            let nll = eta.softplus()?.sub(&yt.mul(&eta)?)?.mul(&wt)?.sum_all()?;
            let ridge = v[0].mul(&mask)?.square()?.sum_all()?.mul_scalar(0.5 * alpha)?;
            nll.add(&ridge)
        };
        let b = Tensor::from_vec(beta.to_vec(), [p, 1]).unwrap();
        let report = gradcheck(loss, std::slice::from_ref(&b), 1e-6).unwrap();
        assert!(report.is_close(1e-7, 1e-6), "{report}");
        let tracked = b.requires_grad();
        let out = loss(std::slice::from_ref(&tracked)).unwrap();
        assert!((out.item().unwrap() - f).abs() < 1e-12);
        let auto = out.backward().unwrap().get(&tracked).unwrap().to_vec::<f64>().unwrap();
        for j in 0..p {
            assert!((auto[j] - grad[j]).abs() < 1e-12, "∂F/∂β{j}: {auto:?} vs {grad:?}");
        }
    }

    #[test]
    fn auto_picks_by_penalty_and_width() {
        let l1 = Penalty::ElasticNet { alpha: 1.0, l1_ratio: 0.5 };
        assert!(matches!(Solver::Auto.resolve(&l1, 5), Ok(Solver::CoordinateDescent { .. })));
        assert_eq!(Solver::Auto.resolve(&Penalty::L2(1.0), 5).unwrap(), Solver::Newton);
        let wide = Solver::Auto.resolve(&Penalty::None, NEWTON_MAX_COLUMNS + 1).unwrap();
        assert!(matches!(wide, Solver::Lbfgs { .. }));
        assert!(Solver::Newton.resolve(&l1, 5).is_err());
        let bad = Solver::GradientAscent { learning_rate: -1.0, max_steps: 1, tol: 1e-6 };
        assert!(bad.resolve(&Penalty::None, 5).is_err());
    }
}
