//! The classifier networks axon trains from a short description, and the description itself,
//! stored in the model file so that a saved network can be rebuilt layer for layer:
//!
//! ```text
//! logreg          Linear(d, K)                                              (n, d) → (n, K)
//! mlp:H1,H2,...   Linear(d, H1), [BatchNorm1d], act, [Dropout], ..., Linear(Hm, K)
//! cnn             [Conv2d 3×3 same, ReLU, MaxPool 2] × 2 (32, 64 channels), Flatten,
//!                 Linear(64·⌊H/4⌋·⌊W/4⌋, 128), ReLU, Linear(128, K)        (n, 1, H, W) → (n, K)
//! ```
//!
//! The output layer has `K` units (softmax), or one (a sigmoid output for two classes, see
//! [`Output`]). Batch norm and dropout layers are optional ([`LayerOptions`]); a saved network
//! is rebuilt in evaluation mode, so that batch norm uses its running statistics and dropout
//! passes everything through.
//!
//! Parameters are `f32`, initialised by each layer's PyTorch default from the given [`Rng`].
//! How many there will be is known before building (`size.rs`), and a network too large for
//! memory is refused then.

use serde::{Deserialize, Serialize};

use super::activation::{LeakyReLU, ReLU, Sigmoid, Tanh, ELU, GELU};
use super::conv::{Conv2d, MaxPool2d};
use super::layers::{Dropout, Flatten};
use super::linear::Linear;
use super::module::{Module, Sequential};
use super::norm::BatchNorm1d;
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
    /// Slope 0.01 below zero, or the architecture's `negative_slope`.
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
            Activation::LeakyRelu => Box::new(LeakyReLU::new(LEAKY_SLOPE)),
            Activation::Elu => Box::new(ELU::new(1.0)),
        }
    }

    /// The layer, a leaky ReLU with `negative_slope` when one is given.
    pub fn module_with_slope(self, negative_slope: Option<f64>) -> Box<dyn Module> {
        match (self, negative_slope) {
            (Activation::LeakyRelu, Some(slope)) => Box::new(LeakyReLU::new(slope)),
            _ => self.module(),
        }
    }
}

/// What the output layer gives and what training minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    /// One logit per class, softmax probabilities, cross-entropy.
    #[default]
    Softmax,
    /// Two classes only: one logit `z`, `P(class 1) = σ(z)`, binary cross-entropy (the lectures'
    /// network). Read as the two logits `(0, z)`, whose softmax is `(1 − σ(z), σ(z))`.
    Sigmoid,
}

impl Output {
    fn is_softmax(&self) -> bool {
        *self == Output::Softmax
    }

    /// The output units for `classes` classes.
    pub fn units(self, classes: usize) -> usize {
        match self {
            Output::Softmax => classes,
            Output::Sigmoid => 1,
        }
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The slope of a leaky ReLU below zero when none is given (PyTorch's default).
pub const LEAKY_SLOPE: f64 = 0.01;

/// How the layers of a network are made besides their widths (`axon train`'s `--activation`,
/// `--dropout`, `--batch-norm`, `--output`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerOptions {
    /// The activation of an MLP's hidden layers.
    pub activation: Activation,
    /// The slope below zero of a leaky ReLU ([`LEAKY_SLOPE`] when `None`).
    pub negative_slope: Option<f64>,
    /// The probability of a dropout layer after each hidden activation (0: none).
    pub dropout: f64,
    /// A `BatchNorm1d` after each hidden linear layer, before its activation.
    pub batch_norm: bool,
    pub output: Output,
}

impl Default for LayerOptions {
    fn default() -> Self {
        LayerOptions {
            activation: Activation::Relu,
            negative_slope: None,
            dropout: 0.0,
            batch_norm: false,
            output: Output::Softmax,
        }
    }
}

/// A network's shape, stored in the model file so that it can be rebuilt. Fields added after
/// the first files were written (`negative_slope`, `dropout`, `batch_norm`, `output`) default to
/// what those files meant and are written only when they differ from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Architecture {
    Logreg {
        inputs: usize,
        classes: usize,
        #[serde(default, skip_serializing_if = "Output::is_softmax")]
        output: Output,
    },
    Mlp {
        inputs: usize,
        hidden: Vec<usize>,
        activation: Activation,
        /// The leaky ReLU's slope below zero, recorded whenever the activation is leaky ReLU.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        negative_slope: Option<f64>,
        /// The dropout probability after each hidden activation.
        #[serde(default, skip_serializing_if = "is_zero")]
        dropout: f64,
        /// A `BatchNorm1d` after each hidden linear layer.
        #[serde(default, skip_serializing_if = "is_false")]
        batch_norm: bool,
        classes: usize,
        #[serde(default, skip_serializing_if = "Output::is_softmax")]
        output: Output,
    },
    Cnn {
        height: usize,
        width: usize,
        channels: [usize; 2],
        dense: usize,
        classes: usize,
    },
}

impl Architecture {
    /// A plain MLP: softmax output, no dropout, no batch norm, the default leaky slope.
    pub fn mlp(inputs: usize, hidden: Vec<usize>, activation: Activation, classes: usize) -> Self {
        let negative_slope = (activation == Activation::LeakyRelu).then_some(LEAKY_SLOPE);
        Architecture::Mlp {
            inputs,
            hidden,
            activation,
            negative_slope,
            dropout: 0.0,
            batch_norm: false,
            classes,
            output: Output::Softmax,
        }
    }

    /// Parses `logreg`, `mlp:H1,H2,...` or `cnn` for data with `d` features per row (of image
    /// sides `image`, when they are images) and `classes` classes, with the hidden layers (an
    /// MLP's) and the output that `layers` describes.
    pub fn parse(
        spec: &str,
        layers: &LayerOptions,
        d: usize,
        image: Option<(usize, usize)>,
        classes: usize,
    ) -> Result<Architecture> {
        let spec = spec.trim();
        let invalid = |reason: String| Error::invalid("model", spec, reason);
        let output = layers.output;
        let arch = match spec.split_once(':') {
            None if spec == "logreg" => Architecture::Logreg { inputs: d, classes, output },
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
                let leaky = layers.activation == Activation::LeakyRelu;
                Architecture::Mlp {
                    inputs: d,
                    hidden,
                    activation: layers.activation,
                    negative_slope: leaky.then(|| layers.negative_slope.unwrap_or(LEAKY_SLOPE)),
                    dropout: layers.dropout,
                    batch_norm: layers.batch_norm,
                    classes,
                    output,
                }
            }
            _ => return Err(invalid("expected logreg, mlp:H1,H2,... or cnn".into())),
        };
        let is_mlp = matches!(arch, Architecture::Mlp { .. });
        let only_mlp = |name: &'static str, value: String| {
            Error::invalid(
                name,
                value,
                format!("applies to the hidden layers of an mlp, not {spec}"),
            )
        };
        if !is_mlp && layers.dropout != 0.0 {
            return Err(only_mlp("dropout", layers.dropout.to_string()));
        }
        if !is_mlp && layers.batch_norm {
            return Err(only_mlp("batch_norm", "true".into()));
        }
        if matches!(arch, Architecture::Cnn { .. }) && output == Output::Sigmoid {
            return Err(Error::invalid("output", "sigmoid", "is for logreg and mlp, not cnn"));
        }
        arch.check_options()?;
        Ok(arch)
    }

    /// The dropout probability, the leaky slope and the output must make sense (also for an
    /// architecture read from a file).
    pub fn check_options(&self) -> Result<()> {
        let (output, classes) = match self {
            Architecture::Logreg { output, classes, .. } => (*output, *classes),
            Architecture::Mlp { output, classes, dropout, negative_slope, .. } => {
                if !(0.0..1.0).contains(dropout) {
                    let reason = "a dropout probability lies in [0, 1)";
                    return Err(Error::invalid("dropout", dropout, reason));
                }
                if let Some(slope) = negative_slope.filter(|s| !s.is_finite()) {
                    return Err(Error::invalid("negative_slope", slope, "must be finite"));
                }
                (*output, *classes)
            }
            Architecture::Cnn { .. } => return Ok(()),
        };
        if output == Output::Sigmoid && classes != 2 {
            let reason = format!("a single sigmoid unit is for 2 classes, the data has {classes}");
            return Err(Error::invalid("output", "sigmoid", reason));
        }
        Ok(())
    }

    /// What the output layer gives.
    pub fn output(&self) -> Output {
        match self {
            Architecture::Logreg { output, .. } | Architecture::Mlp { output, .. } => *output,
            Architecture::Cnn { .. } => Output::Softmax,
        }
    }

    /// A freshly initialised network (`f32`) from `rng`; refused before anything is allocated
    /// when its parameters would not fit in memory ([`Architecture::check_size`]).
    pub fn build(&self, rng: &mut Rng) -> Result<Sequential> {
        self.check_size(Self::BYTES_TO_LOAD)?;
        self.check_options()?;
        let f = DType::F32;
        let mut net = Sequential::new();
        match self {
            Architecture::Logreg { inputs, classes, output } => {
                net.push(Box::new(Linear::new(*inputs, output.units(*classes), true, f, rng)?))
            }
            Architecture::Mlp {
                inputs,
                hidden,
                activation,
                negative_slope,
                dropout,
                batch_norm,
                classes,
                output,
            } => {
                let mut width = *inputs;
                for &h in hidden {
                    net.push(Box::new(Linear::new(width, h, true, f, rng)?));
                    if *batch_norm {
                        net.push(Box::new(BatchNorm1d::new(h, f)?));
                    }
                    net.push(activation.module_with_slope(*negative_slope));
                    if *dropout > 0.0 {
                        net.push(Box::new(Dropout::new(*dropout, rng.split())?));
                    }
                    width = h;
                }
                net.push(Box::new(Linear::new(width, output.units(*classes), true, f, rng)?));
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
            Architecture::Logreg { inputs, classes, .. }
            | Architecture::Mlp { inputs, classes, .. } => (*inputs, *classes),
            Architecture::Cnn { height, width, classes, .. } => {
                (height.saturating_mul(*width), *classes)
            }
        }
    }
}
