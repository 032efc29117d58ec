//! `axon fit --model ovr`: one-vs-rest logistic regression for a K-class target: K binary logits,
//! class k against the rest, each with the penalty, solver and class weights of the flags, and
//! probabilities `σ(ηₖ) / Σₗ σ(ηₗ)` as scikit-learn's one-vs-rest. The report lists each class's
//! coefficients and how each fit converged; `--out` saves the K equations as one model.

use anyhow::Context;
use axon::data::Design;
use axon::linear::{fit_one_vs_rest, LinearModel, Link, MultinomialData, OneVsRestFit};
use serde::Serialize;

use crate::common::{read_frame, save_model, settings_record};
use crate::fit::{bare_coefficient, name_width, CoefficientJson, FitArgs};
use crate::options::describe;

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

/// Runs `axon fit --model ovr`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    if args.weights.is_some() {
        anyhow::bail!("--weights is available for logit and probit only, not --model ovr");
    }
    let frame = read_frame(&args.design.data, args.design.drop_missing)?;
    let design = Design::new(&frame, &args.design.spec())?;
    let y = design.class_indices();
    let data = MultinomialData::new(design.x.as_ref(), &y, &design.names)?
        .with_classes(&design.classes())?;
    let intercept = design.encoder.has_intercept().then_some(0);
    let opts =
        args.fit.binary_options(Link::Logit, intercept, args.fit.alpha, args.max_iter, args.tol)?;
    let fit = fit_one_vs_rest(&data, &opts)?;
    for (class, f) in fit.classes.iter().zip(&fit.fits) {
        if let Some(w) = f.warning.as_deref().filter(|_| !f.converged) {
            eprintln!("axon: warning: class `{class}` against the rest: {w}");
        }
    }
    if args.json {
        let report = report(args, &design, &fit, frame.dropped_rows);
        println!("{}", serde_json::to_string_pretty(&report).context("writing the JSON report")?);
    } else {
        print!("{}", table(args, &design, &fit));
    }
    if let Some(path) = &args.out {
        let settings = settings_record("fit", args);
        save_model(&LinearModel::from_ovr(&fit, design.encoder, settings)?, path)?;
    }
    Ok(())
}

fn report(args: &FitArgs, design: &Design, fit: &OneVsRestFit, dropped_rows: usize) -> OvrReport {
    let first = &fit.fits[0];
    OvrReport {
        model: "ovr",
        data: args.design.data.display().to_string(),
        target: design.encoder.target_name().to_owned(),
        classes: fit.classes.clone(),
        n_obs: design.n_rows(),
        dropped_rows,
        n_params: design.names.len() * fit.fits.len(),
        penalty: describe(&first.penalty),
        solver: first.solver.name(),
        converged: fit.converged(),
        fits: (fit.classes.iter().zip(&fit.fits))
            .map(|(class, f)| ClassFit {
                class: class.clone(),
                log_likelihood: f.log_likelihood,
                converged: f.converged,
                iterations: f.iterations,
                gradient_norm: f.gradient_norm,
                warning: f.warning.clone(),
            })
            .collect(),
        coefficients: (fit.classes.iter().zip(&fit.fits))
            .flat_map(|(class, f)| {
                (f.names.iter().zip(&f.coefficients))
                    .map(move |(name, &b)| bare_coefficient(name, Some(class), b))
            })
            .collect(),
    }
}

fn table(args: &FitArgs, design: &Design, fit: &OneVsRestFit) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let target = design.encoder.target_name();
    let first = &fit.fits[0];
    let _ = writeln!(
        out,
        "Model: one-vs-rest logit of P({target} = k), data {}\nn = {}  penalty {}  solver {}",
        args.design.data.display(),
        design.n_rows(),
        describe(&first.penalty),
        first.solver.name()
    );
    let width = name_width(&design.names);
    let _ = write!(out, "{:<width$}", "");
    for class in &fit.classes {
        let _ = write!(out, " {class:>12}");
    }
    out.push('\n');
    for (j, name) in design.names.iter().enumerate() {
        let _ = write!(out, "{name:<width$}");
        for f in &fit.fits {
            let _ = write!(out, " {:>12.6}", f.coefficients[j]);
        }
        out.push('\n');
    }
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
