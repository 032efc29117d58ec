//! The fused cross-entropy of logits `(N, C)` against class indices `y`: per sample
//! `ℓ_i = lse_i − x_{i,y_i}` with `lse_i = log Σ_j e^(x_ij)`, and its gradient
//! `∂L/∂x_ij = g_i (softmax(x_i)_j − [j = y_i])`, each in one pass over a row. It replaces
//! log-softmax, gather, reshape and negation (four graph nodes, a log-probability buffer of the
//! logits' size kept for the backward pass, and a scatter into a zero buffer) by one node that
//! keeps `lse` (one value per row). Every value is computed with the same IEEE operations in the
//! same order as that composition did (`−(x − lse)` forward; `ĝ_j − e^(x_j − lse) Σ_k ĝ_k` backward,
//! `ĝ` the one-hot incoming gradient the scatter built), so both give bit-identical results.

use rayon::prelude::*;

use super::dispatch::Map;
use super::reduce::logsumexp_slice;
use super::PARALLEL_THRESHOLD;
use crate::tensor::{buffers, row_len, row_stride, Float, Layout, Storage};

/// The forward kernel of the operand `[logits]` (contiguous, `(N, C)`), given the class of each
/// row (checked by the caller to lie in `0..C`): the per-sample losses and each row's
/// log-sum-exp, both `(N)`.
pub struct CrossEntropyRows<'a> {
    pub target: &'a [i64],
}

impl Map<1> for CrossEntropyRows<'_> {
    type Output = (Storage, Storage);
    fn name(&self) -> &'static str {
        "cross_entropy"
    }
    fn f<T: Float>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> (Storage, Storage) {
        let (n, c) = (self.target.len(), row_len(l));
        let mut losses = buffers::take_zeroed::<T>(n);
        let mut lse = buffers::take_zeroed::<T>(n);
        if n > 0 && c > 0 {
            let x = &x[l.offset()..l.offset() + n * c];
            let row = |((x, &y), (loss, lse)): ((&[T], &i64), (&mut T, &mut T))| {
                let s = logsumexp_slice(x);
                *lse = s;
                *loss = -(x[y as usize] - s);
            };
            if n * c >= PARALLEL_THRESHOLD {
                let rows = x.par_chunks(c).zip(self.target.par_iter());
                rows.zip(losses.par_iter_mut().zip(lse.par_iter_mut())).for_each(row);
            } else {
                let rows = x.chunks(c).zip(self.target);
                rows.zip(losses.iter_mut().zip(lse.iter_mut())).for_each(row);
            }
        }
        (T::into_storage(losses), T::into_storage(lse))
    }
}

/// The gradient kernel of [`CrossEntropyRows`], of the operands `[logits, lse, g]`: the logits
/// (contiguous, `(N, C)`), the forward pass's log-sum-exp per row and the incoming gradient of
/// the per-sample losses (`(N)`, any stride: a mean's gradient is a broadcast scalar).
pub struct CrossEntropyRowsGrad<'a> {
    pub target: &'a [i64],
}

impl Map<3> for CrossEntropyRowsGrad<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "cross_entropy backward"
    }
    fn f<T: Float>(&self, [(x, lx), (lse, ll), (g, lg)]: [(&[T], &Layout); 3]) -> Storage {
        let (n, c) = (self.target.len(), row_len(lx));
        let mut out = buffers::take_zeroed::<T>(n * c);
        if n == 0 || c == 0 {
            return T::into_storage(out);
        }
        let x = &x[lx.offset()..lx.offset() + n * c];
        let lse = &lse[ll.offset()..ll.offset() + n];
        let (g0, gs) = (lg.offset(), row_stride(lg));
        let row = |(i, (o, x)): (usize, (&mut [T], &[T]))| {
            // The composition's one-hot gradient: the negation's `−g`, scattered into zeros.
            let u = T::zero() + -g[g0 + i * gs];
            let y = self.target[i] as usize;
            for (j, (o, &v)) in o.iter_mut().zip(x).enumerate() {
                let gj = if j == y { u } else { T::zero() };
                *o = gj - (v - lse[i]).fast_exp() * u;
            }
        };
        if n * c >= PARALLEL_THRESHOLD {
            out.par_chunks_mut(c).zip(x.par_chunks(c)).enumerate().for_each(row);
        } else {
            out.chunks_mut(c).zip(x.chunks(c)).enumerate().for_each(row);
        }
        T::into_storage(out)
    }
}
