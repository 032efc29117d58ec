//! `axon fit --model ols`: the linear probability model, least squares of the 0/1 target on the
//! design (the lectures' "why not linear regression?"), with White's HC1 standard errors, z,
//! normal p-values and 95% intervals (as statsmodels' `OLS(y, X).fit(cov_type="HC1")`), R²,
//! and a line counting the fitted values outside [0, 1]. Read as a classifier, the fitted
//! value `ŷ = xᵀβ̂` is its score and the predicted class is `ŷ ≥ 0.5`, but `ŷ` is no
//! probability, so the model is not saved: `--out` is an error, as are the options of the
//! likelihood fits (penalty, solver, class and frequency weights, HC0).

use axon::data::{read_table, Design, Target};
use axon::linear::{fit_ols, OlsFit};
use serde::Serialize;

use super::report::{coefficient_json, name_width, print_json, CoefficientJson};
use super::{Cov, FitArgs};
use crate::common::flag;
use crate::options::{ClassWeightKind, Solver};
use crate::output::out;

#[derive(Serialize)]
struct OlsJson {
    model: &'static str,
    data: String,
    target: String,
    positive_class: String,
    n_obs: usize,
    dropped_rows: usize,
    df_resid: usize,
    cov_type: &'static str,
    r_squared: f64,
    adj_r_squared: f64,
    ssr: f64,
    /// Fitted values below 0 and above 1.
    fitted_below_zero: usize,
    fitted_above_one: usize,
    coefficients: Vec<CoefficientJson>,
}

/// Refuses the flags that do not apply to least squares.
fn check_flags(args: &FitArgs) -> anyhow::Result<()> {
    let refuse = |what: String| anyhow::bail!("--model ols: {what}");
    if let Some(path) = &args.out {
        return refuse(format!(
            "--out {}: the linear probability model is not saved (its fitted values are not \
             probabilities: they leave [0, 1]); fit --model logit or probit to save a model",
            path.display()
        ));
    }
    if args.weights.is_some() {
        return refuse("takes no --weights".into());
    }
    if args.fit.alpha != 0.0 || args.fit.penalty.is_some_and(|p| flag(p) != "none") {
        return refuse("takes no --penalty or --alpha (it is plain least squares)".into());
    }
    if args.fit.solver != Solver::Auto {
        return refuse(format!("takes no --solver (got {})", flag(args.fit.solver)));
    }
    if args.fit.class_weight != ClassWeightKind::None {
        return refuse("takes no --class-weight".into());
    }
    if args.cov == Cov::Hc0 {
        return refuse("reports HC1 standard errors (--cov hc1), not hc0".into());
    }
    Ok(())
}

/// Runs `axon fit --model ols`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let frame = read_table(&args.design.data, &args.design.read_options(&[]))?;
    let design = Design::new(&frame, &args.design.spec())?;
    let dropped_rows = frame.dropped_rows;
    drop(frame);
    let y = design.binary_target()?;
    let fit = fit_ols(design.x.as_ref(), y, &design.names, design.encoder.has_intercept())?;
    let target = design.encoder.target_name().to_owned();
    let positive = match &design.target {
        Target::Binary { positive, .. } => positive.clone(),
        Target::Classes(c) => c.last().cloned().unwrap_or_default(),
    };
    let data = args.design.data.display().to_string();
    if args.json {
        return print_json(&OlsJson {
            model: "ols",
            data,
            target,
            positive_class: positive,
            n_obs: fit.n_obs,
            dropped_rows,
            df_resid: fit.df_resid,
            cov_type: "HC1",
            r_squared: fit.r_squared,
            adj_r_squared: fit.adj_r_squared,
            ssr: fit.ssr,
            fitted_below_zero: fit.below_zero,
            fitted_above_one: fit.above_one,
            coefficients: fit.table.iter().map(|r| coefficient_json(r, None)).collect(),
        });
    }
    let header = format!(
        "Model: linear probability model (OLS) of P({target} = {positive}), data {data}\n{}",
        match dropped_rows {
            0 => String::new(),
            n => format!("Dropped {n} rows with a missing value\n"),
        }
    );
    out!("{header}{}", table(&fit))?;
    Ok(())
}

/// The coefficient table, the fit statistics and the line on fitted values outside [0, 1].
fn table(fit: &OlsFit) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "n = {}  df_resid = {}  R² = {:.4}  adjusted R² = {:.4}  SSR = {:.4}\n\
         Standard errors: HC1 (White, small-sample corrected); z and p-values from the normal, \
         as statsmodels\n",
        fit.n_obs, fit.df_resid, fit.r_squared, fit.adj_r_squared, fit.ssr
    );
    let width = name_width(&fit.names);
    let _ = writeln!(
        out,
        "{:<width$} {:>12} {:>10} {:>8} {:>8} {:>12} {:>12}",
        "", "coef", "std err", "z", "P>|z|", "[0.025", "0.975]"
    );
    for r in &fit.table {
        let _ = writeln!(
            out,
            "{:<width$} {:>12.6} {:>10.6} {:>8.3} {:>8.3} {:>12.6} {:>12.6}",
            r.name, r.estimate, r.std_error, r.z, r.p_value, r.ci_low, r.ci_high
        );
    }
    let outside = fit.below_zero + fit.above_one;
    let _ = writeln!(
        out,
        "Fitted values outside [0, 1]: {outside} of {} ({} below 0, {} above 1){}",
        fit.n_obs,
        fit.below_zero,
        fit.above_one,
        if outside > 0 {
            ": a straight line is no probability; a logit or probit stays inside"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "Read as a classifier: score = fitted value, class 1 when score ≥ 0.5.");
    out
}
