//! Scaled dot-product attention as one kernel, forward and backward, for each (batch, head)
//! plane on its own thread:
//!
//! ```text
//! S = scale · Q Kᵀ        (Lq × Lk; masked keys read as −∞)
//! P = softmax(S) by rows  (max subtracted first: never overflows)
//! O = P V                 (Lq × Dv)
//! ```
//!
//! One fused pass per plane: the scores are written once into the buffer that becomes `P` (the
//! softmax runs in place), so no separate score, exponential or mask tensor is made. `P` is what
//! the backward pass needs (`dV = Pᵀ dO`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))` with
//! `dP = dO Vᵀ`, `dQ = scale · dS K`, `dK = scale · dSᵀ Q`), so it is kept when a gradient will
//! be taken and dropped plane by plane otherwise. A query row whose keys are all masked attends
//! to nothing: its output and its gradients are zero (PyTorch would give NaN there).
//!
//! The forward pass reads `Q`, `K` and `V` through their strides (the heads of a projection
//! `(B, L, H, D)` viewed as `(B, H, L, D)` need no copy) and writes `O` in the `(B, Lq, H, Dv)`
//! order, so that merging the heads back is free too. A batch row whose mask keeps a prefix of
//! the keys (padding at the end, as a tokenizer pads) attends over that prefix only: the scores,
//! the softmax and `P V` skip the padded keys instead of computing and zeroing them. The softmax
//! loops are branch-free and run at the CPU's vector width ([`super::simd`]).

use rayon::prelude::*;

use super::dispatch::Map;
use super::matmul::gemm_into;
use super::simd::{dispatch, max_of, sum_of, Kernel};
use crate::tensor::{Float, Layout, Storage};
use gemm::Parallelism;

/// The sizes of an attention: `planes = batch · heads` planes of `lq` queries and `lk` keys of
/// width `d`, values of width `dv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionGeometry {
    pub planes: usize,
    /// Planes per batch row: the key mask has one row per `heads` planes.
    pub heads: usize,
    pub lq: usize,
    pub lk: usize,
    pub d: usize,
    pub dv: usize,
    pub scale: f64,
}

impl AttentionGeometry {
    /// The row of the key mask `(batch, lk)` that plane `p` reads.
    fn keys<'m>(&self, mask: Option<&'m [bool]>, p: usize) -> Option<&'m [bool]> {
        let b = p / self.heads;
        mask.map(|m| &m[b * self.lk..(b + 1) * self.lk])
    }
}

/// The keys a batch row attends to.
#[derive(Clone, Copy)]
enum Keys<'m> {
    /// The first `n` keys (no mask, or padding at the end).
    Prefix(usize),
    /// Any pattern: `false` for a masked key.
    Masked(&'m [bool]),
}

impl<'m> Keys<'m> {
    fn of(row: Option<&'m [bool]>, lk: usize) -> Keys<'m> {
        let Some(row) = row else { return Keys::Prefix(lk) };
        let n = row.iter().take_while(|&&m| m).count();
        if row[n..].iter().all(|&m| !m) {
            Keys::Prefix(n)
        } else {
            Keys::Masked(row)
        }
    }
}

/// One operand read through its layout: plane `p` (batch `p / heads`, head `p % heads`) starts
/// at `base(p)`, its rows `row` apart and its columns `col` apart.
#[derive(Clone, Copy)]
struct Strided {
    offset: usize,
    batch: usize,
    head: usize,
    row: usize,
    col: usize,
}

impl Strided {
    /// The strides of a `(B, L, D)` or `(B, H, L, D)` layout.
    fn of(layout: &Layout) -> Strided {
        let s = layout.strides();
        let (batch, head) = if s.len() == 4 { (s[0], s[1]) } else { (s[0], 0) };
        Strided { offset: layout.offset(), batch, head, row: s[s.len() - 2], col: s[s.len() - 1] }
    }

    fn base(&self, p: usize, heads: usize) -> usize {
        self.offset + (p / heads) * self.batch + (p % heads) * self.head
    }
}

/// The output buffer, written by every plane's thread at its own rows and columns.
#[derive(Clone, Copy)]
struct SharedOut<T>(*mut T);
// SAFETY: each plane writes a set of elements no other plane writes (see `Attention::f`).
unsafe impl<T: Send> Send for SharedOut<T> {}
unsafe impl<T: Send> Sync for SharedOut<T> {}

impl<T> SharedOut<T> {
    /// The element `i` places past the start (a method, so that closures capture the whole
    /// `Sync` wrapper rather than its raw pointer).
    fn at(&self, i: usize) -> *mut T {
        self.0.wrapping_add(i)
    }
}

/// The forward kernel of `[q, k, v]` (any strides): the output, `(B, Lq, H, Dv)` in memory
/// (`(planes, lq, dv)` for 3-D operands), and, with `keep_probs`, the probabilities
/// `(planes, lq, lk)`.
pub struct Attention<'a> {
    pub geometry: &'a AttentionGeometry,
    /// `(batch, lk)`: `false` for a key no query may attend to (padding).
    pub mask: Option<&'a [bool]>,
    pub keep_probs: bool,
}

impl Map<3> for Attention<'_> {
    type Output = (Storage, Option<Storage>);
    fn name(&self) -> &'static str {
        "scaled_dot_product_attention"
    }
    fn f<T: Float>(&self, [(q, ql), (k, kl), (v, vl)]: [(&[T], &Layout); 3]) -> Self::Output {
        let g = self.geometry;
        let (lq, lk, d, dv, heads) = (g.lq, g.lk, g.d, g.dv, g.heads);
        let (qs, ks, vs) = (Strided::of(ql), Strided::of(kl), Strided::of(vl));
        let keys: Vec<Keys> =
            (0..g.planes / heads).map(|b| Keys::of(g.keys(self.mask, b * heads), lk)).collect();
        let scale = T::from(g.scale).unwrap();
        let mut out = vec![T::zero(); g.planes * lq * dv];
        let mut probs = vec![T::zero(); if self.keep_probs { g.planes * lq * lk } else { 0 }];
        let shared = SharedOut(out.as_mut_ptr());
        let plane = |p: usize, s: &mut [T]| {
            let (qp, kp, vp) =
                (&q[qs.base(p, heads)..], &k[ks.base(p, heads)..], &v[vs.base(p, heads)..]);
            // Plane (b, h) of the output (B, Lq, H, Dv): rows H·Dv apart from b·Lq·H·Dv + h·Dv.
            let (b, h) = (p / heads, p % heads);
            let o = shared.at(b * lq * heads * dv + h * dv);
            let (n, s) = match keys[b] {
                Keys::Prefix(n) => (n, &mut s[..lq * n]),
                Keys::Masked(_) => (lk, &mut s[..]),
            };
            if n == 0 {
                return; // nothing to attend to: the output stays 0, and so do the probabilities.
            }
            // S = Q Kᵀ over the attended keys: Kᵀ is K read with its strides swapped.
            gemm_into(
                s,
                false,
                (qp, [qs.row, qs.col]),
                (kp, [ks.col, ks.row]),
                [lq, n, d],
                Parallelism::None,
            );
            match keys[b] {
                Keys::Prefix(_) => dispatch(Softmax { s, n, scale, keep: None }),
                Keys::Masked(m) => dispatch(Softmax { s, n, scale, keep: Some(m) }),
            }
            assert!((n - 1) * vs.row + (dv - 1) * vs.col < vp.len());
            // SAFETY: `s` holds lq × n probabilities; the assert keeps the reads of V inside
            // `v`; the output rows (lq of dv elements, heads · dv apart from plane (b, h)'s
            // start) lie inside `out`, and no other plane writes them.
            unsafe {
                gemm::gemm(
                    lq,
                    dv,
                    n,
                    o,
                    1,
                    (heads * dv) as isize,
                    false,
                    s.as_ptr(),
                    1,
                    n as isize,
                    vp.as_ptr(),
                    vs.col as isize,
                    vs.row as isize,
                    T::one(),
                    T::one(),
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
        };
        if self.keep_probs {
            probs.par_chunks_mut(lq * lk).enumerate().for_each(|(p, s)| {
                plane(p, s);
                if let Keys::Prefix(n) = keys[p / heads] {
                    spread_rows(s, lq, n, lk);
                }
            });
        } else {
            (0..g.planes)
                .into_par_iter()
                .for_each_init(|| vec![T::zero(); lq * lk], |s, p| plane(p, s));
        }
        (T::into_storage(out), self.keep_probs.then(|| T::into_storage(probs)))
    }
}

/// Rows of `n` packed at the start of `s` moved to rows of `lk` (`lk ≥ n`), zeros after each.
fn spread_rows<T: Float>(s: &mut [T], lq: usize, n: usize, lk: usize) {
    if n == lk {
        return;
    }
    // From the last row back: a row's new place never overlaps a row not yet moved.
    for i in (0..lq).rev() {
        s.copy_within(i * n..(i + 1) * n, i * lk);
        s[i * lk + n..(i + 1) * lk].fill(T::zero());
    }
}

/// Each row of `s` (rows of `n` scores) becomes `softmax(scale · row)` over the kept keys (all,
/// without `keep`), 0 at the others; a row with no kept key becomes zeros.
struct Softmax<'a, T> {
    s: &'a mut [T],
    n: usize,
    scale: T,
    keep: Option<&'a [bool]>,
}

impl<T: Float> Kernel for Softmax<'_, T> {
    #[inline(always)]
    fn run(self) {
        let Softmax { s, n, scale, keep } = self;
        let zero = T::zero();
        for row in s.chunks_mut(n) {
            match keep {
                None => row.iter_mut().for_each(|x| *x *= scale),
                Some(m) => row
                    .iter_mut()
                    .zip(m)
                    .for_each(|(x, &k)| *x = if k { *x * scale } else { T::neg_infinity() }),
            }
            let max = max_of(row);
            if max == T::neg_infinity() {
                row.fill(zero);
                continue;
            }
            match keep {
                None => row.iter_mut().for_each(|x| *x = (*x - max).fast_exp()),
                Some(m) => row.iter_mut().zip(m).for_each(|(x, &k)| {
                    let e = (*x - max).fast_exp();
                    *x = if k { e } else { zero }
                }),
            }
            let inv = T::one() / sum_of(row);
            row.iter_mut().for_each(|x| *x *= inv);
        }
    }
}

/// The backward kernel of `[q, k, v, dO]` (contiguous) with the forward pass's probabilities:
/// `[dQ, dK, dV]`.
pub struct AttentionGrads<'a> {
    pub geometry: &'a AttentionGeometry,
    pub probs: &'a Storage,
}

impl Map<4> for AttentionGrads<'_> {
    type Output = [Storage; 3];
    fn name(&self) -> &'static str {
        "scaled_dot_product_attention backward"
    }
    fn f<T: Float>(&self, [(q, _), (k, _), (v, _), (go, _)]: [(&[T], &Layout); 4]) -> Self::Output {
        let g = self.geometry;
        let (lq, lk, d, dv) = (g.lq, g.lk, g.d, g.dv);
        let probs = T::as_slice(self.probs).expect("probabilities of the operands' type");
        let scale = T::from(g.scale).unwrap();
        let mut dq = vec![T::zero(); g.planes * lq * d];
        let mut dk = vec![T::zero(); g.planes * lk * d];
        let mut dvv = vec![T::zero(); g.planes * lk * dv];
        let none = Parallelism::None;
        dq.par_chunks_mut(lq * d)
            .zip(dk.par_chunks_mut(lk * d))
            .zip(dvv.par_chunks_mut(lk * dv))
            .enumerate()
            .for_each_init(
                || vec![T::zero(); lq * lk],
                |ds, (p, ((dqp, dkp), dvp))| {
                    let at = |x, rows, cols| plane_of(x, p, rows * cols);
                    let (pp, gop) = (at(probs, lq, lk), at(go, lq, dv));
                    let (qp, kp, vp) = (at(q, lq, d), at(k, lk, d), at(v, lk, dv));
                    // dV = Pᵀ dO.
                    gemm_into(dvp, false, (pp, [1, lk]), (gop, [dv, 1]), [lk, dv, lq], none);
                    // dP = dO Vᵀ, then dS = scale · P ⊙ (dP − rowsum(dP ⊙ P)) in place.
                    gemm_into(ds, false, (gop, [dv, 1]), (vp, [1, dv]), [lq, lk, dv], none);
                    for (row, prow) in ds.chunks_mut(lk).zip(pp.chunks(lk)) {
                        let dot = row.iter().zip(prow).fold(T::zero(), |a, (&x, &y)| a + x * y);
                        for (x, &y) in row.iter_mut().zip(prow) {
                            *x = scale * y * (*x - dot);
                        }
                    }
                    // dQ = dS K, dK = dSᵀ Q.
                    gemm_into(dqp, false, (ds, [lk, 1]), (kp, [d, 1]), [lq, d, lk], none);
                    gemm_into(dkp, false, (ds, [1, lk]), (qp, [d, 1]), [lk, d, lq], none);
                },
            );
        [T::into_storage(dq), T::into_storage(dk), T::into_storage(dvv)]
    }
}

/// Plane `p` of a buffer of planes of `len` elements.
fn plane_of<T>(x: &[T], p: usize, len: usize) -> &[T] {
    &x[p * len..(p + 1) * len]
}
