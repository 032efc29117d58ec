//! The report of a binary logit or probit fit, as statsmodels prints it: the library's
//! inference table (standard errors, z, p-values, intervals, LLR, AIC/BIC) with the average
//! marginal effects, or for a penalised fit (and, without `--force-inference`, one that did not
//! converge) the estimates alone; the coefficients on the original scale after `--standardize`;
//! or all of it as one JSON object. A fit that diverged (its log-likelihood fell below the
//! start's) has no inference at all, and its report and warning say so and name the flags that
//! help.

use axon::data::{Design, Target};
use axon::linear::{
    null_log_likelihood, BinaryData, BinaryFit, CovType, FitSummary, MarginalEffect, Solver,
};
use serde::Serialize;

use super::report::{
    bare_coefficient, coefficient_json, name_width, not_converged, print_json, CoefficientJson,
    Context, LikelihoodJson, NO_INFERENCE, UNCONVERGED,
};
use crate::options::describe;
use crate::output::{errln, out};

/// A coefficient on the original (unstandardised) scale.
#[derive(Debug, Serialize)]
struct Estimate {
    name: String,
    estimate: f64,
}

/// The JSON report: one object, field names stable for scripts.
#[derive(Debug, Serialize)]
struct FitReport {
    model: &'static str,
    data: String,
    target: String,
    /// The target value coded 1: the model is for P(target = positive_class).
    positive_class: String,
    n_obs: usize,
    dropped_rows: usize,
    n_params: usize,
    df_model: usize,
    /// The penalty, as `describe` prints it (`none`, `L2 (alpha = 1)`, ...).
    penalty: String,
    /// The solver that ran.
    solver: &'static str,
    cov_type: Option<CovType>,
    #[serde(flatten)]
    likelihood: LikelihoodJson,
    coefficients: Vec<CoefficientJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coefficients_original_scale: Option<Vec<Estimate>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    marginal_effects: Vec<MarginalEffect>,
}

/// Everything a report is made from.
struct Fitted<'a> {
    design: &'a Design,
    fit: &'a BinaryFit,
    /// `None` for a penalised fit.
    summary: Option<FitSummary>,
    /// The coefficients on the original scale, with `--standardize`.
    original_scale: Option<Vec<f64>>,
    /// Why the solver diverged, when it did.
    diverged: Option<String>,
}

/// Prints the report of `fit` on `design` (frequency `weights` as fitted; `cov` the covariance
/// of the standard errors).
pub fn report(
    fit: &BinaryFit,
    design: &Design,
    weights: Option<&[f64]>,
    cov: CovType,
    standardized: bool,
    ctx: &Context,
) -> anyhow::Result<()> {
    if let Some(w) = fit.warning.as_deref().filter(|_| !fit.converged) {
        errln!("axon: warning: {w}")?;
    }
    let mut data = BinaryData::new(design.x.as_ref(), design.binary_target()?, &design.names)?;
    if let Some(w) = weights {
        data = data.with_weights(w)?;
    }
    let diverged = fit.diverged(&data).then(|| divergence(fit, &data));
    if let Some(message) = &diverged {
        errln!("axon: warning: {message}")?;
    }
    let summary = if fit.is_penalised() || diverged.is_some() || !ctx.inference(fit.converged) {
        None
    } else {
        Some(fit.summary_with(&data, cov)?)
    };
    let original_scale = if standardized {
        match design.encoder.unstandardize_coefficients(&fit.coefficients) {
            Ok(b) => Some(b),
            Err(e) => {
                errln!("axon: note: no coefficients on the original scale: {e}")?;
                None
            }
        }
    } else {
        None
    };
    let fitted = Fitted { design, fit, summary, original_scale, diverged };
    if ctx.json {
        print_json(&json(&fitted, ctx))
    } else {
        out!("{}", table(&fitted, ctx))?;
        Ok(())
    }
}

/// The library's divergence message, with the flags that help.
fn divergence(fit: &BinaryFit, data: &BinaryData) -> String {
    let lr = match fit.solver {
        Solver::GradientAscent { learning_rate, .. } => Some(learning_rate),
        Solver::Sgd(o) => Some(o.learning_rate),
        _ => None,
    };
    let flags = match lr {
        Some(lr) => format!("a smaller --lr than {lr}, or --standardize"),
        None => "--standardize".to_owned(),
    };
    format!("{} (try {flags})", fit.divergence_message(data))
}

/// `(iterations, at most, unit)` of `fit`.
fn iterations(fit: &BinaryFit, ctx: &Context) -> (usize, usize, &'static str) {
    let (limit, unit) = fit.solver.iteration_limit(ctx.max_iter);
    (fit.iterations, limit, unit)
}

/// The flag that allows more iterations of `fit`'s solver.
fn more_flag(fit: &BinaryFit) -> &'static str {
    match fit.solver {
        Solver::GradientAscent { .. } | Solver::Sgd(_) => "--steps",
        _ => "--max-iter",
    }
}

/// The positive class and `P(low = 1)`.
fn outcome(design: &Design) -> (String, String) {
    let target = design.encoder.target_name();
    match &design.target {
        Target::Binary { positive, .. } => (positive.clone(), format!("P({target} = {positive})")),
        Target::Classes(c) => (c.last().cloned().unwrap_or_default(), format!("P({target})")),
    }
}

fn json(fitted: &Fitted, ctx: &Context) -> FitReport {
    let (design, fit, s) = (fitted.design, fitted.fit, fitted.summary.as_ref());
    let n_params = fit.coefficients.len();
    let ll = fit.log_likelihood;
    let ll0 = s.map_or_else(|| null_log_likelihood(&design.y, None), |s| s.null_log_likelihood);
    let coefficients = match s {
        Some(s) => s.coefficients.iter().map(|r| coefficient_json(r, None)).collect(),
        None => (fit.names.iter().zip(&fit.coefficients))
            .map(|(name, &estimate)| bare_coefficient(name, None, estimate))
            .collect(),
    };
    let estimates = |b: &Vec<f64>| {
        (fit.names.iter().zip(b))
            .map(|(name, &estimate)| Estimate { name: name.clone(), estimate })
            .collect()
    };
    FitReport {
        model: fit.link.name(),
        data: ctx.data.clone(),
        target: design.encoder.target_name().to_owned(),
        positive_class: outcome(design).0,
        n_obs: design.n_rows(),
        dropped_rows: ctx.dropped_rows,
        n_params,
        df_model: n_params - usize::from(fit.intercept.is_some()),
        penalty: describe(&fit.penalty),
        solver: fit.solver.name(),
        cov_type: s.map(|s| s.cov_type),
        likelihood: LikelihoodJson::new(
            (ll, ll0),
            s.map(|s| &s.statistics),
            (fit.converged, fit.iterations, fit.gradient_norm),
            fitted.diverged.clone().or_else(|| fit.warning.clone()),
        ),
        coefficients,
        coefficients_original_scale: fitted.original_scale.as_ref().map(estimates),
        marginal_effects: s.map(|s| s.marginal_effects.clone()).unwrap_or_default(),
    }
}

/// The human-readable report: header, the library's table, extras, convergence.
fn table(fitted: &Fitted, ctx: &Context) -> String {
    use std::fmt::Write;
    let fit = fitted.fit;
    let mut out =
        format!("Model: {} of {}, data {}\n", fit.link.name(), outcome(fitted.design).1, ctx.data);
    out.push_str(&ctx.dropped_line());
    if let Some(message) = &fitted.diverged {
        let _ = writeln!(out, "DIVERGED: {message}. No inference.");
    } else if !fit.converged {
        let inference = fitted.summary.is_some();
        out.push_str(&not_converged(iterations(fit, ctx), more_flag(fit), inference));
    }
    match &fitted.summary {
        Some(summary) => {
            let _ = write!(out, "{summary}");
            if !summary.marginal_effects.is_empty() {
                out.push('\n');
                out.push_str(&MarginalEffect::table(&summary.marginal_effects));
            }
        }
        None => out.push_str(&estimates_only(fitted)),
    }
    if let Some(b) = &fitted.original_scale {
        let _ = writeln!(out, "\nCoefficients on the original (unstandardised) scale:");
        let width = name_width(&fit.names);
        for (name, b) in fit.names.iter().zip(b) {
            let _ = writeln!(out, "{name:<width$} {b:>12.6}");
        }
    }
    let (solver, grad) = (fit.solver.name(), fit.gradient_norm);
    out + &ctx.status_line(&format!("Solver {solver}"), fit.converged, iterations(fit, ctx), grad)
}

/// Coefficients of a penalised or unconverged fit: estimates only, and why there is nothing
/// else.
fn estimates_only(fitted: &Fitted) -> String {
    use std::fmt::Write;
    let fit = fitted.fit;
    let ll0 = null_log_likelihood(&fitted.design.y, None);
    let note = if fit.is_penalised() { NO_INFERENCE } else { UNCONVERGED };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} regression, penalty {}\nn = {}  log-likelihood = {:.4}  null = {:.4}\n{note}",
        fit.link.name(),
        describe(&fit.penalty),
        fitted.design.n_rows(),
        fit.log_likelihood,
        ll0
    );
    let width = name_width(&fit.names);
    let _ = writeln!(out, "{:<width$} {:>12}", "", "coef");
    for (name, b) in fit.names.iter().zip(&fit.coefficients) {
        let _ = writeln!(out, "{name:<width$} {b:>12.6}");
    }
    out
}
