//! Logistic regression of coronary heart disease (CHD) on age, fitted exactly as the lectures fit
//! it, on the lecture table of 33 subjects (`data/chd_age.csv`).
//!
//! The model is `P(chd = 1 | age) = σ(θ0 + θ1·age)` with `σ(z) = 1 / (1 + e^−z)`. With
//! `x_i = (1, age_i)` and `p_i = σ(θᵀx_i)` the log-likelihood is
//! `ℓ(θ) = Σ_i [y_i log p_i + (1 − y_i) log(1 − p_i)]`, and its gradient has the closed form
//! `∂ℓ/∂θ_j = Σ_i (y_i − p_i) x_ij`. Gradient ascent starts at `θ = 0` and, after each full pass
//! over the data, takes the step `θ ← θ + η ∇ℓ(θ)`, until `‖∇ℓ‖ < tolerance`.
//!
//! Three points of the lectures are checked with assertions:
//!
//! 1. At every step the gradient is computed twice: by the closed form above (plain `f64` loops)
//!    and by autograd (`−ℓ` built from tensor ops, then `.backward()`). They must agree to
//!    `1e-10`, relative to `Σ_i |(y_i − p_i) x_ij|`, the size of the terms being summed (near the
//!    optimum the sum itself tends to 0, so a ratio to it would only measure rounding noise).
//! 2. Newton's method, `θ ← θ + (XᵀWX)⁻¹ ∇ℓ` with `W = diag(p_i (1 − p_i))` (the Hessian of ℓ is
//!    `−XᵀWX`, computed here with tensor ops), reaches the same `θ` to `1e-6` in a few steps.
//! 3. Both equal the maximum-likelihood fit of statsmodels (`Logit`, stored in
//!    `crates/axon/tests/fixtures/chd_logit.json` by `scripts/reference/chd_logit.py`) to `1e-6`
//!    relative, and so do the log-likelihood, the standard errors `sqrt(diag((XᵀWX)⁻¹))` and the
//!    grouped prevalence table.
//! 4. The slide's table of the percentage with CHD by age group (20–29: 0%, 30–39: 17%, 40–49:
//!    29%, 50–59: 57%, 60–69: 80%, 70–79 and 80–89: 100%) is what the data give, and the fitted
//!    curve's probability of CHD at the middle of each group (25, 35, ..., 85 years) is
//!    statsmodels' to `1e-6` relative.
//!
//! Gradient ascent runs on standardised age `(age − mean) / sd`, where `XᵀX` is well conditioned
//! and a fixed `η` converges in about a hundred steps. On raw age (values 22 to 81) the Hessian's
//! condition number is about 7·10⁴: the largest stable `η` is about `1e-4`, and the same method
//! needs about 1.1 million steps. The coefficients are converted back:
//! `θ1 = θ1' / sd`, `θ0 = θ0' − θ1' · mean / sd`. Newton's method runs on raw age directly.
//!
//! Run with `cargo run --release -p axon --example logistic_chd`.

use std::error::Error;
use std::time::Instant;

use axon::Tensor;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/chd_age.csv");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/chd_logit.json");

/// Step size of gradient ascent on the standardised scale.
const LEARNING_RATE: f64 = 0.1;
/// Gradient ascent stops when `‖∇ℓ‖` (standardised scale) falls below this.
const GRADIENT_TOLERANCE: f64 = 1e-9;
const MAX_STEPS: usize = 100_000;
/// Autograd against the closed-form gradient, relative to the size of the summed terms.
const AUTOGRAD_RTOL: f64 = 1e-10;
/// Gradient ascent against Newton, and both against statsmodels.
const FIT_RTOL: f64 = 1e-6;
/// The age groups of the prevalence table: 20–29, 30–39, ..., 80–89.
const GROUPS: [(u32, u32); 7] =
    [(20, 29), (30, 39), (40, 49), (50, 59), (60, 69), (70, 79), (80, 89)];
/// The percentage with CHD in each age group, rounded, as the lecture's slide prints it.
const SLIDE_PERCENT: [u32; 7] = [0, 17, 29, 57, 80, 100, 100];

fn main() -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let (age, chd) = read_chd_csv(DATA)?;
    let reference = Reference::read(FIXTURE)?;
    let n = age.len();
    let cases = chd.iter().filter(|&&y| y == 1.0).count();
    println!(
        "Logistic regression of CHD on age: {n} subjects in data/chd_age.csv, {cases} with CHD"
    );
    println!("Model: P(chd = 1 | age) = σ(θ0 + θ1·age)\n");

    // Gradient ascent on standardised age, with autograd checked against the closed form.
    let mean = age.iter().sum::<f64>() / n as f64;
    let sd = (age.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let rows: Vec<[f64; 2]> = age.iter().map(|a| [1.0, (a - mean) / sd]).collect();
    let ascent = gradient_ascent(&rows, &chd)?;
    let theta_ascent = [ascent.theta[0] - ascent.theta[1] * mean / sd, ascent.theta[1] / sd];
    println!(
        "Gradient ascent (standardised age: mean {mean:.4}, sd {sd:.4}; η = {LEARNING_RATE}, θ = 0 at start)"
    );
    println!("  {:>6} {:>14} {:>14} {:>16} {:>10}", "step", "θ0'", "θ1'", "ℓ(θ)", "‖∇ℓ‖");
    for (step, t, ll, norm) in &ascent.trace {
        println!("  {step:>6} {:>14.10} {:>14.10} {ll:>16.10} {norm:>10.2e}", t[0], t[1]);
    }
    println!(
        "  converged after {} steps: ‖∇ℓ‖ = {:.2e} < {GRADIENT_TOLERANCE:.0e}",
        ascent.steps, ascent.gradient_norm
    );
    println!(
        "  autograd vs closed-form gradient at all {} evaluations: max relative difference {:.2e} \
         (tolerance {AUTOGRAD_RTOL:.0e})",
        ascent.steps + 1,
        ascent.max_autograd_error
    );
    assert!(
        ascent.max_autograd_error <= AUTOGRAD_RTOL,
        "autograd and the closed-form gradient differ by {:.3e} (relative)",
        ascent.max_autograd_error
    );

    // Newton's method on raw age.
    let raw_rows: Vec<[f64; 2]> = age.iter().map(|&a| [1.0, a]).collect();
    let newton = newton(&raw_rows, &chd)?;
    println!(
        "Newton's method (raw age, Hessian −XᵀWX from tensor ops): converged after {} iterations, \
         ‖∇ℓ‖ = {:.2e}\n",
        newton.iterations, newton.gradient_norm
    );

    // Compare the fits with each other and with statsmodels.
    println!("{:<28} {:>20} {:>20}", "", "θ0 (intercept)", "θ1 (age)");
    let row = |name: &str, t: [f64; 2]| println!("{name:<28} {:>20.12} {:>20.12}", t[0], t[1]);
    row("gradient ascent", theta_ascent);
    row("Newton", newton.theta);
    row(&format!("statsmodels {}", reference.tool_version), reference.params);
    row("std. error (Newton)", newton.std_errors);
    row("std. error (statsmodels)", reference.bse);
    for j in [0, 1] {
        assert_rel(&format!("θ{j}: gradient ascent vs Newton"), theta_ascent[j], newton.theta[j]);
        assert_rel(&format!("θ{j}: Newton vs statsmodels"), newton.theta[j], reference.params[j]);
        assert_rel(&format!("θ{j}: ascent vs statsmodels"), theta_ascent[j], reference.params[j]);
        assert_rel(&format!("se(θ{j}) vs statsmodels"), newton.std_errors[j], reference.bse[j]);
    }

    let ll = log_likelihood(&raw_rows, &chd, newton.theta);
    let ll_ascent = log_likelihood(&raw_rows, &chd, theta_ascent);
    let ybar = cases as f64 / n as f64;
    let ll_null = n as f64 * (ybar * ybar.ln() + (1.0 - ybar) * (1.0 - ybar).ln());
    println!(
        "\nlog-likelihood ℓ(θ̂) = {ll:.10} (gradient ascent {ll_ascent:.10}, statsmodels {:.10})",
        reference.llf
    );
    println!(
        "null model ℓ0 = {ll_null:.10} (statsmodels {:.10}); likelihood-ratio statistic \
         2(ℓ − ℓ0) = {:.4} on 1 df",
        reference.llnull,
        2.0 * (ll - ll_null)
    );
    assert_rel("log-likelihood vs statsmodels", ll, reference.llf);
    assert_rel("log-likelihood of gradient ascent vs statsmodels", ll_ascent, reference.llf);
    assert_rel("null log-likelihood vs statsmodels", ll_null, reference.llnull);
    println!(
        "odds ratio per year of age e^θ1 = {:.4}, per decade e^(10·θ1) = {:.3}; \
         P(chd) = 1/2 at age −θ0/θ1 = {:.2}",
        newton.theta[1].exp(),
        (10.0 * newton.theta[1]).exp(),
        -newton.theta[0] / newton.theta[1]
    );

    // The grouped prevalence table of the lectures (the slide's percentages), with the fitted
    // curve's mean in each group and its value at the group's middle age.
    println!("\nPrevalence of CHD by age group");
    println!(
        "{:>7} {:>4} {:>5} {:>10} {:>13} {:>18}",
        "age", "n", "CHD", "% with CHD", "mean fitted", "P(chd) mid-age"
    );
    for (k, &(lo, hi)) in GROUPS.iter().enumerate() {
        let members: Vec<usize> =
            (0..n).filter(|&i| age[i] >= f64::from(lo) && age[i] <= f64::from(hi)).collect();
        let group_n = members.len();
        let group_cases = members.iter().filter(|&&i| chd[i] == 1.0).count();
        let observed = group_cases as f64 / group_n as f64;
        let fitted = members.iter().map(|&i| sigmoid(dot(newton.theta, raw_rows[i]))).sum::<f64>()
            / group_n as f64;
        let percent = (100.0 * observed).round() as u32;
        let (mid, want_p) = reference.predicted_at_age[k];
        let at_mid = sigmoid(dot(newton.theta, [1.0, mid]));
        println!(
            "{lo:>4}–{hi:<2} {group_n:>4} {group_cases:>5} {percent:>9}% {fitted:>13.3} \
             {:>9}: {:>5.1}%",
            format!("age {mid}"),
            100.0 * at_mid
        );
        assert_eq!(percent, SLIDE_PERCENT[k], "the slide's percentage with CHD at {lo}–{hi}");
        assert_eq!(mid, f64::from(lo + hi + 1) / 2.0, "the fixture's ages are the groups' middles");
        assert_rel(&format!("P(chd) at age {mid} vs statsmodels"), at_mid, want_p);
        let want = &reference.groups[k];
        assert_eq!((lo, hi, group_n, group_cases), (want.lo, want.hi, want.n, want.cases));
        assert_rel(&format!("observed proportion {lo}–{hi}"), observed, want.observed);
        assert_rel(&format!("mean fitted probability {lo}–{hi}"), fitted, want.mean_fitted);
    }
    assert_eq!(reference.groups.len(), GROUPS.len(), "number of age groups in the fixture");
    assert_eq!(reference.predicted_at_age.len(), GROUPS.len(), "one middle age per group");
    assert_eq!(
        reference.groups.iter().map(|g| g.n).sum::<usize>(),
        n,
        "the age groups cover every subject"
    );

    println!(
        "\nAll checks passed (autograd vs closed form ≤ {AUTOGRAD_RTOL:.0e}, fits ≤ {FIT_RTOL:.0e} \
         relative) in {:.0} ms.",
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// Reads the `age,chd` CSV: a header line, then one subject per line with `chd` 0 or 1.
fn read_chd_csv(path: &str) -> Result<(Vec<f64>, Vec<f64>), FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == "age,chd" => {}
        Some((_, header)) => {
            return Err(format!("{path}:1: expected header `age,chd`, got {header:?}").into())
        }
        None => return Err(format!("{path}: empty file").into()),
    }
    let (mut age, mut chd) = (Vec::new(), Vec::new());
    for (index, line) in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| format!("{path}:{}: {why} in {line:?}", index + 1);
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [a, y] = fields[..] else { return Err(bad("expected 2 fields `age,chd`").into()) };
        let a: f64 = a.parse().map_err(|_| bad("age is not a number"))?;
        if !a.is_finite() {
            return Err(bad("age is not finite").into());
        }
        let y = match y {
            "0" => 0.0,
            "1" => 1.0,
            _ => return Err(bad("chd must be 0 or 1").into()),
        };
        age.push(a);
        chd.push(y);
    }
    if age.is_empty() {
        return Err(format!("{path}: no data rows").into());
    }
    Ok((age, chd))
}

/// An error about an input file, shown as its message alone (`main` prints errors with `Debug`).
struct FileError(String);

impl std::fmt::Debug for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for FileError {}

impl From<String> for FileError {
    fn from(message: String) -> Self {
        FileError(message)
    }
}

/// The statsmodels fit stored by `scripts/reference/chd_logit.py`.
struct Reference {
    tool_version: String,
    params: [f64; 2],
    bse: [f64; 2],
    llf: f64,
    llnull: f64,
    groups: Vec<Group>,
    /// `(age, statsmodels' fitted P(chd = 1 | age))` at the middle of each age group.
    predicted_at_age: Vec<(f64, f64)>,
}

struct Group {
    lo: u32,
    hi: u32,
    n: usize,
    cases: usize,
    observed: f64,
    mean_fitted: f64,
}

impl Reference {
    fn read(path: &str) -> Result<Reference, FileError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{path}: invalid JSON: {e}"))?;
        let missing = |field: &str| format!("{path}: missing or ill-typed field `{field}`");
        let number = |v: &serde_json::Value, field: &str| v.as_f64().ok_or_else(|| missing(field));
        let pair = |field: &str| -> Result<[f64; 2], String> {
            match json[field].as_array().map(Vec::as_slice) {
                Some([a, b]) => Ok([number(a, field)?, number(b, field)?]),
                _ => Err(missing(field)),
            }
        };
        let groups = json["groups"]
            .as_array()
            .ok_or_else(|| missing("groups"))?
            .iter()
            .map(|g| -> Result<Group, String> {
                let int = |field: &str| g[field].as_u64().ok_or_else(|| missing(field));
                Ok(Group {
                    lo: int("age_lo")? as u32,
                    hi: int("age_hi")? as u32,
                    n: int("n")? as usize,
                    cases: int("chd")? as usize,
                    observed: number(&g["observed"], "observed")?,
                    mean_fitted: number(&g["mean_fitted"], "mean_fitted")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let predicted_at_age = json["predicted_at_age"]
            .as_array()
            .ok_or_else(|| missing("predicted_at_age"))?
            .iter()
            .map(|a| Ok((number(&a["age"], "age")?, number(&a["p"], "p")?)))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Reference {
            tool_version: json["tool_version"]
                .as_str()
                .ok_or_else(|| missing("tool_version"))?
                .into(),
            params: pair("params")?,
            bse: pair("bse")?,
            llf: number(&json["llf"], "llf")?,
            llnull: number(&json["llnull"], "llnull")?,
            groups,
            predicted_at_age,
        })
    }
}

struct Ascent {
    /// On the scale of the rows it was given.
    theta: [f64; 2],
    /// Number of updates taken.
    steps: usize,
    gradient_norm: f64,
    max_autograd_error: f64,
    /// `(step, θ, ℓ(θ), ‖∇ℓ‖)` at a few steps, for the report.
    trace: Vec<(usize, [f64; 2], f64, f64)>,
}

/// The lectures' gradient ascent from `θ = 0`, checking autograd at every evaluation.
fn gradient_ascent(rows: &[[f64; 2]], y: &[f64]) -> axon::Result<Ascent> {
    let x = design(rows)?;
    let y_t = Tensor::from_vec(y.to_vec(), [y.len(), 1])?;
    let mut theta = [0.0; 2];
    let mut max_autograd_error = 0.0_f64;
    let mut trace = Vec::new();
    for steps in 0..=MAX_STEPS {
        let (gradient, scale) = closed_form_gradient(rows, y, theta);
        let autograd = autograd_gradient(&x, &y_t, theta)?;
        for j in [0, 1] {
            max_autograd_error =
                max_autograd_error.max((autograd[j] - gradient[j]).abs() / scale[j]);
        }
        let gradient_norm = gradient[0].hypot(gradient[1]);
        let converged = gradient_norm < GRADIENT_TOLERANCE;
        if converged || [0, 1, 2, 5, 10, 20, 50].contains(&steps) {
            trace.push((steps, theta, log_likelihood(rows, y, theta), gradient_norm));
        }
        if converged {
            return Ok(Ascent { theta, steps, gradient_norm, max_autograd_error, trace });
        }
        for j in [0, 1] {
            theta[j] += LEARNING_RATE * gradient[j];
        }
    }
    panic!("gradient ascent did not converge in {MAX_STEPS} steps");
}

/// `∇ℓ(θ)` by the closed form `Σ_i (y_i − σ(θᵀx_i)) x_ij`, and the scale `Σ_i |(y_i − p_i) x_ij|`
/// of its terms.
fn closed_form_gradient(rows: &[[f64; 2]], y: &[f64], theta: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let (mut gradient, mut scale) = ([0.0; 2], [0.0; 2]);
    for (x, &y) in rows.iter().zip(y) {
        let residual = y - sigmoid(dot(theta, *x));
        for j in [0, 1] {
            gradient[j] += residual * x[j];
            scale[j] += (residual * x[j]).abs();
        }
    }
    (gradient, scale)
}

/// `∇ℓ(θ)` by autograd: the loss `−ℓ(θ)` is built from tensor ops and differentiated.
fn autograd_gradient(x: &Tensor, y: &Tensor, theta: [f64; 2]) -> axon::Result<[f64; 2]> {
    let theta = Tensor::from_vec(theta.to_vec(), [2, 1])?.requires_grad();
    let p = x.matmul(&theta)?.sigmoid()?;
    let log_likelihood =
        y.mul(&p.log()?)?.add(&y.affine(-1.0, 1.0)?.mul(&p.affine(-1.0, 1.0)?.log()?)?)?;
    let loss = log_likelihood.sum_all()?.neg()?;
    let grads = loss.backward()?;
    let g = grads.get(&theta).expect("θ is in the graph").to_vec::<f64>()?;
    Ok([-g[0], -g[1]])
}

struct Newton {
    theta: [f64; 2],
    iterations: usize,
    gradient_norm: f64,
    std_errors: [f64; 2],
}

/// Newton's method `θ ← θ + (XᵀWX)⁻¹ Xᵀ(y − p)` from `θ = 0`, with the tensor engine computing
/// `p`, the gradient and the Hessian.
fn newton(rows: &[[f64; 2]], y: &[f64]) -> axon::Result<Newton> {
    let x = design(rows)?;
    let y = Tensor::from_vec(y.to_vec(), [y.len(), 1])?;
    let mut theta = [0.0; 2];
    for iterations in 0..100 {
        let p = x.matmul(&Tensor::from_vec(theta.to_vec(), [2, 1])?)?.sigmoid()?;
        let gradient = x.t()?.matmul(&y.sub(&p)?)?.to_vec::<f64>()?;
        let w = p.mul(&p.affine(-1.0, 1.0)?)?;
        let h = x.t()?.matmul(&x.mul(&w)?)?.to_vec::<f64>()?; // XᵀWX = −Hessian, row-major 2×2
        let det = h[0] * h[3] - h[1] * h[2];
        let inverse = [h[3] / det, -h[1] / det, -h[2] / det, h[0] / det];
        let gradient_norm = gradient[0].hypot(gradient[1]);
        if gradient_norm < 1e-10 {
            let std_errors = [inverse[0].sqrt(), inverse[3].sqrt()];
            return Ok(Newton { theta, iterations, gradient_norm, std_errors });
        }
        theta[0] += inverse[0] * gradient[0] + inverse[1] * gradient[1];
        theta[1] += inverse[2] * gradient[0] + inverse[3] * gradient[1];
    }
    panic!("Newton's method did not converge in 100 iterations");
}

/// The `n × 2` design matrix with rows `x_i`.
fn design(rows: &[[f64; 2]]) -> axon::Result<Tensor> {
    Tensor::from_vec(rows.iter().flatten().copied().collect(), [rows.len(), 2])
}

fn log_likelihood(rows: &[[f64; 2]], y: &[f64], theta: [f64; 2]) -> f64 {
    rows.iter()
        .zip(y)
        .map(|(x, &y)| {
            let p = sigmoid(dot(theta, *x));
            y * p.ln() + (1.0 - y) * (1.0 - p).ln()
        })
        .sum()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

/// Panics unless `|got − want| ≤ FIT_RTOL · |want|`.
fn assert_rel(what: &str, got: f64, want: f64) {
    let error = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
    assert!(
        error <= FIT_RTOL,
        "{what}: got {got:.12e}, want {want:.12e}, relative error {error:.3e}"
    );
}
