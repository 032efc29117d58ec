//! Activation modules: elementwise nonlinearities `y_i = f(x_i)` of any shape (Sigmoid, Tanh,
//! ReLU, LeakyReLU, ELU, GELU, Softplus), the normalisers Softmax and LogSoftmax along an axis,
//! Maxout (`y_j = max_{0≤r<k} x_{jk+r}` over the last axis: `(…, F)` → `(…, F/k)`), and the
//! threshold (step) neuron of the lectures' AND/OR examples.
//!
//! The kernels and their gradients are the tensor methods of the same names; these wrappers only
//! give them the [`Module`] interface and PyTorch's descriptions. The step function is **not
//! differentiable**: its output is a constant 0/1 mask that records no graph, so no gradient flows
//! through it (training a threshold neuron is the perceptron rule's job, not backprop's).

use super::module::Module;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

macro_rules! elementwise {
    ($(#[$doc:meta])* $name:ident, $method:ident, $repr:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                x.$method()
            }

            fn is_relu(&self) -> bool {
                stringify!($name) == "ReLU"
            }

            fn describe(&self) -> String {
                $repr.into()
            }
        }
    };
}

elementwise!(
    /// `σ(x) = 1 / (1 + e^−x)`.
    Sigmoid, sigmoid, "Sigmoid()");
elementwise!(
    /// `tanh x`.
    Tanh, tanh, "Tanh()");
elementwise!(
    /// `max(x, 0)`.
    ReLU, relu, "ReLU()");
elementwise!(
    /// `x Φ(x)` with the exact normal CDF (PyTorch's default, `approximate='none'`).
    GELU, gelu, "GELU(approximate='none')");
elementwise!(
    /// `log(1 + e^x)`, stable for any `x`.
    Softplus, softplus, "Softplus(beta=1.0, threshold=20.0)");

/// `x` for `x > 0`, `slope · x` otherwise.
#[derive(Debug, Clone, Copy)]
pub struct LeakyReLU {
    pub slope: f64,
}

impl LeakyReLU {
    pub fn new(slope: f64) -> LeakyReLU {
        LeakyReLU { slope }
    }
}

impl Default for LeakyReLU {
    /// PyTorch's default slope, 0.01.
    fn default() -> Self {
        LeakyReLU { slope: 0.01 }
    }
}

impl Module for LeakyReLU {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.leaky_relu(self.slope)
    }

    fn describe(&self) -> String {
        format!("LeakyReLU(negative_slope={:?})", self.slope)
    }
}

/// `x` for `x > 0`, `α (e^x − 1)` otherwise.
#[derive(Debug, Clone, Copy)]
pub struct ELU {
    pub alpha: f64,
}

impl ELU {
    pub fn new(alpha: f64) -> ELU {
        ELU { alpha }
    }
}

impl Default for ELU {
    fn default() -> Self {
        ELU { alpha: 1.0 }
    }
}

impl Module for ELU {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.elu(self.alpha)
    }

    fn describe(&self) -> String {
        format!("ELU(alpha={:?})", self.alpha)
    }
}

/// `e^x_i / Σ_j e^x_j` along `axis`.
#[derive(Debug, Clone, Copy)]
pub struct Softmax {
    pub axis: usize,
}

impl Softmax {
    pub fn new(axis: usize) -> Softmax {
        Softmax { axis }
    }
}

impl Module for Softmax {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.softmax(self.axis)
    }

    fn describe(&self) -> String {
        format!("Softmax(dim={})", self.axis)
    }
}

/// `x_i − log Σ_j e^x_j` along `axis`.
#[derive(Debug, Clone, Copy)]
pub struct LogSoftmax {
    pub axis: usize,
}

impl LogSoftmax {
    pub fn new(axis: usize) -> LogSoftmax {
        LogSoftmax { axis }
    }
}

impl Module for LogSoftmax {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.log_softmax(self.axis)
    }

    fn describe(&self) -> String {
        format!("LogSoftmax(dim={})", self.axis)
    }
}

/// Maxout with `k` pieces: the last axis of size `F` is cut into `F/k` groups of `k` consecutive
/// features, and each output is the largest of its group (a reshape and a max over an axis).
#[derive(Debug, Clone, Copy)]
pub struct Maxout {
    k: usize,
}

impl Maxout {
    /// Maxout over groups of `k ≥ 1` features.
    pub fn new(k: usize) -> Result<Maxout> {
        if k == 0 {
            return Err(Error::invalid("k", k, "maxout needs at least one piece"));
        }
        Ok(Maxout { k })
    }

    pub fn pieces(&self) -> usize {
        self.k
    }
}

impl Module for Maxout {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let f = x.dims().last().copied().unwrap_or(1);
        if x.rank() == 0 || f % self.k != 0 {
            let reason = format!("the last axis must be a multiple of k = {}", self.k);
            return Err(Error::invalid("x", x.shape(), reason));
        }
        let mut dims = x.dims().to_vec();
        *dims.last_mut().expect("rank checked above") = f / self.k;
        dims.push(self.k);
        let grouped = x.reshape(dims)?;
        grouped.max(grouped.rank() - 1, false)
    }

    fn describe(&self) -> String {
        format!("Maxout(pieces={})", self.k)
    }
}

/// The step function `y = 1` if `x ≥ threshold`, else `0`. Not differentiable: the output is a
/// constant mask that records no graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct Step {
    pub threshold: f64,
}

impl Module for Step {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !x.dtype().is_float() {
            return Err(Error::invalid("x", x.dtype(), "the step function needs a float tensor"));
        }
        x.ge(&Tensor::full(self.threshold, (), x.dtype()))
    }

    fn describe(&self) -> String {
        format!("Step(threshold={:?})", self.threshold)
    }
}

/// The lectures' threshold neuron (McCulloch–Pitts / perceptron unit) with fixed weights:
/// `y = 1` if `w·x + b ≥ 0`, else `0`, for an input `(N, d)`, giving `(N)`. It has no trainable
/// parameters, since the step has no useful gradient.
#[derive(Debug, Clone)]
pub struct ThresholdNeuron {
    weights: Vec<f64>,
    bias: f64,
}

impl ThresholdNeuron {
    pub fn new(weights: Vec<f64>, bias: f64) -> ThresholdNeuron {
        ThresholdNeuron { weights, bias }
    }

    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    pub fn bias(&self) -> f64 {
        self.bias
    }
}

impl Module for ThresholdNeuron {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let d = self.weights.len();
        if x.rank() != 2 || x.dims()[1] != d || !x.dtype().is_float() {
            let reason =
                format!("a threshold neuron with {d} weights takes a float (N, {d}) input");
            return Err(Error::invalid("x", x.shape(), reason));
        }
        let w = Tensor::from_vec(self.weights.clone(), [d])?.to_dtype(x.dtype())?;
        let z = x.matmul(&w)?.add_scalar(self.bias)?;
        Step::default().forward(&z)
    }

    fn describe(&self) -> String {
        format!("ThresholdNeuron(weights={:?}, bias={:?})", self.weights, self.bias)
    }
}
