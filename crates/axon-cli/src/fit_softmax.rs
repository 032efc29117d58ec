//! `axon fit --model softmax`: the multinomial logit of a K-class target, fitted by exact
//! maximum likelihood (Newton–Raphson, the first class in sorted order the reference) and
//! reported as statsmodels' `MNLogit` does, one coefficient block per non-reference class. With
//! `--alpha` the fit is L2-penalised (in this reference-class parameterisation) and only the
//! estimates are reported.

use anyhow::Context;
use axon::data::Design;
use axon::linear::{
    fit_multinomial, multinomial_null_log_likelihood, LinearModel, MultinomialData, MultinomialFit,
    MultinomialOptions, MultinomialSummary, Penalty,
};
use serde::Serialize;

use crate::common::{read_frame, save_model, settings_record};
use crate::fit::{bare_coefficient, coefficient_json, name_width, CoefficientJson, Cov, FitArgs};
use crate::options::{describe, flag, ClassWeightKind, SolverKind};

/// The JSON report: the fields of the binary report that apply, `class` on every coefficient.
#[derive(Debug, Serialize)]
struct SoftmaxReport {
    model: &'static str,
    data: String,
    target: String,
    classes: Vec<String>,
    reference_class: String,
    n_obs: usize,
    dropped_rows: usize,
    n_params: usize,
    penalty_l2: f64,
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
    coefficients: Vec<CoefficientJson>,
}

/// Runs `axon fit --model softmax`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    if args.cov != Cov::Nonrobust {
        anyhow::bail!("--cov {} is available for logit and probit only", flag(args.cov));
    }
    let penalty = args.fit.penalty(args.fit.alpha)?;
    if !matches!(penalty, Penalty::None | Penalty::L2(_)) {
        anyhow::bail!("--model softmax takes --penalty l2 or none (got {})", describe(&penalty));
    }
    if !matches!(args.fit.solver, SolverKind::Auto | SolverKind::Newton) {
        anyhow::bail!("--model softmax is fitted by Newton's method: use --solver auto or newton");
    }
    if args.fit.class_weight != ClassWeightKind::None {
        anyhow::bail!("--class-weight is not available for --model softmax (use --model ovr)");
    }
    if args.weights.is_some() {
        anyhow::bail!("--weights is available for logit and probit only, not --model softmax");
    }
    let frame = read_frame(&args.design.data, args.design.drop_missing)?;
    let design = Design::new(&frame, &args.design.spec())?;
    let y = design.class_indices();
    let data = MultinomialData::new(design.x.as_ref(), &y, &design.names)?
        .with_classes(&design.classes())?;
    let opts = MultinomialOptions {
        penalty: Penalty::L2(args.fit.alpha),
        intercept: design.encoder.has_intercept().then_some(0),
        max_iter: args.max_iter,
        tol: args.tol,
    };
    let fit = fit_multinomial(&data, &opts)?;
    if let Some(w) = fit.warning.as_deref().filter(|_| !fit.converged) {
        eprintln!("axon: warning: {w}");
    }
    let summary = if fit.is_penalised() { None } else { Some(fit.summary(&data)?) };
    let ll0 = multinomial_null_log_likelihood(&y, fit.n_classes());
    if args.json {
        let report = report(args, &design, &fit, summary.as_ref(), ll0, frame.dropped_rows);
        println!("{}", serde_json::to_string_pretty(&report).context("writing the JSON report")?);
    } else {
        let target = design.encoder.target_name();
        println!("Model: softmax of P({target} = k), data {}", args.design.data.display());
        if frame.dropped_rows > 0 {
            println!("Dropped {} rows with a missing value", frame.dropped_rows);
        }
        match &summary {
            Some(s) => print!("{s}"),
            None => print!("{}", penalised_table(&fit, ll0, design.n_rows())),
        }
        let status = if fit.converged { "converged" } else { "did NOT converge" };
        println!(
            "\nNewton-Raphson {status} in {} iterations (gradient norm {:.2e}, max_iter {}, tol {:e})",
            fit.iterations, fit.gradient_norm, args.max_iter, args.tol
        );
    }
    if let Some(path) = &args.out {
        let settings = settings_record("fit", args);
        save_model(&LinearModel::from_multinomial(&fit, design.encoder, settings)?, path)?;
    }
    Ok(())
}

fn report(
    args: &FitArgs,
    design: &Design,
    fit: &MultinomialFit,
    summary: Option<&MultinomialSummary>,
    ll0: f64,
    dropped_rows: usize,
) -> SoftmaxReport {
    let p = fit.coefficients.nrows();
    let coefficients = match summary {
        Some(s) => s
            .coefficients
            .iter()
            .map(|r| coefficient_json(&r.coefficient, Some(&r.class)))
            .collect(),
        None => (1..fit.n_classes())
            .flat_map(|k| (0..p).map(move |j| (k, j)))
            .map(|(k, j)| {
                let b = fit.coefficients[(j, k - 1)];
                bare_coefficient(&fit.names[j], Some(&fit.classes[k]), b)
            })
            .collect(),
    };
    let ll = fit.log_likelihood;
    SoftmaxReport {
        model: "softmax",
        data: args.design.data.display().to_string(),
        target: design.encoder.target_name().to_owned(),
        classes: fit.classes.clone(),
        reference_class: fit.classes[0].clone(),
        n_obs: design.n_rows(),
        dropped_rows,
        n_params: p * (fit.n_classes() - 1),
        penalty_l2: fit.penalty.l2(),
        inference: summary.is_some(),
        log_likelihood: ll,
        null_log_likelihood: ll0,
        llr: 2.0 * (ll - ll0),
        llr_p_value: summary.map(|s| s.llr_p_value).filter(|p| p.is_finite()),
        pseudo_r2: 1.0 - ll / ll0,
        aic: summary.map(|s| s.aic),
        bic: summary.map(|s| s.bic),
        converged: fit.converged,
        iterations: fit.iterations,
        gradient_norm: fit.gradient_norm,
        warning: fit.warning.clone(),
        coefficients,
    }
}

/// The estimates of a penalised fit, one column per non-reference class.
fn penalised_table(fit: &MultinomialFit, ll0: f64, n: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "multinomial logit, L2-penalised (alpha = {}), reference class `{}`\n\
         n = {n}  log-likelihood = {:.4}  null = {ll0:.4}",
        fit.penalty.l2(),
        fit.classes[0],
        fit.log_likelihood
    );
    let _ = writeln!(
        out,
        "No standard errors, z, p-values or intervals: they do not apply to a penalised fit \
         (fit without --alpha for inference)."
    );
    let width = name_width(&fit.names);
    let _ = write!(out, "{:<width$}", "");
    for class in &fit.classes[1..] {
        let _ = write!(out, " {class:>12}");
    }
    out.push('\n');
    for (j, name) in fit.names.iter().enumerate() {
        let _ = write!(out, "{name:<width$}");
        for k in 1..fit.n_classes() {
            let _ = write!(out, " {:>12.6}", fit.coefficients[(j, k - 1)]);
        }
        out.push('\n');
    }
    out
}
