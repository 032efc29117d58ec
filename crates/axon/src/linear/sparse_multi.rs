//! Multi-class logistic regression on a sparse design ([`Csr`]), never densified: the softmax
//! (multinomial) model by L-BFGS, and one-vs-rest, one binary TRON fit per class as LIBLINEAR
//! does for `-s 0` with more than two classes, or one L1 / elastic-net newGLMNET fit per class
//! ([`fit_sparse_one_vs_rest_l1`], LIBLINEAR's `-s 6`). All give a [`SparseMultiFit`]: `coef` as
//! `K × p` row-major and `intercept` of length `K`, the shape a saved sparse model stores.
//!
//! ```text
//! softmax:      F(W, b) = Σᵢ sᵢ [log Σₖ exp(zᵢₖ) − zᵢ,yᵢ] + α/2 ‖W‖²     zᵢₖ = xᵢᵀwₖ + bₖ
//!               (scikit-learn's LogisticRegression(solver="lbfgs") with C = 1/α)
//! one-vs-rest:  Σₖ Fₖ, Fₖ the binary objective of class k against the rest (sparse.rs)
//! ```
//!
//! Intercepts are not penalised. The softmax gradient is `Xᵀ(S (P − Y)) + α W`, one product
//! `X W` and one `Xᵀ G` (through the transpose, made once) per evaluation; L-BFGS runs on
//! `F / Σsᵢ` and stops when `‖∇F‖∞ / Σsᵢ ≤ tol`.
//!
//! Inside a [`rows::RowShards`] scope (`mpirun -n K axon fit`), the softmax loss, its gradient
//! and `Σsᵢ` are summed across the ranks before the penalty is added, and each one-vs-rest class
//! is the binary fit of `sparse.rs`, which does the same: every rank takes the same steps.

use crate::distributed::rows;
use crate::error::{Error, Result};
use crate::linear::binary::sigmoid;
use crate::linear::lbfgs::{self, LbfgsOptions};
use crate::linear::sparse::{check_options, check_weights, fit_signed};
use crate::linear::sparse_l1::{fit_sparse_l1, SparseL1Options};
use crate::linear::{SparseLogitFit, SparseLogitOptions};
use crate::sparse::Csr;

/// How the classes of a [`SparseMultiFit`] were fitted (and so how scores become
/// probabilities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparseMultiKind {
    /// One multinomial model: `P = softmax(z)`.
    Softmax,
    /// One binary model per class: `P ∝ σ(zₖ)`, normalised over the classes (scikit-learn's
    /// one-vs-rest rule).
    OneVsRest,
}

/// A fitted multi-class model on a sparse design.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMultiFit {
    pub kind: SparseMultiKind,
    /// `K × p`, row-major: row `k` holds class `k`'s weights.
    pub coef: Vec<f64>,
    /// `K` intercepts (zeros without an intercept).
    pub intercept: Vec<f64>,
    /// The objective at the estimate (for one-vs-rest, the sum of the classes' objectives).
    pub objective: f64,
    /// L-BFGS iterations, or the sum of the classes' TRON iterations.
    pub iterations: usize,
    pub converged: bool,
}

impl SparseMultiFit {
    pub fn n_classes(&self) -> usize {
        self.intercept.len()
    }

    pub fn n_features(&self) -> usize {
        self.coef.len() / self.intercept.len().max(1)
    }

    /// `P(y = k | x)`, `n × K` row-major.
    pub fn predict_proba(&self, x: &Csr) -> Result<Vec<f64>> {
        let (k, p) = (self.n_classes(), self.n_features());
        if x.n_cols() != p {
            return Err(Error::invalid(
                "x",
                format!("{} columns", x.n_cols()),
                format!("the model has {p} features"),
            ));
        }
        let mut z = x.mul_dense(&transpose(&self.coef, k, p), k);
        for row in z.chunks_exact_mut(k) {
            row.iter_mut().zip(&self.intercept).for_each(|(v, b)| *v += b);
            match self.kind {
                SparseMultiKind::Softmax => softmax_in_place(row),
                SparseMultiKind::OneVsRest => {
                    row.iter_mut().for_each(|v| *v = sigmoid(*v));
                    let total: f64 = row.iter().sum();
                    row.iter_mut().for_each(|v| *v /= total);
                }
            }
        }
        Ok(z)
    }
}

/// Checks class labels `0..n_classes` against the design.
fn check_classes(x: &Csr, y: &[usize], n_classes: usize) -> Result<()> {
    if y.len() != x.n_rows() {
        return Err(Error::invalid("y", y.len(), format!("the design has {} rows", x.n_rows())));
    }
    if n_classes < 2 {
        return Err(Error::invalid("n_classes", n_classes, "need at least two classes"));
    }
    if let Some(bad) = y.iter().find(|&&c| c >= n_classes) {
        return Err(Error::invalid("y", bad, format!("classes are 0..{n_classes}")));
    }
    Ok(())
}

/// Checks the classes, options and weights of a multi-class fit; the weights (1 when none).
fn check_inputs(
    x: &Csr,
    y: &[usize],
    n_classes: usize,
    weights: Option<&[f64]>,
    opts: &SparseLogitOptions,
) -> Result<Vec<f64>> {
    check_classes(x, y, n_classes)?;
    check_options(opts)?;
    check_weights(weights, x.n_rows())
}

/// The softmax model by L-BFGS (`opts.solver` is ignored), classes `y` in `0..n_classes`.
pub fn fit_sparse_softmax(
    x: &Csr,
    y: &[usize],
    n_classes: usize,
    weights: Option<&[f64]>,
    opts: &SparseLogitOptions,
) -> Result<SparseMultiFit> {
    let weight = check_inputs(x, y, n_classes, weights, opts)?;
    let problem = Softmax {
        x,
        xt: x.transpose(),
        y,
        k: n_classes,
        weight,
        alpha: opts.alpha,
        intercept: opts.fit_intercept,
    };
    let total = rows::sum(problem.weight.iter().sum());
    let lb = LbfgsOptions { max_iter: opts.max_iter, gtol: opts.tol, ..LbfgsOptions::default() };
    let f = |t: &[f64], g: &mut [f64]| {
        let value = problem.value_and_gradient(t, g);
        g.iter_mut().for_each(|v| *v /= total);
        value / total
    };
    let (p, k) = (x.n_cols(), n_classes);
    let dim = p * k + if opts.fit_intercept { k } else { 0 };
    let r = lbfgs::minimize(f, vec![0.0; dim], &lb)?;
    let mut grad = vec![0.0; dim];
    let objective = problem.value_and_gradient(&r.x, &mut grad);
    Ok(SparseMultiFit {
        kind: SparseMultiKind::Softmax,
        coef: transpose(&r.x[..p * k], p, k),
        intercept: if opts.fit_intercept { r.x[p * k..].to_vec() } else { vec![0.0; k] },
        objective,
        iterations: r.iterations,
        converged: r.converged,
    })
}

/// One binary logit per class (class `k` against the rest), by `opts.solver`.
pub fn fit_sparse_one_vs_rest(
    x: &Csr,
    y: &[usize],
    n_classes: usize,
    weights: Option<&[f64]>,
    opts: &SparseLogitOptions,
) -> Result<SparseMultiFit> {
    let weight = check_inputs(x, y, n_classes, weights, opts)?;
    one_vs_rest(x, n_classes, |class| {
        let sign = y.iter().map(|&c| if c == class { 1.0 } else { -1.0 }).collect();
        fit_signed(x, sign, weight.clone(), opts)
    })
}

/// One L1 (or elastic-net) binary logit per class (class `k` against the rest) by newGLMNET, as
/// LIBLINEAR's `-s 6` fits more than two classes; the objective is the sum of the classes'.
pub fn fit_sparse_one_vs_rest_l1(
    x: &Csr,
    y: &[usize],
    n_classes: usize,
    weights: Option<&[f64]>,
    opts: &SparseL1Options,
) -> Result<SparseMultiFit> {
    check_classes(x, y, n_classes)?;
    one_vs_rest(x, n_classes, |class| {
        let target: Vec<f64> = y.iter().map(|&c| f64::from(c == class)).collect();
        fit_sparse_l1(x, &target, weights, opts)
    })
}

/// The one-vs-rest model of `fit_class(k)` for every class `k`.
fn one_vs_rest(
    x: &Csr,
    n_classes: usize,
    mut fit_class: impl FnMut(usize) -> Result<SparseLogitFit>,
) -> Result<SparseMultiFit> {
    let mut fit = SparseMultiFit {
        kind: SparseMultiKind::OneVsRest,
        coef: Vec::with_capacity(n_classes * x.n_cols()),
        intercept: Vec::with_capacity(n_classes),
        objective: 0.0,
        iterations: 0,
        converged: true,
    };
    for class in 0..n_classes {
        let one = fit_class(class)?;
        fit.coef.extend_from_slice(&one.coef);
        fit.intercept.push(one.intercept);
        fit.objective += one.objective;
        fit.iterations += one.iterations;
        fit.converged &= one.converged;
    }
    Ok(fit)
}

/// The softmax problem; `θ = (W, b)`, `W` as `p × K` row-major (the layout of `X W`).
struct Softmax<'a> {
    x: &'a Csr,
    xt: Csr,
    y: &'a [usize],
    k: usize,
    weight: Vec<f64>,
    alpha: f64,
    intercept: bool,
}

impl Softmax<'_> {
    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (p, k) = (self.x.n_cols(), self.k);
        let w = &theta[..p * k];
        // Z becomes S (P − Y), row by row.
        let mut z = self.x.mul_dense(w, k);
        let mut loss = 0.0;
        for (i, row) in z.chunks_exact_mut(k).enumerate() {
            if self.intercept {
                row.iter_mut().zip(&theta[p * k..]).for_each(|(v, b)| *v += b);
            }
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            let s = self.weight[i];
            loss += s * (lse - row[self.y[i]]);
            row.iter_mut().for_each(|v| *v = s * (*v - lse).exp());
            row[self.y[i]] -= s;
        }
        let g = self.xt.mul_dense(&z, k);
        grad[..p * k].copy_from_slice(&g);
        if self.intercept {
            let gb = &mut grad[p * k..];
            gb.fill(0.0);
            for row in z.chunks_exact(k) {
                gb.iter_mut().zip(row).for_each(|(a, b)| *a += b);
            }
        }
        // The sums over rows are complete (across the ranks) before the penalty is added.
        rows::sum_slice(grad);
        grad[..p * k].iter_mut().zip(w).for_each(|(gj, &wj)| *gj += self.alpha * wj);
        rows::sum(loss) + 0.5 * self.alpha * w.iter().map(|v| v * v).sum::<f64>()
    }
}

fn softmax_in_place(row: &mut [f64]) {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    row.iter_mut().for_each(|v| *v = (*v - max).exp());
    let total: f64 = row.iter().sum();
    row.iter_mut().for_each(|v| *v /= total);
}

/// The transpose of a row-major `rows × cols` matrix.
fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; a.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = a[r * cols + c];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> (Csr, Vec<usize>) {
        let mut state = 5u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let rows: Vec<Vec<(u32, f64)>> = (0..200)
            .map(|_| (0..5).map(|_| ((next() * 30.0) as u32, next() * 2.0 - 1.0)).collect())
            .collect();
        let x = Csr::from_rows(30, rows).unwrap();
        let y = (0..200).map(|_| (next() * 3.0) as usize).collect();
        (x, y)
    }

    #[test]
    fn the_softmax_gradient_is_the_finite_difference_of_the_objective() {
        let (x, y) = problem();
        let w: Vec<f64> = (0..200).map(|i| 0.5 + (i % 4) as f64).collect();
        let s = Softmax {
            x: &x,
            xt: x.transpose(),
            y: &y,
            k: 3,
            weight: w,
            alpha: 0.3,
            intercept: true,
        };
        let dim = 30 * 3 + 3;
        let theta: Vec<f64> = (0..dim).map(|j| ((j * 7) % 13) as f64 / 10.0 - 0.6).collect();
        let mut grad = vec![0.0; dim];
        s.value_and_gradient(&theta, &mut grad);
        let h = 1e-6;
        let mut scratch = vec![0.0; dim];
        for j in 0..dim {
            let (mut a, mut b) = (theta.clone(), theta.clone());
            a[j] += h;
            b[j] -= h;
            let fd = (s.value_and_gradient(&a, &mut scratch)
                - s.value_and_gradient(&b, &mut scratch))
                / (2.0 * h);
            assert!((fd - grad[j]).abs() < 1e-5 * (1.0 + fd.abs()), "θ{j}: {fd} vs {}", grad[j]);
        }
    }

    #[test]
    fn probabilities_sum_to_one_and_bad_classes_are_errors() {
        let (x, y) = problem();
        let opts = SparseLogitOptions { alpha: 0.5, ..Default::default() };
        for fit in [
            fit_sparse_softmax(&x, &y, 3, None, &opts).unwrap(),
            fit_sparse_one_vs_rest(&x, &y, 3, None, &opts).unwrap(),
        ] {
            assert!(fit.converged);
            assert_eq!((fit.n_classes(), fit.n_features()), (3, 30));
            let p = fit.predict_proba(&x).unwrap();
            for row in p.chunks_exact(3) {
                assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            }
        }
        assert!(fit_sparse_softmax(&x, &y, 2, None, &opts).is_err());
        assert!(fit_sparse_softmax(&x, &y, 1, None, &opts).is_err());
        assert!(fit_sparse_one_vs_rest(&x, &y[1..], 3, None, &opts).is_err());
    }
}
