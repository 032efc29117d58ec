//! What the reports of the three kinds of fit share: the context of the run, the JSON form of a
//! coefficient (the inference fields `null` where they do not apply), the width of a name
//! column, the convergence lines (a fit that did not converge says so at the top and shows no
//! inference unless `--force-inference`), and printing one JSON object.

use axon::linear::{CoefficientRow, FitStatistics};
use axon::metrics::{accuracy, argmax, log_loss};
use serde::Serialize;

use crate::output::outln;

/// The run a report describes, besides the fit itself.
pub struct Context {
    /// The data file, as given.
    pub data: String,
    pub dropped_rows: usize,
    pub max_iter: usize,
    pub tol: f64,
    /// Print one JSON object instead of the table.
    pub json: bool,
    /// Show the inference table of a fit that did not converge.
    pub force_inference: bool,
}

impl Context {
    /// `Dropped N rows with a missing value`, when any were.
    pub fn dropped_line(&self) -> String {
        match self.dropped_rows {
            0 => String::new(),
            n => format!("Dropped {n} rows with a missing value\n"),
        }
    }

    /// The last line of a table: how `solver` ended after `iterations` of `unit`, at most
    /// `limit` (as [`axon::linear::Solver::iteration_limit`] gives them).
    pub fn status_line(
        &self,
        solver: &str,
        converged: bool,
        (iterations, limit, unit): (usize, usize, &str),
        grad: f64,
    ) -> String {
        let status = if converged { "converged" } else { "did NOT converge" };
        format!(
            "\n{solver} {status} in {iterations} {unit} (at most {limit}; gradient norm {grad:.2e}, \
             tol {:e})\n",
            self.tol
        )
    }

    /// Whether to show standard errors, tests and intervals for a fit that converged or not.
    pub fn inference(&self, converged: bool) -> bool {
        converged || self.force_inference
    }
}

/// The lines that open the report of a fit that did not converge, in `iterations` of `unit`
/// (at most `limit`); `more` is the flag that allows more of them.
pub fn not_converged(
    (iterations, limit, unit): (usize, usize, &str),
    more: &str,
    inference: bool,
) -> String {
    let shown = if inference {
        "the standard errors, tests and intervals below do not hold (shown by --force-inference)"
    } else {
        "no standard errors, tests or intervals are shown (--force-inference shows them anyway)"
    };
    format!(
        "NOT CONVERGED after {iterations} {unit} (at most {limit}): these are not the \
         maximum-likelihood estimates, and {shown}.\nTry --standardize, or more {unit} \
         ({more}).\n"
    )
}

/// The likelihood and convergence fields of both maximum-likelihood reports (binary and
/// softmax); the inference fields are `null` for a penalised fit.
#[derive(Debug, Serialize)]
pub struct LikelihoodJson {
    /// Whether standard errors, tests and intervals are reported (false for a penalised fit).
    inference: bool,
    log_likelihood: f64,
    null_log_likelihood: f64,
    llr: f64,
    llr_p_value: Option<f64>,
    pseudo_r2: f64,
    aic: Option<f64>,
    bic: Option<f64>,
    converged: bool,
    iterations: usize,
    gradient_norm: f64,
    warning: Option<String>,
}

impl LikelihoodJson {
    /// The fields of a fit with log-likelihood `ll` (null model `ll0`), how it ended, and its
    /// statistics when it has inference.
    pub fn new(
        (ll, ll0): (f64, f64),
        statistics: Option<&FitStatistics>,
        (converged, iterations, gradient_norm): (bool, usize, f64),
        warning: Option<String>,
    ) -> LikelihoodJson {
        let s = statistics;
        LikelihoodJson {
            inference: s.is_some(),
            log_likelihood: ll,
            null_log_likelihood: ll0,
            llr: 2.0 * (ll - ll0),
            llr_p_value: s.map(|s| s.llr_p_value).filter(|p| p.is_finite()),
            pseudo_r2: 1.0 - ll / ll0,
            aic: s.map(|s| s.aic),
            bic: s.map(|s| s.bic),
            converged,
            iterations,
            gradient_norm,
            warning,
        }
    }
}

/// One coefficient in the JSON output; the inference fields are `null` for a penalised fit.
#[derive(Debug, Serialize)]
pub struct CoefficientJson {
    name: String,
    /// The class whose equation this is (softmax and one-vs-rest).
    #[serde(skip_serializing_if = "Option::is_none")]
    class: Option<String>,
    estimate: f64,
    std_error: Option<f64>,
    z: Option<f64>,
    p_value: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    odds_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    odds_ratio_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    odds_ratio_ci_high: Option<f64>,
}

/// A row of an inference table.
pub fn coefficient_json(r: &CoefficientRow, class: Option<&str>) -> CoefficientJson {
    CoefficientJson {
        std_error: Some(r.std_error),
        z: Some(r.z),
        p_value: Some(r.p_value),
        ci_low: Some(r.ci_low),
        ci_high: Some(r.ci_high),
        odds_ratio: r.odds_ratio,
        odds_ratio_ci_low: r.odds_ratio_ci_low,
        odds_ratio_ci_high: r.odds_ratio_ci_high,
        ..bare_coefficient(&r.name, class, r.estimate)
    }
}

/// An estimate without inference.
pub fn bare_coefficient(name: &str, class: Option<&str>, estimate: f64) -> CoefficientJson {
    CoefficientJson {
        name: name.to_owned(),
        class: class.map(str::to_owned),
        estimate,
        std_error: None,
        z: None,
        p_value: None,
        ci_low: None,
        ci_high: None,
        odds_ratio: None,
        odds_ratio_ci_low: None,
        odds_ratio_ci_high: None,
    }
}

/// The width of a column of `names` (at least 4).
pub fn name_width(names: &[String]) -> usize {
    names.iter().map(|n| n.chars().count()).max().unwrap_or(4).max(4)
}

/// A table of estimates, one column per class: `names` down, `classes` across, `b(j, k)`.
pub fn estimates_table(
    names: &[String],
    classes: &[String],
    b: impl Fn(usize, usize) -> f64,
) -> String {
    use std::fmt::Write;
    let width = name_width(names);
    let mut out = format!("{:<width$}", "");
    for class in classes {
        let _ = write!(out, " {class:>12}");
    }
    out.push('\n');
    for (j, name) in names.iter().enumerate() {
        let _ = write!(out, "{name:<width$}");
        for k in 0..classes.len() {
            let _ = write!(out, " {:>12.6}", b(j, k));
        }
        out.push('\n');
    }
    out
}

/// The note under the estimates of a fit that did not converge, when inference is withheld.
pub const UNCONVERGED: &str = "Estimates only: the fit did not converge.";

/// The note under a penalised fit's estimates.
pub const NO_INFERENCE: &str = "No standard errors, z, p-values or intervals: they do not apply \
                                to a penalised fit (fit without --alpha for inference).";

/// Prints `report` as one pretty JSON object.
pub fn print_json(report: &impl Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(report)?)?;
    Ok(())
}

/// The training log loss and accuracy of a fit's probabilities against class indices `y`, by
/// the library's metrics: `proba` is `P(y = 1)` per row (a binary model: class 1 when at least
/// 0.5) or `n × K` row-major (the most probable class).
pub fn training_fit(proba: &[f64], y: &[usize]) -> anyhow::Result<(f64, f64)> {
    let predicted: Vec<usize> = if proba.len() == y.len() {
        proba.iter().map(|&p| usize::from(p >= 0.5)).collect()
    } else {
        proba.chunks(proba.len() / y.len().max(1)).map(argmax).collect()
    };
    Ok((log_loss(y, proba)?, accuracy(y, &predicted)?))
}
