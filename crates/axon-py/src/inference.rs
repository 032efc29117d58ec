//! statsmodels' `Logit`, `Probit` and `MNLogit` on the library's exact maximum-likelihood fits
//! (`fit_binary`, `fit_multinomial`) and their inference (`FitSummary`, `MultinomialSummary`):
//! every number of the results object as NumPy arrays and floats, and the table `axon fit`
//! prints, by the library's own formatter.

use axon::linear::{
    fit_binary, fit_multinomial, BinaryData, BinaryOptions, CoefficientRow, CovType, FitStatistics,
    MarginalEffect, MultinomialData, MultinomialOptions,
};
use faer::MatRef;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays::{labels, rows_to_numpy, to_numpy, to_numpy1, vector, Floats};
use crate::errors::value_error;
use crate::interrupt::detach_interruptible;

/// The first column of `x` whose values are all 1, statsmodels' constant.
fn constant_column(x: MatRef<'_, f64>) -> Option<usize> {
    (0..x.ncols()).find(|&j| x.nrows() > 0 && x.col(j).iter().all(|&v| v == 1.0))
}

fn cov_type(name: &str) -> PyResult<CovType> {
    match name {
        "nonrobust" => Ok(CovType::NonRobust),
        "HC0" => Ok(CovType::HC0),
        "HC1" => Ok(CovType::HC1),
        other => {
            Err(value_error(format!("cov_type = {other:?}: expected 'nonrobust', 'HC0' or 'HC1'")))
        }
    }
}

fn check_names(names: &[String], p: usize) -> PyResult<()> {
    if names.len() != p {
        return Err(value_error(format!("{} names given for {p} columns of exog", names.len())));
    }
    Ok(())
}

/// The model statistics into `out`.
fn statistics(out: &Bound<'_, PyDict>, s: &FitStatistics) -> PyResult<()> {
    out.set_item("nobs", s.n_obs)?;
    out.set_item("k_params", s.n_params)?;
    out.set_item("df_model", s.df_model as f64)?;
    out.set_item("df_resid", s.df_resid)?;
    out.set_item("llf", s.log_likelihood)?;
    out.set_item("llnull", s.null_log_likelihood)?;
    out.set_item("llr", s.llr)?;
    out.set_item("llr_pvalue", s.llr_p_value)?;
    out.set_item("prsquared", s.pseudo_r2)?;
    out.set_item("aic", s.aic)?;
    out.set_item("bic", s.bic)?;
    out.set_item("deviance", s.deviance)?;
    out.set_item("converged", s.converged)?;
    out.set_item("iterations", s.iterations)?;
    out.set_item("warning", s.warning.clone())?;
    Ok(())
}

/// `params`, `bse`, `tvalues`, `pvalues` and `conf_int` `(m, 2)` of `rows` into `out`.
fn coefficients<'a>(
    py: Python<'_>,
    out: &Bound<'_, PyDict>,
    rows: impl Iterator<Item = &'a CoefficientRow> + Clone,
) -> PyResult<()> {
    let column = |f: fn(&CoefficientRow) -> f64| rows.clone().map(f).collect::<Vec<f64>>();
    out.set_item("params", to_numpy1(py, column(|r| r.estimate)))?;
    out.set_item("bse", to_numpy1(py, column(|r| r.std_error)))?;
    out.set_item("tvalues", to_numpy1(py, column(|r| r.z)))?;
    out.set_item("pvalues", to_numpy1(py, column(|r| r.p_value)))?;
    let ci = rows.clone().flat_map(|r| [r.ci_low, r.ci_high]).collect();
    out.set_item("conf_int", rows_to_numpy(py, ci, 2)?)?;
    Ok(())
}

/// The average marginal effects as a dict of arrays.
fn margins<'py>(py: Python<'py>, effects: &[MarginalEffect]) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let column = |f: fn(&MarginalEffect) -> f64| effects.iter().map(f).collect::<Vec<f64>>();
    out.set_item("names", effects.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
    out.set_item("margeff", to_numpy1(py, column(|e| e.effect)))?;
    out.set_item("margeff_se", to_numpy1(py, column(|e| e.std_error)))?;
    out.set_item("tvalues", to_numpy1(py, column(|e| e.z)))?;
    out.set_item("pvalues", to_numpy1(py, column(|e| e.p_value)))?;
    let ci = effects.iter().flat_map(|e| [e.ci_low, e.ci_high]).collect();
    out.set_item("conf_int", rows_to_numpy(py, ci, 2)?)?;
    out.set_item("summary", MarginalEffect::table(effects))?;
    Ok(out)
}

/// Fits statsmodels' `Logit` or `Probit` (`link`) of `y ∈ {0, 1}` on `x` (its constant column,
/// if any, as given) by maximum likelihood, with standard errors from `cov_type`.
#[pyfunction]
#[pyo3(signature = (x, y, names, *, link, cov_type="nonrobust", max_iter=100, tol=1e-10))]
#[allow(clippy::too_many_arguments)]
pub fn fit_binary_mle<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    names: Vec<String>,
    link: &str,
    cov_type: &str,
    max_iter: usize,
    tol: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let x = Floats::extract(x, "exog")?;
    let y = vector(y, "endog")?;
    let y: Vec<f64> = y.as_array().to_vec();
    let cov = self::cov_type(cov_type)?;
    let link = match link {
        "logit" => axon::linear::Link::Logit,
        "probit" => axon::linear::Link::Probit,
        other => return Err(value_error(format!("link = {other:?}: expected logit or probit"))),
    };
    check_names(&names, x.shape().1)?;
    let design = x.design(false);
    let xm = design.as_ref();
    let run = || -> axon::Result<_> {
        let data = BinaryData::new(xm, &y, &names)?;
        let opts = BinaryOptions { max_iter, tol, ..BinaryOptions::new(link, constant_column(xm)) };
        let fit = fit_binary(&data, &opts)?;
        let summary = fit.summary_with(&data, cov)?;
        let covariance = fit.covariance_of(&data, cov)?;
        Ok((summary, covariance))
    };
    let (summary, covariance) = detach_interruptible(py, run)?;
    let out = PyDict::new(py);
    coefficients(py, &out, summary.coefficients.iter())?;
    statistics(&out, &summary.statistics)?;
    out.set_item("cov_params", to_numpy(py, covariance.as_ref()))?;
    out.set_item("cov_type", cov_type)?;
    out.set_item("margeff", margins(py, &summary.marginal_effects)?)?;
    out.set_item("summary", summary.to_string())?;
    Ok(out)
}

/// Fits statsmodels' `MNLogit` of class indices `y` (`0..K`, class 0 the reference, named by
/// `classes`) on `x` by maximum likelihood. `params` etc. are `(K − 1) p` long, class by class.
#[pyfunction]
#[pyo3(signature = (x, y, names, classes, *, max_iter=100, tol=1e-10))]
pub fn fit_mnlogit<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    names: Vec<String>,
    classes: Vec<String>,
    max_iter: usize,
    tol: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let x = Floats::extract(x, "exog")?;
    let y = labels(y, "endog")?;
    check_names(&names, x.shape().1)?;
    let design = x.design(false);
    let xm = design.as_ref();
    let run = || -> axon::Result<_> {
        let data = MultinomialData::new(xm, &y, &names)?.with_classes(&classes)?;
        let opts =
            MultinomialOptions { max_iter, tol, ..MultinomialOptions::new(constant_column(xm)) };
        let fit = fit_multinomial(&data, &opts)?;
        let summary = fit.summary(&data)?;
        Ok((fit, summary))
    };
    let (fit, summary) = detach_interruptible(py, run)?;
    let out = PyDict::new(py);
    coefficients(py, &out, summary.coefficients.iter().map(|r| &r.coefficient))?;
    statistics(&out, &summary.statistics)?;
    if let Some(cov) = &fit.covariance {
        out.set_item("cov_params", to_numpy(py, cov.as_ref()))?;
    }
    out.set_item("cov_type", "nonrobust")?;
    out.set_item("summary", summary.to_string())?;
    Ok(out)
}
