//! L1 and elastic-net binary logistic regression on a sparse design ([`Csr`]), never densified,
//! by LIBLINEAR's `-s 6` method, newGLMNET (Yuan, Ho & Lin 2012): a proximal Newton outer
//! iteration whose quadratic model is minimised by cyclic coordinate descent, then a line
//! search on the true objective. A column of `X` is read as a row of the transpose (made once).
//!
//! ```text
//! F(w, b) = Σᵢ sᵢ log(1 + exp(−ỹᵢ (xᵢᵀw + b))) + λ₁ ‖w‖₁ + λ₂/2 ‖w‖²
//!           λ₁ = α r, λ₂ = α (1 − r)          (r = l1_ratio; r = 1 is the lasso)
//! outer:  g = ∇L(w) + λ₂ w,  D = diag(sᵢ σ(zᵢ)(1 − σ(zᵢ)))
//! inner:  min_d  gᵀd + ½ dᵀ(XᵀDX + λ₂ I)d + λ₁ ‖w + d‖₁        coordinate by coordinate,
//!         keeping X d; skipped: wⱼ = 0 with |gⱼ| < λ₁ − M/n (LIBLINEAR's shrinking)
//! line:   t = 1, ½, … until F(w + t d) − F(w) ≤ σ t (gᵀd + λ₁‖w + d‖₁ − λ₁‖w‖₁)   σ = 0.01
//! stop:   ‖∇ˢF‖₁ ≤ tol ‖∇ˢF(0)‖₁    (∇ˢ the minimum-norm subgradient, LIBLINEAR's rule)
//! ```
//!
//! The intercept is a coordinate without penalty (LIBLINEAR's `-B 1 -R`). The inner problem is
//! solved to a tolerance of a tenth of the outer violation, so the iteration tightens as it
//! converges.
//!
//! Inside a [`rows::RowShards`] scope (`mpirun -n K axon fit`) every sum over rows is completed
//! across the ranks: the gradient and Hessian diagonal once per outer iteration, the loss per
//! line-search trial, and, in the inner loop, the one number `Σᵢ dᵢ xᵢⱼ (Xd)ᵢ` of each coordinate
//! update (one small allreduce per coordinate per pass: coordinate descent is latency-bound
//! over ranks). Every rank then makes the same updates.

use crate::distributed::rows;
use crate::error::{Error, Result};
use crate::linear::binary::{sigmoid, softplus};
use crate::linear::sparse::{check_weights, SparseLogitFit};
use crate::sparse::Csr;

/// Settings of [`fit_sparse_l1`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SparseL1Options {
    /// The penalty's scale `α` (`1/C`), > 0.
    pub alpha: f64,
    /// The L1 share `r` of the penalty, in `(0, 1]` (1: lasso; below: elastic net).
    pub l1_ratio: f64,
    pub fit_intercept: bool,
    /// Stop when `‖∇ˢF‖₁ ≤ tol ‖∇ˢF(0)‖₁`.
    pub tol: f64,
    /// The most outer (Newton) iterations.
    pub max_iter: usize,
}

impl Default for SparseL1Options {
    fn default() -> Self {
        SparseL1Options {
            alpha: 1.0,
            l1_ratio: 1.0,
            fit_intercept: true,
            tol: 1e-6,
            max_iter: 1000,
        }
    }
}

/// Most coordinate-descent passes of one inner problem.
const MAX_INNER: usize = 1000;
/// Most halvings of one line search.
const MAX_LINE: usize = 30;
const SIGMA: f64 = 0.01;
/// Added to the Hessian's diagonal (LIBLINEAR's ν) so an empty column is still a proper
/// one-dimensional problem.
const NU: f64 = 1e-12;

/// Fits `P(y = 1) = σ(xᵀw + b)` to 0/1 labels with an L1 or elastic-net penalty; the fit's
/// `gradient_norm` is `‖∇ˢF‖₂`, the minimum-norm subgradient.
pub fn fit_sparse_l1(
    x: &Csr,
    y: &[f64],
    weights: Option<&[f64]>,
    opts: &SparseL1Options,
) -> Result<SparseLogitFit> {
    let n = x.n_rows();
    if y.len() != n {
        return Err(Error::invalid("y", y.len(), format!("the design has {n} rows")));
    }
    if let Some(bad) = y.iter().find(|&&v| v != 0.0 && v != 1.0) {
        return Err(Error::invalid("y", bad, "labels must be 0 or 1"));
    }
    if !(opts.alpha.is_finite() && opts.alpha > 0.0) {
        return Err(Error::invalid("alpha", opts.alpha, "an L1 penalty needs a finite alpha > 0"));
    }
    if !(opts.l1_ratio > 0.0 && opts.l1_ratio <= 1.0) {
        return Err(Error::invalid("l1_ratio", opts.l1_ratio, "must be in (0, 1]"));
    }
    if !(opts.tol.is_finite() && opts.tol > 0.0) {
        return Err(Error::invalid("tol", opts.tol, "must be finite and > 0"));
    }
    let weight = check_weights(weights, n)?;
    let xt = x.transpose();
    let mut state = Glmnet {
        x,
        xt: &xt,
        sign: y.iter().map(|&v| 2.0 * v - 1.0).collect(),
        weight,
        l1: opts.alpha * opts.l1_ratio,
        l2: opts.alpha * (1.0 - opts.l1_ratio),
        intercept: opts.fit_intercept,
        w: vec![0.0; x.n_cols()],
        b: 0.0,
        z: vec![0.0; n],
    };
    let fit = state.solve(opts.tol, opts.max_iter);
    crate::interrupt::check()?;
    Ok(fit)
}

struct Glmnet<'a> {
    x: &'a Csr,
    xt: &'a Csr,
    sign: Vec<f64>,
    weight: Vec<f64>,
    l1: f64,
    l2: f64,
    intercept: bool,
    w: Vec<f64>,
    b: f64,
    /// `Xw + b`.
    z: Vec<f64>,
}

impl Glmnet<'_> {
    /// `F` at scores `z` and weights `w`.
    fn objective(&self, z: &[f64], w: &[f64]) -> f64 {
        let loss: f64 = z
            .iter()
            .zip(&self.sign)
            .zip(&self.weight)
            .map(|((z, s), c)| c * softplus(-s * z))
            .sum();
        let (a, q) = w.iter().fold((0.0, 0.0), |(a, q), v| (a + v.abs(), q + v * v));
        rows::sum(loss) + self.l1 * a + 0.5 * self.l2 * q
    }

    /// The minimum-norm subgradient of `F` in coordinate `j` (gradient `g` of the smooth part).
    fn violation(&self, wj: f64, g: f64) -> f64 {
        if wj > 0.0 {
            g + self.l1
        } else if wj < 0.0 {
            g - self.l1
        } else {
            (g.abs() - self.l1).max(0.0)
        }
    }

    fn solve(&mut self, tol: f64, max_iter: usize) -> SparseLogitFit {
        let (n, p) = (self.x.n_rows(), self.x.n_cols());
        // The shrinking rule's row count is the whole data set's.
        let n_all = rows::count(n) as f64;
        let mut f = self.objective(&self.z, &self.w);
        let (mut r, mut d) = (vec![0.0; n], vec![0.0; n]);
        let (mut g, mut h) = (vec![0.0; p], vec![0.0; p]);
        let (mut step, mut xd, mut z_new, mut w_new) =
            (vec![0.0; p], vec![0.0; n], vec![0.0; n], vec![0.0; p]);
        let mut viol0 = None;
        let mut shrink_bound = f64::INFINITY;
        let (mut iterations, mut converged) = (0, false);
        let viol_norm = loop {
            // The smooth part's gradient and the Hessian's diagonal at (w, b).
            for i in 0..n {
                let (s, c) = (self.sign[i], self.weight[i]);
                let q = sigmoid(-s * self.z[i]);
                r[i] = -c * s * q;
                d[i] = c * q * (1.0 - q);
            }
            self.xt.mul_vec_into(&r, &mut g);
            for (j, hj) in h.iter_mut().enumerate() {
                let (idx, val) = self.xt.row(j);
                *hj = idx.iter().zip(val).map(|(&i, &v)| d[i as usize] * v * v).sum::<f64>();
            }
            // The sums over rows, completed across the ranks before the penalty is added.
            let mut intercept_sums =
                [if self.intercept { r.iter().sum() } else { 0.0 }, d.iter().sum()];
            rows::sum_slice(&mut g);
            rows::sum_slice(&mut h);
            rows::sum_slice(&mut intercept_sums);
            let [gb, d_sum] = intercept_sums;
            for j in 0..p {
                g[j] += self.l2 * self.w[j];
                h[j] += self.l2 + NU;
            }
            let mut viol = gb.abs();
            let (mut viol_sq, mut viol_max) = (gb * gb, gb.abs());
            for (&wj, &gj) in self.w.iter().zip(&g) {
                let v = self.violation(wj, gj).abs();
                viol += v;
                viol_sq += v * v;
                viol_max = viol_max.max(v);
            }
            let viol0 = *viol0.get_or_insert(viol);
            if viol <= tol * viol0 || viol == 0.0 {
                converged = true;
                break viol_sq.sqrt();
            }
            // An interrupted fit stops as if at the limit; fit_sparse_l1 returns the error.
            if iterations >= max_iter || crate::interrupt::stopped() {
                break viol_sq.sqrt();
            }
            iterations += 1;
            // Coordinate descent on the quadratic model.
            let active: Vec<usize> = (0..p)
                .filter(|&j| self.w[j] != 0.0 || g[j].abs() >= self.l1 - shrink_bound / n_all)
                .collect();
            shrink_bound = viol_max;
            step.fill(0.0);
            xd.fill(0.0);
            let mut db = 0.0;
            let hb = d_sum + NU;
            let inner_tol = 0.1 * viol;
            for _ in 0..MAX_INNER {
                let mut pass = 0.0;
                for &j in &active {
                    let (idx, val) = self.xt.row(j);
                    // One number across the ranks per coordinate: the latency of distributed CD.
                    let hd = rows::sum(
                        idx.iter()
                            .zip(val)
                            .map(|(&i, &v)| v * d[i as usize] * xd[i as usize])
                            .sum(),
                    ) + (self.l2 + NU) * step[j];
                    let gj = g[j] + hd;
                    let wpd = self.w[j] + step[j];
                    pass += self.violation(wpd, gj).abs();
                    let delta = if gj + self.l1 <= h[j] * wpd {
                        -(gj + self.l1) / h[j]
                    } else if gj - self.l1 >= h[j] * wpd {
                        -(gj - self.l1) / h[j]
                    } else {
                        -wpd
                    };
                    if delta != 0.0 {
                        step[j] += delta;
                        idx.iter().zip(val).for_each(|(&i, &v)| xd[i as usize] += delta * v);
                    }
                }
                if self.intercept {
                    let gj = gb + rows::sum(d.iter().zip(&xd).map(|(a, b)| a * b).sum());
                    pass += gj.abs();
                    let delta = -gj / hb;
                    db += delta;
                    xd.iter_mut().for_each(|v| *v += delta);
                }
                if pass <= inner_tol {
                    break;
                }
            }
            // Line search on F.
            let l1_now: f64 = self.w.iter().map(|v| v.abs()).sum();
            let l1_next: f64 = self.w.iter().zip(&step).map(|(a, b)| (a + b).abs()).sum();
            let slope = g.iter().zip(&step).map(|(a, b)| a * b).sum::<f64>()
                + gb * db
                + self.l1 * (l1_next - l1_now);
            let mut t = 1.0;
            let mut accepted = false;
            for _ in 0..MAX_LINE {
                z_new.iter_mut().zip(self.z.iter().zip(&xd)).for_each(|(o, (a, b))| *o = a + t * b);
                w_new
                    .iter_mut()
                    .zip(self.w.iter().zip(&step))
                    .for_each(|(o, (a, b))| *o = a + t * b);
                let f_new = self.objective(&z_new, &w_new);
                if f_new - f <= SIGMA * t * slope {
                    std::mem::swap(&mut self.z, &mut z_new);
                    std::mem::swap(&mut self.w, &mut w_new);
                    self.b += t * db;
                    f = f_new;
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            // At the rounding floor of F no decrease can be seen: as converged as F allows.
            if !accepted {
                converged = slope.abs() <= 1e-12 * f.abs();
                break viol_sq.sqrt();
            }
        };
        // Recompute Xw + b once, free of the updates' accumulated rounding.
        let mut z = vec![0.0; n];
        self.x.mul_vec_into(&self.w, &mut z);
        z.iter_mut().for_each(|v| *v += self.b);
        SparseLogitFit {
            objective: self.objective(&z, &self.w),
            coef: self.w.clone(),
            intercept: self.b,
            iterations,
            converged,
            gradient_norm: viol_norm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::{fit_sparse_logit, SparseLogitOptions};

    fn problem() -> (Csr, Vec<f64>) {
        let mut state = 17u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let rows: Vec<Vec<(u32, f64)>> = (0..300)
            .map(|_| (0..6).map(|_| ((next() * 40.0) as u32, next() * 2.0 - 1.0)).collect())
            .collect();
        let x = Csr::from_rows(40, rows).unwrap();
        let y = x
            .mul_vec(&(0..40).map(|j| if j < 5 { 2.0 } else { 0.0 }).collect::<Vec<_>>())
            .iter()
            .map(|z| f64::from(next() < sigmoid(z - 0.3)))
            .collect();
        (x, y)
    }

    /// The optimality conditions: `|∇ⱼL| ≤ λ₁` where `wⱼ = 0`, `∇ⱼL = −λ₁ sign(wⱼ)` elsewhere.
    #[test]
    fn the_lasso_solution_meets_its_optimality_conditions() {
        let (x, y) = problem();
        let opts = SparseL1Options { alpha: 4.0, tol: 1e-10, ..Default::default() };
        let fit = fit_sparse_l1(&x, &y, None, &opts).unwrap();
        assert!(fit.converged);
        let zeros = fit.coef.iter().filter(|v| **v == 0.0).count();
        assert!(zeros > 5 && zeros < 40, "{zeros} zeros");
        let z: Vec<f64> = x.mul_vec(&fit.coef).iter().map(|v| v + fit.intercept).collect();
        let r: Vec<f64> = z.iter().zip(&y).map(|(z, y)| sigmoid(*z) - y).collect();
        let g = x.t_mul_vec(&r);
        assert!(r.iter().sum::<f64>().abs() < 1e-6);
        for (gj, wj) in g.iter().zip(&fit.coef) {
            if *wj == 0.0 {
                assert!(gj.abs() <= 4.0 + 1e-6, "{gj}");
            } else {
                assert!((gj + 4.0 * wj.signum()).abs() < 1e-6, "{gj} at {wj}");
            }
        }
    }

    /// With a vanishing L1 share the elastic net is the ridge fit of `sparse.rs`.
    #[test]
    fn a_tiny_l1_share_is_the_ridge_fit() {
        let (x, y) = problem();
        let opts = SparseL1Options { alpha: 2.0, l1_ratio: 1e-9, tol: 1e-10, ..Default::default() };
        let net = fit_sparse_l1(&x, &y, None, &opts).unwrap();
        let ridge_opts = SparseLogitOptions { alpha: 2.0, tol: 1e-10, ..Default::default() };
        let ridge = fit_sparse_logit(&x, &y, None, &ridge_opts).unwrap();
        assert!((net.objective - ridge.objective).abs() < 1e-6 * ridge.objective);
        for (a, b) in net.coef.iter().zip(&ridge.coef) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn bad_options_are_errors() {
        let (x, y) = problem();
        let bad = |o: SparseL1Options| fit_sparse_l1(&x, &y, None, &o).is_err();
        assert!(bad(SparseL1Options { alpha: 0.0, ..Default::default() }));
        assert!(bad(SparseL1Options { l1_ratio: 0.0, ..Default::default() }));
        assert!(bad(SparseL1Options { l1_ratio: 1.5, ..Default::default() }));
        assert!(fit_sparse_l1(&x, &y[1..], None, &SparseL1Options::default()).is_err());
    }
}
