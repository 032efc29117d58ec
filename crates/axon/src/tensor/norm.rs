//! Layer normalisation as one op: `(x − μ) / √(σ² + ε) · γ + β` over the last axis, one graph
//! node whose forward and backward passes each take a row at a time ([`crate::ops::norm`])
//! instead of the nine composed ops and their gradients. [`crate::nn::LayerNorm`] calls it.

use std::sync::Arc;

use super::{is_grad_enabled, Layout, Op, Tensor};
use crate::error::{Error, Result};
use crate::ops::norm::LayerNormRows;
use crate::ops::Map;

impl Tensor {
    /// Each row of `self` (its last axis, of `weight`'s length) normalised to zero mean and unit
    /// biased variance (`eps` added to the variance), then scaled by `weight` and shifted by
    /// `bias` (both one row). The same values as the composed ops
    /// `(x − x.mean) / (x.var + eps).sqrt() · weight + bias`, as one graph node.
    pub fn layer_norm(&self, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
        let op = "layer_norm";
        let n = weight.numel();
        if weight.rank() != 1 || bias.dims() != weight.dims() || self.dims().last() != Some(&n) {
            let rhs = weight.shape().clone();
            return Err(Error::ShapeMismatch { op, lhs: self.shape().clone(), rhs });
        }
        for t in [weight, bias] {
            if t.dtype() != self.dtype() || !t.dtype().is_float() {
                return Err(Error::DTypeMismatch { op, expected: self.dtype(), got: t.dtype() });
            }
        }
        let (x, weight, bias) = (self.contiguous(), weight.contiguous(), bias.contiguous());
        let inputs = [&x, &weight, &bias];
        let keep_stats = inputs.iter().any(|t| t.is_tracked()) && is_grad_enabled();
        let kernel = LayerNormRows { eps, keep_stats };
        let (y, stats) = kernel.map([x.operand(), weight.operand(), bias.operand()])?;
        let record = || Op::LayerNorm {
            input: x.clone(),
            weight: weight.clone(),
            bias: bias.clone(),
            stats: Arc::new(stats.expect("kept when recorded")),
        };
        let op = Tensor::record(&inputs, record);
        Ok(Tensor::from_owned(y, Layout::contiguous(x.shape().clone()), op))
    }
}
