//! The backward pass: a topological sort of the recorded graph, then the chain rule applied in
//! reverse order. Every op's local gradient is in one exhaustive `match` (`input_grads`); a
//! gradient that arrives at a broadcast input is summed back to that input's shape in one place
//! ([`sum_to_shape`]), and gradients of a tensor used several times are added.

use std::collections::hash_map::Entry;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use smallvec::{smallvec, SmallVec};

use crate::error::{Error, Result};
use crate::ops::attention::AttentionGrads;
use crate::ops::binary::{BinaryGrad, Operand};
use crate::ops::conv::Conv2dGrads;
use crate::ops::cross_entropy::CrossEntropyRowsGrad;
use crate::ops::index::IndexGrad;
use crate::ops::linear::LinearGrad;
use crate::ops::matmul::MatMul;
use crate::ops::norm::LayerNormGrad;
use crate::ops::pool::Pool2dGrad;
use crate::ops::reduce::SoftmaxGrad;
use crate::ops::unary::UnaryGrad;
use crate::ops::{BinaryOp, Map};
use crate::tensor::{
    attention_geometry, conv_geometry, no_grad, pool_geometry, reduced_shape, sparse_t_matmul,
    Layout, Op, Shape, Storage, Tensor, TensorId,
};

/// What [`Tensor::backward_hooked`] calls with each leaf and its final gradient.
type FinalHook<'h> = &'h mut dyn FnMut(&Tensor, &Tensor) -> Result<()>;

/// Gradients of the loss with respect to every tracked tensor of the graph, by tensor id.
#[derive(Default, Clone)]
pub struct GradStore(HashMap<TensorId, Tensor>);

impl GradStore {
    /// `∂L/∂t`, if `t` took part in the graph.
    pub fn get(&self, t: &Tensor) -> Option<&Tensor> {
        self.0.get(&t.id())
    }

    /// Takes `∂L/∂t` out of the store.
    pub fn remove(&mut self, t: &Tensor) -> Option<Tensor> {
        self.0.remove(&t.id())
    }

    /// Sets the gradient of `t` (optimizers and tests use this).
    pub fn insert(&mut self, t: &Tensor, grad: Tensor) {
        self.0.insert(t.id(), grad);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `grad` to the gradient stored for `id` (one hash lookup).
    fn accumulate(&mut self, id: TensorId, grad: Tensor) -> Result<()> {
        match self.0.entry(id) {
            Entry::Occupied(mut e) => {
                let total = e.get().add(&grad)?;
                e.insert(total);
            }
            Entry::Vacant(e) => {
                e.insert(grad);
            }
        }
        Ok(())
    }
}

/// The tracked tensors reachable from `root`, every node after all of its inputs. Iterative, so a
/// chain of any length fits on the stack. The nodes are borrowed from the graph (no reference
/// counts touched), and the visited set and stacks are sized once for a small network's graph:
/// each stays under 1 KiB, the largest request `malloc` serves from its per-thread cache (a
/// larger one first consolidates the heap's free small chunks, a tenth of a tiny step).
pub fn topological_order(root: &Tensor) -> Vec<&Tensor> {
    let mut order = Vec::with_capacity(32);
    let mut visited = HashSet::with_capacity_and_hasher(32, Default::default());
    let mut stack = Vec::with_capacity(32);
    stack.push((root, false));
    while let Some((t, inputs_done)) = stack.pop() {
        if inputs_done {
            order.push(t);
            continue;
        }
        if !visited.insert(t.id()) {
            continue;
        }
        stack.push((t, true));
        if let Some(op) = t.op() {
            stack.extend(
                op.inputs()
                    .into_iter()
                    .filter(|i| i.is_tracked() && !visited.contains(&i.id()))
                    .map(|i| (i, false)),
            );
        }
    }
    order
}

impl Tensor {
    /// Gradients of this scalar with respect to every tracked tensor it depends on.
    pub fn backward(&self) -> Result<GradStore> {
        if self.numel() != 1 {
            return Err(Error::Backward(format!(
                "needs a scalar loss, got shape {}",
                self.shape()
            )));
        }
        self.backward_with(&self.ones_like())
    }

    /// Backward from a non-scalar output, given `∂L/∂self` (a vector-Jacobian product).
    pub fn backward_with(&self, grad: &Tensor) -> Result<GradStore> {
        self.backward_from(grad, None)
    }

    /// [`Tensor::backward`] that calls `on_final(leaf, grad)` for each tracked leaf (a tensor no
    /// op made: a parameter) as soon as its gradient is complete, that is once the last op that
    /// reads it has been differentiated, while the rest of the pass goes on: data-parallel
    /// training starts summing gradients across processes there (`nn/data_parallel.rs`). Every
    /// call sees the same graph in the same order; the gradients are those of `backward`.
    pub fn backward_hooked(
        &self,
        on_final: &mut dyn FnMut(&Tensor, &Tensor) -> Result<()>,
    ) -> Result<GradStore> {
        if self.numel() != 1 {
            return Err(Error::Backward(format!(
                "needs a scalar loss, got shape {}",
                self.shape()
            )));
        }
        self.backward_from(&self.ones_like(), Some(on_final))
    }

    fn backward_from(
        &self,
        grad: &Tensor,
        mut on_final: Option<FinalHook<'_>>,
    ) -> Result<GradStore> {
        if !self.is_tracked() {
            return Err(Error::Backward(
                "the tensor is not tracked: no input requires a gradient".into(),
            ));
        }
        if grad.shape() != self.shape() || grad.dtype() != self.dtype() {
            return Err(Error::ShapeMismatch {
                op: "backward",
                lhs: self.shape().clone(),
                rhs: grad.shape().clone(),
            });
        }
        no_grad(|| {
            let order = topological_order(self);
            let mut grads =
                GradStore(HashMap::with_capacity_and_hasher(order.len(), Default::default()));
            grads.insert(self, grad.clone());
            // With a hook: how many reads of each tracked leaf are still to be differentiated.
            let mut reads: HashMap<TensorId, usize> = HashMap::default();
            if on_final.is_some() {
                for op in order.iter().filter_map(|t| t.op()) {
                    for input in op.inputs().into_iter().filter(|i| i.is_tracked()) {
                        if input.op().is_none() {
                            *reads.entry(input.id()).or_default() += 1;
                        }
                    }
                }
            }
            for &node in order.iter().rev() {
                let Some(op) = node.op() else { continue };
                if let Some(g) = grads.get(node).cloned() {
                    for (input, g_in) in op.inputs().into_iter().zip(input_grads(op, node, &g)?) {
                        if let (Some(g_in), true) = (g_in, input.is_tracked()) {
                            grads.accumulate(input.id(), g_in)?;
                        }
                    }
                }
                let Some(hook) = on_final.as_mut() else { continue };
                for input in op.inputs() {
                    let Some(left) = reads.get_mut(&input.id()) else { continue };
                    *left -= 1;
                    if let (0, Some(g)) = (*left, grads.get(input)) {
                        hook(input, g)?;
                    }
                }
            }
            Ok(grads)
        })
    }
}

/// Sums a gradient over the axes along which an input of `shape` was broadcast.
pub fn sum_to_shape(g: &Tensor, shape: &Shape) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g.clone());
    }
    let extra = g.rank() - shape.rank();
    let axes: Vec<usize> = (0..g.rank())
        .filter(|&i| i < extra || (shape.dims()[i - extra] == 1 && g.dims()[i] != 1))
        .collect();
    g.sum(axes, true)?.reshape(shape)
}

/// `lhs · rhs`, the gradient of the matrix operand `x`, summed to its shape. When `x` is a
/// transposed view of a contiguous matrix (the weight `Wᵀ` of `x Wᵀ`), the product is computed
/// as `(rhsᵀ lhsᵀ)ᵀ`, so that the gradient has `x`'s layout and the gradient of `W` behind it
/// comes out contiguous, ready for the optimizer's straight loop.
fn matmul_grad(x: &Tensor, lhs: &Tensor, rhs: &Tensor) -> Result<Tensor> {
    let transposed = x.rank() == 2 && !x.is_contiguous() && x.t()?.is_contiguous();
    if transposed && lhs.rank() == 2 && rhs.rank() == 2 {
        return rhs.t()?.matmul(&lhs.t()?)?.t();
    }
    sum_to_shape(&lhs.matmul(rhs)?, x.shape())
}

/// A new tensor of `like`'s shape from a kernel's output buffer.
fn from_kernel(storage: Storage, like: &Tensor) -> Tensor {
    Tensor::from_storage(storage, like.shape().clone(), None)
}

/// `∂L/∂input` for each input of `op` (in the order of [`Op::inputs`]), given `node`, the tensor
/// `op` produced, and `g = ∂L/∂node`. `None` marks inputs that carry no gradient (indices, masks).
fn input_grads(op: &Op, node: &Tensor, g: &Tensor) -> Result<SmallVec<[Option<Tensor>; 3]>> {
    Ok(match op {
        Op::Unary(x, u) => {
            let s = UnaryGrad(*u).map([x.operand(), node.operand(), g.operand()])?;
            smallvec![Some(from_kernel(s, x))]
        }
        Op::Binary(a, b, BinaryOp::Add) => {
            smallvec![
                wanted(a, || sum_to_shape(g, a.shape()))?,
                wanted(b, || sum_to_shape(g, b.shape()))?
            ]
        }
        Op::Binary(a, b, bop) => {
            let grad = |wrt: Operand, x: &Tensor| -> Result<Tensor> {
                let (la, lb) =
                    (a.layout().broadcast_to(g.shape())?, b.layout().broadcast_to(g.shape())?);
                let operands = [(a.storage(), &la), (b.storage(), &lb), g.operand()];
                let s = BinaryGrad(*bop, wrt).map(operands)?;
                sum_to_shape(&Tensor::from_storage(s, g.shape().clone(), None), x.shape())
            };
            smallvec![wanted(a, || grad(Operand::Lhs, a))?, wanted(b, || grad(Operand::Rhs, b))?]
        }
        Op::MatMul(a, b) => {
            // dA = G Bᵀ and dB = Aᵀ G, each only if that operand needs it (data never does).
            let ga = wanted(a, || matmul_grad(a, g, &b.t()?))?;
            let gb = wanted(b, || matmul_grad(b, &a.t()?, g))?;
            smallvec![ga, gb]
        }
        Op::Sum(x, axes) => smallvec![Some(keepdim(g, x, axes)?.broadcast_to(x.shape())?)],
        Op::Max(x, axes) | Op::Min(x, axes) => {
            // The gradient goes to the elements equal to the extremum, shared equally on ties.
            let y = keepdim(node, x, axes)?;
            let hit = x.eq(&y)?;
            let count = hit.sum(axes.to_vec(), true)?;
            smallvec![Some(keepdim(g, x, axes)?.mul(&hit)?.div(&count)?)]
        }
        Op::LogSumExp(x, axes) => {
            let y = keepdim(node, x, axes)?;
            smallvec![Some(keepdim(g, x, axes)?.mul(&x.sub(&y)?.exp()?)?)]
        }
        Op::Softmax(x) | Op::LogSoftmax(x) => {
            let log = matches!(op, Op::LogSoftmax(_));
            let s = SoftmaxGrad { log }.map([node.operand(), g.operand()])?;
            smallvec![Some(from_kernel(s, x))]
        }
        Op::Reshape(x) => smallvec![Some(g.reshape(x.shape())?)],
        Op::Permute(_, perm) => {
            let mut inverse = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i;
            }
            smallvec![Some(g.permute(&inverse)?)]
        }
        Op::Narrow { input, axis, start } => {
            // Zeros before and after the slice that was taken.
            let (size, len) = (input.dims()[*axis], g.dims()[*axis]);
            let zeros = |n: usize| {
                let mut dims = input.dims().to_vec();
                dims[*axis] = n;
                Tensor::zeros(dims, g.dtype())
            };
            let parts: Vec<Tensor> = [
                (*start > 0).then(|| zeros(*start)),
                Some(g.clone()),
                (start + len < size).then(|| zeros(size - start - len)),
            ]
            .into_iter()
            .flatten()
            .collect();
            smallvec![Some(Tensor::concat(&parts, *axis)?)]
        }
        Op::Broadcast(x) => smallvec![Some(sum_to_shape(g, x.shape())?)],
        Op::Concat(parts, axis) => {
            let mut offset = 0;
            let mut grads = SmallVec::new();
            for p in parts {
                grads.push(Some(g.narrow(*axis, offset, p.dims()[*axis])?));
                offset += p.dims()[*axis];
            }
            grads
        }
        Op::IndexSelect { input, index: idx, axis } => {
            let index = idx.to_vec::<i64>()?;
            let kernel =
                IndexGrad { dims: input.dims(), axis: *axis, index_dims: None, index: &index };
            smallvec![Some(from_kernel(kernel.map([g.operand()])?, input)), None]
        }
        Op::Gather { input, index: idx, axis } => {
            let index = idx.contiguous().to_vec::<i64>()?;
            let index_dims = Some(idx.dims());
            let kernel = IndexGrad { dims: input.dims(), axis: *axis, index_dims, index: &index };
            smallvec![Some(from_kernel(kernel.map([g.operand()])?, input)), None]
        }
        Op::CrossEntropy { logits, target, lse } => {
            // g_i (softmax(x_i) − onehot(y_i)), from the logits and each row's log-sum-exp.
            let index = target.values::<i64>()?;
            let lse_layout = Layout::contiguous(target.shape().clone());
            let kernel = CrossEntropyRowsGrad { target: &index };
            let s = kernel.map([logits.operand(), (&**lse, &lse_layout), g.operand()])?;
            smallvec![Some(from_kernel(s, logits)), None]
        }
        Op::Where { mask, on_true, on_false } => {
            let zero = Tensor::zeros((), g.dtype());
            let gt = Tensor::where_cond(mask, g, &zero)?;
            let gf = Tensor::where_cond(mask, &zero, g)?;
            smallvec![
                None,
                Some(sum_to_shape(&gt, on_true.shape())?),
                Some(sum_to_shape(&gf, on_false.shape())?)
            ]
        }
        Op::Cast(x) => smallvec![Some(g.to_dtype(x.dtype())?)],
        // dW = Xᵀ G.
        Op::SparseMatMul { x, weight } => smallvec![Some(sparse_t_matmul(x, g, weight.dtype())?)],
        Op::Attention { q, k, v, scale, mask, dropout } => {
            // P again, dV = Pᵀ G, dS = scale · P ⊙ (G Vᵀ − rowsum), dQ = dS K, dK = dSᵀ Q, one
            // kernel.
            let geometry = attention_geometry(q, k, v, Some(*scale))?;
            let mask = mask.as_deref();
            let kernel = AttentionGrads { geometry: &geometry, mask, dropout: *dropout };
            let [dq, dk, dv] = kernel.map([q.operand(), k.operand(), v.operand(), g.operand()])?;
            // Each gradient is laid out in its operand's memory order.
            let tracked = |t: &Tensor, s: Storage| {
                let layout = t.layout().dense_like();
                t.is_tracked().then(|| Tensor::from_owned(s, layout, None))
            };
            smallvec![tracked(q, dq), tracked(k, dk), tracked(v, dv)]
        }
        Op::LayerNorm { input, weight, bias, stats } => {
            // dX = (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) / σ with ĝ = G · γ; dγ = Σ G · x̂, dβ = Σ G.
            let want = [input, weight, bias].map(Tensor::is_tracked);
            let stats_layout = Layout::contiguous(Shape::from([stats.len()]));
            let gy = g.contiguous();
            let operands =
                [input.operand(), weight.operand(), (&**stats, &stats_layout), gy.operand()];
            let [dx, dw, db] = LayerNormGrad { want }.map(operands)?;
            smallvec![
                dx.map(|s| from_kernel(s, input)),
                dw.map(|s| from_kernel(s, weight)),
                db.map(|s| from_kernel(s, bias))
            ]
        }
        Op::Conv2d { input, weight, bias, args, cols, pool } => {
            // dX = col2im(Wᵀ G), dW = Σ_n G_n X_colᵀ, db = G summed over the batch and pixels,
            // each only if that input needs it; G is sent back through a fused pooling first.
            let geometry = conv_geometry(input, weight, bias.as_ref(), *args)?;
            let wanted = [Some(input), Some(weight), bias.as_ref()]
                .map(|t| t.is_some_and(Tensor::is_tracked));
            let argmax = pool.as_deref().map(Vec::as_slice);
            let kernel = Conv2dGrads { geometry: &geometry, cols: cols.as_deref(), wanted, argmax };
            let gy = g.contiguous();
            let [dx, dw, db] = kernel.map([gy.operand(), input.operand(), weight.operand()])?;
            let mut grads: SmallVec<_> =
                smallvec![dx.map(|s| from_kernel(s, input)), dw.map(|s| from_kernel(s, weight))];
            if let Some(b) = bias {
                grads.push(db.map(|s| from_kernel(s, b)));
            }
            grads
        }
        Op::Linear { input, weight, bias, act, pre } => {
            // dZ = G ⊙ f'(Z) and db = Σ_rows dZ in one pass; dX = dZ W, dW = dZᵀ X.
            let want_bias = bias.as_ref().is_some_and(Tensor::is_tracked);
            let cols = node.dims()[1];
            let kernel = LinearGrad { act: *act, cols, want_bias };
            let (gy, y) = (g.contiguous(), node.layout());
            let z = match pre {
                Some(z) => (&**z, y),
                None => node.operand(),
            };
            let (dz, db) = kernel.map([z, node.operand(), gy.operand()])?;
            // The products as `dz.matmul(weight)` and `dz.t()?.matmul(input)` compute them (one
            // kernel, the same strides, the same bits), without their views and checks.
            let dz_layout = Layout::contiguous(node.shape().clone());
            let product = |a: Layout, b: &Tensor, dims: [usize; 2]| -> Result<Tensor> {
                let lb = b.layout().unsqueezed(0);
                let s = MatMul.map([(&dz, &a.unsqueezed(0)), (b.storage(), &lb)])?;
                Ok(Tensor::from_storage(s, Shape::from(dims), None))
            };
            let (n, ins) = (input.dims()[0], weight.dims()[1]);
            let mut grads: SmallVec<_> = smallvec![
                wanted(input, || product(dz_layout.clone(), weight, [n, ins]))?,
                wanted(weight, || product(dz_layout.permute(&[1, 0])?, input, [cols, ins]))?
            ];
            if let Some(b) = bias {
                grads.push(db.map(|s| from_kernel(s, b)));
            }
            grads
        }
        Op::MaxPool2d { input, args, argmax, .. } => {
            // Each output's gradient goes to the input element that was its maximum (none where
            // a fused ReLU cut it: those windows hold NO_GRADIENT).
            let geometry = pool_geometry("max_pool2d", input, *args)?;
            let kernel = Pool2dGrad { geometry: &geometry, argmax: Some(argmax) };
            smallvec![Some(from_kernel(kernel.map([g.contiguous().operand()])?, input))]
        }
        Op::AvgPool2d { input, args } => {
            // Each output's gradient is spread evenly over its window.
            let geometry = pool_geometry("avg_pool2d", input, *args)?;
            let kernel = Pool2dGrad { geometry: &geometry, argmax: None };
            smallvec![Some(from_kernel(kernel.map([g.contiguous().operand()])?, input))]
        }
    })
}

/// `grad()` if `input` takes a gradient, else `None` without computing it.
fn wanted(input: &Tensor, grad: impl FnOnce() -> Result<Tensor>) -> Result<Option<Tensor>> {
    if input.is_tracked() {
        grad().map(Some)
    } else {
        Ok(None)
    }
}

/// `t` (the result or gradient of a reduction of `x` over `axes`) with the reduced axes kept.
fn keepdim(t: &Tensor, x: &Tensor, axes: &[usize]) -> Result<Tensor> {
    t.reshape(reduced_shape(x.dims(), axes, true))
}
