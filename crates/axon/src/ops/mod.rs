//! Forward kernels on the CPU. Each kernel reads flat slices through [`Layout`]s and returns a
//! fresh contiguous buffer; the [`Tensor`](crate::Tensor) methods choose the kernel, check shapes
//! and record the graph, and [`dispatch`] runs a kernel on the element type a storage holds.
//! Contiguous inputs take a straight-line loop the compiler vectorises, and large ones are split
//! across threads with rayon. Output buffers come from the
//! [buffer pool](crate::tensor::buffers).

pub mod attention;
pub mod binary;
pub mod conv;
pub mod cross_entropy;
pub mod dispatch;
pub mod fastmath;
mod im2col;
pub mod index;
pub mod linear;
pub mod matmul;
pub mod norm;
pub mod op;
pub mod pool;
#[cfg(target_arch = "x86_64")]
mod pool_avx2;
#[cfg(target_arch = "x86_64")]
mod pool_avx512;
#[cfg(target_arch = "x86_64")]
mod pool_simd;
pub mod reduce;
pub mod simd;
pub mod unary;

use std::mem::MaybeUninit;

use rayon::prelude::*;

pub use dispatch::{Map, MapAny};
pub use op::{BinaryOp, CmpOp, UnaryOp};

use crate::tensor::{buffers, for_each_row, row_len, row_stride, Element, Layout};

/// Below this many elements an elementwise kernel stays on one thread: spawning costs more.
pub const PARALLEL_THRESHOLD: usize = 1 << 15;

/// Elements per task when an elementwise kernel runs on several threads.
const CHUNK: usize = 1 << 13;

/// A buffer of `n` elements, each chunk written by `fill(start, chunk)`: on several threads when
/// `n` is large. Writing through slices (not `collect`) keeps the inner loops vectorisable.
fn filled<U: Element>(n: usize, fill: impl Fn(usize, &mut [MaybeUninit<U>]) + Sync) -> Vec<U> {
    let mut out = buffers::take_empty(n);
    let spare = &mut out.spare_capacity_mut()[..n];
    if n >= PARALLEL_THRESHOLD {
        spare.par_chunks_mut(CHUNK).enumerate().for_each(|(i, chunk)| fill(i * CHUNK, chunk));
    } else {
        fill(0, spare);
    }
    // SAFETY: every caller's `fill` writes each element of the chunk it is given, and the
    // chunks cover `0..n`.
    unsafe { out.set_len(n) };
    out
}

/// `f` applied to every element, in row-major order.
pub fn map<T: Element, U: Element>(x: &[T], layout: &Layout, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    if let Some(range) = layout.contiguous_range() {
        let src = &x[range];
        return filled(src.len(), |start, out| {
            for (o, &v) in out.iter_mut().zip(&src[start..]) {
                o.write(f(v));
            }
        });
    }
    let mut out = Vec::with_capacity(layout.shape().numel());
    let (n, s) = (row_len(layout), row_stride(layout));
    for_each_row([layout], |[o]| out.extend((0..n).map(|i| f(x[o + i * s]))));
    out
}

/// `f` applied to pairs of elements of two layouts of the same shape (already broadcast).
pub fn zip<T: Element, U: Element>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> U + Sync,
) -> Vec<U> {
    if let (Some(ra), Some(rb)) = (la.contiguous_range(), lb.contiguous_range()) {
        let (a, b) = (&a[ra], &b[rb]);
        return filled(a.len(), |start, out| {
            for ((o, &x), &y) in out.iter_mut().zip(&a[start..]).zip(&b[start..]) {
                o.write(f(x, y));
            }
        });
    }
    let mut out = Vec::with_capacity(la.shape().numel());
    let (n, sa, sb) = (row_len(la), row_stride(la), row_stride(lb));
    for_each_row([la, lb], |[oa, ob]| match (sa, sb) {
        (1, 1) => out.extend(a[oa..oa + n].iter().zip(&b[ob..ob + n]).map(|(&x, &y)| f(x, y))),
        (1, 0) => out.extend(a[oa..oa + n].iter().map(|&x| f(x, b[ob]))),
        (0, 1) => out.extend(b[ob..ob + n].iter().map(|&y| f(a[oa], y))),
        _ => out.extend((0..n).map(|i| f(a[oa + i * sa], b[ob + i * sb]))),
    });
    out
}

/// `f` applied to triples of elements of three layouts of the same shape.
pub fn zip3<A: Element, T: Element, U: Element>(
    a: &[A],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    c: &[T],
    lc: &Layout,
    f: impl Fn(A, T, T) -> U + Sync,
) -> Vec<U> {
    if let (Some(ra), Some(rb), Some(rc)) =
        (la.contiguous_range(), lb.contiguous_range(), lc.contiguous_range())
    {
        let (a, b, c) = (&a[ra], &b[rb], &c[rc]);
        if a.len() >= PARALLEL_THRESHOLD {
            return (a, b, c)
                .into_par_iter()
                .with_min_len(CHUNK)
                .map(|(&x, &y, &z)| f(x, y, z))
                .collect();
        }
        let mut out = buffers::take_empty(a.len());
        out.extend(a.iter().zip(b).zip(c).map(|((&x, &y), &z)| f(x, y, z)));
        return out;
    }
    let mut out = Vec::with_capacity(la.shape().numel());
    let (n, sa, sb, sc) = (row_len(la), row_stride(la), row_stride(lb), row_stride(lc));
    for_each_row([la, lb, lc], |[oa, ob, oc]| {
        out.extend((0..n).map(|i| f(a[oa + i * sa], b[ob + i * sb], c[oc + i * sc])))
    });
    out
}

/// A contiguous copy of the elements a layout reads, in row-major order.
pub fn copy<T: Element>(x: &[T], layout: &Layout) -> Vec<T> {
    if let Some(range) = layout.contiguous_range() {
        let mut out = buffers::take_empty(range.len());
        out.extend_from_slice(&x[range]);
        return out;
    }
    map(x, layout, |v| v)
}
