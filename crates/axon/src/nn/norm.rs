//! Normalisation layers:
//!
//! - [`BatchNorm1d`] (input `(N, C)` or `(N, C, L)`) and [`BatchNorm2d`] (input `(N, C, H, W)`):
//!   `y = (x − μ_B) / √(σ²_B + ε) · γ + β` per channel, with `μ_B` and the biased `σ²_B` taken
//!   over every axis but the channel axis in training mode. Each training pass also updates the
//!   running estimates `r ← (1 − m) r + m s` with momentum `m = 0.1`, using the *unbiased*
//!   variance `σ²_B · n / (n − 1)` as PyTorch does; evaluation mode normalises with them instead.
//! - [`LayerNorm`]: the same normalisation over the trailing `normalized_shape` axes of each
//!   sample, with no running statistics, as one op ([`Tensor::layer_norm`]) whose forward and
//!   backward passes each take one row at a time.
//!
//! Running statistics are [`Buffer`]s, not trainable [`Param`]s: the optimizer never sees them,
//! and [`Module::buffers`] lists them by their `state_dict` names (`running_mean`, `running_var`,
//! and PyTorch's `i64` count `num_batches_tracked`)
//! so that model files and checkpoints save them beside the parameters.

use super::module::Module;
use super::param::{Buffer, Param};
use crate::error::{Error, Result};
use crate::tensor::{no_grad, DType, Tensor};

/// The momentum of the running statistics (PyTorch's default).
pub const BATCH_NORM_MOMENTUM: f64 = 0.1;

/// The shared state of [`BatchNorm1d`] and [`BatchNorm2d`].
struct BatchNorm {
    weight: Param,
    bias: Param,
    running_mean: Buffer,
    running_var: Buffer,
    /// Training-mode forward passes so far, an `i64` scalar as in PyTorch's `state_dict` (axon's
    /// fixed momentum does not read it; it is kept so that state dicts match PyTorch's).
    num_batches_tracked: Buffer,
    eps: f64,
    training: bool,
}

impl BatchNorm {
    fn new(channels: usize, dtype: DType) -> Result<BatchNorm> {
        if channels == 0 || !dtype.is_float() {
            return Err(Error::invalid("num_features", channels, "needs >= 1 float channels"));
        }
        Ok(BatchNorm {
            weight: Param::new("weight", Tensor::ones([channels], dtype)),
            bias: Param::new("bias", Tensor::zeros([channels], dtype)),
            running_mean: Buffer::new(Tensor::zeros([channels], dtype)),
            running_var: Buffer::new(Tensor::ones([channels], dtype)),
            num_batches_tracked: Buffer::new(Tensor::from_vec(vec![0i64], [0usize; 0])?),
            eps: 1e-5,
            training: true,
        })
    }

    fn channels(&self) -> usize {
        self.weight.numel()
    }

    /// Normalises `x` over `axes` with per-channel statistics broadcast as `stat_shape`.
    fn forward(&self, x: &Tensor, axes: Vec<usize>, stat_shape: Vec<usize>) -> Result<Tensor> {
        let (mean, var) = if self.training {
            let n: usize = axes.iter().map(|&a| x.dims()[a]).product();
            if n < 2 {
                return Err(Error::invalid(
                    "x",
                    x.shape(),
                    "batch norm needs > 1 value per channel",
                ));
            }
            let mean = x.mean(axes.clone(), true)?;
            let var = x.sub(&mean)?.square()?.mean(axes, true)?;
            self.update_running(&mean, &var, n)?;
            (mean, var)
        } else {
            let mean = self.running_mean.value().reshape(stat_shape.clone())?;
            (mean, self.running_var.value().reshape(stat_shape.clone())?)
        };
        let normalised = x.sub(&mean)?.div(&var.add_scalar(self.eps)?.sqrt()?)?;
        let gamma = self.weight.value().reshape(stat_shape.clone())?;
        normalised.mul(&gamma)?.add(&self.bias.value().reshape(stat_shape)?)
    }

    /// `r ← (1 − m) r + m s`, with the unbiased variance for the running variance.
    fn update_running(&self, mean: &Tensor, var: &Tensor, n: usize) -> Result<()> {
        no_grad(|| {
            let c = [self.channels()];
            let (m, keep) = (BATCH_NORM_MOMENTUM, 1.0 - BATCH_NORM_MOMENTUM);
            let unbiased = var.detach().reshape(c)?.mul_scalar(n as f64 / (n as f64 - 1.0))?;
            let rm = self.running_mean.value().mul_scalar(keep)?;
            self.running_mean.set(rm.add(&mean.detach().reshape(c)?.mul_scalar(m)?)?)?;
            let rv = self.running_var.value().mul_scalar(keep)?;
            self.running_var.set(rv.add(&unbiased.mul_scalar(m)?)?)?;
            let tracked = self.num_batches_tracked.value().to_vec::<i64>()?[0];
            self.num_batches_tracked.set(Tensor::from_vec(vec![tracked + 1], [0usize; 0])?)
        })
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        vec![("weight".into(), self.weight.clone()), ("bias".into(), self.bias.clone())]
    }

    fn buffers(&self) -> Vec<(String, Buffer)> {
        vec![
            ("running_mean".into(), self.running_mean.clone()),
            ("running_var".into(), self.running_var.clone()),
            ("num_batches_tracked".into(), self.num_batches_tracked.clone()),
        ]
    }

    fn check(&self, op: &'static str, x: &Tensor, ranks: &[usize]) -> Result<()> {
        if !ranks.contains(&x.rank()) || x.dims()[1] != self.channels() {
            let rhs = self.weight.value().shape().clone();
            return Err(Error::ShapeMismatch { op, lhs: x.shape().clone(), rhs });
        }
        Ok(())
    }
}

macro_rules! batch_norm_module {
    ($name:ident, $op:literal, $ranks:expr, $doc:literal) => {
        #[doc = $doc]
        pub struct $name(BatchNorm);

        impl $name {
            /// `num_features` channels: `γ = 1`, `β = 0`, running mean 0 and variance 1.
            pub fn new(num_features: usize, dtype: DType) -> Result<$name> {
                Ok($name(BatchNorm::new(num_features, dtype)?))
            }

            /// The running mean `(C)`.
            pub fn running_mean(&self) -> Tensor {
                self.0.running_mean.value()
            }

            /// The running (unbiased) variance `(C)`.
            pub fn running_var(&self) -> Tensor {
                self.0.running_var.value()
            }

            /// The number of training-mode forward passes (PyTorch's `num_batches_tracked`).
            pub fn num_batches_tracked(&self) -> i64 {
                let count = self.0.num_batches_tracked.value().to_vec::<i64>();
                count.ok().and_then(|c| c.first().copied()).unwrap_or(0)
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Result<Tensor> {
                self.0.check($op, x, $ranks)?;
                let axes: Vec<usize> = (0..x.rank()).filter(|&a| a != 1).collect();
                let mut stat_shape = vec![1; x.rank()];
                stat_shape[1] = self.0.channels();
                self.0.forward(x, axes, stat_shape)
            }

            fn parameters(&self) -> Vec<(String, Param)> {
                self.0.parameters()
            }

            fn buffers(&self) -> Vec<(String, Buffer)> {
                self.0.buffers()
            }

            fn train(&mut self, mode: bool) {
                self.0.training = mode;
            }

            fn is_training(&self) -> bool {
                self.0.training
            }

            fn describe(&self) -> String {
                let (c, eps) = (self.0.channels(), self.0.eps);
                format!("{}({c}, eps={eps:e}, momentum={BATCH_NORM_MOMENTUM})", stringify!($name))
            }
        }
    };
}

batch_norm_module!(
    BatchNorm1d,
    "BatchNorm1d",
    &[2, 3],
    "Batch normalisation of `(N, C)` or `(N, C, L)`."
);
batch_norm_module!(BatchNorm2d, "BatchNorm2d", &[4], "Batch normalisation of `(N, C, H, W)`.");

/// Layer normalisation over the trailing `normalized_shape` axes, with elementwise `γ`, `β`.
pub struct LayerNorm {
    weight: Param,
    bias: Param,
    shape: Vec<usize>,
    eps: f64,
}

impl LayerNorm {
    /// Normalises over trailing axes of sizes `normalized_shape`; `γ = 1`, `β = 0`, `ε = 1e-5`.
    pub fn new(normalized_shape: &[usize], dtype: DType) -> Result<LayerNorm> {
        if normalized_shape.is_empty() || normalized_shape.contains(&0) || !dtype.is_float() {
            let shape = format!("{normalized_shape:?}");
            return Err(Error::invalid("normalized_shape", shape, "needs non-zero float sizes"));
        }
        Ok(LayerNorm {
            weight: Param::new("weight", Tensor::ones(normalized_shape.to_vec(), dtype)),
            bias: Param::new("bias", Tensor::zeros(normalized_shape.to_vec(), dtype)),
            shape: normalized_shape.to_vec(),
            eps: 1e-5,
        })
    }

    /// The same layer with `ε = eps` (BERT's is `1e-12`); `eps` must be positive and finite.
    pub fn with_eps(mut self, eps: f64) -> Result<LayerNorm> {
        if !(eps > 0.0 && eps.is_finite()) {
            return Err(Error::invalid("eps", eps, "must be positive and finite"));
        }
        self.eps = eps;
        Ok(self)
    }

    /// A layer over the axes of `weight`'s shape with the given `γ` (`weight`), `β` (`bias`, of
    /// the same shape and dtype) and `ε`: loaded weights.
    pub fn from_tensors(weight: Tensor, bias: Tensor, eps: f64) -> Result<LayerNorm> {
        if weight.shape() != bias.shape() || weight.dtype() != bias.dtype() {
            let (lhs, rhs) = (weight.shape().clone(), bias.shape().clone());
            return Err(Error::ShapeMismatch { op: "LayerNorm weight and bias", lhs, rhs });
        }
        let norm = LayerNorm::new(weight.dims(), weight.dtype())?.with_eps(eps)?;
        norm.weight.set(weight)?;
        norm.bias.set(bias)?;
        Ok(norm)
    }

    /// The trailing axes normalised over.
    pub fn normalized_shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn eps(&self) -> f64 {
        self.eps
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let k = self.shape.len();
        if x.rank() < k || x.dims()[x.rank() - k..] != self.shape[..] {
            let rhs = self.weight.value().shape().clone();
            return Err(Error::ShapeMismatch { op: "LayerNorm", lhs: x.shape().clone(), rhs });
        }
        // One op over rows of the normalised shape's size: (…, d₁, …, d_k) → (…, d₁·…·d_k).
        let row: usize = self.shape.iter().product();
        let rows = x.reshape([x.numel() / row.max(1), row])?;
        let (weight, bias) = (self.weight.value(), self.bias.value());
        let y = rows.layer_norm(&weight.reshape([row])?, &bias.reshape([row])?, self.eps)?;
        y.reshape(x.shape().clone())
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        vec![("weight".into(), self.weight.clone()), ("bias".into(), self.bias.clone())]
    }

    fn describe(&self) -> String {
        format!("LayerNorm({:?}, eps={:e}, elementwise_affine=True)", self.shape, self.eps)
    }
}
