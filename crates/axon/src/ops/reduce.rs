//! Reductions over chosen axes, and softmax along the last axis, computed stably.
//!
//! A reduction views the input with the kept axes first and the reduced axes last; each output
//! element then folds one contiguous chunk. Sums use eight independent accumulators, which the
//! compiler vectorises and which lose less precision than one running total.

use std::borrow::Cow;

use rayon::prelude::*;

use super::dispatch::Map;
use super::{copy, PARALLEL_THRESHOLD};
use crate::tensor::{buffers, row_len, Element, Float, Layout, Storage};

/// `x` viewed with the `axes` to reduce moved last, as one contiguous buffer of `outer` chunks of
/// `inner` elements each.
fn chunked<'a, T: Element>(
    x: &'a [T],
    layout: &Layout,
    axes: &[usize],
) -> (Cow<'a, [T]>, usize, usize) {
    let rank = layout.shape().rank();
    let kept = (0..rank).filter(|a| !axes.contains(a));
    let perm: Vec<usize> = kept.chain(axes.iter().copied()).collect();
    let permuted = layout.permute(&perm).expect("axes were checked by the caller");
    let inner: usize = axes.iter().map(|&a| layout.dims()[a]).product();
    let outer = layout.shape().numel() / inner.max(1);
    let data = match permuted.contiguous_range() {
        Some(range) => Cow::Borrowed(&x[range]),
        None => Cow::Owned(copy(x, &permuted)),
    };
    (data, outer, inner)
}

/// `f` applied to each group of elements that `axes` reduces, in the order of the kept axes.
pub fn fold<T: Element, U: Element>(
    x: &[T],
    layout: &Layout,
    axes: &[usize],
    f: impl Fn(&[T]) -> U + Sync + Send,
) -> Vec<U> {
    let (data, outer, inner) = chunked(x, layout, axes);
    if inner == 0 {
        return (0..outer).map(|_| f(&[])).collect();
    }
    if data.len() >= PARALLEL_THRESHOLD && outer > 1 {
        return data.par_chunks(inner).map(&f).collect();
    }
    data.chunks(inner).map(f).collect()
}

/// Sum of a slice with eight lanes (vectorisable, and more accurate than a running total).
pub fn sum_slice<T: Float>(x: &[T]) -> T {
    if x.len() >= PARALLEL_THRESHOLD {
        return x.par_chunks(PARALLEL_THRESHOLD / 2).map(sum_slice).sum();
    }
    let mut acc = [T::zero(); 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            acc[i] += c[i];
        }
    }
    let mut total =
        ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in rest {
        total += v;
    }
    total
}

/// Largest element (NaN if any element is NaN; −∞ for an empty slice).
pub fn max_slice<T: Float>(x: &[T]) -> T {
    let mut m = T::neg_infinity();
    for &v in x {
        if v.is_nan() {
            return v;
        }
        m = if v > m { v } else { m };
    }
    m
}

/// Smallest element (NaN if any element is NaN; +∞ for an empty slice).
pub fn min_slice<T: Float>(x: &[T]) -> T {
    let mut m = T::infinity();
    for &v in x {
        if v.is_nan() {
            return v;
        }
        m = if v < m { v } else { m };
    }
    m
}

/// `log Σ e^x` without overflow: the maximum is taken out first.
pub fn logsumexp_slice<T: Float>(x: &[T]) -> T {
    let m = max_slice(x);
    if !m.is_finite() {
        // All −∞ gives −∞; a +∞ or NaN element decides the result. (`max_slice` returns NaN if
        // any element is NaN, so `m` is already the answer; adding `0 · Σx` would turn +∞ into
        // NaN, since 0 · ∞ = NaN.)
        return m;
    }
    let s: T = x.iter().map(|&v| (v - m).fast_exp()).sum();
    m + s.ln()
}

/// Index of the first largest element (a NaN counts as largest, as in PyTorch).
pub fn argmax_slice<T: Float>(x: &[T]) -> i64 {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if x[best].is_nan() {
            break;
        }
        if v > x[best] || v.is_nan() {
            best = i;
        }
    }
    best as i64
}

/// Index of the first smallest element (a NaN counts as smallest).
pub fn argmin_slice<T: Float>(x: &[T]) -> i64 {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if x[best].is_nan() {
            break;
        }
        if v < x[best] || v.is_nan() {
            best = i;
        }
    }
    best as i64
}

/// Sum over `axes`. A contiguous input reduced over leading axes (a bias gradient) adds whole
/// rows, without the transposed copy the general path would make.
pub fn sum<T: Float>(x: &[T], layout: &Layout, axes: &[usize]) -> Vec<T> {
    let leading = axes.iter().enumerate().all(|(i, &a)| a == i);
    if let (true, Some(range)) =
        (leading && axes.len() < layout.shape().rank(), layout.contiguous_range())
    {
        let inner: usize = layout.dims()[axes.len()..].iter().product();
        let mut out = buffers::take_zeroed::<T>(inner);
        for row in x[range].chunks_exact(inner.max(1)) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
        return out;
    }
    fold(x, layout, axes, sum_slice)
}

/// Rows of the last axis, as a contiguous buffer.
fn rows<'a, T: Element>(x: &'a [T], layout: &Layout) -> Cow<'a, [T]> {
    match layout.contiguous_range() {
        Some(range) => Cow::Borrowed(&x[range]),
        None => Cow::Owned(copy(x, layout)),
    }
}

/// Applies `f(row, out_row)` to every row of the last axis, in parallel when large.
fn per_row<T: Float>(data: &[T], n: usize, f: impl Fn(&[T], &mut [T]) + Sync + Send) -> Vec<T> {
    let mut out = buffers::take_zeroed::<T>(data.len());
    if n == 0 {
        return out;
    }
    if data.len() >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(n).zip(data.par_chunks(n)).for_each(|(o, x)| f(x, o));
    } else {
        out.chunks_mut(n).zip(data.chunks(n)).for_each(|(o, x)| f(x, o));
    }
    out
}

/// The softmax of one row, `out_i = e^(x_i − m) / Σ_j e^(x_j − m)` with `m` the row maximum,
/// returning the row's log-sum-exp `m + log Σ_j e^(x_j − m)`. Every softmax in the crate (the
/// tensor op, the linear models' class probabilities, a network's predictions) is this one.
pub fn softmax_row<T: Float>(x: &[T], out: &mut [T]) -> T {
    let m = max_slice(x);
    let mut s = T::zero();
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (v - m).fast_exp();
        s += *o;
    }
    let inv = T::one() / s;
    out.iter_mut().for_each(|o| *o *= inv);
    m + s.ln()
}

/// `e^(x_i − m) / Σ_j e^(x_j − m)` along the last axis, `m` the row maximum.
pub fn softmax<T: Float>(x: &[T], layout: &Layout) -> Vec<T> {
    let n = row_len(layout);
    per_row(&rows(x, layout), n, |x, out| {
        softmax_row(x, out);
    })
}

/// `x_i − log Σ_j e^(x_j)` along the last axis.
pub fn log_softmax<T: Float>(x: &[T], layout: &Layout) -> Vec<T> {
    let n = row_len(layout);
    per_row(&rows(x, layout), n, |x, out| {
        let lse = logsumexp_slice(x);
        for (o, &v) in out.iter_mut().zip(x) {
            *o = v - lse;
        }
    })
}

/// Softmax backward along the last axis: `dx = y ⊙ (g − Σ g ⊙ y)`.
pub fn softmax_backward<T: Float>(y: &[T], ly: &Layout, g: &[T], lg: &Layout) -> Vec<T> {
    let n = row_len(ly);
    let (y, g) = (rows(y, ly), rows(g, lg));
    let mut out = vec![T::zero(); y.len()];
    for ((o, y), g) in out.chunks_mut(n.max(1)).zip(y.chunks(n.max(1))).zip(g.chunks(n.max(1))) {
        let dot: T = y.iter().zip(g).map(|(&a, &b)| a * b).sum();
        for ((o, &y), &g) in o.iter_mut().zip(y).zip(g) {
            *o = y * (g - dot);
        }
    }
    out
}

/// Log-softmax backward along the last axis: `dx = g − e^y Σ g`.
pub fn log_softmax_backward<T: Float>(y: &[T], ly: &Layout, g: &[T], lg: &Layout) -> Vec<T> {
    let n = row_len(ly);
    let (y, g) = (rows(y, ly), rows(g, lg));
    let mut out = vec![T::zero(); y.len()];
    for ((o, y), g) in out.chunks_mut(n.max(1)).zip(y.chunks(n.max(1))).zip(g.chunks(n.max(1))) {
        let total = sum_slice(g);
        for ((o, &y), &g) in o.iter_mut().zip(y).zip(g) {
            *o = g - y.fast_exp() * total;
        }
    }
    out
}

/// The reductions over chosen axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Max,
    Min,
    LogSumExp,
    /// The `i64` index of the largest element (the first on ties).
    ArgMax,
    /// The `i64` index of the smallest element.
    ArgMin,
}

/// The kernel of a reduction over `axes` (checked, sorted and de-duplicated by the caller).
pub struct Reduce<'a>(pub ReduceOp, pub &'a [usize]);

impl Map<1> for Reduce<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        match self.0 {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::LogSumExp => "logsumexp",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::ArgMin => "argmin",
        }
    }
    fn f<T: Float>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> Storage {
        let axes = self.1;
        match self.0 {
            ReduceOp::Sum => T::into_storage(sum(x, l, axes)),
            ReduceOp::Max => T::into_storage(fold(x, l, axes, max_slice)),
            ReduceOp::Min => T::into_storage(fold(x, l, axes, min_slice)),
            ReduceOp::LogSumExp => T::into_storage(fold(x, l, axes, logsumexp_slice)),
            ReduceOp::ArgMax => Storage::I64(fold(x, l, axes, argmax_slice)),
            ReduceOp::ArgMin => Storage::I64(fold(x, l, axes, argmin_slice)),
        }
    }
}

/// The kernel of softmax (or, when `log`, log-softmax) along the last axis.
pub struct Softmax {
    pub log: bool,
}

impl Map<1> for Softmax {
    type Output = Storage;
    fn name(&self) -> &'static str {
        if self.log {
            "log_softmax"
        } else {
            "softmax"
        }
    }
    fn f<T: Float>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> Storage {
        T::into_storage(if self.log { log_softmax(x, l) } else { softmax(x, l) })
    }
}

/// The gradient kernel of [`Softmax`], of the operands `[y, g]`: the op's output and the
/// incoming gradient.
pub struct SoftmaxGrad {
    pub log: bool,
}

impl Map<2> for SoftmaxGrad {
    type Output = Storage;
    fn name(&self) -> &'static str {
        if self.log {
            "log_softmax backward"
        } else {
            "softmax backward"
        }
    }
    fn f<T: Float>(&self, [(y, ly), (g, lg)]: [(&[T], &Layout); 2]) -> Storage {
        T::into_storage(if self.log {
            log_softmax_backward(y, ly, g, lg)
        } else {
            softmax_backward(y, ly, g, lg)
        })
    }
}
