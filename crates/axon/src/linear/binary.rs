//! The two binary-response links and the log-likelihood, gradient and observed information of a
//! (weighted, optionally L2-penalised) binary regression, written so that no observation can
//! overflow, underflow to `log(0)` or lose its tail.
//!
//! With `η = xᵀβ`, `q = 2y − 1` and `F` the inverse link, one observation contributes
//! `ℓ = log F(q η)` (both links are symmetric, `1 − F(η) = F(−η)`):
//!
//! - logit, `F = σ`: `ℓ = y η − softplus(η)`, `∂ℓ/∂η = y − σ(η)`, `−∂²ℓ/∂η² = σ(η) σ(−η)`;
//! - probit, `F = Φ`: `ℓ = log Φ(q η)`, `∂ℓ/∂η = q λ(q η)`, `−∂²ℓ/∂η² = λ(q η) (λ(q η) + q η)`,
//!   with the inverse Mills ratio `λ(t) = φ(t) / Φ(t)`. This is the observed information, as
//!   statsmodels' `Probit.hessian`; it lies in (0, 1), so the Newton system stays positive
//!   definite.
//!
//! Summed with frequency weights `w`: `ℓ(β) = Σ wᵢ ℓᵢ − α/2 Σ_{j ≠ intercept} βⱼ²`, gradient
//! `g = Xᵀ(w ⊙ ∂ℓ/∂η) − α β̃`, information `H = Xᵀ diag(w ⊙ −∂²ℓ/∂η²) X + α Ĩ`.
//!
//! `log Φ(t)` uses `erfc` where it is accurate (`t ≥ −37`, where `Φ(t) ≈ 10⁻³⁰⁰` is still a normal
//! double) and below that the asymptotic series
//! `log Φ(t) = log φ(t) − log(−t) + log(1 − t⁻² + 3t⁻⁴ − …)`.

use faer::{Mat, MatRef};
use serde::Serialize;

use super::blocks::{block_products, fold_blocks, sum_over_ranks};
use super::gram::{mirror_lower, scaled_gram_block, x_beta};
use super::newton::{Concave, Evaluation};
use super::separation;
use crate::distributed::rows;

/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// Below this argument `log Φ` and `λ` switch from `erfc` to the asymptotic series.
const TAIL: f64 = -37.0;

/// The inverse link of a binary regression: `P(y = 1 | x) = F(xᵀβ)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    /// `F = σ`, the logistic function (logistic regression).
    Logit,
    /// `F = Φ`, the standard normal CDF (probit regression).
    Probit,
}

/// One observation's log-likelihood and its first two derivatives in `η`.
#[derive(Debug, Clone, Copy)]
pub struct ObsDerivs {
    /// `ℓ = log F(q η)`.
    pub log_lik: f64,
    /// `∂ℓ/∂η`.
    pub score: f64,
    /// `−∂²ℓ/∂η²` (≥ 0).
    pub info: f64,
}

impl Link {
    /// The lower-case name, as in `"logit"`.
    pub fn name(self) -> &'static str {
        match self {
            Link::Logit => "logit",
            Link::Probit => "probit",
        }
    }

    /// `F(η)`, the probability of `y = 1`.
    pub fn cdf(self, eta: f64) -> f64 {
        match self {
            Link::Logit => sigmoid(eta),
            Link::Probit => 0.5 * libm::erfc(-eta / std::f64::consts::SQRT_2),
        }
    }

    /// `f(η) = F'(η)`, the density of the latent error.
    pub fn pdf(self, eta: f64) -> f64 {
        match self {
            Link::Logit => logistic_density(eta),
            Link::Probit => (-0.5 * eta * eta - LN_SQRT_2PI).exp(),
        }
    }

    /// `f'(η)`: `σ(1 − σ)(1 − 2σ)` for logit, `−η φ(η)` for probit.
    pub fn pdf_derivative(self, eta: f64) -> f64 {
        match self {
            Link::Logit => logistic_density(eta) * (sigmoid(-eta) - sigmoid(eta)),
            Link::Probit => -eta * self.pdf(eta),
        }
    }

    /// `log F(q η)` for an outcome `y ∈ {0, 1}`, finite for every finite `η`.
    pub fn log_lik(self, y: f64, eta: f64) -> f64 {
        let t = if y > 0.5 { eta } else { -eta };
        match self {
            Link::Logit => -softplus(-t),
            Link::Probit => log_ndtr(t),
        }
    }

    /// `ℓ`, `∂ℓ/∂η` and `−∂²ℓ/∂η²` of one observation.
    pub fn derivs(self, y: f64, eta: f64) -> ObsDerivs {
        let q = if y > 0.5 { 1.0 } else { -1.0 };
        let t = q * eta;
        match self {
            Link::Logit => ObsDerivs {
                log_lik: -softplus(-t),
                score: q * sigmoid(-t),
                info: logistic_density(eta),
            },
            Link::Probit => {
                let (lambda, lambda_plus_t) = mills(t);
                ObsDerivs {
                    log_lik: log_ndtr(t),
                    score: q * lambda,
                    info: (lambda * lambda_plus_t).clamp(0.0, 1.0),
                }
            }
        }
    }

    /// The margin `q η` beyond which an observation is fitted so well that its information weight
    /// is below ~10⁻¹² of the most informative one: a sign of coefficients running off to infinity.
    pub(crate) fn saturation_margin(self) -> f64 {
        match self {
            Link::Logit => 27.0,
            Link::Probit => 7.0,
        }
    }
}

/// `σ(x) = 1 / (1 + e⁻ˣ)` without overflow.
pub fn sigmoid(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    if x >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// `log(1 + eˣ)` without overflow.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// `σ(x) σ(−x) = e^{−|x|} / (1 + e^{−|x|})²`, exact in both tails.
fn logistic_density(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// `log Φ(t)`, accurate to a few ulps for every finite `t` and never `log(0)`.
pub fn log_ndtr(t: f64) -> f64 {
    if t > 0.0 {
        (-0.5 * libm::erfc(t / std::f64::consts::SQRT_2)).ln_1p()
    } else if t >= TAIL {
        (0.5 * libm::erfc(-t / std::f64::consts::SQRT_2)).ln()
    } else {
        -0.5 * t * t - LN_SQRT_2PI - (-t).ln() + tail_series(t).ln()
    }
}

/// `1 − t⁻² + 3t⁻⁴ − 15t⁻⁶ + 105t⁻⁸`, the asymptotic factor in `Φ(t) ≈ φ(t) / (−t) · S(t)`; at
/// `t ≤ −37` the first omitted term is below 3·10⁻¹³.
fn tail_series(t: f64) -> f64 {
    let u = 1.0 / (t * t);
    1.0 - u * (1.0 - u * (3.0 - u * (15.0 - u * 105.0)))
}

/// The inverse Mills ratio `λ(t) = φ(t)/Φ(t)` and `λ(t) + t`, the latter without cancellation in
/// the far left tail where `λ(t) ≈ −t`.
fn mills(t: f64) -> (f64, f64) {
    if t >= TAIL {
        let phi = (-0.5 * t * t - LN_SQRT_2PI).exp();
        let cdf = 0.5 * libm::erfc(-t / std::f64::consts::SQRT_2);
        let lambda = phi / cdf;
        (lambda, lambda + t)
    } else {
        let s = tail_series(t);
        let u = 1.0 / (t * t);
        // λ + t = −t (1 − S)/S with 1 − S = u (1 − 3u + 15u² − 105u³).
        let one_minus_s = u * (1.0 - u * (3.0 - u * (15.0 - u * 105.0)));
        (-t / s, -t * one_minus_s / s)
    }
}

/// A binary regression problem: the data, the link and the penalty, borrowed for one fit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Problem<'a> {
    pub x: MatRef<'a, f64>,
    pub y: &'a [f64],
    pub weights: Option<&'a [f64]>,
    pub link: Link,
    pub alpha: f64,
    pub intercept: Option<usize>,
}

impl Problem<'_> {
    pub fn n(&self) -> usize {
        self.x.nrows()
    }

    pub fn p(&self) -> usize {
        self.x.ncols()
    }

    /// The weight of observation `i` (1 without weights).
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// `η = X β`, column by column (cache-friendly for the column-major matrices faer makes).
    pub fn eta(&self, beta: &[f64]) -> Vec<f64> {
        linear_predictor(self.x, beta)
    }

    /// `α/2 Σ_{j ≠ intercept} βⱼ²`.
    fn penalty(&self, beta: &[f64]) -> f64 {
        let sum: f64 = beta
            .iter()
            .enumerate()
            .filter(|(j, _)| Some(*j) != self.intercept)
            .map(|(_, b)| b * b)
            .sum();
        0.5 * self.alpha * sum
    }

    /// The unpenalised log-likelihood `Σ wᵢ ℓᵢ`.
    pub fn log_likelihood(&self, beta: &[f64]) -> f64 {
        let eta = self.eta(beta);
        let local = (0..self.n())
            .filter(|&i| self.weight(i) > 0.0)
            .map(|i| self.weight(i) * self.link.log_lik(self.y[i], eta[i]))
            .sum();
        rows::sum(local)
    }

    /// The smallest margin `q η` over observations with positive weight: above 0 when `β`
    /// classifies every observation correctly (perfect separation).
    pub fn min_margin(&self, beta: &[f64]) -> f64 {
        let eta = self.eta(beta);
        let local = (0..self.n())
            .filter(|&i| self.weight(i) > 0.0)
            .map(|i| if self.y[i] > 0.5 { eta[i] } else { -eta[i] })
            .fold(f64::INFINITY, f64::min);
        rows::min(local)
    }

    /// The penalised log-likelihood, the quantity Newton's method maximises.
    pub fn objective(&self, beta: &[f64]) -> f64 {
        self.log_likelihood(beta) - self.penalty(beta)
    }

    /// Objective, gradient and information at `beta`, in one read of `X`: per row block, `η_b`,
    /// the rows' derivatives, `X_bᵀ(w ⊙ ∂ℓ/∂η)` and the lower triangle of
    /// `X_bᵀ diag(w ⊙ −∂²ℓ/∂η²) X_b`, summed over blocks in a fixed order ([`fold_blocks`]).
    pub fn evaluate(&self, beta: &[f64]) -> Evaluation {
        let coef = MatRef::from_column_major_slice(beta, beta.len(), 1);
        let block = |start: usize, len: usize| {
            let xb = self.x.subrows(start, len);
            let eta = block_products(xb, coef);
            let mut part = BlockEvaluation::empty(len);
            for i in 0..len {
                let (row, eta) = (start + i, eta[(i, 0)]);
                let w = self.weight(row);
                if w <= 0.0 {
                    continue;
                }
                let d = self.link.derivs(self.y[row], eta);
                part.ll += w * d.log_lik;
                part.score[(i, 0)] = w * d.score;
                part.root_info[i] = (w * d.info).sqrt();
                let margin = if self.y[row] > 0.5 { eta } else { -eta };
                part.max_margin = part.max_margin.max(margin);
                part.min_margin = part.min_margin.min(margin);
            }
            part.gradient = block_products(xb.transpose(), part.score.as_ref());
            part.information = scaled_gram_block(self.x, &part.root_info, start, len);
            part
        };
        let mut sum = fold_blocks(self.n(), self.p(), block, BlockEvaluation::add);
        let mut ll = [sum.ll];
        sum_over_ranks(&mut [&mut sum.gradient, &mut sum.information], &mut ll);
        sum.ll = ll[0];
        (sum.max_margin, sum.min_margin) = rows::max_min(sum.max_margin, sum.min_margin);
        let mut gradient: Vec<f64> = sum.gradient.col(0).iter().copied().collect();
        let mut information = sum.information;
        mirror_lower(&mut information);
        for (j, g) in gradient.iter_mut().enumerate() {
            if Some(j) != self.intercept && self.alpha > 0.0 {
                *g -= self.alpha * beta[j];
                information[(j, j)] += self.alpha;
            }
        }
        let objective = sum.ll - self.penalty(beta);
        let (max_margin, min_margin) = (sum.max_margin, sum.min_margin);
        Evaluation { objective, gradient, information, max_margin, min_margin }
    }

    /// The per-observation scores `sᵢ = (∂ℓᵢ/∂η) xᵢ` (unweighted), one row per observation.
    pub fn score_obs(&self, beta: &[f64]) -> Mat<f64> {
        let eta = self.eta(beta);
        let d: Vec<f64> =
            (0..self.n()).map(|i| self.link.derivs(self.y[i], eta[i]).score).collect();
        Mat::from_fn(self.n(), self.p(), |i, j| d[i] * self.x[(i, j)])
    }
}

/// One row block's share of an [`Evaluation`] (the information's lower triangle only).
struct BlockEvaluation {
    ll: f64,
    score: Mat<f64>,
    root_info: Vec<f64>,
    gradient: Mat<f64>,
    information: Mat<f64>,
    max_margin: f64,
    min_margin: f64,
}

impl BlockEvaluation {
    fn empty(len: usize) -> Self {
        BlockEvaluation {
            ll: 0.0,
            score: Mat::zeros(len, 1),
            root_info: vec![0.0; len],
            gradient: Mat::new(),
            information: Mat::new(),
            max_margin: f64::NEG_INFINITY,
            min_margin: f64::INFINITY,
        }
    }

    fn add(acc: &mut Self, part: Self) {
        acc.ll += part.ll;
        acc.gradient += part.gradient;
        acc.information += part.information;
        acc.max_margin = acc.max_margin.max(part.max_margin);
        acc.min_margin = acc.min_margin.min(part.min_margin);
    }
}

/// Newton's method maximises the penalised log-likelihood; an unpenalised fit is watched for
/// separation by the direction's margins `qᵢ xᵢᵀΔ`.
impl Concave for Problem<'_> {
    fn evaluate(&self, beta: &[f64]) -> Evaluation {
        Problem::evaluate(self, beta)
    }

    fn objective(&self, beta: &[f64]) -> f64 {
        Problem::objective(self, beta)
    }

    fn watches_separation(&self) -> bool {
        self.alpha == 0.0
    }

    fn saturation_margin(&self) -> f64 {
        self.link.saturation_margin()
    }

    fn separates(&self, direction: &[f64]) -> bool {
        separation::separates(self.x, self.y, self.weights, direction)
    }
}

/// `X β`.
pub(crate) fn linear_predictor(x: MatRef<'_, f64>, beta: &[f64]) -> Vec<f64> {
    x_beta(x, beta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ndtr_is_continuous_and_finite_in_the_tails() {
        for t in [-1e6, -1e3, -40.0, -37.0, -10.0, 0.0, 10.0, 40.0] {
            assert!(log_ndtr(t).is_finite(), "log Φ({t})");
        }
        // At the switch both forms agree: the series against erfc at t = −37.
        let t = TAIL;
        let series = -0.5 * t * t - LN_SQRT_2PI - (-t).ln() + tail_series(t).ln();
        let exact = log_ndtr(t);
        assert!(((series - exact) / exact).abs() < 1e-14, "{series} vs {exact}");
        let (l_exact, s_exact) = mills(t);
        let (l_series, s_series) = mills(t - 1e-12);
        assert!(((l_series - l_exact) / l_exact).abs() < 1e-12, "{l_series} vs {l_exact}");
        assert!(((s_series - s_exact) / s_exact).abs() < 1e-9, "{s_series} vs {s_exact}");
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for link in [Link::Logit, Link::Probit] {
            for y in [0.0, 1.0] {
                for eta in [-8.0, -1.3, 0.0, 0.7, 5.0] {
                    let h = 1e-5;
                    let d = link.derivs(y, eta);
                    let f = |e: f64| link.log_lik(y, e);
                    let num = (f(eta + h) - f(eta - h)) / (2.0 * h);
                    assert!((num - d.score).abs() < 1e-7, "{link:?} y={y} η={eta}");
                    let s = |e: f64| link.derivs(y, e).score;
                    let num2 = -(s(eta + h) - s(eta - h)) / (2.0 * h);
                    assert!((num2 - d.info).abs() < 1e-7, "{link:?} y={y} η={eta}");
                    let fp = (link.pdf(eta + h) - link.pdf(eta - h)) / (2.0 * h);
                    assert!((fp - link.pdf_derivative(eta)).abs() < 1e-8);
                }
            }
        }
    }
}
