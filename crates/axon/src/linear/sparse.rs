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
//! - [`SparseSolver::Tron`], LIBLINEAR's trust-region Newton method (`tron.rs`): each step
//!   solves `H s = −∇F` by preconditioned conjugate gradients inside a trust region, with
//!   Hessian-vector products `Xᵀ(D (X v)) + α v`, `D = diag(sᵢ σ(zᵢ)(1 − σ(zᵢ)))`, in one pass
//!   over the rows of `X` ([`RowScatter`]: each row's `dᵢ xᵢᵀv`, then added into the thread's
//!   accumulator), into vectors made once per fit; it stops when `‖∇F‖₂ ≤ tol ‖∇F(0)‖₂`,
//!   LIBLINEAR's rule. Sums over rows are the same bits for a fixed thread count.
//! - [`SparseSolver::Lbfgs`], the L-BFGS of `lbfgs.rs` on `F / Σsᵢ` with scikit-learn's
//!   stopping rule (`‖∇F‖∞ / Σsᵢ ≤ tol`).
//!
//! Inside a [`rows::RowShards`] scope (`mpirun -n K axon fit` on a LibSVM file), each process
//! holds some of the rows, and every sum over rows (the loss, `Xᵀr`, the Hessian's diagonal and
//! products) is summed across the processes before the penalty is added, so every process takes
//! the same steps as one process holding all the rows.

use rayon::prelude::*;

use crate::distributed::rows;
use crate::error::{Error, Result};
use crate::linear::binary::{sigmoid, softplus};
use crate::linear::lbfgs::{self, LbfgsOptions};
use crate::linear::tron::{dot, norm, tron, TronProblem, TronResult};
use crate::sparse::{Csr, RowScatter};

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
    let n = x.n_rows();
    if y.len() != n {
        return Err(Error::invalid("y", y.len(), format!("the design has {n} rows")));
    }
    if let Some(bad) = y.iter().find(|&&v| v != 0.0 && v != 1.0) {
        return Err(Error::invalid("y", bad, "labels must be 0 or 1"));
    }
    let weight = check_weights(weights, n)?;
    check_options(opts)?;
    let sign = y.iter().map(|&v| 2.0 * v - 1.0).collect();
    fit_signed(x, sign, weight, opts)
}

/// Sample weights checked (finite, ≥ 0, not all zero), or ones.
pub(crate) fn check_weights(weights: Option<&[f64]>, n: usize) -> Result<Vec<f64>> {
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
    let total: f64 = weight.iter().sum();
    if total <= 0.0 {
        return Err(Error::invalid("weights", total, "the weights sum to zero"));
    }
    Ok(weight)
}

pub(crate) fn check_options(opts: &SparseLogitOptions) -> Result<()> {
    if !(opts.alpha.is_finite() && opts.alpha >= 0.0) {
        return Err(Error::invalid("alpha", opts.alpha, "must be finite and ≥ 0"));
    }
    if !(opts.tol.is_finite() && opts.tol > 0.0) {
        return Err(Error::invalid("tol", opts.tol, "must be finite and > 0"));
    }
    Ok(())
}

/// The fit on checked inputs: `sign` ±1.
pub(crate) fn fit_signed(
    x: &Csr,
    sign: Vec<f64>,
    weight: Vec<f64>,
    opts: &SparseLogitOptions,
) -> Result<SparseLogitFit> {
    let mut problem = Logit::new(x, sign, weight, opts.alpha, opts.fit_intercept);
    let r = match opts.solver {
        SparseSolver::Tron => {
            let r = tron(&mut problem, opts.tol, opts.max_iter);
            crate::interrupt::check()?;
            r
        }
        SparseSolver::Lbfgs => {
            let (total, dim) = (problem.total_weight, problem.dim());
            let lb =
                LbfgsOptions { max_iter: opts.max_iter, gtol: opts.tol, ..LbfgsOptions::scipy() };
            let f = |t: &[f64], g: &mut [f64]| {
                let value = problem.value_and_gradient(t, g);
                g.iter_mut().for_each(|v| *v /= total);
                value / total
            };
            let r = lbfgs::minimize(f, vec![0.0; dim], &lb)?;
            let mut grad = vec![0.0; dim];
            let value = problem.value_and_gradient(&r.x, &mut grad);
            TronResult {
                theta: r.x,
                value,
                gradient_norm: norm(&grad),
                iterations: r.iterations,
                converged: r.converged,
            }
        }
    };
    let p = x.n_cols();
    Ok(SparseLogitFit {
        intercept: if opts.fit_intercept { r.theta[p] } else { 0.0 },
        coef: r.theta[..p].to_vec(),
        objective: r.value,
        iterations: r.iterations,
        converged: r.converged,
        gradient_norm: r.gradient_norm,
    })
}

/// The problem: `θ = (w, b)` (`b` only with an intercept), with the vectors its evaluations
/// reuse.
struct Logit<'a> {
    x: &'a Csr,
    /// Every sum over rows into a column-length vector (gradient, Hessian diagonal and products).
    scatter: RowScatter,
    /// ±1.
    sign: Vec<f64>,
    weight: Vec<f64>,
    total_weight: f64,
    alpha: f64,
    intercept: bool,
    /// `Xw + b` at the last `value`.
    z: Vec<f64>,
    /// The Hessian's row weights `sᵢ σ(zᵢ)(1 − σ(zᵢ))` at the last `gradient`.
    d: Vec<f64>,
    /// A row-length scratch vector.
    scratch: Vec<f64>,
}

impl<'a> Logit<'a> {
    fn new(x: &'a Csr, sign: Vec<f64>, weight: Vec<f64>, alpha: f64, intercept: bool) -> Logit<'a> {
        let n = x.n_rows();
        let total_weight = rows::sum(weight.iter().sum());
        Logit {
            x,
            scatter: RowScatter::new(x),
            sign,
            weight,
            total_weight,
            alpha,
            intercept,
            z: vec![0.0; n],
            d: vec![0.0; n],
            scratch: vec![0.0; n],
        }
    }

    /// `F(θ)`, writing `∇F(θ)` into `grad` (and fixing the Hessian at `θ`).
    fn value_and_gradient(&mut self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let value = self.value(theta);
        self.gradient(theta, grad);
        value
    }
}

impl TronProblem for Logit<'_> {
    fn dim(&self) -> usize {
        self.x.n_cols() + usize::from(self.intercept)
    }

    fn value(&mut self, theta: &[f64]) -> f64 {
        let p = self.x.n_cols();
        self.x.mul_vec_into(&theta[..p], &mut self.z);
        let b = if self.intercept { theta[p] } else { 0.0 };
        let mut loss = 0.0;
        for ((z, s), w) in self.z.iter_mut().zip(&self.sign).zip(&self.weight) {
            *z += b;
            loss += w * softplus(-s * *z);
        }
        let penalty = 0.5 * self.alpha * dot(&theta[..p], &theta[..p]);
        rows::sum(loss) + penalty
    }

    fn gradient(&mut self, theta: &[f64], grad: &mut [f64]) {
        let p = self.x.n_cols();
        for i in 0..self.z.len() {
            let (s, w) = (self.sign[i], self.weight[i]);
            let q = sigmoid(-s * self.z[i]); // 1 − σ(m)
            self.scratch[i] = -w * s * q;
            self.d[i] = w * q * (1.0 - q);
        }
        let (x, scratch) = (self.x, &mut self.scratch);
        self.scatter.add_rows(x, scratch, &mut grad[..p], |_, _, _, c| c, |c, v| c * v);
        if self.intercept {
            grad[p] = self.scratch.iter().sum();
        }
        rows::sum_slice(grad);
        grad[..p].iter_mut().zip(&theta[..p]).for_each(|(g, w)| *g += self.alpha * w);
    }

    fn hessian_diagonal(&mut self, out: &mut [f64]) {
        let p = self.x.n_cols();
        let (x, d, alpha) = (self.x, &self.d, self.alpha);
        let scratch = &mut self.scratch;
        self.scatter.add_rows(x, scratch, &mut out[..p], |i, _, _, _| d[i], |c, v| c * v * v);
        if self.intercept {
            out[p] = d.iter().sum();
        }
        rows::sum_slice(out);
        out[..p].iter_mut().for_each(|o| *o += alpha);
    }

    fn hessian_times(&mut self, v: &[f64], out: &mut [f64]) {
        let p = self.x.n_cols();
        let b = if self.intercept { v[p] } else { 0.0 };
        // sᵢ = dᵢ (xᵢᵀv + b) into the scratch, and Xᵀs into `out`, in one pass over the rows.
        let (x, d, w) = (self.x, &self.d, &v[..p]);
        let row = |i: usize, idx: &[u32], val: &[f64], _: f64| {
            let xv: f64 = idx.iter().zip(val).map(|(&j, &x)| x * w[j as usize]).sum();
            d[i] * (xv + b)
        };
        self.scatter.add_rows(x, &mut self.scratch, &mut out[..p], row, |c, v| c * v);
        if self.intercept {
            out[p] = self.scratch.iter().sum();
        }
        rows::sum_slice(out);
        // Element by element, so the same bits across threads.
        let alpha = self.alpha;
        let pairs = out[..p].par_chunks_mut(1 << 15).zip(v[..p].par_chunks(1 << 15));
        pairs.for_each(|(o, v)| o.iter_mut().zip(v).for_each(|(o, vj)| *o += alpha * vj));
    }

    fn preconditioner_scale(&self) -> f64 {
        if self.alpha > 0.0 {
            self.alpha
        } else {
            1.0
        }
    }
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
        let sign = y.iter().map(|&v| 2.0 * v - 1.0).collect();
        let mut logit = Logit::new(&x, sign, w, 0.7, true);
        let theta: Vec<f64> = (0..41).map(|j| ((j * 7) % 11) as f64 / 10.0 - 0.5).collect();
        let mut grad = vec![0.0; 41];
        logit.value_and_gradient(&theta, &mut grad);
        let v: Vec<f64> = (0..41).map(|j| ((j * 3) % 5) as f64 - 2.0).collect();
        let mut hv = vec![0.0; 41];
        logit.hessian_times(&v, &mut hv);
        // The diagonal is eⱼᵀ H eⱼ.
        let mut diag = vec![0.0; 41];
        logit.hessian_diagonal(&mut diag);
        for j in [0, 7, 40] {
            let mut e = vec![0.0; 41];
            e[j] = 1.0;
            let mut he = vec![0.0; 41];
            logit.hessian_times(&e, &mut he);
            assert!((he[j] - diag[j]).abs() < 1e-12 * diag[j], "H{j}{j}: {} vs {}", he[j], diag[j]);
        }
        let h = 1e-6;
        for j in 0..41 {
            let mut plus = theta.clone();
            plus[j] += h;
            let mut minus = theta.clone();
            minus[j] -= h;
            let mut g1 = vec![0.0; 41];
            let mut g2 = vec![0.0; 41];
            let fd = (logit.value_and_gradient(&plus, &mut g1)
                - logit.value_and_gradient(&minus, &mut g2))
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
