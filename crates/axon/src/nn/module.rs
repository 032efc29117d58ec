//! The [`Module`] trait: a function `y = f(x)` with named trainable parameters, and
//! [`Sequential`], the composition `f_n ∘ … ∘ f_1` of boxed modules.
//!
//! Parameter names follow PyTorch's `state_dict`: a module's own parameters are `weight`, `bias`;
//! inside a [`Sequential`] they are prefixed with the layer's index (`0.weight`, `2.bias`), and
//! [`with_prefix`] adds a field name (`layers.0.weight`). Modules have a training mode
//! ([`Module::train`]) that only some layers (dropout) read. `Display` on a [`Sequential`] prints
//! the structure as PyTorch's `repr` does, followed by the number of trainable parameters.
//!
//! A [`Sequential`] runs a layer and the activation next to it as one fused op where one of
//! them has such an op: a [`super::Linear`] followed by its activation
//! ([`Module::forward_activated`]), a ReLU followed by max pooling ([`Module::forward_after`]);
//! [`Sequential::set_fusion`] turns this off.

use std::fmt;
use std::sync::Arc;

use super::param::{Buffer, Param};
use crate::error::{Error, Result};
use crate::ops::UnaryOp;
use crate::sparse::Csr;
use crate::tensor::Tensor;

/// A layer or a network: a forward function with named trainable parameters.
pub trait Module: Send + Sync {
    /// `y = f(x)`.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// `y = f(x)` for sparse rows `x` (a bag of words), never densified. Only layers that
    /// take sparse input ([`super::Linear`], and a [`Sequential`] that starts with one)
    /// override it; the default is an error naming the layer.
    fn forward_sparse(&self, _x: &Arc<Csr>) -> Result<Tensor> {
        let reason = "the layer takes dense input, not sparse rows";
        Err(Error::invalid("x", "sparse rows", format!("{}: {reason}", self.describe())))
    }

    /// The elementwise activation this module is (ReLU, tanh, …), which a neighbouring layer may
    /// fuse ([`Self::forward_activated`], [`Self::forward_after`]); none by default.
    fn activation(&self) -> Option<UnaryOp> {
        None
    }

    /// `act(self.forward(x))` as one fused op, when this layer can fuse `act` for this input
    /// ([`super::Linear`] on a matrix); `None` otherwise, and the caller applies `act` itself.
    fn forward_activated(&self, _x: &Tensor, _act: UnaryOp) -> Option<Result<Tensor>> {
        None
    }

    /// The trainable parameters with their `state_dict` names; none by default.
    fn parameters(&self) -> Vec<(String, Param)> {
        Vec::new()
    }

    /// Non-trainable state (batch norm's running statistics) with `state_dict` names; none by
    /// default. Saved with the parameters, never given to an optimizer.
    fn buffers(&self) -> Vec<(String, Buffer)> {
        Vec::new()
    }

    /// Switches training mode (`true`) or evaluation mode (`false`). Only layers whose forward
    /// pass depends on the mode keep it; the default does nothing.
    fn train(&mut self, _mode: bool) {}

    /// Whether the module is in training mode; modules that ignore the mode report `true`.
    fn is_training(&self) -> bool {
        true
    }

    /// `pool(act(self.forward(x)))` as one fused op, when this layer can take both the
    /// activation `act` and the max pooling after it (`[kernel, stride, padding]`, see
    /// [`Self::max_pool`]) into its own pass ([`super::Conv2d`] with a ReLU and 2×2 pooling);
    /// `None` otherwise.
    fn forward_activated_pooled(
        &self,
        _x: &Tensor,
        _act: UnaryOp,
        _pool: [usize; 3],
    ) -> Option<Result<Tensor>> {
        None
    }

    /// The max pooling this module is, as `[kernel, stride, padding]` ([`super::MaxPool2d`]),
    /// which a convolution before it may fuse; none by default.
    fn max_pool(&self) -> Option<[usize; 3]> {
        None
    }

    /// `self.forward(act(x))` as one fused op, when this layer can take `act` into its own pass
    /// ([`super::MaxPool2d`] after a ReLU); `None` otherwise, and the caller applies `act` first.
    fn forward_after(&self, _x: &Tensor, _act: UnaryOp) -> Option<Result<Tensor>> {
        None
    }

    /// A one-line description in PyTorch's style: `Linear(in_features=3, out_features=4, bias=True)`.
    fn describe(&self) -> String;

    /// The trainable parameters without their names (what an optimizer takes).
    fn params(&self) -> Vec<Param> {
        self.parameters().into_iter().map(|(_, p)| p).collect()
    }

    /// The total number of trainable scalars.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(|(_, p)| p.numel()).sum()
    }
}

/// `params` with `prefix.` put before every name.
pub fn with_prefix(prefix: &str, params: Vec<(String, Param)>) -> Vec<(String, Param)> {
    params.into_iter().map(|(name, p)| (format!("{prefix}.{name}"), p)).collect()
}

/// The modules applied in order: `y = f_n(… f_2(f_1(x)))`. A layer and an activation next to
/// it run as one op where either can fuse the other, and so does a layer followed by an
/// activation and a max pooling that it can take in; the values are the same.
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    training: bool,
    fuse: bool,
}

impl Sequential {
    /// An empty sequence (the identity), in training mode.
    pub fn new() -> Sequential {
        Sequential { layers: Vec::new(), training: true, fuse: true }
    }

    /// Whether a layer and the activation next to it run as one fused op where one can fuse the
    /// other (on by default; the values are the same either way, the gradients to rounding).
    pub fn set_fusion(&mut self, on: bool) {
        self.fuse = on;
    }

    /// The sequence with `layer` appended (builder style).
    pub fn with(mut self, layer: impl Module + 'static) -> Sequential {
        self.push(Box::new(layer));
        self
    }

    /// Appends a boxed layer, which takes the sequence's training mode.
    pub fn push(&mut self, mut layer: Box<dyn Module>) {
        layer.train(self.training);
        self.layers.push(layer);
    }

    /// The layers in order.
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }

    pub fn len(&self) -> usize {
        self.layers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl Default for Sequential {
    fn default() -> Self {
        Sequential::new()
    }
}

impl Module for Sequential {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut y = x.clone();
        let mut i = 0;
        while let Some(layer) = self.layers.get(i) {
            let pair = self.layers.get(i + 1).zip(self.layers.get(i + 2)).filter(|_| self.fuse);
            if let Some(fused) = pair.and_then(|(act, pool)| {
                let (act, pool) = (act.activation()?, pool.max_pool()?);
                layer.forward_activated_pooled(&y, act, pool)
            }) {
                y = fused?;
                i += 3;
                continue;
            }
            if let Some(fused) = self.layers.get(i + 1).filter(|_| self.fuse).and_then(|next| {
                let activated = next.activation().and_then(|act| layer.forward_activated(&y, act));
                activated.or_else(|| layer.activation().and_then(|act| next.forward_after(&y, act)))
            }) {
                y = fused?;
                i += 2;
                continue;
            }
            y = layer.forward(&y)?;
            i += 1;
        }
        Ok(y)
    }

    /// The first layer on the sparse rows, the others on its dense output.
    fn forward_sparse(&self, x: &Arc<Csr>) -> Result<Tensor> {
        let Some((first, rest)) = self.layers.split_first() else {
            return Err(Error::invalid(
                "x",
                "sparse rows",
                "an empty Sequential has no first layer",
            ));
        };
        let mut y = first.forward_sparse(x)?;
        for layer in rest {
            y = layer.forward(&y)?;
        }
        Ok(y)
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        let layers = self.layers.iter().enumerate();
        layers.flat_map(|(i, l)| with_prefix(&i.to_string(), l.parameters())).collect()
    }

    fn buffers(&self) -> Vec<(String, Buffer)> {
        let mut buffers = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            buffers.extend(layer.buffers().into_iter().map(|(n, b)| (format!("{i}.{n}"), b)));
        }
        buffers
    }

    fn train(&mut self, mode: bool) {
        self.training = mode;
        for layer in &mut self.layers {
            layer.train(mode);
        }
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn describe(&self) -> String {
        format!("Sequential({} layers)", self.layers.len())
    }
}

impl fmt::Display for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Sequential(")?;
        for (i, layer) in self.layers.iter().enumerate() {
            writeln!(f, "  ({i}): {}", layer.describe())?;
        }
        writeln!(f, ")")?;
        write!(f, "Trainable parameters: {}", self.num_parameters())
    }
}
