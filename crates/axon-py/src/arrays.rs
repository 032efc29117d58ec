//! NumPy arrays in and out: a 2-D float array (f64 or f32, C or Fortran order, any strides)
//! seen as a faer matrix without a copy where the layout allows it (f64, no column to add), and
//! copied once otherwise (f32 widened, or the intercept's column of ones put in front); 1-D
//! vectors of labels and weights; results back as new NumPy arrays. Anything else (a list, a
//! 3-D array, strings, objects) is a `ValueError` naming the argument.

use faer::{Mat, MatRef};
use numpy::ndarray::{Array2, ArrayView2};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A borrowed 2-D float array, read-only while it is held.
pub enum Floats<'py> {
    F64(PyReadonlyArray2<'py, f64>),
    F32(PyReadonlyArray2<'py, f32>),
}

/// What an argument is, for messages: `a 3-D float64 array`, `list`.
fn describe(obj: &Bound<'_, PyAny>) -> String {
    match obj.cast::<PyUntypedArray>() {
        Ok(a) => format!("a {}-D {} array", a.ndim(), a.dtype()),
        Err(_) => obj.get_type().name().map_or_else(|_| "an object".into(), |n| n.to_string()),
    }
}

impl<'py> Floats<'py> {
    /// `obj` as a 2-D float64 or float32 array, or a `ValueError` naming `name`.
    pub fn extract(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Floats<'py>> {
        let wrong = || {
            PyValueError::new_err(format!(
                "{name} must be a 2-D float64 or float32 NumPy array (n_samples, n_features), \
                 got {}",
                describe(obj)
            ))
        };
        let array = obj.cast::<PyUntypedArray>().map_err(|_| wrong())?;
        if array.ndim() != 2 {
            return Err(wrong());
        }
        if let Ok(a) = obj.cast::<PyArray2<f64>>() {
            return Ok(Floats::F64(a.try_readonly().map_err(|e| borrowed(name, e))?));
        }
        if let Ok(a) = obj.cast::<PyArray2<f32>>() {
            return Ok(Floats::F32(a.try_readonly().map_err(|e| borrowed(name, e))?));
        }
        Err(wrong())
    }

    /// `(rows, columns)`.
    pub fn shape(&self) -> (usize, usize) {
        match self {
            Floats::F64(a) => a.as_array().dim(),
            Floats::F32(a) => a.as_array().dim(),
        }
    }

    /// The matrix, with a leading column of ones when `intercept`: a view of the array itself
    /// when it holds f64 and no column is added, a copy otherwise.
    pub fn design(&self, intercept: bool) -> Design<'_> {
        match self {
            Floats::F64(a) if !intercept => Design::Borrowed(view(a.as_array())),
            Floats::F64(a) => Design::Owned(copy(a.as_array(), intercept, |v| v)),
            Floats::F32(a) => Design::Owned(copy(a.as_array(), intercept, f64::from)),
        }
    }
}

fn borrowed(name: &str, e: numpy::BorrowError) -> PyErr {
    PyValueError::new_err(format!("{name} cannot be read: {e}"))
}

/// `a` as a faer matrix over the same memory, with NumPy's strides (negative ones included).
fn view(a: ArrayView2<'_, f64>) -> MatRef<'_, f64> {
    let (n, p) = a.dim();
    let strides = a.strides();
    // SAFETY: the pointer, dimensions and element strides are those of a live ndarray view of
    // `n × p` initialised f64s, which the returned reference borrows for its lifetime; the
    // NumPy array is borrowed read-only (`PyReadonlyArray2`) for at least as long, so Rust
    // code writes nothing to it meanwhile.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), n, p, strides[0], strides[1]) }
}

/// `a` as an owned column-major f64 matrix, after a column of ones when `intercept`.
fn copy<T: Copy>(a: ArrayView2<'_, T>, intercept: bool, to_f64: impl Fn(T) -> f64) -> Mat<f64> {
    let (n, p) = a.dim();
    let shift = usize::from(intercept);
    Mat::from_fn(n, p + shift, |i, j| if j < shift { 1.0 } else { to_f64(a[(i, j - shift)]) })
}

/// A design matrix borrowed from NumPy or built here.
pub enum Design<'a> {
    Borrowed(MatRef<'a, f64>),
    Owned(Mat<f64>),
}

impl Design<'_> {
    pub fn as_ref(&self) -> MatRef<'_, f64> {
        match self {
            Design::Borrowed(m) => *m,
            Design::Owned(m) => m.as_ref(),
        }
    }
}

/// A 1-D float64 array, or a `ValueError` naming `name`.
pub fn vector<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<PyReadonlyArray1<'py, f64>> {
    let a = obj.cast::<PyArray1<f64>>().map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a 1-D float64 NumPy array, got {}",
            describe(obj)
        ))
    })?;
    a.try_readonly().map_err(|e| borrowed(name, e))
}

/// A 1-D int64 array of class indices `0..K`, or a `ValueError` naming `name`.
pub fn labels(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<usize>> {
    let a = obj.cast::<PyArray1<i64>>().map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a 1-D int64 NumPy array of class indices, got {}",
            describe(obj)
        ))
    })?;
    let a = a.try_readonly().map_err(|e| borrowed(name, e))?;
    a.as_array()
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            usize::try_from(v).map_err(|_| {
                PyValueError::new_err(format!("{name}[{i}] = {v}: class indices must be ≥ 0"))
            })
        })
        .collect()
}

/// A faer matrix as a new `(rows, columns)` NumPy array.
pub fn to_numpy<'py>(py: Python<'py>, m: MatRef<'_, f64>) -> Bound<'py, PyArray2<f64>> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)]).into_pyarray(py)
}

/// A vector as a new 1-D NumPy array.
pub fn to_numpy1<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_vec(py, v)
}

/// `flat`, rows of `ncols` values one after another, as a new 2-D NumPy array.
pub fn rows_to_numpy<'py>(
    py: Python<'py>,
    flat: Vec<f64>,
    ncols: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let nrows = flat.len().checked_div(ncols).unwrap_or(0);
    let a = Array2::from_shape_vec((nrows, ncols), flat)
        .map_err(|e| PyValueError::new_err(format!("internal shape error: {e}")))?;
    Ok(a.into_pyarray(py))
}
