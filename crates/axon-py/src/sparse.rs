//! `scipy.sparse` input for `LogisticRegression`, never densified: the Python layer hands over
//! a CSR matrix's three arrays (`data` float64, `indices` and `indptr` int64), which become the
//! library's [`Csr`]; the fits are the library's sparse ones — the L2 (or unpenalised) logit by
//! TRON or L-BFGS, L1 and elastic net by newGLMNET, the multinomial logit by L-BFGS, and one
//! binary fit per class for one-vs-rest — and the scores of a fitted model on sparse rows.

use axon::linear::{
    balanced_class_weights, compose_class_weights, fit_sparse_l1, fit_sparse_logit,
    fit_sparse_softmax, ClassWeight, Solver, SparseL1Options, SparseLogitFit, SparseLogitOptions,
    SparseSolver,
};
use axon::sparse::Csr;
use faer::Mat;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays::{labels, to_numpy, vector, Floats};
use crate::errors::value_error;
use crate::interrupt::detach_interruptible;
use crate::logistic::{probabilities, Fitted, Settings};

/// A float64 matrix handed to Python.
type Matrix<'py> = Bound<'py, numpy::PyArray2<f64>>;

/// A 1-D int64 array copied out, or a `ValueError` naming `name`.
fn integers(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<i64>> {
    let a = obj.cast::<PyArray1<i64>>().map_err(|_| {
        value_error(format!("{name} must be a 1-D int64 NumPy array (scipy's CSR {name})"))
    })?;
    let a = a.try_readonly().map_err(|e| value_error(format!("{name} cannot be read: {e}")))?;
    Ok(a.as_array().to_vec())
}

/// The CSR matrix `(data, indices, indptr)` with `n_cols` columns, checked (finite values,
/// indices in range and increasing within each row).
fn csr(
    data: &Bound<'_, PyAny>,
    indices: &Bound<'_, PyAny>,
    indptr: &Bound<'_, PyAny>,
    n_cols: usize,
) -> PyResult<Csr> {
    let values = vector(data, "data")?.as_array().to_vec();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(value_error(format!("X holds a value that is not finite: {}", values[i])));
    }
    let column = |v: i64| u32::try_from(v).ok().filter(|&j| (j as usize) < n_cols);
    let indices = integers(indices, "indices")?
        .into_iter()
        .map(|v| column(v).ok_or_else(|| value_error(format!("X has column index {v}"))))
        .collect::<PyResult<Vec<u32>>>()?;
    let indptr = integers(indptr, "indptr")?
        .into_iter()
        .map(|v| usize::try_from(v).map_err(|_| value_error(format!("X has indptr {v}"))))
        .collect::<PyResult<Vec<usize>>>()?;
    Csr::new(n_cols, indptr, indices, values).map_err(|e| value_error(e.to_string()))
}

/// The row weights of one binary problem `y01`: the sample weights, times the balanced class
/// weights when asked for (computed on `y01`, as the dense one-vs-rest does).
fn binary_weights(y01: &[f64], weights: Option<&[f64]>, cw: ClassWeight) -> Option<Vec<f64>> {
    match cw {
        ClassWeight::None => weights.map(<[f64]>::to_vec),
        ClassWeight::Balanced => {
            let labels: Vec<usize> = y01.iter().map(|&v| usize::from(v > 0.5)).collect();
            let mut counts = [0usize; 2];
            labels.iter().for_each(|&k| counts[k] += 1);
            Some(compose_class_weights(&labels, weights, &balanced_class_weights(&counts)))
        }
    }
}

/// One binary fit of `y01` on `x` with the settings' penalty and solver.
fn fit_binary(
    x: &Csr,
    y01: &[f64],
    weights: Option<&[f64]>,
    s: &Settings,
) -> axon::Result<SparseLogitFit> {
    let w = binary_weights(y01, weights, s.class_weight);
    let (l1, l2) = (s.penalty.l1(), s.penalty.l2());
    if l1 > 0.0 {
        if !matches!(s.solver, Solver::Auto | Solver::CoordinateDescent { .. }) {
            let reason = "an L1 or elastic-net penalty on sparse X is fitted by coordinate \
                          descent: use 'auto' or 'coordinate_descent'";
            return Err(axon::Error::invalid("solver", s.solver.name(), reason));
        }
        let opts = SparseL1Options {
            alpha: l1 + l2,
            l1_ratio: l1 / (l1 + l2),
            fit_intercept: s.intercept,
            tol: s.tol,
            max_iter: s.max_iter,
        };
        return fit_sparse_l1(x, y01, w.as_deref(), &opts);
    }
    fit_sparse_logit(x, y01, w.as_deref(), &smooth_options(s)?)
}

/// The options of an L2 (or unpenalised) sparse fit: TRON for 'auto' and Newton, or L-BFGS.
fn smooth_options(s: &Settings) -> axon::Result<SparseLogitOptions> {
    let solver = match s.solver {
        Solver::Auto | Solver::Newton => SparseSolver::Tron,
        Solver::Lbfgs { .. } => SparseSolver::Lbfgs,
        other => {
            let reason = "an L2 or no penalty on sparse X is fitted by 'auto' or 'newton' \
                          (trust-region Newton) or 'lbfgs'";
            return Err(axon::Error::invalid("solver", other.name(), reason));
        }
    };
    Ok(SparseLogitOptions {
        alpha: s.penalty.l2(),
        fit_intercept: s.intercept,
        solver,
        tol: s.tol,
        max_iter: s.max_iter,
    })
}

/// One fit per class against the rest (or the one fit of two classes), stacked.
fn fit_per_class(
    x: &Csr,
    y: &[usize],
    classes: &[usize],
    weights: Option<&[f64]>,
    s: &Settings,
) -> axon::Result<Fitted> {
    let p = x.n_cols();
    let mut out = Fitted {
        coef: Mat::zeros(classes.len(), p),
        intercept: Vec::with_capacity(classes.len()),
        n_iter: Vec::with_capacity(classes.len()),
        converged: true,
        warnings: Vec::new(),
    };
    for (row, &class) in classes.iter().enumerate() {
        let y01: Vec<f64> = y.iter().map(|&c| f64::from(c == class)).collect();
        let fit = fit_binary(x, &y01, weights, s).map_err(|e| {
            let reason = format!("class {class} against the rest: {e}");
            axon::Error::invalid("y", class, reason)
        })?;
        fit.coef.iter().enumerate().for_each(|(j, &b)| out.coef[(row, j)] = b);
        out.intercept.push(fit.intercept);
        out.n_iter.push(fit.iterations);
        out.converged &= fit.converged;
        if !fit.converged {
            out.warnings.push(format!(
                "class {class}: the sparse fit stopped after {} iterations without converging \
                 (gradient norm {:.3e}); raise max_iter",
                fit.iterations, fit.gradient_norm
            ));
        }
    }
    Ok(out)
}

/// The multinomial logit on sparse `x` by L-BFGS.
fn fit_softmax(
    x: &Csr,
    y: &[usize],
    k: usize,
    weights: Option<&[f64]>,
    s: &Settings,
) -> axon::Result<Fitted> {
    if s.penalty.has_l1() {
        let reason = "the multinomial fit takes an L2 or no penalty; use multi_class='ovr'";
        return Err(axon::Error::invalid("penalty", format!("{:?}", s.penalty), reason));
    }
    if !matches!(s.solver, Solver::Auto | Solver::Lbfgs { .. }) {
        let reason = "the multinomial fit runs L-BFGS: use 'auto' or 'lbfgs', or \
                      multi_class='ovr'";
        return Err(axon::Error::invalid("solver", s.solver.name(), reason));
    }
    let opts = SparseLogitOptions { solver: SparseSolver::Lbfgs, ..smooth_options(s)? };
    // Balanced class weights from the classes' row counts, as the dense softmax computes them.
    let composed = (s.class_weight == ClassWeight::Balanced).then(|| {
        let mut counts = vec![0usize; k];
        y.iter().for_each(|&c| counts[c] += 1);
        compose_class_weights(y, weights, &balanced_class_weights(&counts))
    });
    let fit = fit_sparse_softmax(x, y, k, composed.as_deref().or(weights), &opts)?;
    let p = x.n_cols();
    let warnings = (!fit.converged)
        .then(|| {
            format!(
                "L-BFGS stopped after {} iterations without converging; raise max_iter",
                fit.iterations
            )
        })
        .into_iter()
        .collect();
    Ok(Fitted {
        coef: Mat::from_fn(k, p, |c, j| fit.coef[c * p + j]),
        intercept: fit.intercept,
        n_iter: vec![fit.iterations],
        converged: fit.converged,
        warnings,
    })
}

/// Fits `LogisticRegression` on the CSR matrix `(data, indices, indptr)` with `n_features`
/// columns and class indices `y` `0..K`; the same settings and result as `fit_logistic`.
#[pyfunction]
#[pyo3(signature = (
    data, indices, indptr, n_features, y, n_classes, *, penalty, c, l1_ratio, solver,
    fit_intercept, class_weight, multi_class, max_iter, tol, sample_weight=None
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_logistic_sparse<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    indices: &Bound<'py, PyAny>,
    indptr: &Bound<'py, PyAny>,
    n_features: usize,
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
) -> PyResult<Bound<'py, PyDict>> {
    let x = csr(data, indices, indptr, n_features)?;
    let y = labels(y, "y")?;
    if y.len() != x.n_rows() {
        return Err(value_error(format!("y has {} values for {} rows of X", y.len(), x.n_rows())));
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
        "logit",
        n_classes,
    )?;
    let w = weights.as_deref();
    let fitted = detach_interruptible(py, || match n_classes {
        2 => fit_per_class(&x, &y, &[1], w, &settings),
        k if multinomial => fit_softmax(&x, &y, k, w, &settings),
        k => fit_per_class(&x, &y, &(0..k).collect::<Vec<_>>(), w, &settings),
    })?;
    fitted.into_dict(py)
}

/// The scores of a linear model on the CSR rows `(data, indices, indptr)`: `(decision, proba)`
/// as `linear_scores` gives them for dense rows.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn linear_scores_sparse<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    indices: &Bound<'py, PyAny>,
    indptr: &Bound<'py, PyAny>,
    n_features: usize,
    coef: &Bound<'py, PyAny>,
    intercept: &Bound<'py, PyAny>,
    kind: &str,
) -> PyResult<(Matrix<'py>, Matrix<'py>)> {
    let x = csr(data, indices, indptr, n_features)?;
    let coef = Floats::extract(coef, "coef")?;
    let intercept = vector(intercept, "intercept")?.as_array().to_vec();
    let (k, p) = coef.shape();
    if n_features != p {
        return Err(value_error(format!(
            "X has {n_features} features, but the model was fitted with {p} features"
        )));
    }
    if intercept.len() != k {
        return Err(value_error(format!(
            "intercept has {} values for {k} rows of coef",
            intercept.len()
        )));
    }
    let design = coef.design(false);
    let w = design.as_ref();
    // `X Wᵀ` with `Wᵀ` `p × K` row-major.
    let wt: Vec<f64> =
        (0..p).flat_map(|j| (0..k).map(move |c| (j, c))).map(|(j, c)| w[(c, j)]).collect();
    let (eta, proba) = py.detach(|| {
        let flat = x.mul_dense(&wt, k);
        let eta = Mat::from_fn(x.n_rows(), k, |i, c| flat[i * k + c] + intercept[c]);
        let proba = probabilities(&eta, kind);
        (eta, proba)
    });
    let proba = proba.map_err(value_error)?;
    Ok((to_numpy(py, eta.as_ref()), to_numpy(py, proba.as_ref())))
}
