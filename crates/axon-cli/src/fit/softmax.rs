//! The report of a multinomial (softmax) logit, as statsmodels' `MNLogit` prints it: one
//! coefficient block per non-reference class (the first class in sorted order is the
//! reference); for an L2-penalised fit the estimates alone, one column per class; or one JSON
//! object with `class` on every coefficient.

use axon::data::Design;
use axon::linear::{MultinomialData, MultinomialFit, MultinomialSummary, Solver};
use serde::Serialize;

use super::report::{
    bare_coefficient, coefficient_json, estimates_table, not_converged, print_json,
    CoefficientJson, Context, LikelihoodJson, NO_INFERENCE, UNCONVERGED,
};

use crate::output::{errln, out, outln};

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
    #[serde(flatten)]
    likelihood: LikelihoodJson,
    coefficients: Vec<CoefficientJson>,
}

/// Prints the report of `fit` on `design` (frequency `weights` as fitted).
pub fn report(
    fit: &MultinomialFit,
    design: &Design,
    weights: Option<&[f64]>,
    ctx: &Context,
) -> anyhow::Result<()> {
    if let Some(w) = fit.warning.as_deref().filter(|_| !fit.converged) {
        errln!("axon: warning: {w}")?;
    }
    let y = design.class_indices();
    let mut data = MultinomialData::new(design.x.as_ref(), &y, &design.names)?
        .with_classes(&design.classes())?;
    if let Some(w) = weights {
        data = data.with_weights(w)?;
    }
    let summary = if fit.is_penalised() || !ctx.inference(fit.converged) {
        None
    } else {
        Some(fit.summary(&data)?)
    };
    let ll0 = data.null_log_likelihood();
    if ctx.json {
        return print_json(&json(fit, design, summary.as_ref(), ll0, ctx));
    }
    let target = design.encoder.target_name();
    out!("Model: softmax of P({target} = k), data {}\n{}", ctx.data, ctx.dropped_line())?;
    let (limit, unit) = Solver::Newton.iteration_limit(ctx.max_iter);
    let iterations = (fit.iterations, limit, unit);
    if !fit.converged {
        out!("{}", not_converged(iterations, "--max-iter", summary.is_some()))?;
    }
    match &summary {
        Some(s) => out!("{s}")?,
        None => {
            let (penalty, note) = match fit.is_penalised() {
                true => (format!("L2-penalised (alpha = {})", fit.penalty.l2()), NO_INFERENCE),
                false => ("maximum likelihood".to_owned(), UNCONVERGED),
            };
            outln!(
                "multinomial logit, {penalty}, reference class `{}`\n\
                 n = {}  log-likelihood = {:.4}  null = {ll0:.4}\n{note}",
                fit.classes[0],
                design.n_rows(),
                fit.log_likelihood
            )?;
            let b = |j: usize, k: usize| fit.coefficients[(j, k)];
            out!("{}", estimates_table(&fit.names, &fit.classes[1..], b))?;
        }
    }
    out!("{}", ctx.status_line("Newton-Raphson", fit.converged, iterations, fit.gradient_norm))?;
    Ok(())
}

fn json(
    fit: &MultinomialFit,
    design: &Design,
    summary: Option<&MultinomialSummary>,
    ll0: f64,
    ctx: &Context,
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
        data: ctx.data.clone(),
        target: design.encoder.target_name().to_owned(),
        classes: fit.classes.clone(),
        reference_class: fit.classes[0].clone(),
        n_obs: design.n_rows(),
        dropped_rows: ctx.dropped_rows,
        n_params: p * (fit.n_classes() - 1),
        penalty_l2: fit.penalty.l2(),
        likelihood: LikelihoodJson::new(
            (ll, ll0),
            summary.map(|s| &s.statistics),
            (fit.converged, fit.iterations, fit.gradient_norm),
            fit.warning.clone(),
        ),
        coefficients,
    }
}
