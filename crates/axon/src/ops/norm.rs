//! Layer normalisation of each row in one pass over it, forward and backward. Composed of tensor
//! ops (mean, subtract, square, mean, add, square root, divide, multiply, add), `LayerNorm`
//! makes nine passes and eight temporary tensors over the hidden state, and about twice as many
//! again backward, which a BERT layer does twice. These kernels take each row while it is in
//! cache instead:
//!
//! ```text
//! forward:   μ = mean(x)   σ = √(mean((x − μ)²) + ε)   x̂ = (x − μ) / σ   y = x̂ · γ + β
//! backward:  ĝ = g · γ     dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) / σ
//!            dγ = Σ_rows g · x̂                      dβ = Σ_rows g
//! ```
//!
//! with the mean and the biased variance of the row, the same formula in the same order as the
//! composed ops. The forward pass keeps `(μ, σ)` per row when a gradient will be taken. The
//! parameter gradients are summed per fixed block of rows and the blocks added in order, so the
//! bits do not depend on the thread count.

use rayon::prelude::*;

use super::dispatch::Map;
use super::simd::{dispatch, dot_of, sum_of, Kernel};
use crate::tensor::{Float, Layout, Storage};

/// Rows per parallel task: enough work to be worth a thread, and the block of rows whose
/// parameter gradients are summed together (fixed, so the sums do not depend on the threads).
const ROWS_PER_TASK: usize = 16;

/// The forward kernel of `[x, γ, β]` (all contiguous; `γ` and `β` hold one row): every row of
/// `x` normalised, as a contiguous buffer of `x`'s size, and with `keep_stats` the `(μ, σ)` of
/// each row (two values per row) for [`LayerNormGrad`].
pub struct LayerNormRows {
    pub eps: f64,
    pub keep_stats: bool,
}

impl Map<3> for LayerNormRows {
    type Output = (Storage, Option<Storage>);
    fn name(&self) -> &'static str {
        "layer_norm"
    }
    fn f<T: Float>(&self, [(x, xl), (w, wl), (b, bl)]: [(&[T], &Layout); 3]) -> Self::Output {
        let [x, w, b] = [(x, xl), (w, wl), (b, bl)].map(|(v, l)| contiguous(v, l));
        let n = w.len();
        let mut out = vec![T::zero(); x.len()];
        let rows = x.len().checked_div(n).unwrap_or(0);
        let mut stats = vec![T::zero(); if self.keep_stats { 2 * rows } else { 0 }];
        let eps = T::from(self.eps).unwrap();
        let task = n * ROWS_PER_TASK;
        if n > 0 {
            let work = out.par_chunks_mut(task).zip(x.par_chunks(task));
            if self.keep_stats {
                work.zip(stats.par_chunks_mut(2 * ROWS_PER_TASK)).for_each(|((o, x), s)| {
                    dispatch(Rows { x, out: o, w, b, eps, stats: Some(s) })
                });
            } else {
                work.for_each(|(o, x)| dispatch(Rows { x, out: o, w, b, eps, stats: None }));
            }
        }
        (T::into_storage(out), self.keep_stats.then(|| T::into_storage(stats)))
    }
}

/// The elements of a contiguous operand.
fn contiguous<'a, T>(values: &'a [T], layout: &Layout) -> &'a [T] {
    &values[layout.contiguous_range().expect("contiguous operands")]
}

/// Rows of `x` (rows of `w.len()`) normalised into `out`, their `(μ, σ)` into `stats`.
struct Rows<'a, T> {
    x: &'a [T],
    out: &'a mut [T],
    w: &'a [T],
    b: &'a [T],
    eps: T,
    stats: Option<&'a mut [T]>,
}

impl<T: Float> Kernel for Rows<'_, T> {
    #[inline(always)]
    fn run(self) {
        let Rows { x, out, w, b, eps, mut stats } = self;
        let n = w.len();
        let inv_n = T::one() / T::from(n).unwrap();
        for (i, (o, x)) in out.chunks_mut(n).zip(x.chunks(n)).enumerate() {
            let mean = sum_of(x) * inv_n;
            o.iter_mut().zip(x).for_each(|(o, &x)| *o = x - mean);
            let sd = (dot_of(o, o) * inv_n + eps).sqrt();
            for ((o, &g), &beta) in o.iter_mut().zip(w).zip(b) {
                *o = *o / sd * g + beta;
            }
            if let Some(s) = stats.as_deref_mut() {
                s[2 * i] = mean;
                s[2 * i + 1] = sd;
            }
        }
    }
}

/// The gradient kernel of `[x, γ, stats, g]` (all contiguous; `stats` from [`LayerNormRows`]):
/// `dx` and, where `want` asks, `dγ` and `dβ` (one row each).
pub struct LayerNormGrad {
    /// Whether `[x, γ, β]` take a gradient.
    pub want: [bool; 3],
}

impl Map<4> for LayerNormGrad {
    type Output = [Option<Storage>; 3];
    fn name(&self) -> &'static str {
        "layer_norm backward"
    }
    fn f<T: Float>(&self, operands: [(&[T], &Layout); 4]) -> Self::Output {
        let [x, w, stats, g] = operands.map(|(v, l)| contiguous(v, l));
        let n = w.len();
        let params = self.want[1] || self.want[2];
        let mut dx = vec![T::zero(); if self.want[0] { x.len() } else { 0 }];
        let task = n * ROWS_PER_TASK;
        let block = |(i, (x, g)): (usize, (&[T], &[T])), dx: Option<&mut [T]>| {
            let s = &stats[2 * ROWS_PER_TASK * i..];
            let mut sums = params.then(|| vec![T::zero(); 2 * n]);
            dispatch(RowGrads { x, g, w, stats: s, dx, sums: sums.as_deref_mut() });
            sums
        };
        let blocks: Vec<Option<Vec<T>>> = if n == 0 {
            Vec::new()
        } else if self.want[0] {
            let rows = x.par_chunks(task).zip(g.par_chunks(task)).enumerate();
            rows.zip(dx.par_chunks_mut(task)).map(|(r, dx)| block(r, Some(dx))).collect()
        } else {
            let rows = x.par_chunks(task).zip(g.par_chunks(task)).enumerate();
            rows.map(|r| block(r, None)).collect()
        };
        // dγ and dβ: the blocks' sums added in order.
        let mut total = vec![T::zero(); 2 * n];
        for sums in blocks.iter().flatten() {
            total.iter_mut().zip(sums).for_each(|(t, &s)| *t += s);
        }
        let (dw, db) = total.split_at(n);
        [
            self.want[0].then(|| T::into_storage(dx)),
            self.want[1].then(|| T::into_storage(dw.to_vec())),
            self.want[2].then(|| T::into_storage(db.to_vec())),
        ]
    }
}

/// The gradients of a block of rows: `dx` (when given) and, added into `sums`, `Σ g · x̂` then
/// `Σ g` per column.
struct RowGrads<'a, T> {
    x: &'a [T],
    g: &'a [T],
    w: &'a [T],
    /// `(μ, σ)` of the block's rows.
    stats: &'a [T],
    dx: Option<&'a mut [T]>,
    sums: Option<&'a mut [T]>,
}

impl<T: Float> Kernel for RowGrads<'_, T> {
    #[inline(always)]
    fn run(self) {
        let RowGrads { x, g, w, stats, mut dx, mut sums } = self;
        let n = w.len();
        let inv_n = T::one() / T::from(n).unwrap();
        for (i, (x, g)) in x.chunks(n).zip(g.chunks(n)).enumerate() {
            let (mean, sd) = (stats[2 * i], stats[2 * i + 1]);
            if let Some(sums) = sums.as_deref_mut() {
                let (dw, db) = sums.split_at_mut(n);
                for (((dw, db), &x), &g) in dw.iter_mut().zip(db.iter_mut()).zip(x).zip(g) {
                    *dw += g * ((x - mean) / sd);
                    *db += g;
                }
            }
            let Some(dx) = dx.as_deref_mut() else { continue };
            let dx = &mut dx[i * n..(i + 1) * n];
            // ĝ = g · γ into dx; then the two row means.
            dx.iter_mut().zip(g).zip(w).for_each(|((d, &g), &w)| *d = g * w);
            let mean_g = sum_of(dx) * inv_n;
            let mut lanes = [T::zero(); 8];
            let mut chunks = dx.chunks_exact(8).zip(x.chunks_exact(8));
            for (d, x) in &mut chunks {
                for ((l, &d), &x) in lanes.iter_mut().zip(d).zip(x) {
                    *l += d * ((x - mean) / sd);
                }
            }
            let tail = (n / 8) * 8;
            let rest = dx[tail..].iter().zip(&x[tail..]);
            let tail = rest.fold(T::zero(), |s, (&d, &x)| s + d * ((x - mean) / sd));
            let [l0, l1, l2, l3, l4, l5, l6, l7] = lanes;
            let mean_gx = (((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)) + tail) * inv_n;
            for (d, &x) in dx.iter_mut().zip(x) {
                *d = (*d - mean_g - (x - mean) / sd * mean_gx) / sd;
            }
        }
    }
}
