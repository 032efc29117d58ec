//! The linear probability model: least squares of a 0/1 outcome on the design matrix, the
//! lectures' "why not linear regression?" foil to the logit. Its fitted values `ŷ = X β̂` are
//! meant as `P(y = 1 | x)` but nothing keeps them in `[0, 1]`, and its errors are
//! heteroscedastic by construction (`Var(y | x) = p(1 − p)`), so the standard errors are White's
//! robust ones with the small-sample factor, as statsmodels' `OLS(y, X).fit(cov_type="HC1")`:
//!
//! ```text
//! β̂ = argmin ‖y − X β‖²                       by the QR factorisation X = Q R (faer)
//! (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ
//! V_HC1 = n/(n − k) · (XᵀX)⁻¹ (Σ eᵢ² xᵢ xᵢᵀ) (XᵀX)⁻¹,   e = y − X β̂
//! z = β̂ / se,  p = 2 (1 − Φ(|z|)),  95% interval β̂ ± 1.96 se
//! R² = 1 − SSR / Σ (yᵢ − ȳ)²  (with an intercept; uncentred Σ yᵢ² without)
//! adjusted R² = 1 − (n − c)/(n − k) (1 − R²),  c = 1 with an intercept, else 0
//! ```
//!
//! statsmodels reports robust covariances with normal (`z`) p-values and intervals unless
//! asked for `use_t`, and so does this. The fit reports how many fitted values fall outside
//! `[0, 1]`: the point of the exercise.

use faer::linalg::solvers::SolveLstsq;
use faer::linalg::triangular_solve::solve_upper_triangular_in_place;
use faer::{Mat, MatRef, Par};
use serde::Serialize;

use super::gram::{check_rank, t_matmul};
use super::inference::CoefficientRow;
use crate::error::{Error, Result};

/// A least-squares fit of a 0/1 outcome with HC1 inference.
#[derive(Debug, Clone, Serialize)]
pub struct OlsFit {
    pub names: Vec<String>,
    pub coefficients: Vec<f64>,
    /// Estimate, HC1 standard error, z, p-value and 95% interval per column.
    pub table: Vec<CoefficientRow>,
    /// The HC1 covariance of `β̂`, row-major `k × k`.
    pub covariance: Vec<f64>,
    pub n_obs: usize,
    /// `n − k`.
    pub df_resid: usize,
    pub r_squared: f64,
    pub adj_r_squared: f64,
    /// `Σ eᵢ²`.
    pub ssr: f64,
    /// The fitted values `X β̂`, the model's `P(y = 1)`.
    #[serde(skip)]
    pub fitted: Vec<f64>,
    /// How many fitted values are below 0, and how many above 1.
    pub below_zero: usize,
    pub above_one: usize,
}

/// Fits `y` (each 0 or 1) on `x` (`n × k`, the intercept column included by the caller, which
/// `has_intercept` says) by least squares, with HC1 inference. Needs `n > k` and columns that
/// are not collinear.
pub fn fit_ols(
    x: MatRef<'_, f64>,
    y: &[f64],
    names: &[String],
    has_intercept: bool,
) -> Result<OlsFit> {
    let (n, k) = (x.nrows(), x.ncols());
    if y.len() != n {
        return Err(Error::invalid("y", y.len(), format!("expected {n} values, one per row")));
    }
    if names.len() != k {
        return Err(Error::invalid("names", names.len(), format!("expected {k} names")));
    }
    if let Some(i) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
        return Err(Error::invalid("y", y[i], format!("row {i}: the outcome must be 0 or 1")));
    }
    if n <= k {
        let reason = format!("{n} rows leave no residual degrees of freedom for {k} columns");
        return Err(Error::invalid("x", format!("{n} × {k}"), reason));
    }
    check_rank(x, None, names)?;
    let qr = x.qr();
    let y_col = Mat::from_fn(n, 1, |i, _| y[i]);
    let beta_mat = qr.solve_lstsq(&y_col);
    let beta: Vec<f64> = (0..k).map(|j| beta_mat[(j, 0)]).collect();
    // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ from the triangular factor.
    let mut r_inv = Mat::<f64>::identity(k, k);
    solve_upper_triangular_in_place(qr.thin_R(), r_inv.as_mut(), Par::Seq);
    let bread = &r_inv * r_inv.transpose();
    let fitted: Vec<f64> =
        (0..n).map(|i| (0..k).map(|j| x[(i, j)] * beta[j]).sum::<f64>()).collect();
    let resid: Vec<f64> = y.iter().zip(&fitted).map(|(y, f)| y - f).collect();
    let scaled = Mat::from_fn(n, k, |i, j| x[(i, j)] * resid[i]);
    let meat = t_matmul(scaled.as_ref(), scaled.as_ref());
    let factor = n as f64 / (n - k) as f64;
    let cov = (&bread * &meat * &bread) * faer::Scale(factor);
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let mean = y.iter().sum::<f64>() / n as f64;
    let tss: f64 = if has_intercept {
        y.iter().map(|v| (v - mean).powi(2)).sum()
    } else {
        y.iter().map(|v| v * v).sum()
    };
    let r_squared = 1.0 - ssr / tss;
    let c = usize::from(has_intercept);
    let adj_r_squared = 1.0 - (n - c) as f64 / (n - k) as f64 * (1.0 - r_squared);
    let table =
        (0..k).map(|j| CoefficientRow::new(&names[j], beta[j], cov[(j, j)], false)).collect();
    Ok(OlsFit {
        names: names.to_vec(),
        coefficients: beta,
        table,
        covariance: (0..k)
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .map(|(i, j)| cov[(i, j)])
            .collect(),
        n_obs: n,
        df_resid: n - k,
        r_squared,
        adj_r_squared,
        ssr,
        below_zero: fitted.iter().filter(|&&f| f < 0.0).count(),
        above_one: fitted.iter().filter(|&&f| f > 1.0).count(),
        fitted,
    })
}
