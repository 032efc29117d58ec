//! Coordinate descent for L1 and elastic-net penalised binary regression, as glmnet does it
//! (Friedman, Hastie & Tibshirani 2010): an outer IRLS loop replaces the negative log-likelihood
//! by its quadratic approximation at the current `β`, and cyclic coordinate descent with
//! soft-thresholding minimises that penalised weighted least-squares problem exactly.
//!
//! ```text
//! at β:   hᵢ = wᵢ (−∂²ℓᵢ/∂η²),   rᵢ = wᵢ (∂ℓᵢ/∂η) / hᵢ        (working residual zᵢ − ηᵢ)
//! Q(b)  = ½ Σᵢ hᵢ (zᵢ − xᵢᵀb)² + λ₁ ‖b̃‖₁ + λ₂/2 ‖b̃‖²          X: (n, p)
//! bⱼ   ← S(Σᵢ hᵢ xᵢⱼ (zᵢ − xᵢᵀb) + dⱼ bⱼ, λ₁) / (dⱼ + λ₂),   dⱼ = Σᵢ hᵢ xᵢⱼ²
//! S(u, λ) = sign(u) max(|u| − λ, 0)                               (exact zeros)
//! intercept: bⱼ ← bⱼ + Σᵢ hᵢ xᵢⱼ (zᵢ − xᵢᵀb) / dⱼ                 (never thresholded)
//! β ← β + t (b − β),  t ∈ {1, ½, …}   the first t that does not raise F
//! ```
//!
//! The inner loop sweeps all columns once, then cycles over the active set (nonzero
//! coefficients) until it settles, then sweeps all columns again; it ends when a full sweep
//! changes no coefficient by more than `tol · (1 + |bⱼ|)`. The outer loop ends when the IRLS step
//! does the same. The reported gradient norm is that of the minimum-norm subgradient of `F` (zero
//! exactly at the optimum), so a caller can check the KKT conditions.
//!
//! Inside a [`rows::RowShards`] scope (`mpirun -n K axon fit`) the rows are this rank's shard:
//! the column scales `dⱼ` and each coordinate's `Σᵢ hᵢ xᵢⱼ (zᵢ − xᵢᵀb)` are completed across the
//! ranks (one allreduce per coordinate update, as the sparse solver does), so every rank takes
//! the same steps; the objective and subgradient are reduced by `objective_and_gradient`.

use super::binary::Problem;
use super::newton::relative_step;
use super::solver::{objective_and_gradient, SolverOutcome};
use crate::distributed::rows;

/// Halvings of an IRLS step before the outer loop gives up.
const MAX_HALVINGS: usize = 30;
/// The smallest working weight, relative to `wᵢ`: keeps `rᵢ` finite for saturated rows.
const MIN_INFO: f64 = 1e-10;

/// The weighted least-squares problem of one IRLS step.
struct Quadratic<'a> {
    problem: &'a Problem<'a>,
    h: Vec<f64>,
    /// `z − X b`, kept up to date as `b` changes.
    residual: Vec<f64>,
    /// `dⱼ = Σ hᵢ xᵢⱼ²`.
    diag: Vec<f64>,
    l1: f64,
}

impl Quadratic<'_> {
    /// Updates `b[j]` and the residual; returns the relative change.
    fn update(&mut self, b: &mut [f64], j: usize) -> f64 {
        let d = self.diag[j];
        if d == 0.0 {
            return 0.0;
        }
        let col = self.problem.x.col(j);
        let local = col.iter().zip(&self.residual).zip(&self.h).map(|((x, r), h)| h * x * r);
        let dot = rows::sum(local.sum());
        let u = dot + d * b[j];
        let new = if Some(j) == self.problem.intercept {
            u / d
        } else {
            soft_threshold(u, self.l1) / (d + self.problem.alpha)
        };
        let delta = new - b[j];
        if delta != 0.0 {
            self.residual.iter_mut().zip(col.iter()).for_each(|(r, x)| *r -= x * delta);
            b[j] = new;
        }
        delta.abs() / (1.0 + new.abs())
    }

    /// One sweep over `columns`; the largest relative change.
    fn sweep(&mut self, b: &mut [f64], columns: impl Iterator<Item = usize>) -> f64 {
        columns.fold(0.0, |m, j| m.max(self.update(b, j)))
    }

    /// Minimises `Q` from `b` by cyclic coordinate descent with active-set cycling; returns the
    /// sweeps used and whether it settled within `max_sweeps`.
    fn solve(&mut self, b: &mut [f64], tol: f64, max_sweeps: usize) -> (usize, bool) {
        let p = b.len();
        let mut sweeps = 0;
        while sweeps < max_sweeps {
            sweeps += 1;
            if self.sweep(b, 0..p) < tol {
                return (sweeps, true);
            }
            let active: Vec<usize> = (0..p).filter(|&j| b[j] != 0.0).collect();
            while sweeps < max_sweeps {
                sweeps += 1;
                if self.sweep(b, active.iter().copied()) < tol {
                    break;
                }
            }
        }
        (sweeps, false)
    }
}

fn soft_threshold(u: f64, lambda: f64) -> f64 {
    if u > lambda {
        u - lambda
    } else if u < -lambda {
        u + lambda
    } else {
        0.0
    }
}

/// The quadratic approximation of the negative log-likelihood at `beta`.
fn quadratic<'a>(problem: &'a Problem<'a>, beta: &[f64], l1: f64) -> Quadratic<'a> {
    let eta = problem.eta(beta);
    let (n, p) = (problem.n(), problem.p());
    let mut h = vec![0.0; n];
    let mut residual = vec![0.0; n];
    for i in 0..n {
        let w = problem.weight(i);
        if w > 0.0 {
            let d = problem.link.derivs(problem.y[i], eta[i]);
            h[i] = w * d.info.max(MIN_INFO);
            residual[i] = w * d.score / h[i];
        }
    }
    let mut diag: Vec<f64> =
        (0..p).map(|j| problem.x.col(j).iter().zip(&h).map(|(x, hi)| hi * x * x).sum()).collect();
    rows::sum_slice(&mut diag);
    Quadratic { problem, h, residual, diag, l1 }
}

/// `F(β) = −ℓ(β) + λ₁‖β̃‖₁ + λ₂/2‖β̃‖²`.
fn objective(problem: &Problem, beta: &[f64], l1: f64) -> f64 {
    let mut g = vec![0.0; beta.len()];
    let smooth = objective_and_gradient(problem, beta, &mut g);
    let l1_term: f64 =
        (0..beta.len()).filter(|&j| Some(j) != problem.intercept).map(|j| beta[j].abs()).sum();
    smooth + l1 * l1_term
}

/// `‖·‖₂` of the minimum-norm subgradient of `F` at `beta` (0 exactly at the optimum).
pub(crate) fn subgradient_norm(problem: &Problem, beta: &[f64], l1: f64) -> f64 {
    let mut g = vec![0.0; beta.len()];
    objective_and_gradient(problem, beta, &mut g);
    let part = |j: usize| {
        if Some(j) == problem.intercept {
            g[j]
        } else if beta[j] != 0.0 {
            g[j] + l1 * beta[j].signum()
        } else {
            (g[j].abs() - l1).max(0.0)
        }
    };
    (0..beta.len()).map(|j| part(j).powi(2)).sum::<f64>().sqrt()
}

/// Fits `F` from `β = 0`: at most `max_iter` IRLS steps of at most `max_sweeps` sweeps each.
/// `problem.alpha` is `λ₂`, `l1` is `λ₁`.
pub(crate) fn fit_coordinate_descent(
    problem: &Problem,
    l1: f64,
    max_iter: usize,
    max_sweeps: usize,
    tol: f64,
) -> SolverOutcome {
    let mut beta = vec![0.0; problem.p()];
    let mut current = objective(problem, &beta, l1);
    let mut iterations = 0;
    let mut inner_ok = true;
    let stop = loop {
        // An interrupted fit stops as if at the limit; fit_binary turns it into the error.
        if iterations == max_iter || crate::interrupt::stopped() {
            break "max_iter";
        }
        let mut q = quadratic(problem, &beta, l1);
        let mut b = beta.clone();
        let (_, settled) = q.solve(&mut b, 0.1 * tol, max_sweeps);
        inner_ok &= settled;
        iterations += 1;
        let delta: Vec<f64> = b.iter().zip(&beta).map(|(a, c)| a - c).collect();
        if relative_step(&delta, &beta) < tol {
            beta = b;
            break "converged";
        }
        match halve(problem, &beta, &delta, current, l1) {
            Some((next, value)) => (beta, current) = (next, value),
            None => break "line search",
        }
    };
    let converged = stop == "converged" && inner_ok;
    let warning = (!converged).then(|| {
        let why = if inner_ok { stop } else { "max_sweeps in an inner coordinate-descent loop" };
        format!(
            "coordinate descent did not converge ({why} reached after {iterations} IRLS steps); \
             the estimates are not the optimum"
        )
    });
    SolverOutcome {
        gradient_norm: subgradient_norm(problem, &beta, l1),
        beta,
        iterations,
        converged,
        warning,
        stop: None,
    }
}

/// `β + t Δ` for the first `t = 1, ½, …` with `F` not above `current` (up to rounding).
fn halve(
    problem: &Problem,
    beta: &[f64],
    delta: &[f64],
    current: f64,
    l1: f64,
) -> Option<(Vec<f64>, f64)> {
    let noise = 1e-13 * (1.0 + current.abs());
    let mut t = 1.0;
    for _ in 0..=MAX_HALVINGS {
        let next: Vec<f64> = beta.iter().zip(delta).map(|(b, d)| b + t * d).collect();
        let value = objective(problem, &next, l1);
        if value <= current + noise {
            return Some((next, value));
        }
        t *= 0.5;
    }
    None
}
