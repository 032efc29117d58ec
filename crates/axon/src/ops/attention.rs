//! Scaled dot-product attention as one kernel, forward and backward, for each (batch, head)
//! plane on its own thread:
//!
//! ```text
//! S = scale · Q Kᵀ        (Lq × Lk; masked keys read as −∞)
//! P = softmax(S) by rows  (max subtracted first: never overflows)
//! O = P V                 (Lq × Dv)
//! ```
//!
//! One fused pass per plane: the scores are written once into a scratch plane of the thread,
//! where the softmax turns them into `P` in place, so no separate score, exponential or mask
//! tensor is made, and nothing of size `Lq × Lk` outlives the plane. The backward pass
//! (`dV = Pᵀ dO`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))` with `dP = dO Vᵀ`, `dQ = scale · dS K`,
//! `dK = scale · dSᵀ Q`) computes each plane's `P` again by the same call as the forward pass,
//! bit for bit, as FlashAttention recomputes it, instead of keeping every plane's `P` from the
//! forward pass (`B·H·L²` values per layer, 50 MB for MiniLM at batch 16 and 256 tokens): one
//! more product `Q Kᵀ` and softmax per plane in the backward pass, measured by
//! `scripts/bench_attention.py` and `scripts/bench_finetune.py`. A query row whose keys are all
//! masked attends to nothing: its output and its gradients are zero (PyTorch would give NaN
//! there).
//!
//! The forward pass reads `Q`, `K` and `V` through their strides (the heads of a projection
//! `(B, L, H, D)` viewed as `(B, H, L, D)` need no copy) and writes `O` in the `(B, Lq, H, Dv)`
//! order, so that merging the heads back is free too. A batch row whose mask keeps a prefix of
//! the keys (padding at the end, as a tokenizer pads) attends over that prefix only: the scores,
//! the softmax and `P V` skip the padded keys instead of computing and zeroing them. The softmax
//! loops are branch-free and run at the CPU's vector width ([`super::simd`]).
//!
//! In training, the probabilities may be dropped out before `P V` ([`DropProbs`]):
//! `O = (P ⊙ M / keep) V`, with `dV` taken through the same mask and `dP = (dO Vᵀ) ⊙ M / keep`.
//! The mask is drawn from a counter-based hash of the seed and each probability's place, so the
//! backward pass draws it again instead of storing it, as it computes `P` again.

use rayon::prelude::*;

use super::dispatch::Map;
use super::matmul::{gemm_into, gemm_strided};
use super::simd::{dispatch, dot_of, max_of, sum_of, Kernel};
use crate::tensor::{buffers, Float, Layout, Storage};
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

    /// Plane `p` of `x`: the elements from its start, and its `[row, column]` strides.
    fn plane<'x, T>(&self, x: &'x [T], p: usize, heads: usize) -> (&'x [T], [usize; 2]) {
        (&x[self.base(p, heads)..], [self.row, self.col])
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

/// The probabilities of plane `p` over the keys its batch row attends to, written to the
/// start of `s` as rows of `n` (returned; 0 when no key is attended, and nothing is written):
/// `S = Q Kᵀ` (Kᵀ is K read with its strides swapped), then the row softmax in place. The
/// forward and the backward pass both compute `P` by this one call, so the backward pass's `P`
/// is the forward pass's bit for bit.
#[allow(clippy::too_many_arguments)]
fn probabilities<T: Float>(
    g: &AttentionGeometry,
    keys: Keys,
    (q, qs): (&[T], &Strided),
    (k, ks): (&[T], &Strided),
    p: usize,
    s: &mut [T],
    scale: T,
) -> usize {
    let n = match keys {
        Keys::Prefix(n) => n,
        Keys::Masked(_) => g.lk,
    };
    if n == 0 {
        return 0;
    }
    let s = &mut s[..g.lq * n];
    let (qp, kp) = (&q[qs.base(p, g.heads)..], &k[ks.base(p, g.heads)..]);
    gemm_into(
        s,
        false,
        (qp, [qs.row, qs.col]),
        (kp, [ks.col, ks.row]),
        [g.lq, n, g.d],
        Parallelism::None,
    );
    match keys {
        Keys::Prefix(_) => dispatch(Softmax { s, n, scale, keep: None }),
        Keys::Masked(m) => dispatch(Softmax { s, n, scale, keep: Some(m) }),
    }
    n
}

/// The keys each batch row attends to.
fn keys_of<'m>(g: &AttentionGeometry, mask: Option<&'m [bool]>) -> Vec<Keys<'m>> {
    (0..g.planes / g.heads).map(|b| Keys::of(g.keys(mask, b * g.heads), g.lk)).collect()
}

/// The forward kernel of `[q, k, v]` (any strides): the output, `(B, Lq, H, Dv)` in memory
/// (`(planes, lq, dv)` for 3-D operands). The probabilities live in one plane's scratch per
/// thread and are not kept: the backward pass ([`AttentionGrads`]) computes them again.
pub struct Attention<'a> {
    pub geometry: &'a AttentionGeometry,
    /// `(batch, lk)`: `false` for a key no query may attend to (padding).
    pub mask: Option<&'a [bool]>,
    /// Dropout of the probabilities before `P V` (training).
    pub dropout: Option<DropProbs>,
}

impl Map<3> for Attention<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "scaled_dot_product_attention"
    }
    fn f<T: Float>(&self, [(q, ql), (k, kl), (v, vl)]: [(&[T], &Layout); 3]) -> Self::Output {
        let g = self.geometry;
        let (lq, lk, dv, heads) = (g.lq, g.lk, g.dv, g.heads);
        let (qs, ks, vs) = (Strided::of(ql), Strided::of(kl), Strided::of(vl));
        let keys = keys_of(g, self.mask);
        let scale = T::from(g.scale).unwrap();
        let mut out = buffers::take_stale::<T>(g.planes * lq * dv);
        let shared = SharedOut(out.as_mut_ptr());
        let drop = self.dropout;
        let scratch = || (vec![T::zero(); lq * lk], Vec::new());
        (0..g.planes).into_par_iter().for_each_init(scratch, |(s, dropped), p| {
            // Plane (b, h) of the output (B, Lq, H, Dv): rows H·Dv apart from b·Lq·H·Dv + h·Dv.
            let (b, h) = (p / heads, p % heads);
            let o = shared.at(b * lq * heads * dv + h * dv);
            let n = probabilities(g, keys[b], (q, &qs), (k, &ks), p, s, scale);
            if n == 0 {
                // Nothing to attend to: the output is 0.
                for i in 0..lq {
                    // SAFETY: row i of plane (b, h) of the output, written by this plane only.
                    unsafe { std::slice::from_raw_parts_mut(o.add(i * heads * dv), dv) }
                        .fill(T::zero());
                }
                return;
            }
            let s: &[T] = match drop {
                Some(drop) => {
                    dropped.resize(lq * n, T::zero());
                    dispatch(drop.rows(p, &mut dropped[..], Some(&s[..lq * n]), n, lk));
                    &dropped[..]
                }
                None => &s[..lq * n],
            };
            // SAFETY: the output rows of plane (b, h) (lq of dv elements, heads · dv apart
            // from its start) lie inside `out`, and no other plane writes them.
            unsafe {
                gemm_strided(
                    o,
                    [heads * dv, 1],
                    false,
                    (s, [n, 1]),
                    (&v[vs.base(p, heads)..], [vs.row, vs.col]),
                    [lq, dv, n],
                    Parallelism::None,
                );
            }
        });
        T::into_storage(out)
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

/// The backward kernel of `[q, k, v, dO]` (any strides): `[dQ, dK, dV]`, each written in the memory order of its operand
/// ([`Layout::dense_like`]), so that the heads of a projection get their gradient back as
/// `(B, L, H, D)` without a copy.
/// Each plane's probabilities are computed again as the forward pass computed them
/// ([`probabilities`]), into a scratch plane, instead of being kept from the forward pass.
pub struct AttentionGrads<'a> {
    pub geometry: &'a AttentionGeometry,
    /// The forward pass's key mask.
    pub mask: Option<&'a [bool]>,
    /// The forward pass's dropout, whose masks are drawn again from the same keys.
    pub dropout: Option<DropProbs>,
}

impl Map<4> for AttentionGrads<'_> {
    type Output = [Storage; 3];
    fn name(&self) -> &'static str {
        "scaled_dot_product_attention backward"
    }
    fn f<T: Float>(&self, operands: [(&[T], &Layout); 4]) -> Self::Output {
        let g = self.geometry;
        let (lq, lk, d, dv, heads) = (g.lq, g.lk, g.d, g.dv, g.heads);
        let [(q, ql), (k, kl), (v, vl), (go, gl)] = operands;
        let [qs, ks, vs, gs] = [ql, kl, vl, gl].map(Strided::of);
        let outs = [ql, kl, vl].map(|l| Strided::of(&l.dense_like()));
        let keys = keys_of(g, self.mask);
        let scale = T::from(g.scale).unwrap();
        let mut grads = [g.planes * lq * d, g.planes * lk * d, g.planes * lk * dv]
            .map(|len| buffers::take_stale::<T>(len));
        let [dq, dk, dvv] = grads.each_mut().map(|b| SharedOut(b.as_mut_ptr()));
        let drop = self.dropout;
        let scratch = || (vec![T::zero(); lq * lk], vec![T::zero(); lq * lk], Vec::new());
        (0..g.planes).into_par_iter().for_each_init(scratch, |(pp, ds, dropped), p| {
            // P in rows of lk, 0 at the keys not attended.
            let n = probabilities(g, keys[p / heads], (q, &qs), (k, &ks), p, pp, scale);
            spread_rows(pp, lq, n, lk);
            let pp = &pp[..];
            // The probabilities `P V` used: P itself, or P with the dropout mask applied.
            let pv = match drop {
                Some(drop) => {
                    dropped.resize(lq * lk, T::zero());
                    dispatch(drop.rows(p, &mut dropped[..], Some(pp), lk, lk));
                    &dropped[..]
                }
                None => pp,
            };
            let [(qp, qst), (kp, kst), (vp, vst), (gop, gst)] =
                [(q, &qs), (k, &ks), (v, &vs), (go, &gs)].map(|(x, s)| s.plane(x, p, heads));
            // SAFETY (all four products): the operands' strides keep every read inside
            // their slices (`gemm_strided` asserts it), and each plane writes only its own
            // rows of dQ, dK and dV, at the offsets and strides of their dense layouts.
            unsafe {
                // dV = Pᵀ dO (P as dropped).
                let dvp = dvv.at(outs[2].base(p, heads));
                gemm_strided(
                    dvp,
                    [outs[2].row, outs[2].col],
                    false,
                    (pv, [1, lk]),
                    (gop, gst),
                    [lk, dv, lq],
                    Parallelism::None,
                );
                // dP = dO Vᵀ (through the dropout mask), then dS = scale · P ⊙ (dP −
                // rowsum(dP ⊙ P)) in place.
                let vt = [vst[1], vst[0]];
                gemm_strided(
                    ds.as_mut_ptr(),
                    [lk, 1],
                    false,
                    (gop, gst),
                    (vp, vt),
                    [lq, lk, dv],
                    Parallelism::None,
                );
                if let Some(drop) = drop {
                    dispatch(drop.rows(p, &mut ds[..], None, lk, lk));
                }
                dispatch(SoftmaxGrad { ds: &mut ds[..], p: pp, lk, scale });
                // dQ = dS K, dK = dSᵀ Q.
                let dqp = dq.at(outs[0].base(p, heads));
                gemm_strided(
                    dqp,
                    [outs[0].row, outs[0].col],
                    false,
                    (ds, [lk, 1]),
                    (kp, kst),
                    [lq, d, lk],
                    Parallelism::None,
                );
                let dkp = dk.at(outs[1].base(p, heads));
                gemm_strided(
                    dkp,
                    [outs[1].row, outs[1].col],
                    false,
                    (ds, [1, lk]),
                    (qp, qst),
                    [lk, d, lq],
                    Parallelism::None,
                );
            }
        });
        grads.map(T::into_storage)
    }
}

/// Dropout of attention probabilities with a mask that is a pure function of `seed` and each
/// probability's place `(plane, query, key)`: a counter-based generator, so the backward pass
/// draws the same mask again instead of storing it, and the mask does not depend on the threads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DropProbs {
    /// `1 − p`, in `(0, 1]`.
    pub keep: f64,
    pub seed: u64,
}

impl DropProbs {
    /// The kernel writing rows of `src` (or `dst` itself) times the mask of plane `p` over
    /// `n` keys per row (of `lk` in the plane), `1 / keep` where kept and 0 where dropped.
    fn rows<'a, T: Float>(
        &self,
        p: usize,
        dst: &'a mut [T],
        src: Option<&'a [T]>,
        n: usize,
        lk: usize,
    ) -> DropRows<'a, T> {
        let key = splitmix64(self.seed ^ splitmix64(p as u64));
        // Kept when the top 24 bits of the hash fall below keep · 2²⁴.
        let threshold = (self.keep * (1u32 << 24) as f64).round() as u32;
        let scale = T::from(1.0 / self.keep).unwrap();
        DropRows { dst, src, n, lk, key: [key as u32, (key >> 32) as u32], threshold, scale }
    }
}

/// SplitMix64's finaliser: a 64-bit hash.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 32-bit hash (Wellons' `lowbias32`), in lanes.
#[inline(always)]
fn mix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x7FEB_352D);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846C_A68B);
    h ^ (h >> 16)
}

/// See [`DropProbs::rows`].
struct DropRows<'a, T> {
    dst: &'a mut [T],
    src: Option<&'a [T]>,
    n: usize,
    lk: usize,
    key: [u32; 2],
    threshold: u32,
    scale: T,
}

impl<T: Float> Kernel for DropRows<'_, T> {
    #[inline(always)]
    fn run(self) {
        let DropRows { dst, src, n, lk, key, threshold, scale } = self;
        let zero = T::zero();
        for (i, row) in dst.chunks_mut(n).enumerate() {
            let start = (i * lk) as u32;
            let factor = |j: usize| {
                let h = mix32(mix32(start.wrapping_add(j as u32) ^ key[0]) ^ key[1]);
                if h >> 8 < threshold {
                    scale
                } else {
                    zero
                }
            };
            match src {
                Some(src) => {
                    let from = &src[i * n..(i + 1) * n];
                    for (j, (d, &x)) in row.iter_mut().zip(from).enumerate() {
                        *d = x * factor(j);
                    }
                }
                None => row.iter_mut().enumerate().for_each(|(j, d)| *d *= factor(j)),
            }
        }
    }
}

/// `dS = scale · P ⊙ (dP − rowsum(dP ⊙ P))` in place on `ds` (rows of `lk`), the gradient of a
/// row softmax.
struct SoftmaxGrad<'a, T> {
    ds: &'a mut [T],
    p: &'a [T],
    lk: usize,
    scale: T,
}

impl<T: Float> Kernel for SoftmaxGrad<'_, T> {
    #[inline(always)]
    fn run(self) {
        let SoftmaxGrad { ds, p, lk, scale } = self;
        for (row, prow) in ds.chunks_mut(lk).zip(p.chunks(lk)) {
            let dot = dot_of(row, prow);
            for (x, &y) in row.iter_mut().zip(prow) {
                *x = scale * y * (*x - dot);
            }
        }
    }
}
