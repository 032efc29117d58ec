//! The classifier networks axon trains from a short description, and the description itself,
//! stored in the model file so that a saved network can be rebuilt layer for layer:
//!
//! ```text
//! logreg          Linear(d, K)                                              (n, d) → (n, K)
//! mlp:H1,H2,...   Linear(d, H1), act, Linear(H1, H2), act, ..., Linear(Hm, K)
//! cnn             [Conv2d 3×3 same, ReLU, MaxPool 2] × 2 (32, 64 channels), Flatten,
//!                 Linear(64·⌊H/4⌋·⌊W/4⌋, 128), ReLU, Linear(128, K)        (n, 1, H, W) → (n, K)
//! ```
//!
//! Parameters are `f32`, initialised by each layer's PyTorch default from the given [`Rng`].
//! How many there will be is known before building (`size.rs`), and a network too large for
//! memory is refused then.

use serde::{Deserialize, Serialize};

use super::activation::{LeakyReLU, ReLU, Sigmoid, Tanh, ELU, GELU};
use super::conv::{Conv2d, MaxPool2d};
use super::layers::Flatten;
use super::linear::Linear;
use super::module::{Module, Sequential};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{Conv2dArgs, DType};

/// The activation of an MLP's hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    #[serde(rename = "relu")]
    Relu,
    #[serde(rename = "tanh")]
    Tanh,
    #[serde(rename = "sigmoid")]
    Sigmoid,
    #[serde(rename = "gelu")]
    Gelu,
    /// Slope 0.01 below zero.
    #[serde(rename = "leaky-relu", alias = "leaky_relu")]
    LeakyRelu,
    /// `α = 1`.
    #[serde(rename = "elu")]
    Elu,
}

impl Activation {
    /// The layer.
    pub fn module(self) -> Box<dyn Module> {
        match self {
            Activation::Relu => Box::new(ReLU),
            Activation::Tanh => Box::new(Tanh),
            Activation::Sigmoid => Box::new(Sigmoid),
            Activation::Gelu => Box::new(GELU),
            Activation::LeakyRelu => Box::new(LeakyReLU::new(0.01)),
            Activation::Elu => Box::new(ELU::new(1.0)),
        }
    }
}

/// A network's shape, stored in the model file so that it can be rebuilt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Architecture {
    Logreg { inputs: usize, classes: usize },
    Mlp { inputs: usize, hidden: Vec<usize>, activation: Activation, classes: usize },
    Cnn { height: usize, width: usize, channels: [usize; 2], dense: usize, classes: usize },
}

impl Architecture {
    /// Parses `logreg`, `mlp:H1,H2,...` or `cnn` for data with `d` features per row (of image
    /// sides `image`, when they are images) and `classes` classes.
    pub fn parse(
        spec: &str,
        activation: Activation,
        d: usize,
        image: Option<(usize, usize)>,
        classes: usize,
    ) -> Result<Architecture> {
        let spec = spec.trim();
        let invalid = |reason: String| Error::invalid("model", spec, reason);
        Ok(match spec.split_once(':') {
            None if spec == "logreg" => Architecture::Logreg { inputs: d, classes },
            None if spec == "cnn" => {
                let Some((height, width)) = image else {
                    let why = "an IDX folder or a square number of pixel columns";
                    return Err(invalid(format!("needs images: {why} ({d} is not square)")));
                };
                Architecture::Cnn { height, width, channels: [32, 64], dense: 128, classes }
            }
            Some(("mlp", widths)) => {
                let hidden = widths
                    .split(',')
                    .map(|w| w.trim().parse::<usize>().ok().filter(|&w| w > 0))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| invalid("widths must be positive integers".into()))?;
                Architecture::Mlp { inputs: d, hidden, activation, classes }
            }
            _ => return Err(invalid("expected logreg, mlp:H1,H2,... or cnn".into())),
        })
    }

    /// A freshly initialised network (`f32`) from `rng`; refused before anything is allocated
    /// when its parameters would not fit in memory ([`Architecture::check_size`]).
    pub fn build(&self, rng: &mut Rng) -> Result<Sequential> {
        self.check_size(Self::BYTES_TO_LOAD)?;
        let f = DType::F32;
        let mut net = Sequential::new();
        match self {
            Architecture::Logreg { inputs, classes } => {
                net.push(Box::new(Linear::new(*inputs, *classes, true, f, rng)?))
            }
            Architecture::Mlp { inputs, hidden, activation, classes } => {
                let mut width = *inputs;
                for &h in hidden {
                    net.push(Box::new(Linear::new(width, h, true, f, rng)?));
                    net.push(activation.module());
                    width = h;
                }
                net.push(Box::new(Linear::new(width, *classes, true, f, rng)?));
            }
            Architecture::Cnn { height, width, channels: [c1, c2], dense, classes } => {
                let same = Conv2dArgs::new(1, 1, 1);
                net.push(Box::new(Conv2d::new(1, *c1, 3, same, true, f, rng)?));
                net.push(Box::new(ReLU));
                net.push(Box::new(MaxPool2d::new(2, 2, 0)?));
                net.push(Box::new(Conv2d::new(*c1, *c2, 3, same, true, f, rng)?));
                net.push(Box::new(ReLU));
                net.push(Box::new(MaxPool2d::new(2, 2, 0)?));
                net.push(Box::new(Flatten::new()));
                let flat = c2 * (height / 4) * (width / 4);
                if flat == 0 {
                    let reason = format!("{height}x{width} images are too small (at least 4x4)");
                    return Err(Error::invalid("model", "cnn", reason));
                }
                net.push(Box::new(Linear::new(flat, *dense, true, f, rng)?));
                net.push(Box::new(ReLU));
                net.push(Box::new(Linear::new(*dense, *classes, true, f, rng)?));
            }
        }
        Ok(net)
    }

    /// The input shape of one row: `(d)` or `(1, H, W)`.
    pub fn row_shape(&self) -> Vec<usize> {
        match self {
            Architecture::Logreg { inputs, .. } | Architecture::Mlp { inputs, .. } => vec![*inputs],
            Architecture::Cnn { height, width, .. } => vec![1, *height, *width],
        }
    }

    /// The number of input features (pixels of an image) and of classes. An image too large to
    /// count (as a corrupt file may describe) has `usize::MAX` pixels, which no schema matches.
    pub fn sizes(&self) -> (usize, usize) {
        match self {
            Architecture::Logreg { inputs, classes }
            | Architecture::Mlp { inputs, classes, .. } => (*inputs, *classes),
            Architecture::Cnn { height, width, classes, .. } => {
                (height.saturating_mul(*width), *classes)
            }
        }
    }
}
