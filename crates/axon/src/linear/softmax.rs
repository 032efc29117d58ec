//! The multinomial logit in scikit-learn's symmetric parameterisation — one coefficient column
//! per class, all of them penalised — fitted by L-BFGS, so that many classes × many features
//! (digits: 10 × 65) cost one matrix product per evaluation and no `(Kp)²` Hessian.
//!
//! With `X` of shape `(n, p)` (the intercept column included by the caller), `W` of shape
//! `(p, K)`, `η = X W` and sample weights `w` (the data's frequency weights, 1 without, with
//! class weights multiplied in):
//!
//! ```text
//! F(W) = Σᵢ wᵢ (lseᵢ − ηᵢ,yᵢ) + λ₂/2 Σₖ Σ_{j ≠ intercept} Wⱼₖ²,   lseᵢ = log Σₖ exp ηᵢₖ
//! ∇F  = Xᵀ (w ⊙ (P − Y)) + λ₂ W̃                                   P = softmax(η) row-wise
//! ```
//!
//! With `λ₂ = 1/C` this is scikit-learn's `LogisticRegression(C)` (multinomial, the default for
//! `K > 2` since 1.5). Unpenalised (`Penalty::None`) the model is identified only up to adding a
//! vector to every column; L-BFGS started at `W = 0` stays in the subspace `Σₖ Wₖ = 0` (every
//! gradient lies in it), so it returns the sum-to-zero solution: `Wₖ − W₀` are statsmodels'
//! `MNLogit` coefficients. An unpenalised fit that classifies every observation correctly has no
//! estimate and is refused with [`Error::Separation`].

use faer::{Mat, MatRef};

use super::blocks::fused_pass;
use super::lbfgs::{self, LbfgsOptions, LbfgsStop};
use super::multinomial::{argmax_rows, softmax_rows};
use super::multinomial_data::MultinomialData;
use super::penalty::{balanced_class_weights, compose_class_weights, ClassWeight, Penalty};
use crate::distributed::rows;
use crate::error::{Error, Result};
use crate::ops::reduce::softmax_row;

/// How to fit [`fit_softmax`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftmaxOptions {
    /// `None` or `L2(α)`; `α = 1/C` for scikit-learn's `C`.
    pub penalty: Penalty,
    pub class_weight: ClassWeight,
    /// The column of ones, if the model has an intercept (never penalised).
    pub intercept: Option<usize>,
    /// L-BFGS pairs (default 10).
    pub memory: usize,
    /// The most L-BFGS iterations (default 10 000).
    pub max_iter: usize,
    /// scikit-learn's `tol`: stop when `‖∇F‖∞ ≤ tol · Σwᵢ`, or when the relative decrease of
    /// `F / Σwᵢ` in one iteration is at most `64 ε` (default 10⁻¹⁰).
    pub tol: f64,
}

impl SoftmaxOptions {
    /// L2 penalty `α` with an intercept in column `intercept`.
    pub fn new(penalty: Penalty, intercept: Option<usize>) -> Self {
        SoftmaxOptions {
            penalty,
            class_weight: ClassWeight::None,
            intercept,
            memory: 10,
            max_iter: 10_000,
            tol: 1e-10,
        }
    }
}

/// A fitted symmetric multinomial logit.
#[derive(Debug, Clone)]
pub struct SoftmaxFit {
    pub names: Vec<String>,
    pub classes: Vec<String>,
    pub intercept: Option<usize>,
    pub penalty: Penalty,
    /// `Ŵ`, `p × K`: column `k` holds class `k`'s coefficients.
    pub coefficients: Mat<f64>,
    /// `Σᵢ wᵢ log P(yᵢ | xᵢ)` at `Ŵ`, without the penalty.
    pub log_likelihood: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub converged: bool,
    /// `‖∇F‖∞` at `Ŵ`.
    pub gradient_norm: f64,
    pub warning: Option<String>,
    /// Which criterion stopped L-BFGS (the gradient, the change of the objective, the iteration
    /// limit, the line search).
    pub stop: LbfgsStop,
}

impl SoftmaxFit {
    /// `P(y = k | xᵢ)`, `n × K`.
    pub fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let p = self.coefficients.nrows();
        if x.ncols() != p {
            return Err(Error::invalid("x", x.ncols(), format!("the model has {p} columns")));
        }
        Ok(softmax_rows(&(x * &self.coefficients)).0)
    }

    /// The most probable class of every row (the first on ties).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.predict_proba(x)?))
    }
}

/// The data and penalty of one fit.
struct Objective<'a> {
    x: MatRef<'a, f64>,
    y: &'a [usize],
    w: &'a [f64],
    k: usize,
    alpha: f64,
    intercept: Option<usize>,
}

impl Objective<'_> {
    /// `W` from the flat parameter vector (column `k` at `k p .. (k + 1) p`).
    fn unflatten(&self, flat: &[f64]) -> Mat<f64> {
        let p = self.x.ncols();
        Mat::from_fn(p, self.k, |j, c| flat[c * p + j])
    }

    /// `(Σ wᵢ log P(yᵢ), F)` and `∇F` written into `grad`, in one read of `X` ([`fused_pass`]:
    /// per row block the scores `η_b = X_b W`, the rows' softmax and residuals, `X_bᵀ R_b`).
    fn evaluate(&self, flat: &[f64], grad: &mut [f64]) -> (f64, f64) {
        let p = self.x.ncols();
        let w_mat = MatRef::from_column_major_slice(flat, p, self.k);
        let (nll, g) = fused_pass(self.x, w_mat, |start, mut z| {
            let mut nll = 0.0;
            let (mut scores, mut prob) = (vec![0.0; self.k], vec![0.0; self.k]);
            for i in 0..z.nrows() {
                let (yi, wi) = (self.y[start + i], self.w[start + i]);
                (0..self.k).for_each(|c| scores[c] = z[(i, c)]);
                let lse = softmax_row(&scores, &mut prob);
                nll += wi * (lse - scores[yi]);
                prob[yi] -= 1.0;
                (0..self.k).for_each(|c| z[(i, c)] = wi * prob[c]);
            }
            nll
        });
        let mut penalty = 0.0;
        for c in 0..self.k {
            for j in 0..p {
                let mut v = g[(j, c)];
                if Some(j) != self.intercept {
                    v += self.alpha * w_mat[(j, c)];
                    penalty += 0.5 * self.alpha * w_mat[(j, c)].powi(2);
                }
                grad[c * p + j] = v;
            }
        }
        (-nll, nll + penalty)
    }
}

/// Fits the symmetric multinomial logit by L-BFGS from `W = 0`.
pub fn fit_softmax(data: &MultinomialData, opts: &SoftmaxOptions) -> Result<SoftmaxFit> {
    opts.penalty.validate()?;
    if opts.penalty.has_l1() {
        let reason = "the multinomial fit takes no penalty or L2 only";
        return Err(Error::invalid("penalty", format!("{:?}", opts.penalty), reason));
    }
    if !(opts.tol.is_finite() && opts.tol > 0.0) {
        return Err(Error::invalid("tol", opts.tol, "must be finite and > 0"));
    }
    let (x, y, k) = (data.x(), data.y(), data.n_classes());
    if let Some(j) = opts.intercept.filter(|&j| j >= x.ncols()) {
        return Err(Error::invalid("intercept", j, "no such column"));
    }
    let weights = match opts.class_weight {
        ClassWeight::None => data.weights().map_or_else(|| vec![1.0; y.len()], <[f64]>::to_vec),
        ClassWeight::Balanced => {
            let mut counts = vec![0usize; k];
            y.iter().for_each(|&c| counts[c] += 1);
            counts.iter_mut().for_each(|c| *c = rows::count(*c));
            compose_class_weights(y, data.weights(), &balanced_class_weights(&counts))
        }
    };
    let obj =
        Objective { x, y, w: &weights, k, alpha: opts.penalty.l2(), intercept: opts.intercept };
    let n_obs = rows::sum(weights.iter().sum());
    let lb = LbfgsOptions {
        memory: opts.memory,
        max_iter: opts.max_iter,
        gtol: opts.tol,
        ..LbfgsOptions::scipy()
    };
    // scikit-learn's scaling, F / Σwᵢ, so that its stopping rule means the same here.
    let scaled = |b: &[f64], g: &mut [f64]| {
        let value = obj.evaluate(b, g).1;
        g.iter_mut().for_each(|v| *v /= n_obs);
        value / n_obs
    };
    let r = lbfgs::minimize(scaled, vec![0.0; x.ncols() * k], &lb)?;
    let coefficients = obj.unflatten(&r.x);
    if opts.penalty.is_none() {
        check_not_separated(&(x * &coefficients), y, &weights)?;
    }
    let mut grad = vec![0.0; r.x.len()];
    let (log_likelihood, _) = obj.evaluate(&r.x, &mut grad);
    let warning = match r.reason {
        LbfgsStop::Gradient | LbfgsStop::RelativeDecrease => None,
        reason => Some(format!(
            "L-BFGS stopped ({reason:?}) after {} iterations with mean ‖∇F‖∞ = {:.3e} above {:.3e}; \
             the estimates are not the optimum",
            r.iterations, r.gradient_norm, lb.gtol
        )),
    };
    Ok(SoftmaxFit {
        names: data.names().to_vec(),
        classes: data.classes().to_vec(),
        intercept: opts.intercept,
        penalty: opts.penalty,
        coefficients,
        log_likelihood,
        iterations: r.iterations,
        evaluations: r.evaluations,
        converged: r.converged,
        gradient_norm: n_obs * r.gradient_norm,
        warning,
        stop: r.reason,
    })
}

/// Refuses an unpenalised fit whose scores rank every observation's own class strictly first
/// (rows of weight 0 do not count).
fn check_not_separated(eta: &Mat<f64>, y: &[usize], weights: &[f64]) -> Result<()> {
    let ranks_first =
        |i: usize| (0..eta.ncols()).all(|c| c == y[i] || eta[(i, y[i])] - eta[(i, c)] > 1.0);
    if (0..y.len()).filter(|&i| weights[i] > 0.0).all(ranks_first) {
        return Err(Error::Separation {
            variables: Vec::new(),
            kind: "perfect",
            detail: "every observation is classified correctly by a wide margin: the \
                     unpenalised multinomial estimate does not exist; use an L2 penalty"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{gradcheck, Tensor};

    /// `F` and `∇F` against the same loss from tensor ops (`log_softmax`), whose autograd
    /// gradient `axon::gradcheck` checks by central differences in f64.
    #[test]
    fn gradient_matches_autograd_and_finite_differences() {
        let (n, p, k, alpha) = (6, 3, 3, 0.4);
        let x =
            Mat::from_fn(
                n,
                p,
                |i, j| if j == 0 { 1.0 } else { ((i * 5 + j * 3) % 7) as f64 / 2.0 - 1.5 },
            );
        let y = [0, 2, 1, 1, 0, 2];
        let w = [1.0, 0.5, 2.0, 1.0, 1.5, 1.0];
        let obj = Objective { x: x.as_ref(), y: &y, w: &w, k, alpha, intercept: Some(0) };
        let flat: Vec<f64> = (0..p * k).map(|v| ((v * 7) % 5) as f64 / 4.0 - 0.5).collect();
        let mut grad = vec![0.0; p * k];
        let (_, f) = obj.evaluate(&flat, &mut grad);

        let rows: Vec<f64> =
            (0..n).flat_map(|i| (0..p).map(move |j| (i, j))).map(|ij| x[ij]).collect();
        let xt = Tensor::from_vec(rows, [n, p]).unwrap();
        let onehot: Vec<f64> =
            (0..n).flat_map(|i| (0..k).map(move |c| f64::from(y[i] == c) * w[i])).collect();
        let yt = Tensor::from_vec(onehot, [n, k]).unwrap();
        let mask = Tensor::from_vec(vec![0.0, 1.0, 1.0], [p, 1]).unwrap();
        let loss = |v: &[Tensor]| -> Result<Tensor> {
            let nll = xt.matmul(&v[0])?.log_softmax(1)?.mul(&yt)?.sum_all()?.neg()?;
            let ridge = v[0].mul(&mask)?.square()?.sum_all()?.mul_scalar(0.5 * alpha)?;
            nll.add(&ridge)
        };
        // The tensor holds W row-major (p, K); the flat vector is column by column.
        let w_rows: Vec<f64> =
            (0..p * k).map(|v| (v / k, v % k)).map(|(j, c)| flat[c * p + j]).collect();
        let wt = Tensor::from_vec(w_rows, [p, k]).unwrap();
        let report = gradcheck(loss, std::slice::from_ref(&wt), 1e-6).unwrap();
        assert!(report.is_close(1e-7, 1e-6), "{report}");
        let tracked = wt.requires_grad();
        let out = loss(std::slice::from_ref(&tracked)).unwrap();
        assert!((out.item().unwrap() - f).abs() < 1e-12);
        let auto = out.backward().unwrap().get(&tracked).unwrap().to_vec::<f64>().unwrap();
        for j in 0..p {
            for c in 0..k {
                let (a, h) = (auto[j * k + c], grad[c * p + j]);
                assert!((a - h).abs() < 1e-12, "∂F/∂W[{j}, {c}]: {a} vs {h}");
            }
        }
    }
}
