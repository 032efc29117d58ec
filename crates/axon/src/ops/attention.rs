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

use rayon::prelude::*;

use super::dispatch::Map;
use super::matmul::gemm_into;
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

/// The forward kernel of `[q, k, v]` (contiguous): the output `(planes, lq, dv)` and, with
/// `keep_probs`, the probabilities `(planes, lq, lk)`.
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
    fn f<T: Float>(&self, [(q, _), (k, _), (v, _)]: [(&[T], &Layout); 3]) -> Self::Output {
        let g = self.geometry;
        let (lq, lk, d, dv) = (g.lq, g.lk, g.d, g.dv);
        let mut out = vec![T::zero(); g.planes * lq * dv];
        let mut probs = vec![T::zero(); if self.keep_probs { g.planes * lq * lk } else { 0 }];
        let plane = |p: usize, o: &mut [T], s: &mut [T]| {
            let (qp, kp) = (&q[p * lq * d..(p + 1) * lq * d], &k[p * lk * d..(p + 1) * lk * d]);
            // S = Q Kᵀ: Kᵀ is K read with row stride 1 and column stride d.
            gemm_into(s, false, (qp, [d, 1]), (kp, [1, d]), [lq, lk, d], Parallelism::None);
            softmax_rows(s, lk, T::from(g.scale).unwrap(), g.keys(self.mask, p));
            let vp = &v[p * lk * dv..(p + 1) * lk * dv];
            gemm_into(o, false, (s, [lk, 1]), (vp, [dv, 1]), [lq, dv, lk], Parallelism::None);
        };
        if self.keep_probs {
            out.par_chunks_mut(lq * dv)
                .zip(probs.par_chunks_mut(lq * lk))
                .enumerate()
                .for_each(|(p, (o, s))| plane(p, o, s));
        } else {
            out.par_chunks_mut(lq * dv)
                .enumerate()
                .for_each_init(|| vec![T::zero(); lq * lk], |s, (p, o)| plane(p, o, s));
        }
        (T::into_storage(out), self.keep_probs.then(|| T::into_storage(probs)))
    }
}

/// Each row of `s` (rows of `lk` scores) becomes `softmax(scale · row)` over the kept keys, 0 at
/// the others; a row with no kept key becomes zeros.
fn softmax_rows<T: Float>(s: &mut [T], lk: usize, scale: T, keep: Option<&[bool]>) {
    if lk == 0 {
        return;
    }
    for row in s.chunks_mut(lk) {
        let mut max = T::neg_infinity();
        for (j, x) in row.iter_mut().enumerate() {
            if keep.is_none_or(|m| m[j]) {
                *x *= scale;
                max = max.max(*x);
            }
        }
        if max == T::neg_infinity() {
            row.fill(T::zero());
            continue;
        }
        let mut sum = T::zero();
        for (j, x) in row.iter_mut().enumerate() {
            *x = if keep.is_none_or(|m| m[j]) { (*x - max).fast_exp() } else { T::zero() };
            sum += *x;
        }
        let inv = T::one() / sum;
        row.iter_mut().for_each(|x| *x *= inv);
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
