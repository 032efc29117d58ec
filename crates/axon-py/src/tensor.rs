//! `axon.Tensor`: the engine's tensor from Python, enough for the lectures' gradient-descent
//! loop: made from a NumPy array (float64 or float32, any shape) with `requires_grad`, the
//! element-wise ops and operators (with Python numbers too), `@`, reductions, `backward()`
//! returning the gradients by tensor, and `numpy()` back.

use axon::{DType, GradStore, Tensor as Engine};
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;

use crate::errors::{value_error, OrValueError};

/// A tensor of the engine (float64 or float32), recording the ops that made it.
#[pyclass(module = "axon._axon", name = "Tensor", unsendable, from_py_object)]
#[derive(Clone)]
pub struct Tensor {
    inner: Engine,
}

/// The gradients `backward()` computed, looked up by the tensor: `grads[w]`.
#[pyclass(module = "axon._axon", name = "Gradients", unsendable)]
pub struct Gradients {
    store: GradStore,
}

fn wrap(t: axon::Result<Engine>) -> PyResult<Tensor> {
    t.map(|inner| Tensor { inner }).or_value_error()
}

/// An operand: a tensor or a Python number.
#[derive(FromPyObject)]
pub enum Operand {
    Tensor(Tensor),
    Number(f64),
}

/// A reduction's `axis`: one axis or a list of them.
#[derive(FromPyObject)]
pub enum AxisArg {
    One(usize),
    Many(Vec<usize>),
}

/// A NumPy array (or anything `numpy.asarray` takes) as an engine tensor.
fn from_numpy(obj: &Bound<'_, PyAny>) -> PyResult<Engine> {
    let py = obj.py();
    let array = if obj.cast::<PyArrayDyn<f64>>().is_ok() || obj.cast::<PyArrayDyn<f32>>().is_ok() {
        obj.clone()
    } else {
        let np = py.import("numpy")?;
        np.call_method1("asarray", (obj, "float64")).map_err(|e| {
            value_error(format!("a Tensor is made from float64 or float32 numbers: {e}"))
        })?
    };
    if let Ok(a) = array.cast::<PyArrayDyn<f64>>() {
        let a = a.try_readonly().map_err(|e| value_error(e.to_string()))?;
        let view = a.as_array();
        return Engine::from_vec(view.iter().copied().collect::<Vec<f64>>(), view.shape().to_vec())
            .or_value_error();
    }
    if let Ok(a) = array.cast::<PyArrayDyn<f32>>() {
        let a = a.try_readonly().map_err(|e| value_error(e.to_string()))?;
        let view = a.as_array();
        return Engine::from_vec(view.iter().copied().collect::<Vec<f32>>(), view.shape().to_vec())
            .or_value_error();
    }
    Err(value_error("a Tensor is made from a float64 or float32 NumPy array"))
}

impl Tensor {
    fn binary(
        &self,
        other: Operand,
        tensors: fn(&Engine, &Engine) -> axon::Result<Engine>,
        number: impl Fn(&Engine, f64) -> axon::Result<Engine>,
    ) -> PyResult<Tensor> {
        match other {
            Operand::Tensor(t) => wrap(tensors(&self.inner, &t.inner)),
            Operand::Number(c) => wrap(number(&self.inner, c)),
        }
    }

    fn axes(&self, axis: Option<AxisArg>) -> Vec<usize> {
        match axis {
            None => (0..self.inner.rank()).collect(),
            Some(AxisArg::One(a)) => vec![a],
            Some(AxisArg::Many(v)) => v,
        }
    }
}

#[pymethods]
impl Tensor {
    /// `Tensor(array, requires_grad=False)`: the values of a float64/float32 array.
    #[new]
    #[pyo3(signature = (data, requires_grad=false))]
    fn new(data: &Bound<'_, PyAny>, requires_grad: bool) -> PyResult<Tensor> {
        let inner = from_numpy(data)?;
        Ok(Tensor { inner: if requires_grad { inner.requires_grad() } else { inner } })
    }

    /// The values as a new NumPy array.
    fn numpy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shape = IxDyn(self.inner.dims());
        let shape_error = |e: numpy::ndarray::ShapeError| value_error(e.to_string());
        Ok(match self.inner.dtype() {
            DType::F32 => {
                let v = self.inner.to_vec::<f32>().or_value_error()?;
                ArrayD::from_shape_vec(shape, v).map_err(shape_error)?.into_pyarray(py).into_any()
            }
            _ => {
                let v = self.inner.to_f64_vec();
                ArrayD::from_shape_vec(shape, v).map_err(shape_error)?.into_pyarray(py).into_any()
            }
        })
    }

    /// The value of a one-element tensor.
    fn item(&self) -> PyResult<f64> {
        self.inner.item().or_value_error()
    }

    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.inner.dims().to_vec()
    }

    #[getter]
    fn dtype(&self) -> &'static str {
        match self.inner.dtype() {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
        }
    }

    /// Whether this is a leaf whose gradient `backward()` computes.
    #[getter]
    fn requires_grad(&self) -> bool {
        self.inner.is_leaf_param()
    }

    /// The same values cut from the graph.
    fn detach(&self) -> Tensor {
        Tensor { inner: self.inner.detach() }
    }

    /// The gradients of this one-element tensor with respect to every tracked tensor.
    fn backward(&self) -> PyResult<Gradients> {
        Ok(Gradients { store: self.inner.backward().or_value_error()? })
    }

    fn __add__(&self, other: Operand) -> PyResult<Tensor> {
        self.binary(other, Engine::add, Engine::add_scalar)
    }

    fn __radd__(&self, other: Operand) -> PyResult<Tensor> {
        self.__add__(other)
    }

    fn __sub__(&self, other: Operand) -> PyResult<Tensor> {
        self.binary(other, Engine::sub, Engine::sub_scalar)
    }

    fn __rsub__(&self, other: Operand) -> PyResult<Tensor> {
        self.binary(other, |a, b| b.sub(a), |a, c| a.affine(-1.0, c))
    }

    fn __mul__(&self, other: Operand) -> PyResult<Tensor> {
        self.binary(other, Engine::mul, Engine::mul_scalar)
    }

    fn __rmul__(&self, other: Operand) -> PyResult<Tensor> {
        self.__mul__(other)
    }

    fn __truediv__(&self, other: Operand) -> PyResult<Tensor> {
        self.binary(other, Engine::div, Engine::div_scalar)
    }

    fn __rtruediv__(&self, other: Operand) -> PyResult<Tensor> {
        self.binary(other, |a, b| b.div(a), |a, c| a.powf(-1.0)?.mul_scalar(c))
    }

    fn __pow__(&self, exponent: f64, _modulo: Option<Py<PyAny>>) -> PyResult<Tensor> {
        wrap(self.inner.powf(exponent))
    }

    fn __neg__(&self) -> PyResult<Tensor> {
        wrap(self.inner.neg())
    }

    fn __matmul__(&self, other: Tensor) -> PyResult<Tensor> {
        wrap(self.inner.matmul(&other.inner))
    }

    fn exp(&self) -> PyResult<Tensor> {
        wrap(self.inner.exp())
    }

    fn log(&self) -> PyResult<Tensor> {
        wrap(self.inner.log())
    }

    fn sqrt(&self) -> PyResult<Tensor> {
        wrap(self.inner.sqrt())
    }

    fn abs(&self) -> PyResult<Tensor> {
        wrap(self.inner.abs())
    }

    fn sigmoid(&self) -> PyResult<Tensor> {
        wrap(self.inner.sigmoid())
    }

    fn tanh(&self) -> PyResult<Tensor> {
        wrap(self.inner.tanh())
    }

    fn relu(&self) -> PyResult<Tensor> {
        wrap(self.inner.relu())
    }

    /// The matrix transpose (the last two axes swapped).
    #[getter(T)]
    fn transposed(&self) -> PyResult<Tensor> {
        wrap(self.inner.t())
    }

    /// The sum over `axis` (an axis or a list of them; all when None).
    #[pyo3(signature = (axis=None, keepdims=false))]
    fn sum(&self, axis: Option<AxisArg>, keepdims: bool) -> PyResult<Tensor> {
        wrap(self.inner.sum(self.axes(axis), keepdims))
    }

    /// The mean over `axis` (an axis or a list of them; all when None).
    #[pyo3(signature = (axis=None, keepdims=false))]
    fn mean(&self, axis: Option<AxisArg>, keepdims: bool) -> PyResult<Tensor> {
        wrap(self.inner.mean(self.axes(axis), keepdims))
    }

    fn softmax(&self, axis: usize) -> PyResult<Tensor> {
        wrap(self.inner.softmax(axis))
    }

    fn log_softmax(&self, axis: usize) -> PyResult<Tensor> {
        wrap(self.inner.log_softmax(axis))
    }

    fn __repr__(&self) -> String {
        format!("axon.Tensor(shape={:?}, dtype={})", self.inner.dims(), self.dtype())
    }
}

#[pymethods]
impl Gradients {
    /// `∂loss/∂t`.
    fn __getitem__(&self, t: PyRef<'_, Tensor>) -> PyResult<Tensor> {
        match self.store.get(&t.inner) {
            Some(g) => Ok(Tensor { inner: g.clone() }),
            None => Err(PyKeyError::new_err("no gradient: the tensor took no part in the loss")),
        }
    }

    fn __contains__(&self, t: PyRef<'_, Tensor>) -> bool {
        self.store.get(&t.inner).is_some()
    }

    fn __len__(&self) -> usize {
        self.store.len()
    }
}
