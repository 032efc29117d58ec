//! The graph as data. Every tensor made by a tracked op holds one [`Op`], and the op holds its
//! input tensors. It lives with [`Tensor`] because a tensor records it; the backward pass
//! ([`crate::autograd::backprop`]) is one exhaustive `match` over this enum, so an op cannot be
//! added without its gradient, and the DOT drawing ([`crate::autograd::dot`]) reads the same data.

use std::sync::Arc;

use smallvec::SmallVec;

use super::conv_args::{Conv2dArgs, Pool2dArgs};
use super::{Dims, Storage, Tensor};
use crate::ops::attention::DropProbs;
use crate::ops::{BinaryOp, UnaryOp};
use crate::sparse::Csr;

/// How a tracked tensor was made: the op and its inputs.
#[derive(Clone)]
pub enum Op {
    Unary(Tensor, UnaryOp),
    Binary(Tensor, Tensor, BinaryOp),
    /// 2-D or batched 3-D matrix product.
    MatMul(Tensor, Tensor),
    /// Sum over the listed axes (the result keeps them as size 1 or drops them).
    Sum(Tensor, Dims),
    Max(Tensor, Dims),
    Min(Tensor, Dims),
    LogSumExp(Tensor, Dims),
    /// Softmax along the last axis.
    Softmax(Tensor),
    /// Log-softmax along the last axis.
    LogSoftmax(Tensor),
    /// Any view or copy that keeps the elements in row-major order: reshape, squeeze, unsqueeze,
    /// flatten, contiguous.
    Reshape(Tensor),
    /// Axis `i` of the result is axis `perm[i]` of the input.
    Permute(Tensor, Dims),
    /// `len` elements from `start` along `axis`.
    Narrow {
        input: Tensor,
        axis: usize,
        start: usize,
    },
    /// Broadcast view to a larger shape.
    Broadcast(Tensor),
    Concat(Vec<Tensor>, usize),
    /// `input.index_select(axis, index)`.
    IndexSelect {
        input: Tensor,
        index: Tensor,
        axis: usize,
    },
    /// `input.gather(axis, index)`.
    Gather {
        input: Tensor,
        index: Tensor,
        axis: usize,
    },
    /// `mask != 0 ? on_true : on_false`.
    Where {
        mask: Tensor,
        on_true: Tensor,
        on_false: Tensor,
    },
    /// Conversion between `f32` and `f64`.
    Cast(Tensor),
    /// `X·W` of a constant sparse matrix `X` (`n × p`) and a matrix `W` (`p × k`): the input
    /// layer of a model on sparse features (bag of words, hashed clicks).
    SparseMatMul {
        x: Arc<Csr>,
        weight: Tensor,
    },
    /// `input.conv2d(weight, bias, args)`, on contiguous operands. `cols` keeps the forward
    /// pass's im2col matrices `(N, C·kH·kW, H_out·W_out)` for the weight gradient (when the
    /// weight is tracked and the kernel is not pointwise). With `pool`, the op is
    /// `input.conv2d_relu_max_pool2d(..)` and `pool` holds, per output element, the index of its
    /// maximum in its `H_out × W_out` plane, as [`Op::MaxPool2d`]'s `argmax`.
    Conv2d {
        input: Tensor,
        weight: Tensor,
        bias: Option<Tensor>,
        args: Conv2dArgs,
        cols: Option<Arc<Storage>>,
        pool: Option<Arc<Vec<u32>>>,
    },
    /// `input.linear(weight, bias, act)`: `act(input weightᵀ + bias)` for an `(N, in)` input and
    /// a weight `(out, in)`, fused. `pre` keeps the pre-activation when the activation's
    /// derivative needs it (see [`crate::ops::linear`]).
    Linear {
        input: Tensor,
        weight: Tensor,
        bias: Option<Tensor>,
        act: Option<UnaryOp>,
        pre: Option<Arc<Storage>>,
    },
    /// `input.max_pool2d(..)`, or `input.relu_max_pool2d(..)` when `relu`; `argmax` holds, per
    /// output element, the index of its maximum in its `H × W` input plane
    /// ([`crate::ops::pool::NO_GRADIENT`] where the fused ReLU passes no gradient).
    MaxPool2d {
        input: Tensor,
        args: Pool2dArgs,
        argmax: Arc<Vec<u32>>,
        relu: bool,
    },
    /// `input.avg_pool2d(..)`.
    AvgPool2d {
        input: Tensor,
        args: Pool2dArgs,
    },
    /// `logits.cross_entropy_rows(target)`: the per-sample cross-entropy of logits `(N, C)`
    /// at class indices `(N)` (`i64`, no gradient); `lse` keeps each row's log-sum-exp `(N)`
    /// for the gradient.
    CrossEntropy {
        logits: Tensor,
        target: Tensor,
        lse: Arc<Storage>,
    },
    /// `q.scaled_dot_product_attention(k, v, mask, scale)` (operands of any strides); `mask`
    /// keeps the key mask `(B, Lk)` (`false`: padding), from which the gradient computes the
    /// attention probabilities again rather than keeping them (`B·H·Lq·Lk` values).
    Attention {
        q: Tensor,
        k: Tensor,
        v: Tensor,
        scale: f64,
        mask: Option<Arc<[bool]>>,
        /// The dropout of the probabilities, if any (its mask is drawn again from the seed).
        dropout: Option<DropProbs>,
    },
    /// `input.layer_norm(weight, bias, eps)` on contiguous operands; `stats` keeps each row's
    /// mean and standard deviation `(μ, σ)` for the gradient.
    LayerNorm {
        input: Tensor,
        weight: Tensor,
        bias: Tensor,
        stats: Arc<Storage>,
    },
}

/// Every op's inputs, in order: one `match` that [`Op::inputs`] expands on `&Op` (binding
/// references) and [`Op::into_inputs`] on `Op` (binding values), each collected into a
/// `SmallVec`.
macro_rules! inputs {
    ($op:expr, $($list:ident)::+) => {
        match $op {
            Op::Unary(a, _)
            | Op::Sum(a, _)
            | Op::Max(a, _)
            | Op::Min(a, _)
            | Op::LogSumExp(a, _)
            | Op::Softmax(a)
            | Op::LogSoftmax(a)
            | Op::Reshape(a)
            | Op::Permute(a, _)
            | Op::Narrow { input: a, .. }
            | Op::Broadcast(a)
            | Op::Cast(a)
            | Op::SparseMatMul { weight: a, .. }
            | Op::MaxPool2d { input: a, .. }
            | Op::AvgPool2d { input: a, .. } => $($list)::+![a],
            Op::Conv2d { input, weight, bias, .. } | Op::Linear { input, weight, bias, .. } => {
                std::iter::once(input).chain(Some(weight)).chain(bias).collect()
            }
            Op::Binary(a, b, _) | Op::MatMul(a, b) => $($list)::+![a, b],
            Op::Attention { q, k, v, .. } => $($list)::+![q, k, v],
            Op::LayerNorm { input, weight, bias, .. } => $($list)::+![input, weight, bias],
            Op::IndexSelect { input, index, .. }
            | Op::Gather { input, index, .. }
            | Op::CrossEntropy { logits: input, target: index, .. } => {
                $($list)::+![input, index]
            }
            Op::Where { mask, on_true, on_false } => $($list)::+![mask, on_true, on_false],
            Op::Concat(ts, _) => ts.into_iter().collect(),
        }
    };
}

impl Op {
    /// The input tensors, in order.
    pub fn inputs(&self) -> SmallVec<[&Tensor; 3]> {
        inputs!(self, smallvec::smallvec)
    }

    /// The inputs, by value (used to drop long graphs without recursion), inline: no
    /// allocation to free a graph node.
    pub(crate) fn into_inputs(self) -> SmallVec<[Tensor; 3]> {
        inputs!(self, smallvec::smallvec)
    }

    /// A short name for drawings and error messages.
    pub fn name(&self) -> String {
        match self {
            Op::Unary(_, u) => format!("{u:?}").to_lowercase(),
            Op::Binary(_, _, b) => format!("{b:?}").to_lowercase(),
            Op::MatMul(..) => "matmul".into(),
            Op::Sum(_, axes) => format!("sum{:?}", axes.as_slice()),
            Op::Max(_, axes) => format!("max{:?}", axes.as_slice()),
            Op::Min(_, axes) => format!("min{:?}", axes.as_slice()),
            Op::LogSumExp(_, axes) => format!("logsumexp{:?}", axes.as_slice()),
            Op::Softmax(_) => "softmax".into(),
            Op::LogSoftmax(_) => "log_softmax".into(),
            Op::Reshape(_) => "reshape".into(),
            Op::Permute(_, p) => format!("permute{:?}", p.as_slice()),
            Op::Narrow { axis, start, .. } => format!("narrow(axis {axis}, from {start})"),
            Op::Broadcast(_) => "broadcast".into(),
            Op::Concat(_, axis) => format!("concat(axis {axis})"),
            Op::IndexSelect { axis, .. } => format!("index_select(axis {axis})"),
            Op::Gather { axis, .. } => format!("gather(axis {axis})"),
            Op::Where { .. } => "where".into(),
            Op::Cast(_) => "cast".into(),
            Op::SparseMatMul { x, .. } => format!("sparse_matmul({}×{})", x.n_rows(), x.n_cols()),
            Op::Attention { .. } => "attention".into(),
            Op::CrossEntropy { .. } => "cross_entropy".into(),
            Op::LayerNorm { .. } => "layer_norm".into(),
            Op::Linear { act, bias, .. } => {
                let act = act.map_or("identity".into(), |a| format!("{a:?}").to_lowercase());
                format!("linear({act}{})", if bias.is_some() { ", bias" } else { "" })
            }
            Op::Conv2d { args, bias, pool, .. } => format!(
                "{}(stride {:?}, padding {:?}, dilation {:?}{})",
                if pool.is_some() { "conv2d_relu_max_pool2d" } else { "conv2d" },
                args.stride,
                args.padding,
                args.dilation,
                if bias.is_some() { ", bias" } else { "" }
            ),
            Op::MaxPool2d { args, relu: false, .. } => pool_name("max_pool2d", args),
            Op::MaxPool2d { args, relu: true, .. } => pool_name("relu_max_pool2d", args),
            Op::AvgPool2d { args, .. } => pool_name("avg_pool2d", args),
        }
    }
}

fn pool_name(op: &str, args: &Pool2dArgs) -> String {
    format!("{op}(kernel {:?}, stride {:?}, padding {:?})", args.kernel, args.stride, args.padding)
}
