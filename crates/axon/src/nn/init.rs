//! Weight initialisation with PyTorch's formulas (`torch.nn.init`), drawn from [`Rng`].
//!
//! For a weight of shape `(out, in, k…)` the fans are `fan_in = in · Πk` and
//! `fan_out = out · Πk`. Xavier/Glorot: uniform on `±gain·√(6 / (fan_in + fan_out))`, normal with
//! standard deviation `gain·√(2 / (fan_in + fan_out))`. He/Kaiming: uniform on `±gain·√(3 / fan)`,
//! normal with standard deviation `gain / √fan`, where `fan` is `fan_in` or `fan_out`
//! ([`FanMode`]) and `gain` comes from the nonlinearity that follows ([`Nonlinearity::gain`]).
//! PyTorch's default for `Linear` is Kaiming-uniform with `a = √5`, which is `U(−1/√in, 1/√in)`.

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{DType, Shape, Tensor};

/// Which fan Kaiming initialisation keeps the variance of: forward (`FanIn`, PyTorch's default)
/// or backward (`FanOut`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
}

/// The nonlinearity after a layer, for [`Nonlinearity::gain`] (`torch.nn.init.calculate_gain`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Nonlinearity {
    Linear,
    Sigmoid,
    Tanh,
    Relu,
    /// Leaky ReLU with this negative slope.
    LeakyRelu(f64),
}

impl Nonlinearity {
    /// 1 for linear and sigmoid, 5/3 for tanh, √2 for ReLU, √(2 / (1 + a²)) for leaky ReLU.
    pub fn gain(self) -> f64 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f64.sqrt(),
            Nonlinearity::LeakyRelu(a) => (2.0 / (1.0 + a * a)).sqrt(),
        }
    }
}

/// `(fan_in, fan_out)` of a weight of `shape` (at least two axes).
pub fn fans(shape: &Shape) -> Result<(usize, usize)> {
    let dims = shape.dims();
    if dims.len() < 2 {
        return Err(Error::invalid("shape", shape, "fans need a weight with at least 2 axes"));
    }
    let receptive: usize = dims[2..].iter().product();
    Ok((dims[1] * receptive, dims[0] * receptive))
}

fn checked_fan(fan: usize) -> Result<f64> {
    if fan == 0 {
        return Err(Error::invalid("shape", 0, "initialising a weight with a zero fan"));
    }
    Ok(fan as f64)
}

/// Xavier/Glorot uniform: `U(−b, b)` with `b = gain·√(6 / (fan_in + fan_out))`.
pub fn xavier_uniform(
    shape: impl Into<Shape>,
    gain: f64,
    dtype: DType,
    rng: &mut Rng,
) -> Result<Tensor> {
    let shape = shape.into();
    let (fi, fo) = fans(&shape)?;
    let bound = gain * (6.0 / checked_fan(fi + fo)?).sqrt();
    Ok(Tensor::rand(shape, -bound, bound, dtype, rng))
}

/// Xavier/Glorot normal: `N(0, σ²)` with `σ = gain·√(2 / (fan_in + fan_out))`.
pub fn xavier_normal(
    shape: impl Into<Shape>,
    gain: f64,
    dtype: DType,
    rng: &mut Rng,
) -> Result<Tensor> {
    let shape = shape.into();
    let (fi, fo) = fans(&shape)?;
    let std = gain * (2.0 / checked_fan(fi + fo)?).sqrt();
    Ok(Tensor::randn(shape, 0.0, std, dtype, rng))
}

fn kaiming_fan(shape: &Shape, mode: FanMode) -> Result<f64> {
    let (fi, fo) = fans(shape)?;
    checked_fan(match mode {
        FanMode::FanIn => fi,
        FanMode::FanOut => fo,
    })
}

/// He/Kaiming uniform: `U(−b, b)` with `b = gain·√(3 / fan)`.
pub fn kaiming_uniform(
    shape: impl Into<Shape>,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    dtype: DType,
    rng: &mut Rng,
) -> Result<Tensor> {
    let shape = shape.into();
    let bound = nonlinearity.gain() * (3.0 / kaiming_fan(&shape, mode)?).sqrt();
    Ok(Tensor::rand(shape, -bound, bound, dtype, rng))
}

/// He/Kaiming normal: `N(0, σ²)` with `σ = gain / √fan`.
pub fn kaiming_normal(
    shape: impl Into<Shape>,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    dtype: DType,
    rng: &mut Rng,
) -> Result<Tensor> {
    let shape = shape.into();
    let std = nonlinearity.gain() / kaiming_fan(&shape, mode)?.sqrt();
    Ok(Tensor::randn(shape, 0.0, std, dtype, rng))
}
