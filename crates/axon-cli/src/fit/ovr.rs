//! The report of a one-vs-rest fit: each class's logit against the rest as a column of
//! estimates, and how each of the binary fits converged (a warning for any that did not); or
//! one JSON object.

use axon::data::Design;
use axon::linear::OneVsRestFit;
use serde::Serialize;

use super::report::{bare_coefficient, estimates_table, print_json, CoefficientJson, Context};
use crate::options::describe;
use crate::output::{errln, out};

/// One class's binary fit in the JSON report.
#[derive(Debug, Serialize)]
struct ClassFit {
    class: String,
    log_likelihood: f64,
    converged: bool,
    iterations: usize,
    gradient_norm: f64,
    warning: Option<String>,
}

#[derive(Debug, Serialize)]
struct OvrReport {
    model: &'static str,
    data: String,
    target: String,
    classes: Vec<String>,
    n_obs: usize,
    dropped_rows: usize,
    n_params: usize,
    penalty: String,
    solver: &'static str,
    converged: bool,
    fits: Vec<ClassFit>,
    coefficients: Vec<CoefficientJson>,
}

/// Prints the report of `fit` on `design`.
pub fn report(fit: &OneVsRestFit, design: &Design, ctx: &Context) -> anyhow::Result<()> {
    for (class, f) in fit.classes.iter().zip(&fit.fits) {
        if let Some(w) = f.warning.as_deref().filter(|_| !f.converged) {
            errln!("axon: warning: class `{class}` against the rest: {w}")?;
        }
    }
    if ctx.json {
        print_json(&json(fit, design, ctx))
    } else {
        out!("{}", table(fit, design, ctx))?;
        Ok(())
    }
}

fn json(fit: &OneVsRestFit, design: &Design, ctx: &Context) -> OvrReport {
    let first = &fit.fits[0];
    let pairs = || fit.classes.iter().zip(&fit.fits);
    OvrReport {
        model: "ovr",
        data: ctx.data.clone(),
        target: design.encoder.target_name().to_owned(),
        classes: fit.classes.clone(),
        n_obs: design.n_rows(),
        dropped_rows: ctx.dropped_rows,
        n_params: design.names.len() * fit.fits.len(),
        penalty: describe(&first.penalty),
        solver: first.solver.name(),
        converged: fit.converged(),
        fits: pairs()
            .map(|(class, f)| ClassFit {
                class: class.clone(),
                log_likelihood: f.log_likelihood,
                converged: f.converged,
                iterations: f.iterations,
                gradient_norm: f.gradient_norm,
                warning: f.warning.clone(),
            })
            .collect(),
        coefficients: pairs()
            .flat_map(|(class, f)| {
                (f.names.iter().zip(&f.coefficients))
                    .map(move |(name, &b)| bare_coefficient(name, Some(class), b))
            })
            .collect(),
    }
}

fn table(fit: &OneVsRestFit, design: &Design, ctx: &Context) -> String {
    use std::fmt::Write;
    let target = design.encoder.target_name();
    let first = &fit.fits[0];
    let mut out = format!(
        "Model: one-vs-rest logit of P({target} = k), data {}\nn = {}  penalty {}  solver {}\n",
        ctx.data,
        design.n_rows(),
        describe(&first.penalty),
        first.solver.name()
    );
    let b = |j: usize, k: usize| fit.fits[k].coefficients[j];
    out.push_str(&estimates_table(&design.names, &fit.classes, b));
    let _ = writeln!(out, "\nEach column is the logit of its class against the rest.");
    for (class, f) in fit.classes.iter().zip(&fit.fits) {
        let status = if f.converged { "converged" } else { "did NOT converge" };
        let _ = writeln!(
            out,
            "class {class}: {status} in {} iterations (gradient norm {:.2e}), log-likelihood {:.4}",
            f.iterations, f.gradient_norm, f.log_likelihood
        );
    }
    out
}
