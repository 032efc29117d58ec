//! scikit-learn's `LogisticRegression` on the library's fits: a binary logit (`fit_binary`), the
//! symmetric multinomial logit (`fit_softmax`, scikit-learn's multinomial), or one binary logit
//! per class against the rest (`fit_binary` per class, so that sample weights reach each), all
//! with the library's penalties (`α = 1/C`), solvers and class weights; and the scores of a
//! fitted linear model on new rows. The GIL is released while the library works.

use axon::linear::{
    fit_binary_estimate, fit_softmax, BinaryData, BinaryOptions, ClassWeight, Link,
    MultinomialData, Penalty, SoftmaxOptions, Solver,
};
use faer::{Mat, MatRef};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays::{labels, to_numpy, to_numpy1, vector, Floats};

/// A float64 matrix handed to Python.
type Matrix<'py> = Bound<'py, numpy::PyArray2<f64>>;
use crate::errors::{value_error, OrValueError};
use crate::interrupt::detach_interruptible;

/// The most `n p²` for which 'auto' takes Newton's method in the estimator (beyond it L-BFGS:
/// on 200 000 × 100 it is several times faster, at scikit-learn's tolerance).
const NEWTON_WORK: f64 = 1e8;

/// The settings of one fit, as the Python layer passes them.
pub(crate) struct Settings {
    pub link: Link,
    pub penalty: Penalty,
    pub solver: Solver,
    pub class_weight: ClassWeight,
    pub intercept: bool,
    pub max_iter: usize,
    pub tol: f64,
}

/// What the Python estimator keeps: `coef` `K' × p`, `intercept` `K'` (`K' = 1` for two classes).
pub(crate) struct Fitted {
    pub coef: Mat<f64>,
    pub intercept: Vec<f64>,
    pub n_iter: Vec<usize>,
    pub converged: bool,
    pub warnings: Vec<String>,
}

impl Fitted {
    /// The dict `fit_logistic` returns.
    pub(crate) fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let out = PyDict::new(py);
        out.set_item("coef", to_numpy(py, self.coef.as_ref()))?;
        out.set_item("intercept", to_numpy1(py, self.intercept))?;
        out.set_item("n_iter", self.n_iter)?;
        out.set_item("converged", self.converged)?;
        out.set_item("warnings", self.warnings)?;
        Ok(out)
    }
}

/// The solver named as scikit-learn or axon names it.
pub fn solver(name: &str, max_iter: usize) -> PyResult<Solver> {
    Ok(match name {
        "auto" => Solver::Auto,
        "newton" | "newton-cholesky" => Solver::Newton,
        "lbfgs" => Solver::Lbfgs { memory: 10, max_iter },
        "coordinate_descent" => Solver::coordinate_descent(),
        other => {
            return Err(value_error(format!(
                "solver = {other:?}: expected 'auto', 'newton' ('newton-cholesky'), 'lbfgs' or \
                 'coordinate_descent'"
            )))
        }
    })
}

fn link(name: &str) -> PyResult<Link> {
    match name {
        "logit" => Ok(Link::Logit),
        "probit" => Ok(Link::Probit),
        other => Err(value_error(format!("link = {other:?}: expected 'logit' or 'probit'"))),
    }
}

fn class_weight(name: &str) -> PyResult<ClassWeight> {
    match name {
        "none" => Ok(ClassWeight::None),
        "balanced" => Ok(ClassWeight::Balanced),
        other => Err(value_error(format!("class_weight = {other:?}: expected None or 'balanced'"))),
    }
}

impl Settings {
    /// The settings from the Python arguments — `(penalty, C, l1_ratio)`, the solver,
    /// `(fit_intercept, class_weight, multi_class)`, `(max_iter, tol)` and the link — and
    /// whether more than two classes get the multinomial fit.
    pub(crate) fn parse(
        (penalty, c, l1_ratio): (&str, f64, f64),
        solver: &str,
        (fit_intercept, class_weight, multi_class): (bool, &str, &str),
        (max_iter, tol): (usize, f64),
        link: &str,
        n_classes: usize,
    ) -> PyResult<(Settings, bool)> {
        let settings = Settings {
            link: self::link(link)?,
            penalty: Penalty::from_sklearn_c(penalty, c, l1_ratio).or_value_error()?,
            solver: self::solver(solver, max_iter)?,
            class_weight: self::class_weight(class_weight)?,
            intercept: fit_intercept,
            max_iter,
            tol,
        };
        let multinomial = match multi_class {
            "auto" | "multinomial" => true,
            "ovr" => false,
            other => {
                let msg =
                    format!("multi_class = {other:?}: expected 'auto', 'multinomial' or 'ovr'");
                return Err(value_error(msg));
            }
        };
        if n_classes < 2 {
            return Err(value_error(format!(
                "the outcome needs at least two classes, got {n_classes}"
            )));
        }
        Ok((settings, multinomial))
    }

    /// The binary fit's options on an `n × p` design; 'auto' resolved for the estimator: Newton
    /// while `n p²` (the work of one Hessian) is at most [`NEWTON_WORK`], else L-BFGS (one pass
    /// over X per evaluation, no Hessian); coordinate descent for L1 as the library decides.
    fn binary(&self, n: usize, p: usize) -> BinaryOptions {
        let large = (n as f64) * (p as f64).powi(2) > NEWTON_WORK;
        let solver = match self.solver {
            Solver::Auto if large && !self.penalty.has_l1() => {
                Solver::Lbfgs { memory: 10, max_iter: self.max_iter }
            }
            other => other,
        };
        BinaryOptions {
            link: self.link,
            penalty: self.penalty,
            solver,
            class_weight: self.class_weight,
            intercept: self.intercept.then_some(0),
            max_iter: self.max_iter,
            tol: self.tol,
        }
    }
}

/// The column names the library's messages use: `Intercept`, `x0`, `x1`, ...
fn column_names(p: usize, intercept: bool) -> Vec<String> {
    let features = (0..p - usize::from(intercept)).map(|j| format!("x{j}"));
    (intercept.then(|| "Intercept".to_owned()).into_iter()).chain(features).collect()
}

/// Splits `b` (intercept first when there is one) into coefficients and intercept.
fn split(b: &[f64], intercept: bool) -> (&[f64], f64) {
    if intercept {
        (&b[1..], b[0])
    } else {
        (b, 0.0)
    }
}

/// One binary fit of `y ∈ {0, 1}`.
fn fit_one(
    x: MatRef<'_, f64>,
    y: &[f64],
    weights: Option<&[f64]>,
    s: &Settings,
) -> axon::Result<axon::linear::BinaryFit> {
    let names = column_names(x.ncols(), s.intercept);
    let mut data = BinaryData::new(x, y, &names)?;
    if let Some(w) = weights {
        data = data.with_weights(w)?;
    }
    fit_binary_estimate(&data, &s.binary(x.nrows(), x.ncols()))
}

fn fit_two(
    x: MatRef<'_, f64>,
    y: &[usize],
    weights: Option<&[f64]>,
    s: &Settings,
) -> axon::Result<Fitted> {
    let yf: Vec<f64> = y.iter().map(|&c| c as f64).collect();
    let fit = fit_one(x, &yf, weights, s)?;
    let (coef, b0) = split(&fit.coefficients, s.intercept);
    Ok(Fitted {
        coef: Mat::from_fn(1, coef.len(), |_, j| coef[j]),
        intercept: vec![b0],
        n_iter: vec![fit.iterations],
        converged: fit.converged,
        warnings: fit.warning.into_iter().collect(),
    })
}

fn fit_ovr(
    x: MatRef<'_, f64>,
    y: &[usize],
    k: usize,
    weights: Option<&[f64]>,
    s: &Settings,
) -> axon::Result<Fitted> {
    let p = x.ncols() - usize::from(s.intercept);
    let mut out = Fitted {
        coef: Mat::zeros(k, p),
        intercept: vec![0.0; k],
        n_iter: Vec::with_capacity(k),
        converged: true,
        warnings: Vec::new(),
    };
    for class in 0..k {
        let yk: Vec<f64> = y.iter().map(|&c| f64::from(c == class)).collect();
        let fit = fit_one(x, &yk, weights, s).map_err(|e| {
            let reason = format!("class {class} against the rest: {e}");
            axon::Error::invalid("y", class, reason)
        })?;
        let (coef, b0) = split(&fit.coefficients, s.intercept);
        coef.iter().enumerate().for_each(|(j, &b)| out.coef[(class, j)] = b);
        out.intercept[class] = b0;
        out.n_iter.push(fit.iterations);
        out.converged &= fit.converged;
        out.warnings.extend(fit.warning.map(|w| format!("class {class}: {w}")));
    }
    Ok(out)
}

fn fit_multinomial(
    x: MatRef<'_, f64>,
    y: &[usize],
    weights: Option<&[f64]>,
    s: &Settings,
) -> axon::Result<Fitted> {
    let names = column_names(x.ncols(), s.intercept);
    let mut data = MultinomialData::new(x, y, &names)?;
    if let Some(w) = weights {
        data = data.with_weights(w)?;
    }
    let max_iter = match s.solver {
        Solver::Auto | Solver::Lbfgs { .. } => s.max_iter,
        other => {
            let reason = "the multinomial fit runs L-BFGS: use 'auto' or 'lbfgs', or \
                          multi_class='ovr'";
            return Err(axon::Error::invalid("solver", other.name(), reason));
        }
    };
    let opts = SoftmaxOptions {
        class_weight: s.class_weight,
        max_iter,
        tol: s.tol,
        ..SoftmaxOptions::new(s.penalty, s.intercept.then_some(0))
    };
    let fit = fit_softmax(&data, &opts)?;
    // `W` is `p × K` with the intercept in row 0.
    let w = fit.coefficients.as_ref();
    let shift = usize::from(s.intercept);
    let (p, k) = (w.nrows() - shift, w.ncols());
    Ok(Fitted {
        coef: Mat::from_fn(k, p, |c, j| w[(j + shift, c)]),
        intercept: (0..k).map(|c| if s.intercept { w[(0, c)] } else { 0.0 }).collect(),
        n_iter: vec![fit.iterations],
        converged: fit.converged,
        warnings: fit.warning.into_iter().collect(),
    })
}

/// Fits `LogisticRegression` on `x` `(n, p)` (float64/float32) and class indices `y` `0..K`.
///
/// Returns a dict with `coef` `(K', p)`, `intercept` `(K',)`, `n_iter` (one per fit),
/// `converged` and `warnings`; `K' = 1` for two classes.
#[pyfunction]
#[pyo3(signature = (
    x, y, n_classes, *, penalty, c, l1_ratio, solver, fit_intercept, class_weight, multi_class,
    max_iter, tol, sample_weight=None, link="logit"
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_logistic<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    n_classes: usize,
    penalty: &str,
    c: f64,
    l1_ratio: f64,
    solver: &str,
    fit_intercept: bool,
    class_weight: &str,
    multi_class: &str,
    max_iter: usize,
    tol: f64,
    sample_weight: Option<&Bound<'py, PyAny>>,
    link: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let x = Floats::extract(x, "X")?;
    let y = labels(y, "y")?;
    let (n, _) = x.shape();
    if y.len() != n {
        return Err(value_error(format!("y has {} values for {n} rows of X", y.len())));
    }
    if let Some(&bad) = y.iter().find(|&&c| c >= n_classes) {
        return Err(value_error(format!("y holds class {bad}, but n_classes = {n_classes}")));
    }
    let weights = sample_weight.map(|w| vector(w, "sample_weight")).transpose()?;
    let weights: Option<Vec<f64>> = weights.map(|w| w.as_array().to_vec());
    let (settings, multinomial) = Settings::parse(
        (penalty, c, l1_ratio),
        solver,
        (fit_intercept, class_weight, multi_class),
        (max_iter, tol),
        link,
        n_classes,
    )?;
    let design = x.design(fit_intercept);
    let xm = design.as_ref();
    let w = weights.as_deref();
    let fitted = detach_interruptible(py, || match n_classes {
        2 => fit_two(xm, &y, w, &settings),
        _ if multinomial => fit_multinomial(xm, &y, w, &settings),
        k => fit_ovr(xm, &y, k, w, &settings),
    })?;
    fitted.into_dict(py)
}

/// The scores of a linear model on `x` `(n, p)`: `η = x coefᵀ + intercept` `(n, K')`, and, by
/// `kind`, the class probabilities `(n, K)`: `logit`/`probit` (two classes, `K' = 1`),
/// `softmax`, or `ovr` (sigmoids normalised to sum to 1, as scikit-learn).
///
/// Returns `(decision, proba)`.
#[pyfunction]
pub fn linear_scores<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    coef: &Bound<'py, PyAny>,
    intercept: &Bound<'py, PyAny>,
    kind: &str,
) -> PyResult<(Matrix<'py>, Matrix<'py>)> {
    let x = Floats::extract(x, "X")?;
    let coef = Floats::extract(coef, "coef")?;
    let intercept = vector(intercept, "intercept")?;
    let (k, p) = coef.shape();
    let (_, d) = x.shape();
    if d != p {
        return Err(value_error(format!(
            "X has {d} features, but the model was fitted with {p} features"
        )));
    }
    let m = intercept.as_array().len();
    if m != k {
        return Err(value_error(format!("intercept has {m} values for {k} rows of coef")));
    }
    let b: Vec<f64> = intercept.as_array().to_vec();
    let (design, w) = (x.design(false), coef.design(false));
    let (xm, wm) = (design.as_ref(), w.as_ref());
    let (eta, proba) = py.detach(|| scores(xm, wm, &b, kind));
    let proba = proba.map_err(value_error)?;
    Ok((to_numpy(py, eta.as_ref()), to_numpy(py, proba.as_ref())))
}

/// `(η, P)` of [`linear_scores`].
fn scores(
    x: MatRef<'_, f64>,
    w: MatRef<'_, f64>,
    b: &[f64],
    kind: &str,
) -> (Mat<f64>, Result<Mat<f64>, String>) {
    let mut eta = x * w.transpose();
    for i in 0..eta.nrows() {
        (0..eta.ncols()).for_each(|c| eta[(i, c)] += b[c]);
    }
    let proba = probabilities(&eta, kind);
    (eta, proba)
}

/// The class probabilities `(n, K)` from the scores `η` `(n, K')` of a model of `kind`.
pub(crate) fn probabilities(eta: &Mat<f64>, kind: &str) -> Result<Mat<f64>, String> {
    let (n, k) = (eta.nrows(), eta.ncols());
    match kind {
        "logit" | "probit" if k == 1 => {
            let link = if kind == "logit" { Link::Logit } else { Link::Probit };
            Ok(Mat::from_fn(n, 2, |i, c| {
                let p1 = link.cdf(eta[(i, 0)]);
                if c == 1 {
                    p1
                } else {
                    link.cdf(-eta[(i, 0)])
                }
            }))
        }
        "softmax" => {
            let mut p = Mat::zeros(n, k);
            let mut row = vec![0.0; k];
            for i in 0..n {
                let z: Vec<f64> = (0..k).map(|c| eta[(i, c)]).collect();
                axon::ops::reduce::softmax_row(&z, &mut row);
                (0..k).for_each(|c| p[(i, c)] = row[c]);
            }
            Ok(p)
        }
        "ovr" => {
            let mut p = Mat::from_fn(n, k, |i, c| Link::Logit.cdf(eta[(i, c)]));
            for i in 0..n {
                let sum: f64 = (0..k).map(|c| p[(i, c)]).sum();
                if sum > 0.0 {
                    (0..k).for_each(|c| p[(i, c)] /= sum);
                }
            }
            Ok(p)
        }
        other => Err(format!(
            "kind = {other:?} with {k} score columns: expected 'logit' or 'probit' (one column), \
             'softmax' or 'ovr'"
        )),
    }
}
