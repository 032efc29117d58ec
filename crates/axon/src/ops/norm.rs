//! Layer normalisation of each row in one pass over it, for inference: `LayerNorm` composed of
//! tensor ops (mean, subtract, square, mean, add, square root, divide, multiply, add) makes nine
//! passes and eight temporary tensors over the hidden state, which a BERT forward pass does
//! thirteen times. Without a graph there is nothing to keep for the backward pass, so this
//! kernel takes each row while it is in cache: `y = (x − μ) / √(σ² + ε) · γ + β` with the mean
//! and the biased variance of the row, the same formula in the same order as the composed ops.

use rayon::prelude::*;

use super::dispatch::Map;
use super::simd::{dispatch, sum_of, Kernel};
use crate::tensor::{Float, Layout, Storage};

/// Rows per parallel task: enough work to be worth a thread.
const ROWS_PER_TASK: usize = 16;

/// The kernel of `[x, γ, β]` (all contiguous; `γ` and `β` hold one row): every row of `x`
/// normalised, as a contiguous buffer of `x`'s size.
pub struct LayerNormRows {
    pub eps: f64,
}

impl Map<3> for LayerNormRows {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "layer_norm"
    }
    fn f<T: Float>(&self, [(x, xl), (w, wl), (b, bl)]: [(&[T], &Layout); 3]) -> Storage {
        let ranges = [xl, wl, bl].map(|l| l.contiguous_range().expect("contiguous operands"));
        let [x, w, b] = [&x[ranges[0].clone()], &w[ranges[1].clone()], &b[ranges[2].clone()]];
        let n = w.len();
        let mut out = vec![T::zero(); x.len()];
        let eps = T::from(self.eps).unwrap();
        out.par_chunks_mut(n * ROWS_PER_TASK)
            .zip(x.par_chunks(n * ROWS_PER_TASK))
            .for_each(|(o, x)| dispatch(Rows { x, out: o, w, b, eps }));
        T::into_storage(out)
    }
}

/// Rows of `x` (rows of `w.len()`) normalised into `out`.
struct Rows<'a, T> {
    x: &'a [T],
    out: &'a mut [T],
    w: &'a [T],
    b: &'a [T],
    eps: T,
}

impl<T: Float> Kernel for Rows<'_, T> {
    #[inline(always)]
    fn run(self) {
        let Rows { x, out, w, b, eps } = self;
        let n = w.len();
        let inv_n = T::one() / T::from(n).unwrap();
        for (o, x) in out.chunks_mut(n).zip(x.chunks(n)) {
            let mean = sum_of(x) * inv_n;
            o.iter_mut().zip(x).for_each(|(o, &x)| *o = x - mean);
            let mut sq = T::zero();
            // Σ (x − μ)² in eight lanes, as `sum_of` (no temporary for the squares).
            let mut lanes = [T::zero(); 8];
            let mut chunks = o.chunks_exact(8);
            for c in &mut chunks {
                for (l, &v) in lanes.iter_mut().zip(c) {
                    *l += v * v;
                }
            }
            for &v in chunks.remainder() {
                sq += v * v;
            }
            let [l0, l1, l2, l3, l4, l5, l6, l7] = lanes;
            let sq = ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)) + sq;
            let sd = (sq * inv_n + eps).sqrt();
            for ((o, &g), &beta) in o.iter_mut().zip(w).zip(b) {
                *o = *o / sd * g + beta;
            }
        }
    }
}
