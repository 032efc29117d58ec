//! The report of a multinomial (softmax) logit, as statsmodels' `MNLogit` prints it: one
//! coefficient block per non-reference class (the first class in sorted order is the
//! reference); for an L2-penalised fit the estimates alone, one column per class; or one JSON
//! object with `class` on every coefficient.

use axon::data::Design;
use axon::linear::{multinomial_null_log_likelihood, MultinomialFit, MultinomialSummary};
use serde::Serialize;

use super::report::{
    bare_coefficient, coefficient_json, estimates_table, print_json, CoefficientJson, Context,
    LikelihoodJson, NO_INFERENCE,
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

/// Prints the report of `fit` on `design`.
pub fn report(fit: &MultinomialFit, design: &Design, ctx: &Context) -> anyhow::Result<()> {
    if let Some(w) = fit.warning.as_deref().filter(|_| !fit.converged) {
        errln!("axon: warning: {w}")?;
    }
    let y = design.class_indices();
    let summary = if fit.is_penalised() {
        None
    } else {
        let data = axon::linear::MultinomialData::new(design.x.as_ref(), &y, &design.names)?
            .with_classes(&design.classes())?;
        Some(fit.summary(&data)?)
    };
    let ll0 = multinomial_null_log_likelihood(&y, fit.n_classes());
    if ctx.json {
        return print_json(&json(fit, design, summary.as_ref(), ll0, ctx));
    }
    let target = design.encoder.target_name();
    out!("Model: softmax of P({target} = k), data {}\n{}", ctx.data, ctx.dropped_line())?;
    match &summary {
        Some(s) => out!("{s}")?,
        None => {
            outln!(
                "multinomial logit, L2-penalised (alpha = {}), reference class `{}`\n\
                 n = {}  log-likelihood = {:.4}  null = {ll0:.4}\n{NO_INFERENCE}",
                fit.penalty.l2(),
                fit.classes[0],
                design.n_rows(),
                fit.log_likelihood
            )?;
            let b = |j: usize, k: usize| fit.coefficients[(j, k)];
            out!("{}", estimates_table(&fit.names, &fit.classes[1..], b))?;
        }
    }
    let (iterations, grad) = (fit.iterations, fit.gradient_norm);
    out!("{}", ctx.status_line("Newton-Raphson", fit.converged, iterations, grad))?;
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
