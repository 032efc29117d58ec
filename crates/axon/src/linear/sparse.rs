//! L2-penalised binary logistic regression on a sparse design ([`Csr`]), for designs too wide
//! to hold densely: bag-of-words documents, hashed click features, LibSVM files. The design is
//! read only through `X·β` and `Xᵀr`; it is never densified, and no `p × p` matrix is formed.
//!
//! The objective is scikit-learn's (and, without an intercept, LIBLINEAR's `-s 0` with `C = 1/α`)
//! up to the factor `C`:
//!
//! ```text
//! F(w, b) = Σᵢ sᵢ log(1 + exp(−ỹᵢ (xᵢᵀw + b))) + α/2 ‖w‖²      ỹᵢ = ±1, sᵢ the sample weights
//! ```
//!
//! with the intercept `b` not penalised. Two solvers:
//! - [`SparseSolver::Tron`], LIBLINEAR's trust-region Newton method (Lin, Weng & Keerthi 2008):
//!   each step solves `H s = −∇F` by conjugate gradients inside a trust region, with Hessian-vector
//!   products `Xᵀ(D (X v)) + α v`, `D = diag(sᵢ σ(zᵢ)(1 − σ(zᵢ)))`; it stops when
//!   `‖∇F‖₂ ≤ tol ‖∇F(0)‖₂`, LIBLINEAR's rule.
//! - [`SparseSolver::Lbfgs`], the L-BFGS of `lbfgs.rs` on `F / Σsᵢ` with scikit-learn's
//!   stopping rule (`‖∇F‖∞ / Σsᵢ ≤ tol`).

use crate::error::{Error, Result};
use crate::linear::binary::softplus;
use crate::linear::lbfgs::{self, LbfgsOptions};
use crate::sparse::Csr;

/// The solver of [`fit_sparse_logit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparseSolver {
    Tron,
    Lbfgs,
}

/// Settings of [`fit_sparse_logit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SparseLogitOptions {
    /// The L2 penalty `α` (`1/C`), ≥ 0.
    pub alpha: f64,
    pub fit_intercept: bool,
    pub solver: SparseSolver,
    /// TRON: stop when `‖∇F‖₂ ≤ tol ‖∇F(0)‖₂`; L-BFGS: when `‖∇F‖∞ / Σsᵢ ≤ tol`.
    pub tol: f64,
    /// The most outer iterations.
    pub max_iter: usize,
}

impl Default for SparseLogitOptions {
    fn default() -> Self {
        SparseLogitOptions {
            alpha: 1.0,
            fit_intercept: true,
            solver: SparseSolver::Tron,
            tol: 1e-6,
            max_iter: 1000,
        }
    }
}

/// A fitted sparse logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseLogitFit {
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// `F(w, b)` at the estimate.
    pub objective: f64,
    pub iterations: usize,
    pub converged: bool,
    /// `‖∇F‖₂` at the estimate.
    pub gradient_norm: f64,
}

impl SparseLogitFit {
    /// `P(y = 1 | x)` for each row of `x`.
    pub fn predict_proba(&self, x: &Csr) -> Result<Vec<f64>> {
        if x.n_cols() != self.coef.len() {
            return Err(Error::invalid(
                "x",
                format!("{} columns", x.n_cols()),
                format!("the model has {} features", self.coef.len()),
            ));
        }
        Ok(x.mul_vec(&self.coef)
            .iter()
            .map(|z| crate::linear::binary::sigmoid(z + self.intercept))
            .collect())
    }
}

/// Fits `P(y = 1) = σ(xᵀw + b)` to 0/1 labels `y` (with optional sample weights ≥ 0).
pub fn fit_sparse_logit(
    x: &Csr,
    y: &[f64],
    weights: Option<&[f64]>,
    opts: &SparseLogitOptions,
) -> Result<SparseLogitFit> {
    let problem = Logit::new(x, y, weights, opts)?;
    let (theta, iterations, converged) = match opts.solver {
        SparseSolver::Tron => tron(&problem, opts.tol, opts.max_iter),
        SparseSolver::Lbfgs => {
            let total = problem.total_weight;
            let lb =
                LbfgsOptions { max_iter: opts.max_iter, gtol: opts.tol, ..LbfgsOptions::scipy() };
            let f = |t: &[f64], g: &mut [f64]| {
                let value = problem.value_and_gradient(t, g).0;
                g.iter_mut().for_each(|v| *v /= total);
                value / total
            };
            let r = lbfgs::minimize(f, vec![0.0; problem.dim()], &lb)?;
            (r.x, r.iterations, r.converged)
        }
    };
    let mut grad = vec![0.0; theta.len()];
    let (objective, _) = problem.value_and_gradient(&theta, &mut grad);
    let gradient_norm = norm(&grad);
    let p = x.n_cols();
    Ok(SparseLogitFit {
        intercept: if opts.fit_intercept { theta[p] } else { 0.0 },
        coef: theta[..p].to_vec(),
        objective,
        iterations,
        converged,
        gradient_norm,
    })
}

/// The problem: `θ = (w, b)` (`b` only with an intercept).
struct Logit<'a> {
    x: &'a Csr,
    /// `Xᵀ`, made once: every gradient and Hessian product reads it by rows.
    xt: Csr,
    /// ±1.
    sign: Vec<f64>,
    weight: Vec<f64>,
    total_weight: f64,
    alpha: f64,
    intercept: bool,
}

impl<'a> Logit<'a> {
    fn new(
        x: &'a Csr,
        y: &[f64],
        weights: Option<&[f64]>,
        opts: &SparseLogitOptions,
    ) -> Result<Logit<'a>> {
        let n = x.n_rows();
        if y.len() != n {
            return Err(Error::invalid("y", y.len(), format!("the design has {n} rows")));
        }
        if let Some(bad) = y.iter().find(|&&v| v != 0.0 && v != 1.0) {
            return Err(Error::invalid("y", bad, "labels must be 0 or 1"));
        }
        let weight = match weights {
            Some(w) if w.len() != n => {
                return Err(Error::invalid("weights", w.len(), format!("the design has {n} rows")))
            }
            Some(w) if w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) => {
                return Err(Error::invalid("weights", "a value", "weights must be finite and ≥ 0"))
            }
            Some(w) => w.to_vec(),
            None => vec![1.0; n],
        };
        if !(opts.alpha.is_finite() && opts.alpha >= 0.0) {
            return Err(Error::invalid("alpha", opts.alpha, "must be finite and ≥ 0"));
        }
        if !(opts.tol.is_finite() && opts.tol > 0.0) {
            return Err(Error::invalid("tol", opts.tol, "must be finite and > 0"));
        }
        let total_weight: f64 = weight.iter().sum();
        if total_weight <= 0.0 {
            return Err(Error::invalid("weights", total_weight, "the weights sum to zero"));
        }
        let sign = y.iter().map(|&v| 2.0 * v - 1.0).collect();
        Ok(Logit {
            x,
            xt: x.transpose(),
            sign,
            weight,
            total_weight,
            alpha: opts.alpha,
            intercept: opts.fit_intercept,
        })
    }

    fn dim(&self) -> usize {
        self.x.n_cols() + usize::from(self.intercept)
    }

    /// `z = Xw + b`.
    fn scores(&self, theta: &[f64]) -> Vec<f64> {
        let p = self.x.n_cols();
        let mut z = self.x.mul_vec(&theta[..p]);
        if self.intercept {
            z.iter_mut().for_each(|v| *v += theta[p]);
        }
        z
    }

    /// `F(θ)`, writing `∇F(θ)` into `grad`; also `D`, the Hessian's row weights.
    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> (f64, Vec<f64>) {
        let p = self.x.n_cols();
        let z = self.scores(theta);
        let mut loss = 0.0;
        let mut r = vec![0.0; z.len()];
        let mut d = vec![0.0; z.len()];
        for i in 0..z.len() {
            let (s, w) = (self.sign[i], self.weight[i]);
            let m = s * z[i];
            loss += w * softplus(-m);
            let q = crate::linear::binary::sigmoid(-m); // 1 − σ(m)
            r[i] = -w * s * q;
            d[i] = w * q * (1.0 - q);
        }
        let g = self.xt.mul_vec(&r);
        let w = &theta[..p];
        let penalty = 0.5 * self.alpha * w.iter().map(|v| v * v).sum::<f64>();
        for j in 0..p {
            grad[j] = g[j] + self.alpha * w[j];
        }
        if self.intercept {
            grad[p] = r.iter().sum();
        }
        (loss + penalty, d)
    }

    /// `H v` with the Hessian's row weights `d`.
    fn hessian_times(&self, d: &[f64], v: &[f64]) -> Vec<f64> {
        let p = self.x.n_cols();
        let xv = self.scores(v);
        let dxv: Vec<f64> = xv.iter().zip(d).map(|(a, b)| a * b).collect();
        let mut out = self.xt.mul_vec(&dxv);
        for j in 0..p {
            out[j] += self.alpha * v[j];
        }
        if self.intercept {
            out.push(dxv.iter().sum());
        }
        out
    }
}

/// LIBLINEAR's trust-region Newton method (`tron.cpp`): returns `θ`, the iterations and whether
/// it converged (the gradient rule met, or `F` at its rounding floor).
fn tron(problem: &Logit, tol: f64, max_iter: usize) -> (Vec<f64>, usize, bool) {
    const ETA0: f64 = 1e-4;
    const ETA1: f64 = 0.25;
    const ETA2: f64 = 0.75;
    const SIGMA1: f64 = 0.25;
    const SIGMA2: f64 = 0.5;
    const SIGMA3: f64 = 4.0;
    let n = problem.dim();
    let mut theta = vec![0.0; n];
    let mut grad = vec![0.0; n];
    let (mut f, mut d) = problem.value_and_gradient(&theta, &mut grad);
    let gnorm0 = norm(&grad);
    let mut delta = gnorm0;
    let mut iterations = 0;
    if gnorm0 == 0.0 {
        return (theta, 0, true);
    }
    while iterations < max_iter {
        let (step, residual) = truncated_cg(problem, &d, &grad, delta);
        let trial: Vec<f64> = theta.iter().zip(&step).map(|(a, b)| a + b).collect();
        let gs = dot(&grad, &step);
        let predicted = -0.5 * (gs - dot(&step, &residual));
        let mut trial_grad = vec![0.0; n];
        let (f_trial, d_trial) = problem.value_and_gradient(&trial, &mut trial_grad);
        let actual = f - f_trial;
        let snorm = norm(&step);
        if iterations == 0 {
            delta = delta.min(snorm);
        }
        let alpha = if f_trial - f - gs <= 0.0 {
            SIGMA3
        } else {
            SIGMA1.max(-0.5 * (gs / (f_trial - f - gs)))
        };
        delta = if actual < ETA0 * predicted {
            (alpha.max(SIGMA1) * snorm).min(SIGMA2 * delta)
        } else if actual < ETA1 * predicted {
            (SIGMA1 * delta).max((alpha * snorm).min(SIGMA2 * delta))
        } else if actual < ETA2 * predicted {
            (SIGMA1 * delta).max((alpha * snorm).min(SIGMA3 * delta))
        } else {
            delta.max((alpha * snorm).min(SIGMA3 * delta))
        };
        iterations += 1;
        if actual > ETA0 * predicted {
            (theta, grad, f, d) = (trial, trial_grad, f_trial, d_trial);
            if norm(&grad) <= tol * gnorm0 {
                return (theta, iterations, true);
            }
        }
        // At the rounding floor of F no step can be told apart: as converged as F allows.
        if actual.abs() <= 1e-12 * f.abs() && predicted.abs() <= 1e-12 * f.abs() {
            return (theta, iterations, true);
        }
        if actual <= 0.0 && predicted <= 0.0 {
            break;
        }
    }
    let converged = norm(&grad) <= tol * gnorm0;
    (theta, iterations, converged)
}

/// Conjugate gradients on `H s = −g` inside `‖s‖ ≤ delta`, to `‖r‖ ≤ 0.1 ‖g‖`: the step and the
/// residual `r = −g − H s`.
fn truncated_cg(problem: &Logit, d: &[f64], g: &[f64], delta: f64) -> (Vec<f64>, Vec<f64>) {
    let n = g.len();
    let mut s = vec![0.0; n];
    let mut r: Vec<f64> = g.iter().map(|v| -v).collect();
    let mut dir = r.clone();
    let mut rr = dot(&r, &r);
    let cg_tol = 0.1 * norm(g);
    for _ in 0..n.max(1) {
        if rr.sqrt() <= cg_tol {
            break;
        }
        let hd = problem.hessian_times(d, &dir);
        let curvature = dot(&dir, &hd);
        let a = rr / curvature;
        axpy(&mut s, a, &dir);
        if norm(&s) > delta || !curvature.is_finite() || curvature <= 0.0 {
            axpy(&mut s, -a, &dir);
            let (sd, ss, dd) = (dot(&s, &dir), dot(&s, &s), dot(&dir, &dir));
            let room = delta * delta - ss;
            let rad = (sd * sd + dd * room).sqrt();
            let tau = if sd >= 0.0 { room / (sd + rad) } else { (rad - sd) / dd };
            axpy(&mut s, tau, &dir);
            axpy(&mut r, -tau, &hd);
            break;
        }
        axpy(&mut r, -a, &hd);
        let rr_next = dot(&r, &r);
        let beta = rr_next / rr;
        dir.iter_mut().zip(&r).for_each(|(di, ri)| *di = ri + beta * *di);
        rr = rr_next;
    }
    (s, r)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += a * xi);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small seeded problem.
    fn problem() -> (Csr, Vec<f64>) {
        let mut state = 11u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let rows: Vec<Vec<(u32, f64)>> = (0..300)
            .map(|_| (0..6).map(|_| ((next() * 40.0) as u32, next() * 2.0 - 1.0)).collect())
            .collect();
        let x = Csr::from_rows(40, rows).unwrap();
        let y = (0..300).map(|_| f64::from(next() < 0.4)).collect();
        (x, y)
    }

    #[test]
    fn the_gradient_is_the_finite_difference_of_the_objective() {
        let (x, y) = problem();
        let w: Vec<f64> = (0..300).map(|i| 0.5 + (i % 3) as f64).collect();
        let opts = SparseLogitOptions { alpha: 0.7, ..Default::default() };
        let logit = Logit::new(&x, &y, Some(&w), &opts).unwrap();
        let theta: Vec<f64> = (0..41).map(|j| ((j * 7) % 11) as f64 / 10.0 - 0.5).collect();
        let mut grad = vec![0.0; 41];
        let (_, d) = logit.value_and_gradient(&theta, &mut grad);
        let v: Vec<f64> = (0..41).map(|j| ((j * 3) % 5) as f64 - 2.0).collect();
        let hv = logit.hessian_times(&d, &v);
        let h = 1e-6;
        for j in 0..41 {
            let mut plus = theta.clone();
            plus[j] += h;
            let mut minus = theta.clone();
            minus[j] -= h;
            let mut g1 = vec![0.0; 41];
            let mut g2 = vec![0.0; 41];
            let fd = (logit.value_and_gradient(&plus, &mut g1).0
                - logit.value_and_gradient(&minus, &mut g2).0)
                / (2.0 * h);
            assert!(
                (fd - grad[j]).abs() < 1e-5 * (1.0 + fd.abs()),
                "∂F/∂θ{j}: {fd} vs {}",
                grad[j]
            );
        }
        // H v as the directional derivative of the gradient.
        let step: Vec<f64> = theta.iter().zip(&v).map(|(t, vi)| t + h * vi).collect();
        let back: Vec<f64> = theta.iter().zip(&v).map(|(t, vi)| t - h * vi).collect();
        let (mut g1, mut g2) = (vec![0.0; 41], vec![0.0; 41]);
        logit.value_and_gradient(&step, &mut g1);
        logit.value_and_gradient(&back, &mut g2);
        for j in 0..41 {
            let fd = (g1[j] - g2[j]) / (2.0 * h);
            assert!((fd - hv[j]).abs() < 1e-5 * (1.0 + fd.abs()), "(Hv){j}: {fd} vs {}", hv[j]);
        }
    }

    #[test]
    fn tron_and_lbfgs_reach_the_same_optimum() {
        let (x, y) = problem();
        for fit_intercept in [true, false] {
            let tight = |solver, tol| SparseLogitOptions {
                alpha: 0.5,
                fit_intercept,
                solver,
                tol,
                max_iter: 1000,
            };
            let a = fit_sparse_logit(&x, &y, None, &tight(SparseSolver::Tron, 1e-8)).unwrap();
            let b = fit_sparse_logit(&x, &y, None, &tight(SparseSolver::Lbfgs, 1e-10)).unwrap();
            assert!(a.converged && b.converged, "{a:?}\n{b:?}");
            assert!((a.objective - b.objective).abs() < 1e-9 * a.objective, "{a:?}\n{b:?}");
            for (u, v) in a.coef.iter().zip(&b.coef) {
                assert!((u - v).abs() < 1e-5, "{u} vs {v}");
            }
            assert!(a.gradient_norm < 1e-5, "{}", a.gradient_norm);
        }
    }

    #[test]
    fn bad_labels_and_weights_are_errors() {
        let (x, mut y) = problem();
        let opts = SparseLogitOptions::default();
        assert!(fit_sparse_logit(&x, &y, Some(&[1.0]), &opts).is_err());
        y[3] = 2.0;
        assert!(fit_sparse_logit(&x, &y, None, &opts).is_err());
    }
}
