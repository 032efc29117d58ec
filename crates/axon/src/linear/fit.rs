//! The entry point of exact binary regression: check the data, refuse what has no
//! maximum-likelihood estimate (constant outcome, collinear columns, separation), run Newton's
//! method, and keep what inference needs — the estimates `β̂`, the log-likelihood `ℓ(β̂)` and the
//! inverse observed information `H(β̂)⁻¹`, the usual covariance of `β̂`.

use faer::linalg::solvers::{DenseSolveCore, Llt, LltError};
use faer::{Mat, MatRef, Side};

use super::binary::{Link, Problem};
use super::coordinate::fit_coordinate_descent;
use super::gram::{check_rank, singular_error};
use super::lbfgs::LbfgsStop;
use super::newton::{self, convergence, Outcome, Stop};
use super::penalty::{balanced_class_weights, compose_class_weights, ClassWeight, Penalty};
use super::separation;
use super::solver::{fit_lbfgs, gradient_ascent, Solver, SolverOutcome, NEWTON_MAX_COLUMNS};
use super::stochastic::fit_sgd;
use crate::distributed::rows;
use crate::error::{Error, Result};

/// A design matrix with its binary outcome, optional frequency weights and column names.
///
/// `x` is `n × p` and holds the intercept column when the model has one; `y` holds `n` values in
/// `{0, 1}`; weight `wᵢ` counts observation `i` `wᵢ` times (a weight of 0 drops it).
#[derive(Debug, Clone, Copy)]
pub struct BinaryData<'a> {
    x: MatRef<'a, f64>,
    y: &'a [f64],
    weights: Option<&'a [f64]>,
    names: &'a [String],
}

impl<'a> BinaryData<'a> {
    /// Checks the shapes, that every `x` is finite and every `y` is 0 or 1.
    pub fn new(x: MatRef<'a, f64>, y: &'a [f64], names: &'a [String]) -> Result<Self> {
        check_design_shapes(x, y.len(), names)?;
        if let Some(i) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(Error::invalid("y", y[i], format!("row {i}: the outcome must be 0 or 1")));
        }
        check_finite(x, names)?;
        Ok(BinaryData { x, y, weights: None, names })
    }

    /// Adds frequency weights: `n` finite values `≥ 0`, not all zero.
    pub fn with_weights(mut self, weights: &'a [f64]) -> Result<Self> {
        check_frequency_weights(weights, self.y.len())?;
        self.weights = Some(weights);
        Ok(self)
    }

    pub fn x(&self) -> MatRef<'a, f64> {
        self.x
    }

    pub fn y(&self) -> &'a [f64] {
        self.y
    }

    pub fn weights(&self) -> Option<&'a [f64]> {
        self.weights
    }

    pub fn names(&self) -> &'a [String] {
        self.names
    }

    /// The weight of row `i` (1 without weights).
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// `Σ wᵢ`, the number of observations the weights stand for.
    pub fn n_obs(&self) -> f64 {
        self.weights.map_or(self.y.len() as f64, |w| w.iter().sum())
    }
}

/// How to fit: the link, the penalty, the solver, class weights, the intercept column and the
/// stopping rule. See [`Penalty`] for the objective and its mapping to scikit-learn's `C`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryOptions {
    pub link: Link,
    /// The penalty (default none, maximum likelihood); the intercept is never penalised.
    pub penalty: Penalty,
    /// The algorithm (default [`Solver::Auto`]).
    pub solver: Solver,
    /// Weights per class, multiplied into the sample weights (default none).
    pub class_weight: ClassWeight,
    /// The column of ones, if the model has an intercept (never penalised).
    pub intercept: Option<usize>,
    /// The most Newton steps, or IRLS steps of coordinate descent (default 100).
    pub max_iter: usize,
    /// Newton and coordinate descent stop when `max_j |Δβ_j| / (1 + |β_j|) < tol` (Newton also
    /// on `‖∇ℓ‖ < tol` with a step below `√tol`); L-BFGS by scikit-learn's rule with `tol` its
    /// `tol`: `‖∇F‖∞ ≤ tol · Σwᵢ`, or a relative decrease of `F / Σwᵢ` of at most `64 ε` in one
    /// iteration (default 10⁻¹⁰; scikit-learn's default is 10⁻⁴).
    pub tol: f64,
}

impl Default for BinaryOptions {
    fn default() -> Self {
        BinaryOptions {
            link: Link::Logit,
            penalty: Penalty::None,
            solver: Solver::Auto,
            class_weight: ClassWeight::None,
            intercept: None,
            max_iter: 100,
            tol: 1e-10,
        }
    }
}

impl BinaryOptions {
    /// Maximum likelihood with `link` and an intercept in column `intercept`.
    pub fn new(link: Link, intercept: Option<usize>) -> Self {
        BinaryOptions { link, intercept, ..Default::default() }
    }

    fn validate(&self, p: usize) -> Result<()> {
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::invalid("tol", self.tol, "must be finite and > 0"));
        }
        match self.intercept {
            Some(j) if j >= p => {
                Err(Error::invalid("intercept", j, format!("the design matrix has {p} columns")))
            }
            _ => Ok(()),
        }
    }
}

/// A fitted binary regression.
#[derive(Debug, Clone)]
pub struct BinaryFit {
    pub link: Link,
    pub names: Vec<String>,
    pub intercept: Option<usize>,
    pub penalty: Penalty,
    /// The solver that ran ([`Solver::Auto`] resolved).
    pub solver: Solver,
    /// `β̂`, one per column of `x`.
    pub coefficients: Vec<f64>,
    /// `H(β̂)⁻¹`, the inverse observed information; `None` for a penalised fit (and for
    /// unpenalised fits wider than [`NEWTON_MAX_COLUMNS`] not fitted by Newton, and from
    /// [`fit_binary_estimate`]).
    pub covariance: Option<Mat<f64>>,
    /// `ℓ(β̂) = Σ wᵢ log F(qᵢ xᵢᵀβ̂)`, without the penalty.
    pub log_likelihood: f64,
    /// Steps taken: Newton steps, L-BFGS iterations, IRLS steps of coordinate descent, gradient
    /// ascent steps or SGD/Adam epochs (the units of [`Solver::iteration_limit`]).
    pub iterations: usize,
    pub converged: bool,
    /// `‖∇‖₂` of the (penalised) objective at `β̂` (for L1 penalties the smallest subgradient).
    pub gradient_norm: f64,
    /// Set when the fit did not converge.
    pub warning: Option<String>,
    /// Which criterion stopped an L-BFGS fit: the gradient, the change of the objective, the
    /// iteration limit or the line search (`None` for the other solvers).
    pub stop: Option<LbfgsStop>,
}

impl BinaryFit {
    /// `F(xᵢᵀβ̂)` for every row of `x`.
    pub fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        let p = self.coefficients.len();
        if x.ncols() != p {
            return Err(Error::invalid("x", x.ncols(), format!("the model has {p} columns")));
        }
        let eta = super::binary::linear_predictor(x, &self.coefficients);
        Ok(eta.into_iter().map(|e| self.link.cdf(e)).collect())
    }

    /// Whether the fit maximised a penalised likelihood (then there is no inference table).
    pub fn is_penalised(&self) -> bool {
        !self.penalty.is_none()
    }
}

/// Fits `P(y = 1 | x) = F(xᵀβ)` by (penalised) maximum likelihood with the chosen solver.
///
/// Errors on a constant outcome, on bad settings (an L1 penalty with a smooth-only solver), and
/// for unpenalised fits on collinear columns and perfect or quasi-complete separation (naming the
/// variables). A fit that stops before converging is returned with `converged = false` and a
/// warning.
pub fn fit_binary(data: &BinaryData, opts: &BinaryOptions) -> Result<BinaryFit> {
    fit_binary_with(data, opts, true)
}

/// [`fit_binary`] without the covariance (`covariance` is `None`), for callers that need the
/// estimates alone (scikit-learn's estimator in the Python package): an unpenalised fit then
/// skips the inverse information, one more `n p²` pass over the data and a `p³` inverse. The
/// estimates, and every check that refuses a fit, are the same.
pub fn fit_binary_estimate(data: &BinaryData, opts: &BinaryOptions) -> Result<BinaryFit> {
    fit_binary_with(data, opts, false)
}

fn fit_binary_with(data: &BinaryData, opts: &BinaryOptions, inference: bool) -> Result<BinaryFit> {
    let penalty = opts.penalty;
    penalty.validate()?;
    opts.validate(data.x().ncols())?;
    let solver = opts.solver.resolve(&penalty, data.x().ncols())?;
    let composed;
    let data = match opts.class_weight {
        ClassWeight::None => *data,
        ClassWeight::Balanced => {
            let labels: Vec<usize> = data.y().iter().map(|&v| usize::from(v > 0.5)).collect();
            let mut counts = [0usize; 2];
            labels.iter().for_each(|&k| counts[k] += 1);
            let counts = counts.map(rows::count);
            let cw = balanced_class_weights(&counts);
            composed = compose_class_weights(&labels, data.weights(), &cw);
            data.with_weights(&composed)?
        }
    };
    fit_resolved(&data, opts, (penalty, solver), inference)
}

/// The fit with the solver resolved; the covariance only when `inference`.
fn fit_resolved(
    data: &BinaryData,
    opts: &BinaryOptions,
    (penalty, solver): (Penalty, Solver),
    inference: bool,
) -> Result<BinaryFit> {
    let (x, names) = (data.x(), data.names());
    check_intercept(data, opts.intercept)?;
    check_outcome_varies(data)?;
    let unpenalised = penalty.is_none();
    if unpenalised {
        check_rank(x, data.weights(), names)?;
        let splits = separation::single_columns(x, data.y(), data.weights(), opts.intercept);
        if !splits.is_empty() {
            return Err(separation::column_error(&splits, names));
        }
    }
    let problem = Problem {
        x,
        y: data.y(),
        weights: data.weights(),
        link: opts.link,
        alpha: penalty.l2(),
        intercept: opts.intercept,
    };
    let n_obs = rows::sum(data.n_obs());
    let out = run_solver(&problem, opts, &penalty, solver, n_obs, names)?;
    crate::interrupt::check()?;
    let newton = matches!(solver, Solver::Newton);
    if unpenalised && !newton && problem.min_margin(&out.beta) > 0.0 {
        let (w, j) = (problem.weights, problem.intercept);
        return Err(separation::direction_error(x, w, &out.beta, j, names, true));
    }
    let covariance = match (unpenalised && inference, newton) {
        (false, _) => None,
        (true, true) => Some(inverse_information(&problem, &out.beta, names)?),
        (true, false) if x.ncols() <= NEWTON_MAX_COLUMNS => {
            inverse_information(&problem, &out.beta, names).ok()
        }
        (true, false) => None,
    };
    Ok(BinaryFit {
        link: opts.link,
        names: names.to_vec(),
        intercept: opts.intercept,
        penalty,
        solver,
        log_likelihood: problem.log_likelihood(&out.beta),
        coefficients: out.beta,
        covariance,
        iterations: out.iterations,
        converged: out.converged,
        gradient_norm: out.gradient_norm,
        warning: out.warning,
        stop: out.stop,
    })
}

/// Runs the resolved solver on `problem` (whose `alpha` is `λ₂`).
fn run_solver(
    problem: &Problem,
    opts: &BinaryOptions,
    penalty: &Penalty,
    solver: Solver,
    n_obs: f64,
    names: &[String],
) -> Result<SolverOutcome> {
    Ok(match solver {
        Solver::Auto | Solver::Newton => fit_newton(problem, opts, penalty.is_none(), names)?,
        Solver::Lbfgs { memory, max_iter } => {
            fit_lbfgs(problem, memory, max_iter, opts.tol, n_obs)?
        }
        Solver::CoordinateDescent { max_sweeps } => {
            fit_coordinate_descent(problem, penalty.l1(), opts.max_iter, max_sweeps, opts.tol)
        }
        Solver::GradientAscent { learning_rate, max_steps, tol } => {
            gradient_ascent(problem, learning_rate, max_steps, tol)
        }
        Solver::Sgd(o) => fit_sgd(problem, &o, n_obs)?,
    })
}

/// Damped Newton–Raphson, with the separation and singularity checks of exact fits.
fn fit_newton(
    problem: &Problem,
    opts: &BinaryOptions,
    unpenalised: bool,
    names: &[String],
) -> Result<SolverOutcome> {
    let out = newton::maximise(problem, vec![0.0; problem.p()], opts.max_iter, opts.tol);
    crate::interrupt::check()?;
    if unpenalised {
        check_separated(problem, &out, names)?;
    }
    let (converged, warning) = convergence(&out, opts.max_iter);
    if let Stop::Singular { index } = out.stop {
        return Err(singular_error(names, index));
    }
    Ok(SolverOutcome {
        beta: out.beta,
        iterations: out.iterations,
        converged,
        gradient_norm: out.gradient_norm,
        warning,
        stop: None,
    })
}

/// The intercept column, when given, must be a nonzero constant.
fn check_intercept(data: &BinaryData, intercept: Option<usize>) -> Result<()> {
    let Some(j) = intercept else { return Ok(()) };
    let col = data.x().col(j);
    let first = col[0];
    if first == 0.0 || col.iter().any(|&v| v != first) {
        let reason = format!("column `{}` is not a constant nonzero column", data.names()[j]);
        return Err(Error::invalid("intercept", j, reason));
    }
    Ok(())
}

/// A binary model needs both outcomes among the observations with positive weight.
fn check_outcome_varies(data: &BinaryData) -> Result<()> {
    let used = |i: &usize| data.weight(*i) > 0.0;
    let ones =
        rows::count((0..data.y().len()).filter(used).filter(|&i| data.y()[i] == 1.0).count());
    let total = rows::count((0..data.y().len()).filter(used).count());
    if ones == 0 || ones == total {
        let value = if ones == 0 { "all 0" } else { "all 1" };
        return Err(Error::invalid("y", value, "the outcome must take both values 0 and 1"));
    }
    Ok(())
}

/// Turns divergence into [`Error::Separation`]: every observation correctly classified (perfect
/// separation by `β̂`), or a fit that stopped on a separating Newton direction.
fn check_separated(problem: &Problem, out: &Outcome, names: &[String]) -> Result<()> {
    let kind = |d: &[f64]| separation::separation_kind(problem.x, problem.y, problem.weights, d);
    let along_direction = kind(&out.direction);
    let perfect = out.min_margin > 0.0 || along_direction == Some(true);
    let stalled = !matches!(out.stop, Stop::Converged) && along_direction.is_some();
    if !(out.min_margin > 0.0 || stalled || out.stop == Stop::Separated) {
        return Ok(());
    }
    let direction = if along_direction.is_some() { &out.direction } else { &out.beta };
    Err(separation::direction_error(
        problem.x,
        problem.weights,
        direction,
        problem.intercept,
        names,
        perfect,
    ))
}

/// `H(β)⁻¹` of the unpenalised log-likelihood, by Cholesky.
pub(crate) fn inverse_information(
    problem: &Problem,
    beta: &[f64],
    names: &[String],
) -> Result<Mat<f64>> {
    let ev = problem.evaluate(beta);
    let llt = Llt::new(ev.information.as_ref(), Side::Lower)
        .map_err(|LltError::NonPositivePivot { index }| singular_error(names, index))?;
    Ok(llt.inverse())
}

/// A design `x` with rows and columns, `n_y` outcomes (one per row) and a name per column.
pub(crate) fn check_design_shapes(x: MatRef<f64>, n_y: usize, names: &[String]) -> Result<()> {
    let (n, p) = (x.nrows(), x.ncols());
    if n == 0 || p == 0 {
        return Err(Error::invalid("x", format!("{n} × {p}"), "the design matrix is empty"));
    }
    if n_y != n {
        return Err(Error::invalid("y", n_y, format!("expected {n} values, one per row")));
    }
    if names.len() != p {
        let reason = format!("expected {p} names, one per column");
        return Err(Error::invalid("names", names.len(), reason));
    }
    Ok(())
}

/// Every entry of `x` finite; the error names the first row and column that is not.
pub(crate) fn check_finite(x: MatRef<f64>, names: &[String]) -> Result<()> {
    for j in 0..x.ncols() {
        if let Some(i) = x.col(j).iter().position(|v| !v.is_finite()) {
            let reason = format!("row {i}, column `{}` is not finite", names[j]);
            return Err(Error::invalid("x", x[(i, j)], reason));
        }
    }
    Ok(())
}

/// Frequency weights of `n` rows: `n` finite values `≥ 0`, not all zero.
pub(crate) fn check_frequency_weights(weights: &[f64], n: usize) -> Result<()> {
    if weights.len() != n {
        let reason = format!("expected {n} weights, one per row");
        return Err(Error::invalid("weights", weights.len(), reason));
    }
    if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        let reason = format!("row {i}: weights must be finite and ≥ 0");
        return Err(Error::invalid("weights", weights[i], reason));
    }
    if weights.iter().all(|&w| w == 0.0) {
        return Err(Error::invalid("weights", "all 0", "no observation has positive weight"));
    }
    Ok(())
}
