//! `q.scaled_dot_product_attention(k, v, key_mask, scale)`, PyTorch's
//! `torch.nn.functional.scaled_dot_product_attention` with a key padding mask: the shapes are
//! checked (every message names the op and the shapes), the fused kernel of
//! [`crate::ops::attention`] run on the operands as they are laid out, and the op recorded with
//! its operands and key mask (its gradient computes the probabilities again). In training, the
//! probabilities can be dropped out before `P V` (PyTorch's `dropout_p`), with a mask drawn from
//! a seed. The gradient is in the backward pass's one `match` ([`crate::autograd::backprop`]),
//! which reads the geometry back through [`attention_geometry`].

use std::sync::Arc;

use super::{Layout, Op, Shape, Tensor};
use crate::error::{Error, Result};
use crate::ops::attention::{Attention, AttentionGeometry, DropProbs};
use crate::ops::Map;

const OP: &str = "scaled_dot_product_attention";

/// The checked geometry of an attention of `q` `(…, Lq, D)` over `k` `(…, Lk, D)` and `v`
/// `(…, Lk, Dv)`: the leading axes (one or two: batch, or batch and heads) must agree.
pub(crate) fn attention_geometry(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    scale: Option<f64>,
) -> Result<AttentionGeometry> {
    let mismatch = |other: &Tensor| Error::ShapeMismatch {
        op: OP,
        lhs: q.shape().clone(),
        rhs: other.shape().clone(),
    };
    let rank = q.rank();
    if !(rank == 3 || rank == 4) {
        return Err(Error::invalid(
            "q",
            q.shape(),
            format!("{OP} needs (batch, L, D) or (batch, heads, L, D)"),
        ));
    }
    for t in [k, v] {
        if t.rank() != rank || t.dims()[..rank - 2] != q.dims()[..rank - 2] {
            return Err(mismatch(t));
        }
        if t.dtype() != q.dtype() {
            return Err(Error::DTypeMismatch { op: OP, expected: q.dtype(), got: t.dtype() });
        }
    }
    if !q.dtype().is_float() {
        return Err(Error::invalid("q", q.dtype(), format!("{OP} needs f32 or f64")));
    }
    let (d, lk) = (q.dims()[rank - 1], k.dims()[rank - 2]);
    if k.dims()[rank - 1] != d {
        return Err(mismatch(k));
    }
    if v.dims()[rank - 2] != lk {
        return Err(mismatch(v));
    }
    if q.shape().numel() == 0 || k.shape().numel() == 0 || v.shape().numel() == 0 {
        return Err(Error::invalid("q", q.shape(), format!("{OP} of an empty tensor")));
    }
    let scale = scale.unwrap_or(1.0 / (d as f64).sqrt());
    if !scale.is_finite() {
        return Err(Error::invalid("scale", scale, "must be finite"));
    }
    let heads = if rank == 4 { q.dims()[1] } else { 1 };
    Ok(AttentionGeometry {
        planes: q.dims()[..rank - 2].iter().product(),
        heads,
        lq: q.dims()[rank - 2],
        lk,
        d,
        dv: v.dims()[rank - 1],
        scale,
    })
}

impl Tensor {
    /// Scaled dot-product attention `softmax(scale · Q Kᵀ) V` of these queries `(B, H, Lq, D)`
    /// (or `(B, Lq, D)`) over keys `(…, Lk, D)` and values `(…, Lk, Dv)`: a tensor
    /// `(…, Lq, Dv)`. `key_mask` `(B, Lk)` says which keys take part (non-zero: yes; a padding
    /// token: 0), as a Hugging Face `attention_mask`; `scale` defaults to `1/√D`. Differentiable
    /// in `q`, `k` and `v`; the mask is a constant.
    ///
    /// ```
    /// use axon::Tensor;
    /// let q = Tensor::from_vec(vec![1.0, 0.0], [1, 1, 2])?;
    /// let k = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [1, 2, 2])?;
    /// let v = Tensor::from_vec(vec![10.0, 20.0], [1, 2, 1])?;
    /// let mask = Tensor::from_vec(vec![0.0, 1.0], [1, 2])?; // the first key is padding
    /// let o = q.scaled_dot_product_attention(&k, &v, Some(&mask), None)?;
    /// assert_eq!(o.to_vec::<f64>()?, [20.0]);
    /// # Ok::<(), axon::Error>(())
    /// ```
    pub fn scaled_dot_product_attention(
        &self,
        k: &Tensor,
        v: &Tensor,
        key_mask: Option<&Tensor>,
        scale: Option<f64>,
    ) -> Result<Tensor> {
        self.scaled_dot_product_attention_dropout(k, v, key_mask, scale, 0.0, 0)
    }

    /// [`Tensor::scaled_dot_product_attention`] with each attention probability dropped with
    /// probability `dropout` (and the others scaled by `1 / (1 − dropout)`) before the product
    /// with `V`, as PyTorch's `dropout_p` in training mode. The mask is a function of `seed` and
    /// each probability's place, the same for the same seed whatever the thread count.
    pub fn scaled_dot_product_attention_dropout(
        &self,
        k: &Tensor,
        v: &Tensor,
        key_mask: Option<&Tensor>,
        scale: Option<f64>,
        dropout: f64,
        seed: u64,
    ) -> Result<Tensor> {
        let g = attention_geometry(self, k, v, scale)?;
        if !(0.0..1.0).contains(&dropout) {
            return Err(Error::invalid("dropout", dropout, "a dropout probability lies in [0, 1)"));
        }
        let dropout = (dropout > 0.0).then_some(DropProbs { keep: 1.0 - dropout, seed });
        let mask = key_mask.map(|m| key_mask_values(m, self, &g)).transpose()?;
        // Both kernels read any strides: the heads of a projection are never copied.
        let q = self;
        let kernel = Attention { geometry: &g, mask: mask.as_deref(), dropout };
        let storage = kernel.map([q.operand(), k.operand(), v.operand()])?;
        let mut dims = self.dims().to_vec();
        *dims.last_mut().expect("rank 3 or 4") = g.dv;
        // The kernel writes (B, Lq, H, Dv): the result is that buffer viewed as (B, H, Lq, Dv).
        let layout = match dims[..] {
            [b, h, l, dv] => {
                Layout::contiguous(Shape::from([b, l, h, dv])).permute(&[0, 2, 1, 3])?
            }
            _ => Layout::contiguous(Shape::from(&dims[..])),
        };
        let op = Tensor::record(&[q, k, v], || Op::Attention {
            q: q.clone(),
            k: k.clone(),
            v: v.clone(),
            scale: g.scale,
            mask: mask.map(Arc::from),
            dropout,
        });
        Ok(Tensor::from_owned(storage, layout, op))
    }
}

/// The key mask `(B, Lk)` as one flag per key.
fn key_mask_values(mask: &Tensor, q: &Tensor, g: &AttentionGeometry) -> Result<Vec<bool>> {
    let batch = g.planes / g.heads;
    if mask.dims() != [batch, g.lk] {
        return Err(Error::invalid(
            "key_mask",
            mask.shape(),
            format!("{OP} of queries {} needs a key mask ({batch}, {})", q.shape(), g.lk),
        ));
    }
    let values: Vec<f64> = mask.detach().to_dtype(super::DType::F64)?.to_vec()?;
    Ok(values.into_iter().map(|m| m != 0.0).collect())
}
