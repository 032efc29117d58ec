//! Exact maximum-likelihood multinomial (softmax) logit, as statsmodels' `MNLogit`: class 0 is the
//! reference, the other `K − 1` classes each get a coefficient column.
//!
//! With `X` of shape `(n, p)` (the intercept column included by the caller), `B` of shape
//! `(p, K − 1)` and `ηᵢₖ = xᵢᵀβₖ` (`ηᵢ₀ = 0` for the reference):
//!
//! ```text
//! P(yᵢ = k | xᵢ) = pᵢₖ = exp(ηᵢₖ − lseᵢ),  lseᵢ = log(1 + Σ_{k≥1} exp ηᵢₖ)   (log-sum-exp)
//! ℓ(B)  = Σᵢ wᵢ [ηᵢ,yᵢ − lseᵢ]                 (− α/2 Σ_k Σ_{j ≠ intercept} βⱼₖ² when penalised)
//! ∂ℓ/∂βₖ = Σᵢ wᵢ (1[yᵢ = k] − pᵢₖ) xᵢ            k = 1..K−1
//! Hₖₗ   = Σᵢ wᵢ pᵢₖ (δₖₗ − pᵢₗ) xᵢ xᵢᵀ           information blocks, (K−1)p square
//! B ← B + t H⁻¹ g,  t ∈ {1, ½, ¼, …}            Newton–Raphson with step-halving
//! Var(B̂) = H(B̂)⁻¹
//! ```
//!
//! Frequency weights `wᵢ` ([`MultinomialData::with_weights`], 1 without) count row `i` `wᵢ`
//! times: integer weights give the fit of the data with every row repeated `wᵢ` times, and
//! `n = Σ wᵢ` in the statistics.
//!
//! Parameters are stacked class by class — `(β₁, β₂, …)`, index `(k − 1) p + j` — the order of
//! statsmodels' `params.ravel(order="F")`, its covariance and of the summary's rows.
//!
//! Separation is the rule, not the exception, with several classes (on the full iris data setosa
//! is linearly separable): the estimate does not exist when some direction `D` ranks every
//! observation's own class first, `xᵢᵀ(d_{yᵢ} − dₖ) ≥ 0` for all `k` (`d₀ = 0`). As for binary
//! fits, an unpenalised fit whose Newton direction is such a `D` while the fit saturates (or that
//! classifies every observation correctly) is refused with [`Error::Separation`].
//!
//! ```
//! use axon::linear::{fit_multinomial, MultinomialData, MultinomialOptions};
//!
//! let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
//! let y = [0, 1, 0, 2, 1, 0, 2, 1, 2];
//! let x = faer::Mat::from_fn(9, 2, |i, j| if j == 0 { 1.0 } else { xs[i] });
//! let names = vec!["Intercept".to_string(), "x".to_string()];
//! let data = MultinomialData::new(x.as_ref(), &y, &names)?;
//! let fit = fit_multinomial(&data, &MultinomialOptions::new(Some(0)))?;
//! assert!(fit.converged && fit.coefficients[(1, 1)] > 0.0); // class 2 grows with x
//! let proba = fit.predict_proba(x.as_ref())?; // 9 × 3, rows sum to 1
//! assert!((proba[(4, 0)] + proba[(4, 1)] + proba[(4, 2)] - 1.0).abs() < 1e-12);
//! let table = fit.summary(&data)?;
//! assert_eq!(table.coefficients.len(), 4); // (K − 1) p rows
//! # Ok::<(), axon::Error>(())
//! ```

use std::fmt;
use std::ops::Deref;

use faer::linalg::solvers::{DenseSolveCore, Llt, LltError};
use faer::{Mat, MatRef, Side};
use serde::Serialize;

use super::binary::Link;
use super::blocks::sum_over_ranks;
use super::gram::{check_rank, singular_error, t_matmul_local};
use super::inference::{CoefficientRow, FitStatistics, Termination};
use super::multinomial_data::MultinomialData;
use super::newton::{self, convergence, Concave, Evaluation, Outcome, Stop};
use super::penalty::Penalty;
use super::separation::{self, ON_PLANE};
use crate::distributed::rows;
use crate::error::{Error, Result};
use crate::metrics::argmax;
use crate::ops::reduce::softmax_row;

/// How to fit: an optional L2 penalty, the intercept column and the stopping rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultinomialOptions {
    /// [`Penalty::None`] (maximum likelihood, the default) or [`Penalty::L2`]`(α)`, the penalty
    /// `α/2 Σₖ Σ_{j ≠ intercept} βⱼₖ²`; an L1 part is an error.
    pub penalty: Penalty,
    /// The column of ones, if the model has an intercept (never penalised).
    pub intercept: Option<usize>,
    /// The most Newton steps (default 100).
    pub max_iter: usize,
    /// Stop when `max |ΔB| / (1 + |B|) < tol` (elementwise; default 10⁻¹⁰).
    pub tol: f64,
}

impl Default for MultinomialOptions {
    fn default() -> Self {
        MultinomialOptions { penalty: Penalty::None, intercept: None, max_iter: 100, tol: 1e-10 }
    }
}

impl MultinomialOptions {
    /// Maximum likelihood with an intercept in column `intercept`.
    pub fn new(intercept: Option<usize>) -> Self {
        MultinomialOptions { intercept, ..Default::default() }
    }

    fn validate(&self, data: &MultinomialData) -> Result<()> {
        self.penalty.validate()?;
        if self.penalty.has_l1() {
            let reason = "the multinomial fit takes no penalty or L2 only";
            return Err(Error::invalid("penalty", format!("{:?}", self.penalty), reason));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::invalid("tol", self.tol, "must be finite and > 0"));
        }
        let Some(j) = self.intercept else { return Ok(()) };
        let p = data.x().ncols();
        if j >= p {
            return Err(Error::invalid(
                "intercept",
                j,
                format!("the design matrix has {p} columns"),
            ));
        }
        let col = data.x().col(j);
        if col[0] == 0.0 || col.iter().any(|&v| v != col[0]) {
            let reason = format!("column `{}` is not a constant nonzero column", data.names()[j]);
            return Err(Error::invalid("intercept", j, reason));
        }
        Ok(())
    }
}

/// A fitted multinomial logit.
#[derive(Debug, Clone)]
pub struct MultinomialFit {
    pub names: Vec<String>,
    /// The `K` class names; class 0 is the reference.
    pub classes: Vec<String>,
    pub intercept: Option<usize>,
    /// [`Penalty::None`] or [`Penalty::L2`].
    pub penalty: Penalty,
    /// `B̂`, `p × (K − 1)`: column `k − 1` holds the coefficients of class `k`.
    pub coefficients: Mat<f64>,
    /// `H(B̂)⁻¹`, `(K − 1)p` square, parameters stacked class by class; `None` when penalised.
    pub covariance: Option<Mat<f64>>,
    /// `ℓ(B̂)`, without the penalty.
    pub log_likelihood: f64,
    /// Newton steps taken.
    pub iterations: usize,
    pub converged: bool,
    /// `‖∇‖` of the (penalised) objective at `B̂`.
    pub gradient_norm: f64,
    /// Set when the fit did not converge.
    pub warning: Option<String>,
}

/// One row of the coefficient table: a column's coefficient in one class's equation. The odds
/// ratio fields hold the relative risk ratio `e^β` against the reference class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultinomialRow {
    /// The class `k ≥ 1` whose equation this is.
    pub class: String,
    pub class_index: usize,
    #[serde(flatten)]
    pub coefficient: CoefficientRow,
}

/// Everything a results table shows about a maximum-likelihood multinomial fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultinomialSummary {
    pub classes: Vec<String>,
    /// `(K − 1) p` rows, class by class.
    pub coefficients: Vec<MultinomialRow>,
    /// The model statistics, with `n_params = (K − 1) p`, `df_model = (K − 1)(p − 1)` with an
    /// intercept (`(K − 1) p` without) and `ℓ₀ = Σᵢ log(n_{yᵢ}/n)`; `summary.llr` reads them
    /// through `Deref`.
    #[serde(flatten)]
    pub statistics: FitStatistics,
}

impl Deref for MultinomialSummary {
    type Target = FitStatistics;

    fn deref(&self) -> &FitStatistics {
        &self.statistics
    }
}

/// Fits `P(y = k | x) ∝ exp(xᵀβₖ)` (`β₀ = 0`) by (penalised) maximum likelihood with
/// Newton–Raphson.
///
/// Errors on collinear columns and, for unpenalised fits, on (quasi-)separation. A fit that hits
/// `max_iter` is returned with `converged = false` and a warning.
pub fn fit_multinomial(
    data: &MultinomialData,
    opts: &MultinomialOptions,
) -> Result<MultinomialFit> {
    opts.validate(data)?;
    let (x, names) = (data.x(), data.names());
    check_rank(x, data.weights(), names)?;
    let unpenalised = opts.penalty.is_none();
    if let Some(c) = data.class_totals().iter().position(|&t| t == 0.0).filter(|_| unpenalised) {
        let reason = format!(
            "class `{}` has no observation with positive weight, so its coefficients have no \
             maximum-likelihood estimate",
            data.classes()[c]
        );
        return Err(Error::invalid("weights", c, reason));
    }
    let problem = Softmax {
        x,
        y: data.y(),
        weights: data.weights(),
        k: data.n_classes(),
        alpha: opts.penalty.l2(),
        intercept: opts.intercept,
    };
    let start = vec![0.0; (problem.k - 1) * x.ncols()];
    let out = newton::maximise(&problem, start, opts.max_iter, opts.tol);
    crate::interrupt::check()?;
    if unpenalised {
        problem.check_separated(&out, names)?;
    }
    if let Stop::Singular { index } = out.stop {
        return Err(singular_error(names, index % x.ncols()));
    }
    let (converged, warning) = convergence(&out, opts.max_iter);
    let covariance = if unpenalised {
        let ev = problem.evaluate(&out.beta);
        let llt = Llt::new(ev.information.as_ref(), Side::Lower).map_err(
            |LltError::NonPositivePivot { index }| singular_error(names, index % x.ncols()),
        )?;
        Some(llt.inverse())
    } else {
        None
    };
    Ok(MultinomialFit {
        names: names.to_vec(),
        classes: data.classes().to_vec(),
        intercept: opts.intercept,
        penalty: opts.penalty,
        log_likelihood: problem.log_likelihood(&out.beta),
        coefficients: problem.unstack(&out.beta),
        covariance,
        iterations: out.iterations,
        converged,
        gradient_norm: out.gradient_norm,
        warning,
    })
}

impl MultinomialFit {
    /// `K`.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// `P(y = k | xᵢ)`, `n × K`, for every row of `x`.
    pub fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let p = self.coefficients.nrows();
        if x.ncols() != p {
            return Err(Error::invalid("x", x.ncols(), format!("the model has {p} columns")));
        }
        Ok(probabilities(&(x * &self.coefficients)).0)
    }

    /// The most probable class of every row of `x` (the first on ties).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.predict_proba(x)?))
    }

    /// Whether the fit maximised a penalised likelihood (then there is no inference table).
    pub fn is_penalised(&self) -> bool {
        !self.penalty.is_none()
    }

    /// The results table on the data the model was fitted to.
    pub fn summary(&self, data: &MultinomialData) -> Result<MultinomialSummary> {
        let Some(cov) = self.covariance.as_ref().filter(|_| !self.is_penalised()) else {
            let reason = "a penalised fit has no maximum-likelihood covariance or inference table";
            return Err(Error::invalid("penalty", format!("{:?}", self.penalty), reason));
        };
        let (p, k) = (self.coefficients.nrows(), self.n_classes());
        if data.x().ncols() != p || data.n_classes() != k {
            let reason = format!("the model was fitted with {p} columns and {k} classes");
            return Err(Error::invalid("data", data.x().ncols(), reason));
        }
        let n_params = (k - 1) * p;
        let df_model = (k - 1) * (p - usize::from(self.intercept.is_some()));
        let ll0 = data.null_log_likelihood();
        let n = data.n_obs();
        let run = Termination {
            converged: self.converged,
            iterations: self.iterations,
            gradient_norm: self.gradient_norm,
            warning: self.warning.as_deref(),
        };
        Ok(MultinomialSummary {
            classes: self.classes.clone(),
            coefficients: self.coefficient_rows(cov),
            statistics: FitStatistics::new(self.log_likelihood, ll0, n, n_params, df_model, run),
        })
    }

    fn coefficient_rows(&self, cov: &Mat<f64>) -> Vec<MultinomialRow> {
        let p = self.coefficients.nrows();
        let row = |k: usize, j: usize| {
            let idx = (k - 1) * p + j;
            let b = self.coefficients[(j, k - 1)];
            MultinomialRow {
                class: self.classes[k].clone(),
                class_index: k,
                coefficient: CoefficientRow::new(&self.names[j], b, cov[(idx, idx)], true),
            }
        };
        (1..self.n_classes()).flat_map(|k| (0..p).map(move |j| row(k, j))).collect()
    }
}

/// Class probabilities `n × K` and `lseᵢ` from the scores `η` (`n × (K − 1)`) of the reference
/// parameterisation: the softmax of `(0, ηᵢ₁, …)`.
pub(crate) fn probabilities(eta: &Mat<f64>) -> (Mat<f64>, Vec<f64>) {
    softmax_with_zeros(eta, 1)
}

/// Row-wise softmax `n × K` of the scores `η` (`n × K`) and each row's log-sum-exp.
pub(crate) fn softmax_rows(eta: &Mat<f64>) -> (Mat<f64>, Vec<f64>) {
    softmax_with_zeros(eta, 0)
}

/// The softmax of every row of `η` preceded by `zeros` scores 0, by the engine's row kernel
/// (log-sum-exp, so no exponential overflows), and each row's log-sum-exp.
fn softmax_with_zeros(eta: &Mat<f64>, zeros: usize) -> (Mat<f64>, Vec<f64>) {
    let (n, k) = (eta.nrows(), eta.ncols() + zeros);
    let mut prob = Mat::zeros(n, k);
    let mut lse = vec![0.0; n];
    let (mut scores, mut row) = (vec![0.0; k], vec![0.0; k]);
    for i in 0..n {
        (zeros..k).for_each(|c| scores[c] = eta[(i, c - zeros)]);
        lse[i] = softmax_row(&scores, &mut row);
        (0..k).for_each(|c| prob[(i, c)] = row[c]);
    }
    (prob, lse)
}

/// The most probable class of every row of `prob` (the first on ties).
pub(crate) fn argmax_rows(prob: &Mat<f64>) -> Vec<usize> {
    let mut row = vec![0.0; prob.ncols()];
    let best = |i: usize| {
        row.iter_mut().enumerate().for_each(|(c, v)| *v = prob[(i, c)]);
        argmax(&row)
    };
    (0..prob.nrows()).map(best).collect()
}

/// `ηᵢ,yᵢ − max_{k ≠ yᵢ} ηᵢₖ` (with `ηᵢ₀ = 0`): positive when row `i` ranks its own class first.
fn margin(eta: &Mat<f64>, i: usize, y: usize) -> f64 {
    let score = |k: usize| if k == 0 { 0.0 } else { eta[(i, k - 1)] };
    let rival = (0..=eta.ncols()).filter(|&k| k != y).map(score).fold(f64::NEG_INFINITY, f64::max);
    score(y) - rival
}

/// A multinomial problem borrowed for one fit.
struct Softmax<'a> {
    x: MatRef<'a, f64>,
    y: &'a [usize],
    /// Frequency weights (1 when `None`).
    weights: Option<&'a [f64]>,
    k: usize,
    alpha: f64,
    intercept: Option<usize>,
}

impl Softmax<'_> {
    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// The rows that count: those with positive weight.
    fn used(&self, i: usize) -> bool {
        self.weight(i) > 0.0
    }

    /// The stacked vector `(β₁, β₂, …)` as the `p × (K − 1)` matrix `B`.
    fn unstack(&self, beta: &[f64]) -> Mat<f64> {
        let p = self.x.ncols();
        Mat::from_fn(p, self.k - 1, |j, k| beta[k * p + j])
    }

    /// `η = X B`, `n × (K − 1)`.
    fn scores(&self, beta: &[f64]) -> Mat<f64> {
        self.x * self.unstack(beta)
    }

    fn penalty(&self, beta: &[f64]) -> f64 {
        let p = self.x.ncols();
        let sum: f64 = beta
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(i % p) != self.intercept)
            .map(|(_, b)| b * b)
            .sum();
        0.5 * self.alpha * sum
    }

    fn log_likelihood(&self, beta: &[f64]) -> f64 {
        let eta = self.scores(beta);
        let (_, lse) = probabilities(&eta);
        let own = |i: usize| if self.y[i] == 0 { 0.0 } else { eta[(i, self.y[i] - 1)] };
        rows::sum((0..self.y.len()).map(|i| self.weight(i) * (own(i) - lse[i])).sum())
    }

    fn objective(&self, beta: &[f64]) -> f64 {
        self.log_likelihood(beta) - self.penalty(beta)
    }

    /// Objective, gradient and the information matrix (blocks `Xᵀ diag(pₖ ⊙ (δₖₗ − pₗ)) X`).
    fn evaluate(&self, beta: &[f64]) -> Evaluation {
        let (n, p, km1) = (self.x.nrows(), self.x.ncols(), self.k - 1);
        let eta = self.scores(beta);
        let (prob, lse) = probabilities(&eta);
        let resid = Mat::from_fn(n, km1, |i, k| {
            self.weight(i) * (f64::from(self.y[i] == k + 1) - prob[(i, k + 1)])
        });
        let mut grad = t_matmul_local(self.x, resid.as_ref());
        let mut information = Mat::zeros(km1 * p, km1 * p);
        for k in 0..km1 {
            for l in k..km1 {
                let w = |i: usize| {
                    self.weight(i) * prob[(i, k + 1)] * (f64::from(k == l) - prob[(i, l + 1)])
                };
                let wx = Mat::from_fn(n, p, |i, j| w(i) * self.x[(i, j)]);
                let block = t_matmul_local(self.x, wx.as_ref());
                for a in 0..p {
                    for b in 0..p {
                        information[(k * p + a, l * p + b)] = block[(a, b)];
                        information[(l * p + b, k * p + a)] = block[(a, b)];
                    }
                }
            }
        }
        let own = |i: usize| if self.y[i] == 0 { 0.0 } else { eta[(i, self.y[i] - 1)] };
        let mut ll = [(0..n).map(|i| self.weight(i) * (own(i) - lse[i])).sum::<f64>()];
        // This rank's sums, then one reduction across the ranks of a sharded fit.
        sum_over_ranks(&mut [&mut grad, &mut information], &mut ll);
        let mut gradient: Vec<f64> = (0..km1 * p).map(|i| grad[(i % p, i / p)]).collect();
        if self.alpha > 0.0 {
            for (i, g) in gradient.iter_mut().enumerate() {
                if Some(i % p) != self.intercept {
                    *g -= self.alpha * beta[i];
                    information[(i, i)] += self.alpha;
                }
            }
        }
        let ll = ll[0];
        let margins: Vec<f64> =
            (0..n).filter(|&i| self.used(i)).map(|i| margin(&eta, i, self.y[i])).collect();
        let (max_margin, min_margin) = rows::max_min(
            margins.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            margins.iter().copied().fold(f64::INFINITY, f64::min),
        );
        Evaluation {
            objective: ll - self.penalty(beta),
            gradient,
            information,
            max_margin,
            min_margin,
        }
    }

    /// Whether the stacked direction `D` ranks every observation's own class first:
    /// `Some(true)` strictly (margins `> 10⁻⁶ max |X D|`), `Some(false)` up to ties, else `None`.
    fn separation_kind(&self, direction: &[f64]) -> Option<bool> {
        if direction.len() != (self.k - 1) * self.x.ncols()
            || direction.iter().any(|v| !v.is_finite())
        {
            return None;
        }
        let s = self.scores(direction);
        let scale = (0..s.ncols())
            .flat_map(|k| s.col(k).iter().map(|v| v.abs()).collect::<Vec<_>>())
            .fold(0.0f64, f64::max);
        let lowest = (0..self.y.len()).filter(|&i| self.used(i)).map(|i| margin(&s, i, self.y[i]));
        let lowest = lowest.fold(f64::INFINITY, f64::min);
        let (scale, lowest) = rows::max_min(scale, lowest);
        (scale > 0.0 && lowest >= -ON_PLANE * scale).then_some(lowest > ON_PLANE * scale)
    }

    /// Turns divergence into [`Error::Separation`], as the binary fit does: every observation
    /// ranked correctly by `B̂`, or a fit that stopped on a separating Newton direction.
    fn check_separated(&self, out: &Outcome, names: &[String]) -> Result<()> {
        let along = self.separation_kind(&out.direction);
        let stalled = out.stop != Stop::Converged && along.is_some();
        if !(out.min_margin > 0.0 || stalled || out.stop == Stop::Separated) {
            return Ok(());
        }
        let perfect = out.min_margin > 0.0 || along == Some(true);
        let direction = if along.is_some() { &out.direction } else { &out.beta };
        // A column diverges when its coefficient does in any class's equation.
        let d = self.unstack(direction);
        let per_column: Vec<f64> = (0..d.nrows())
            .map(|j| (0..d.ncols()).fold(0.0f64, |m, k| m.max(d[(j, k)].abs())))
            .collect();
        let (x, w) = (self.x, self.weights);
        Err(separation::direction_error(x, w, &per_column, self.intercept, names, perfect))
    }
}

/// Newton's method maximises the penalised log-likelihood; an unpenalised fit is watched for
/// a direction that ranks every observation's own class first.
impl Concave for Softmax<'_> {
    fn evaluate(&self, beta: &[f64]) -> Evaluation {
        Softmax::evaluate(self, beta)
    }

    fn objective(&self, beta: &[f64]) -> f64 {
        Softmax::objective(self, beta)
    }

    fn watches_separation(&self) -> bool {
        self.alpha == 0.0
    }

    fn saturation_margin(&self) -> f64 {
        Link::Logit.saturation_margin()
    }

    fn separates(&self, direction: &[f64]) -> bool {
        self.separation_kind(direction).is_some()
    }
}

impl fmt::Display for MultinomialSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reference = self.classes.first().map_or("0", |s| s.as_str());
        if self.statistics.converged {
            writeln!(f, "multinomial logit, maximum likelihood (reference class `{reference}`)")?;
        } else {
            writeln!(
                f,
                "multinomial logit, NOT CONVERGED (reference class `{reference}`): the estimates \
                 are not the maximum-likelihood estimates, and the tests and intervals below do \
                 not hold"
            )?;
        }
        write!(f, "{}", self.statistics)?;
        let rows = &self.coefficients;
        let width = rows.iter().map(|r| r.coefficient.name.len()).max().unwrap_or(4).max(4);
        let cw = rows.iter().map(|r| r.class.len()).max().unwrap_or(5).max(5);
        writeln!(
            f,
            "{:<cw$} {:<width$} {:>10} {:>10} {:>8} {:>8} {:>10} {:>10}",
            "class", "", "coef", "std err", "z", "P>|z|", "[0.025", "0.975]"
        )?;
        for r in rows {
            let c = &r.coefficient;
            writeln!(
                f,
                "{:<cw$} {:<width$} {:>10.4} {:>10.4} {:>8.3} {:>8.3} {:>10.4} {:>10.4}",
                r.class, c.name, c.estimate, c.std_error, c.z, c.p_value, c.ci_low, c.ci_high
            )?;
        }
        if let Some(w) = &self.warning {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}
