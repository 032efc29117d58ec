//! The fully connected layer as one op: `act(x Wᵀ + b)` with the bias and the activation applied
//! in one pass after the product ([`crate::ops::linear`]) and one graph node instead of three
//! (product, broadcast add, activation). [`crate::nn::Linear`] calls it, fusing the activation
//! that follows it in a [`crate::nn::Sequential`].

use std::sync::Arc;

use super::{Layout, Op, Shape, Tensor};
use crate::error::{Error, Result};
use crate::ops::linear::{forward_storage, fusable};
use crate::ops::matmul::MatMul;
use crate::ops::{Map, UnaryOp};

impl Tensor {
    /// `act(self weightᵀ + bias)` for `self` `(N, in)`, `weight` `(out, in)` and `bias` `(out)`,
    /// with `act` one of the activations of [`crate::ops::linear::fusable`] or `None`. The same
    /// values as `self.matmul(&weight.t()?)?.add(bias)?` followed by the activation op.
    pub fn linear(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        act: Option<UnaryOp>,
    ) -> Result<Tensor> {
        let mismatch = |rhs: &Tensor| Error::ShapeMismatch {
            op: "linear",
            lhs: self.shape().clone(),
            rhs: rhs.shape().clone(),
        };
        if self.rank() != 2 || weight.rank() != 2 || self.dims()[1] != weight.dims()[1] {
            return Err(mismatch(weight));
        }
        let (n, out) = (self.dims()[0], weight.dims()[0]);
        if let Some(b) = bias {
            if b.dims() != [out] {
                return Err(mismatch(b));
            }
        }
        for t in std::iter::once(weight).chain(bias) {
            if t.dtype() != self.dtype() || !t.dtype().is_float() {
                return Err(Error::DTypeMismatch {
                    op: "linear",
                    expected: self.dtype(),
                    got: t.dtype(),
                });
            }
        }
        if let Some(a) = act.filter(|&a| !fusable(a)) {
            return Err(Error::invalid("act", format!("{a:?}"), "not an activation to fuse"));
        }
        let (la, lb) =
            (self.layout().unsqueezed(0), weight.layout().permute(&[1, 0])?.unsqueezed(0));
        let mut y = MatMul.map([(self.storage(), &la), (weight.storage(), &lb)])?;
        let bias_values = bias.map(Tensor::contiguous);
        let pre = forward_storage(&mut y, bias_values.as_ref().map(Tensor::operand), out, act);
        let op = Tensor::record(&[self, weight, bias.unwrap_or(weight)], || Op::Linear {
            input: self.clone(),
            weight: weight.clone(),
            bias: bias.cloned(),
            act,
            pre: pre.map(Arc::new),
        });
        Ok(Tensor::from_owned(y, Layout::contiguous(Shape::from([n, out])), op))
    }
}
