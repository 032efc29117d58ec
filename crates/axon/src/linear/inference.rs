//! The statistics an economist reads off a binary regression, as statsmodels' `Logit`/`Probit`
//! results report them.
//!
//! - Covariance: non-robust `V = H⁻¹` (inverse observed information); HC0 `H⁻¹ (Σ wᵢ sᵢ sᵢᵀ) H⁻¹`
//!   with per-observation scores `sᵢ = (∂ℓᵢ/∂η) xᵢ`; HC1 = HC0 · n/(n − p).
//! - Per coefficient: `se = √Vⱼⱼ`, `z = β̂/se`, two-sided `p = 2(1 − Φ(|z|))`, 95% interval
//!   `β̂ ± 1.959963984540054 se`; for logit the odds ratio `e^β̂` and its interval `e^{ci}`.
//! - Model: `ℓ₀ = Σ wᵢ [yᵢ log ȳ + (1 − yᵢ) log(1 − ȳ)]` (the intercept-only fit, for either
//!   link), `LLR = 2(ℓ − ℓ₀)` with a χ² p-value on `df_model` degrees of freedom, McFadden's
//!   `1 − ℓ/ℓ₀`, `AIC = −2ℓ + 2p`, `BIC = −2ℓ + p ln n`, deviance `−2ℓ`.
//! - Average marginal effects (statsmodels `get_margeff(at="overall", method="dydx")`):
//!   `AMEⱼ = β̂ⱼ · mean f(ηᵢ)`, with the delta-method covariance `J V Jᵀ` where
//!   `Jⱼₖ = δⱼₖ mean f(ηᵢ) + β̂ⱼ mean f'(ηᵢ) xᵢₖ`; the intercept has none.
//!
//! With frequency weights every mean and sum is weighted and `n = Σ wᵢ`.
//!
//! The model statistics are one [`FitStatistics`], which the multinomial summary embeds too (with
//! its own `ℓ₀` and parameter count).
//!
//! A fit that did not converge is no maximum-likelihood fit: its table is headed "NOT CONVERGED";
//! one that diverged (the log-likelihood fell below its value at the start, `β = 0`) has no
//! table, and the error says so instead of blaming a penalty or collinearity.

use std::fmt;
use std::ops::Deref;

use faer::{Mat, MatRef};
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::binary::{linear_predictor, Link, Problem};
use super::fit::{inverse_information, BinaryData, BinaryFit};
use super::gram::t_matmul;
use crate::error::{Error, Result};

/// The 0.975 quantile of the standard normal, for 95% intervals.
pub const Z_975: f64 = 1.959963984540054;

/// Which covariance of `β̂` the standard errors come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CovType {
    /// The inverse observed information.
    #[serde(rename = "nonrobust")]
    NonRobust,
    /// The White sandwich without small-sample factor.
    HC0,
    /// HC0 times `n / (n − p)`.
    HC1,
}

/// One row of the coefficient table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoefficientRow {
    pub name: String,
    pub estimate: f64,
    pub std_error: f64,
    pub z: f64,
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// `e^β̂` (logit only).
    pub odds_ratio: Option<f64>,
    pub odds_ratio_ci_low: Option<f64>,
    pub odds_ratio_ci_high: Option<f64>,
}

/// The average marginal effect `∂P(y = 1)/∂xⱼ` of one variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginalEffect {
    pub name: String,
    pub effect: f64,
    pub std_error: f64,
    pub z: f64,
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl MarginalEffect {
    /// The effects as a text table, as statsmodels' `get_margeff().summary()` shows them (what
    /// `axon fit` prints below the coefficients); empty for no effects.
    pub fn table(effects: &[MarginalEffect]) -> String {
        use std::fmt::Write;
        if effects.is_empty() {
            return String::new();
        }
        let width = effects.iter().map(|e| e.name.chars().count()).max().unwrap_or(4).max(4);
        let mut out = String::from("Average marginal effects (dP/dx):\n");
        let _ = writeln!(
            out,
            "{:<width$} {:>10} {:>10} {:>8} {:>8} {:>10} {:>10}",
            "", "dy/dx", "std err", "z", "P>|z|", "[0.025", "0.975]"
        );
        for e in effects {
            let _ = writeln!(
                out,
                "{:<width$} {:>10.4} {:>10.4} {:>8.3} {:>8.3} {:>10.4} {:>10.4}",
                e.name, e.effect, e.std_error, e.z, e.p_value, e.ci_low, e.ci_high
            );
        }
        out
    }
}

/// Everything a results table shows about a maximum-likelihood binary fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitSummary {
    pub link: Link,
    pub cov_type: CovType,
    pub coefficients: Vec<CoefficientRow>,
    pub marginal_effects: Vec<MarginalEffect>,
    /// The model statistics (`summary.llr` reads them through `Deref`).
    #[serde(flatten)]
    pub statistics: FitStatistics,
}

impl Deref for FitSummary {
    type Target = FitStatistics;

    fn deref(&self) -> &FitStatistics {
        &self.statistics
    }
}

/// The model-level statistics of a maximum-likelihood fit, binary or multinomial, as statsmodels
/// reports them (see the module docs for the formulas).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitStatistics {
    /// `Σ wᵢ` (the number of rows without weights).
    pub n_obs: f64,
    /// Estimated parameters: `p` for a binary fit, `(K − 1) p` for a multinomial one.
    pub n_params: usize,
    /// Parameters other than the intercept(s).
    pub df_model: usize,
    /// `n_obs − n_params`.
    pub df_resid: f64,
    pub log_likelihood: f64,
    /// `ℓ₀`, the log-likelihood of the intercept-only fit.
    pub null_log_likelihood: f64,
    pub llr: f64,
    /// χ² survival of `llr` on `df_model` degrees of freedom (NaN when `df_model = 0`).
    pub llr_p_value: f64,
    /// McFadden's `1 − ℓ/ℓ₀`.
    pub pseudo_r2: f64,
    pub aic: f64,
    pub bic: f64,
    pub deviance: f64,
    pub converged: bool,
    pub iterations: usize,
    pub gradient_norm: f64,
    pub warning: Option<String>,
}

/// How a fit's iteration ended, copied into its [`FitStatistics`].
pub(crate) struct Termination<'a> {
    pub converged: bool,
    pub iterations: usize,
    pub gradient_norm: f64,
    pub warning: Option<&'a str>,
}

impl FitStatistics {
    /// The statistics of a fit with log-likelihood `ll` against the null `ll0`, on `n_obs`
    /// observations with `n_params` parameters of which `df_model` are not intercepts.
    pub(crate) fn new(
        ll: f64,
        ll0: f64,
        n_obs: f64,
        n_params: usize,
        df_model: usize,
        run: Termination,
    ) -> FitStatistics {
        let llr = 2.0 * (ll - ll0);
        let llr_p_value = match ChiSquared::new(df_model as f64) {
            Ok(chi2) if df_model > 0 => chi2.sf(llr),
            _ => f64::NAN,
        };
        let k = n_params as f64;
        FitStatistics {
            n_obs,
            n_params,
            df_model,
            df_resid: n_obs - k,
            log_likelihood: ll,
            null_log_likelihood: ll0,
            llr,
            llr_p_value,
            pseudo_r2: 1.0 - ll / ll0,
            aic: -2.0 * ll + 2.0 * k,
            bic: -2.0 * ll + k * n_obs.ln(),
            deviance: -2.0 * ll,
            converged: run.converged,
            iterations: run.iterations,
            gradient_norm: run.gradient_norm,
            warning: run.warning.map(str::to_owned),
        }
    }
}

impl BinaryFit {
    /// The covariance of `β̂` of the requested kind, on the data the model was fitted to.
    pub fn covariance_of(&self, data: &BinaryData, cov_type: CovType) -> Result<Mat<f64>> {
        let bread = self.unpenalised_covariance()?;
        self.check_data(data)?;
        if cov_type == CovType::NonRobust {
            return Ok(bread.clone());
        }
        let problem = self.problem(data);
        let scores = problem.score_obs(&self.coefficients);
        let root_w = |i: usize| data.weight(i).sqrt();
        let scaled =
            Mat::from_fn(scores.nrows(), scores.ncols(), |i, j| root_w(i) * scores[(i, j)]);
        let meat = t_matmul(scaled.as_ref(), scaled.as_ref());
        let sandwich = bread * &meat * bread;
        let (n, p) = (data.n_obs(), self.coefficients.len() as f64);
        match cov_type {
            CovType::HC1 if n <= p => {
                Err(Error::invalid("cov_type", "HC1", format!("needs n = {n} > p = {p}")))
            }
            CovType::HC1 => Ok(sandwich * faer::Scale(n / (n - p))),
            _ => Ok(sandwich),
        }
    }

    /// The results table with the non-robust covariance.
    pub fn summary(&self, data: &BinaryData) -> Result<FitSummary> {
        self.summary_with(data, CovType::NonRobust)
    }

    /// The results table with standard errors (of coefficients and marginal effects) from
    /// `cov_type`.
    pub fn summary_with(&self, data: &BinaryData, cov_type: CovType) -> Result<FitSummary> {
        if self.diverged(data) {
            return Err(Error::invalid("fit", "diverged", self.divergence_message(data)));
        }
        let cov = self.covariance_of(data, cov_type)?;
        let p = self.coefficients.len();
        let ll0 = null_log_likelihood(data.y(), data.weights());
        let df_model = p - usize::from(self.intercept.is_some());
        let run = Termination {
            converged: self.converged,
            iterations: self.iterations,
            gradient_norm: self.gradient_norm,
            warning: self.warning.as_deref(),
        };
        Ok(FitSummary {
            link: self.link,
            cov_type,
            coefficients: self.coefficient_rows(cov.as_ref()),
            marginal_effects: self.marginal_effects(data, cov.as_ref())?,
            statistics: FitStatistics::new(
                self.log_likelihood,
                ll0,
                data.n_obs(),
                p,
                df_model,
                run,
            ),
        })
    }

    /// Average marginal effects of every non-intercept column with delta-method errors from `cov`.
    pub fn marginal_effects(
        &self,
        data: &BinaryData,
        cov: MatRef<'_, f64>,
    ) -> Result<Vec<MarginalEffect>> {
        self.check_data(data)?;
        let p = self.coefficients.len();
        if cov.nrows() != p || cov.ncols() != p {
            return Err(Error::invalid("cov", cov.nrows(), format!("expected a {p} × {p} matrix")));
        }
        let x = data.x();
        let eta = linear_predictor(x, &self.coefficients);
        let total = data.n_obs();
        let mean = |f: &dyn Fn(usize) -> f64| -> f64 {
            (0..eta.len()).map(|i| data.weight(i) * f(i)).sum::<f64>() / total
        };
        let f_bar = mean(&|i| self.link.pdf(eta[i]));
        let m: Vec<f64> =
            (0..p).map(|k| mean(&|i| self.link.pdf_derivative(eta[i]) * x[(i, k)])).collect();
        let rows = (0..p).filter(|&j| Some(j) != self.intercept);
        Ok(rows
            .map(|j| {
                let b = self.coefficients[j];
                let jac: Vec<f64> =
                    (0..p).map(|k| b * m[k] + if k == j { f_bar } else { 0.0 }).collect();
                let var = quadratic_form(cov, &jac);
                let (effect, se) = (b * f_bar, var.max(0.0).sqrt());
                let z = effect / se;
                MarginalEffect {
                    name: self.names[j].clone(),
                    effect,
                    std_error: se,
                    z,
                    p_value: two_sided_p(z),
                    ci_low: effect - Z_975 * se,
                    ci_high: effect + Z_975 * se,
                }
            })
            .collect())
    }

    fn coefficient_rows(&self, cov: MatRef<'_, f64>) -> Vec<CoefficientRow> {
        let odds = self.link == Link::Logit;
        self.coefficients
            .iter()
            .enumerate()
            .map(|(j, &b)| CoefficientRow::new(&self.names[j], b, cov[(j, j)], odds))
            .collect()
    }

    /// Whether the solver ran away from the optimum: the log-likelihood is not finite, or lower
    /// than at `β = 0`, where every solver starts (`ℓ(0) = −n ln 2` for logit and probit alike),
    /// on `data`. Only an unconverged fit can have diverged.
    pub fn diverged(&self, data: &BinaryData) -> bool {
        let start = -data.n_obs() * std::f64::consts::LN_2;
        let ll = self.log_likelihood;
        !self.converged && (!ll.is_finite() || ll < start)
    }

    /// Why the solver diverged, from where to where.
    pub fn divergence_message(&self, data: &BinaryData) -> String {
        format!(
            "{} diverged: the log-likelihood went from {:.4} at the start (all coefficients 0) \
             to {:.4e}; lower the learning rate or standardise the columns",
            self.solver.name(),
            -data.n_obs() * std::f64::consts::LN_2,
            self.log_likelihood
        )
    }

    fn unpenalised_covariance(&self) -> Result<&Mat<f64>> {
        match &self.covariance {
            Some(cov) if !self.is_penalised() => Ok(cov),
            _ if self.is_penalised() => Err(Error::invalid(
                "penalty",
                format!("{:?}", self.penalty),
                "a penalised fit has no maximum-likelihood covariance or inference table",
            )),
            _ => Err(Error::invalid(
                "fit",
                if self.converged { "converged" } else { "not converged" },
                format!(
                    "the information matrix at the estimates is not positive definite, so there is \
                     no inference table ({})",
                    self.warning.as_deref().unwrap_or("the fit converged")
                ),
            )),
        }
    }

    fn check_data(&self, data: &BinaryData) -> Result<()> {
        let p = self.coefficients.len();
        if data.x().ncols() != p {
            let reason = format!("the model was fitted with {p} columns");
            return Err(Error::invalid("x", data.x().ncols(), reason));
        }
        Ok(())
    }

    fn problem<'a>(&self, data: &BinaryData<'a>) -> Problem<'a> {
        Problem {
            x: data.x(),
            y: data.y(),
            weights: data.weights(),
            link: self.link,
            alpha: 0.0,
            intercept: self.intercept,
        }
    }

    /// Recomputes `H(β̂)⁻¹` on `data` (the stored covariance is this on the fitted data).
    pub fn information_inverse(&self, data: &BinaryData) -> Result<Mat<f64>> {
        self.check_data(data)?;
        inverse_information(&self.problem(data), &self.coefficients, &self.names)
    }
}

impl CoefficientRow {
    /// The row of estimate `b` with variance `var`: `z`, the two-sided p-value, the 95% interval
    /// and, when `odds`, `e^b` with the interval's ends exponentiated.
    pub(crate) fn new(name: &str, b: f64, var: f64, odds: bool) -> CoefficientRow {
        let odds_of = |v: f64| odds.then(|| v.exp());
        let se = var.max(0.0).sqrt();
        let z = b / se;
        let (lo, hi) = (b - Z_975 * se, b + Z_975 * se);
        CoefficientRow {
            name: name.to_owned(),
            estimate: b,
            std_error: se,
            z,
            p_value: two_sided_p(z),
            ci_low: lo,
            ci_high: hi,
            odds_ratio: odds_of(b),
            odds_ratio_ci_low: odds_of(lo),
            odds_ratio_ci_high: odds_of(hi),
        }
    }
}

/// `ℓ₀`, the log-likelihood of the intercept-only model: `Σ wᵢ [yᵢ log ȳ + (1 − yᵢ) log(1 − ȳ)]`
/// with the weighted mean `ȳ` (0 when `ȳ` is 0 or 1).
pub fn null_log_likelihood(y: &[f64], weights: Option<&[f64]>) -> f64 {
    let w = |i: usize| weights.map_or(1.0, |w| w[i]);
    let total: f64 = (0..y.len()).map(w).sum();
    let ones: f64 = (0..y.len()).map(|i| w(i) * y[i]).sum();
    let mean = ones / total;
    if mean <= 0.0 || mean >= 1.0 {
        return 0.0;
    }
    ones * mean.ln() + (total - ones) * (-mean).ln_1p()
}

/// `2 (1 − Φ(|z|))`.
fn two_sided_p(z: f64) -> f64 {
    2.0 * Normal::standard().sf(z.abs())
}

/// `vᵀ A v`.
fn quadratic_form(a: MatRef<'_, f64>, v: &[f64]) -> f64 {
    let n = v.len();
    (0..n).map(|i| (0..n).map(|k| v[i] * a[(i, k)] * v[k]).sum::<f64>()).sum()
}

/// The two lines of model statistics a results table opens with.
impl fmt::Display for FitStatistics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "n = {}  log-likelihood = {:.4}  null = {:.4}  LLR = {:.4} (p = {:.4e})  \
             pseudo R² = {:.4}",
            self.n_obs,
            self.log_likelihood,
            self.null_log_likelihood,
            self.llr,
            self.llr_p_value,
            self.pseudo_r2
        )?;
        writeln!(
            f,
            "AIC = {:.4}  BIC = {:.4}  iterations = {}",
            self.aic, self.bic, self.iterations
        )
    }
}

/// statsmodels' table; for a logit three more columns, the odds ratio `e^β̂` of every row and its
/// 95% interval (the interval's ends exponentiated).
impl fmt::Display for FitSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let link = self.link.name();
        if self.converged {
            writeln!(f, "{link} regression, maximum likelihood ({:?} covariance)", self.cov_type)?;
        } else {
            writeln!(
                f,
                "{link} regression, NOT CONVERGED ({:?} covariance): the estimates are not the \
                 maximum-likelihood estimates, and the tests and intervals below do not hold",
                self.cov_type
            )?;
        }
        write!(f, "{}", self.statistics)?;
        let width = self.coefficients.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
        let odds = self.coefficients.iter().any(|r| r.odds_ratio.is_some());
        write!(
            f,
            "{:<width$} {:>10} {:>10} {:>8} {:>8} {:>10} {:>10}",
            "", "coef", "std err", "z", "P>|z|", "[0.025", "0.975]"
        )?;
        if odds {
            write!(f, " {:>10} {:>10} {:>10}", "odds ratio", "[0.025", "0.975]")?;
        }
        writeln!(f)?;
        for r in &self.coefficients {
            write!(
                f,
                "{:<width$} {:>10.4} {:>10.4} {:>8.3} {:>8.3} {:>10.4} {:>10.4}",
                r.name, r.estimate, r.std_error, r.z, r.p_value, r.ci_low, r.ci_high
            )?;
            if let (Some(or), Some(lo), Some(hi)) =
                (r.odds_ratio, r.odds_ratio_ci_low, r.odds_ratio_ci_high)
            {
                write!(f, " {or:>10.4} {lo:>10.4} {hi:>10.4}")?;
            }
            writeln!(f)?;
        }
        if let Some(w) = &self.warning {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}
