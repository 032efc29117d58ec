//! `axon fit`: a binary logit or probit regression on a CSV file, fitted by exact maximum
//! likelihood (Newton–Raphson) and reported as statsmodels does; `--model softmax` goes to
//! `fit_softmax.rs`, and `--out` saves the model for `axon predict` and `axon eval`.
//!
//! The pipeline is the library's, step by step: `read_csv` (errors name the file, line and
//! column) → `Design::new` (categoricals treatment-coded against their first level, optional
//! standardisation) → `fit_binary` (refuses separation, naming the variables) → `summary_with`
//! (standard errors, z, p-values, intervals, LLR, AIC/BIC, average marginal effects). This file
//! only turns arguments into those calls and results into text or one JSON object.

use std::path::PathBuf;

use anyhow::Context;
use axon::data::{Design, DesignSpec, Frame, Target};
use axon::linear::{
    fit_binary, null_log_likelihood, BinaryData, BinaryFit, CovType, FitSummary, LinearModel, Link,
    MarginalEffect,
};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::common::{read_frame, save_model, settings_record};
use crate::options::{describe, SolverArgs};
use crate::{fit_ovr, fit_softmax};

/// What data to fit and how to turn it into a design matrix: shared by `fit` and `cv`.
#[derive(Debug, Args, Serialize)]
pub struct DesignArgs {
    /// The CSV file, with a header row (`.csv.gz` is read too).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The target column. logit/probit: 0/1, or two levels (the second in sorted order is coded
    /// 1); softmax: any number of classes (the first in sorted order is the reference).
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// The feature columns, comma-separated [default: every column but the target].
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Numeric feature columns to treat as categorical (text columns always are).
    #[arg(long, value_name = "C1,C2,...", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Fit without the intercept column.
    #[arg(long)]
    pub no_intercept: bool,
    /// Standardise numeric columns to mean 0, sd 1 (coefficients are also reported on the
    /// original scale).
    #[arg(long)]
    pub standardize: bool,
    /// Basis expansion: add the powers 2..=D of every numeric feature (`age^2`, ...).
    #[arg(long, value_name = "D", default_value_t = 1)]
    pub poly: usize,
    /// Basis expansion: add the product `a:b` of every pair of numeric features.
    #[arg(long)]
    pub interactions: bool,
    /// For a two-class target, the class coded 1 [default: the second in sorted order].
    #[arg(long, value_name = "CLASS")]
    pub positive: Option<String>,
    /// Drop rows with a missing value (NA, empty, ?) in any column instead of failing.
    #[arg(long)]
    pub drop_missing: bool,
}

impl DesignArgs {
    /// The design the arguments describe.
    pub fn spec(&self) -> DesignSpec {
        DesignSpec {
            features: self
                .features
                .as_ref()
                .map(|f| f.iter().map(|s| s.trim().to_owned()).collect()),
            categorical: self.categorical.iter().map(|s| s.trim().to_owned()).collect(),
            intercept: !self.no_intercept,
            standardize: self.standardize,
            poly_degree: self.poly,
            interactions: self.interactions,
            positive: self.positive.clone(),
            ..DesignSpec::new(self.target.trim())
        }
    }
}

/// Arguments of `axon fit`.
#[derive(Debug, Args, Serialize)]
pub struct FitArgs {
    #[command(flatten)]
    pub design: DesignArgs,
    /// The model: binary logit or probit, the multinomial (softmax) logit for K classes, or
    /// one-vs-rest logits for K classes.
    #[arg(long, value_enum, default_value_t = Model::Logit)]
    pub model: Model,
    #[command(flatten)]
    pub fit: SolverArgs,
    /// A column of frequency weights (finite, ≥ 0) for logit and probit; it is not a feature.
    #[arg(long, value_name = "COL")]
    pub weights: Option<String>,
    /// The covariance the standard errors come from (logit/probit).
    #[arg(long, value_enum, default_value_t = Cov::Nonrobust)]
    pub cov: Cov,
    /// The most Newton iterations.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_iter: usize,
    /// Convergence tolerance on the relative step.
    #[arg(long, value_name = "T", default_value_t = 1e-10)]
    pub tol: f64,
    /// Save the fitted model (encoder, coefficients, settings) to this file, for `axon predict`
    /// and `axon eval`. Written atomically.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// `--model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Logit,
    Probit,
    Softmax,
    Ovr,
}

/// `--cov`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cov {
    Nonrobust,
    Hc0,
    Hc1,
}

impl Model {
    /// The link of a binary model; `None` for softmax.
    pub fn link(self) -> Option<Link> {
        match self {
            Model::Logit => Some(Link::Logit),
            Model::Probit => Some(Link::Probit),
            Model::Softmax | Model::Ovr => None,
        }
    }
}

impl From<Cov> for CovType {
    fn from(c: Cov) -> CovType {
        match c {
            Cov::Nonrobust => CovType::NonRobust,
            Cov::Hc0 => CovType::HC0,
            Cov::Hc1 => CovType::HC1,
        }
    }
}

/// One coefficient in the JSON output; the inference fields are `null` for a penalised fit.
#[derive(Debug, Serialize)]
pub struct CoefficientJson {
    name: String,
    /// The class whose equation this is (softmax only).
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

/// A coefficient on the original (unstandardised) scale.
#[derive(Debug, Serialize)]
struct Estimate {
    name: String,
    estimate: f64,
}

/// The JSON report of `axon fit`: one object, field names stable for scripts.
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
    /// Whether standard errors, tests and intervals are reported (false for a penalised fit).
    inference: bool,
    cov_type: Option<CovType>,
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
    coefficients: Vec<CoefficientJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coefficients_original_scale: Option<Vec<Estimate>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    marginal_effects: Vec<MarginalEffect>,
}

/// Everything a report is made from.
struct Fitted {
    design: Design,
    fit: BinaryFit,
    /// `None` for a penalised fit.
    summary: Option<FitSummary>,
    /// The coefficients on the original scale, with `--standardize`.
    original_scale: Option<Vec<f64>>,
    dropped_rows: usize,
}

/// Runs `axon fit`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    let link = match args.model {
        Model::Softmax => return fit_softmax::run(args),
        Model::Ovr => return fit_ovr::run(args),
        Model::Logit | Model::Probit => args.model.link().unwrap_or(Link::Logit),
    };
    let fitted = fit(args, link)?;
    if let Some(w) = fitted.fit.warning.as_deref().filter(|_| !fitted.fit.converged) {
        eprintln!("axon: warning: {w}");
    }
    if args.json {
        let report = report(args, &fitted);
        println!("{}", serde_json::to_string_pretty(&report).context("writing the JSON report")?);
    } else {
        print!("{}", table(args, &fitted));
    }
    if let Some(path) = &args.out {
        let settings = settings_record("fit", args);
        let encoder = fitted.design.encoder.clone();
        save_model(&LinearModel::from_binary(&fitted.fit, encoder, settings)?, path)?;
    }
    Ok(())
}

/// Reads the data, builds the design and fits the model.
fn fit(args: &FitArgs, link: Link) -> anyhow::Result<Fitted> {
    let frame = read_frame(&args.design.data, args.design.drop_missing)?;
    let mut spec = args.design.spec();
    let weights = match &args.weights {
        Some(column) => Some(weight_column(&frame, &mut spec, column)?),
        None => None,
    };
    let design = Design::new(&frame, &spec)?;
    let y = design.binary_target()?;
    let mut data = BinaryData::new(design.x.as_ref(), y, &design.names)?;
    if let Some(w) = &weights {
        data = data.with_weights(w)?;
    }
    let intercept = design.encoder.has_intercept().then_some(0);
    let opts = args.fit.binary_options(link, intercept, args.fit.alpha, args.max_iter, args.tol)?;
    let fit = fit_binary(&data, &opts)?;
    let summary =
        if fit.is_penalised() { None } else { Some(fit.summary_with(&data, args.cov.into())?) };
    let original_scale = if args.design.standardize {
        match design.encoder.unstandardize_coefficients(&fit.coefficients) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("axon: note: no coefficients on the original scale: {e}");
                None
            }
        }
    } else {
        None
    };
    Ok(Fitted { design, fit, summary, original_scale, dropped_rows: frame.dropped_rows })
}

/// The values of the weight column, which is taken out of the default feature list (and may
/// not be named as a feature).
fn weight_column(frame: &Frame, spec: &mut DesignSpec, column: &str) -> anyhow::Result<Vec<f64>> {
    let Some(w) = frame.column(column)?.as_numeric() else {
        anyhow::bail!("--weights {column}: the column is not numeric");
    };
    match &spec.features {
        Some(features) if features.iter().any(|f| f == column) => {
            anyhow::bail!("--weights {column}: the weight column cannot also be a feature")
        }
        Some(_) => {}
        None => {
            let others = frame.names.iter().filter(|n| *n != column && **n != spec.target);
            spec.features = Some(others.cloned().collect());
        }
    }
    Ok(w.to_vec())
}

/// `P(low = 1)`: what the model predicts.
fn outcome(fitted: &Fitted) -> String {
    let target = fitted.design.encoder.target_name();
    match &fitted.design.target {
        Target::Binary { positive, .. } => format!("P({target} = {positive})"),
        Target::Classes(_) => format!("P({target})"),
    }
}

fn positive_class(design: &Design) -> String {
    match &design.target {
        Target::Binary { positive, .. } => positive.clone(),
        Target::Classes(c) => c.last().cloned().unwrap_or_default(),
    }
}

/// The JSON report.
fn report(args: &FitArgs, fitted: &Fitted) -> FitReport {
    let (design, fit) = (&fitted.design, &fitted.fit);
    let n_params = fit.coefficients.len();
    let df_model = n_params - usize::from(fit.intercept.is_some());
    let ll = fit.log_likelihood;
    let ll0 = fitted
        .summary
        .as_ref()
        .map_or_else(|| null_log_likelihood(&design.y, None), |s| s.null_log_likelihood);
    let coefficients = match &fitted.summary {
        Some(s) => s.coefficients.iter().map(|r| coefficient_json(r, None)).collect(),
        None => (fit.names.iter().zip(&fit.coefficients))
            .map(|(name, &estimate)| bare_coefficient(name, None, estimate))
            .collect(),
    };
    let s = fitted.summary.as_ref();
    FitReport {
        model: fit.link.name(),
        data: args.design.data.display().to_string(),
        target: design.encoder.target_name().to_owned(),
        positive_class: positive_class(design),
        n_obs: design.n_rows(),
        dropped_rows: fitted.dropped_rows,
        n_params,
        df_model,
        penalty: describe(&fit.penalty),
        solver: fit.solver.name(),
        inference: s.is_some(),
        cov_type: s.map(|s| s.cov_type),
        log_likelihood: ll,
        null_log_likelihood: ll0,
        llr: 2.0 * (ll - ll0),
        llr_p_value: s.map(|s| s.llr_p_value).filter(|p| p.is_finite()),
        pseudo_r2: 1.0 - ll / ll0,
        aic: s.map(|s| s.aic),
        bic: s.map(|s| s.bic),
        converged: fit.converged,
        iterations: fit.iterations,
        gradient_norm: fit.gradient_norm,
        warning: fit.warning.clone(),
        coefficients,
        coefficients_original_scale: fitted.original_scale.as_ref().map(|b| {
            (fit.names.iter().zip(b))
                .map(|(name, &estimate)| Estimate { name: name.clone(), estimate })
                .collect()
        }),
        marginal_effects: s.map(|s| s.marginal_effects.clone()).unwrap_or_default(),
    }
}

pub fn coefficient_json(r: &axon::linear::CoefficientRow, class: Option<&str>) -> CoefficientJson {
    CoefficientJson {
        name: r.name.clone(),
        class: class.map(str::to_owned),
        estimate: r.estimate,
        std_error: Some(r.std_error),
        z: Some(r.z),
        p_value: Some(r.p_value),
        ci_low: Some(r.ci_low),
        ci_high: Some(r.ci_high),
        odds_ratio: r.odds_ratio,
        odds_ratio_ci_low: r.odds_ratio_ci_low,
        odds_ratio_ci_high: r.odds_ratio_ci_high,
    }
}

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

/// The human-readable report: header, the library's table, extras, convergence.
fn table(args: &FitArgs, fitted: &Fitted) -> String {
    use std::fmt::Write;
    let fit = &fitted.fit;
    let mut out = String::new();
    let data = args.design.data.display();
    let _ = writeln!(out, "Model: {} of {}, data {data}", fit.link.name(), outcome(fitted));
    if fitted.dropped_rows > 0 {
        let _ = writeln!(out, "Dropped {} rows with a missing value", fitted.dropped_rows);
    }
    match &fitted.summary {
        Some(summary) => {
            let _ = write!(out, "{summary}");
            out.push_str(&marginal_effects_table(&summary.marginal_effects));
        }
        None => out.push_str(&penalised_table(fitted)),
    }
    if let Some(b) = &fitted.original_scale {
        let _ = writeln!(out, "\nCoefficients on the original (unstandardised) scale:");
        let width = name_width(&fit.names);
        for (name, b) in fit.names.iter().zip(b) {
            let _ = writeln!(out, "{name:<width$} {b:>12.6}");
        }
    }
    let status = if fit.converged { "converged" } else { "did NOT converge" };
    let _ = writeln!(
        out,
        "\nSolver {} {status} in {} iterations (gradient norm {:.2e}, max_iter {}, tol {:e})",
        fit.solver.name(),
        fit.iterations,
        fit.gradient_norm,
        args.max_iter,
        args.tol
    );
    out
}

/// Coefficients of a penalised fit: estimates only, and why there is nothing else.
fn penalised_table(fitted: &Fitted) -> String {
    use std::fmt::Write;
    let fit = &fitted.fit;
    let ll0 = null_log_likelihood(&fitted.design.y, None);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} regression, penalty {}\nn = {}  log-likelihood = {:.4}  null = {:.4}",
        fit.link.name(),
        describe(&fit.penalty),
        fitted.design.n_rows(),
        fit.log_likelihood,
        ll0
    );
    let _ = writeln!(
        out,
        "No standard errors, z, p-values or intervals: they do not apply to a penalised fit \
         (fit without --alpha for inference)."
    );
    let width = name_width(&fit.names);
    let _ = writeln!(out, "{:<width$} {:>12}", "", "coef");
    for (name, b) in fit.names.iter().zip(&fit.coefficients) {
        let _ = writeln!(out, "{name:<width$} {b:>12.6}");
    }
    out
}

/// The average marginal effects, as statsmodels' `get_margeff().summary()`.
fn marginal_effects_table(effects: &[MarginalEffect]) -> String {
    use std::fmt::Write;
    if effects.is_empty() {
        return String::new();
    }
    let names: Vec<String> = effects.iter().map(|e| e.name.clone()).collect();
    let width = name_width(&names);
    let mut out = String::from("\nAverage marginal effects (dP/dx):\n");
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

pub fn name_width(names: &[String]) -> usize {
    names.iter().map(|n| n.chars().count()).max().unwrap_or(4).max(4)
}
