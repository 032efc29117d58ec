//! Passes over the rows of a tall design matrix in fixed row blocks, in parallel, with the
//! blocks' partial results combined in one fixed order, so that a fit gives bit-identical results
//! whatever the number of threads. The fused pass of every gradient evaluation lives here too: it
//! reads each block of `X` once from memory for both of its products,
//!
//! ```text
//! Z_b = X_b B           scores of the block's rows           X_b: (rows, p), B: (p, m)
//! R_b = r(Z_b)          per-row loss and residual, in place  (the caller's closure)
//! G  += X_bᵀ R_b        while X_b is still in cache          G: (p, m)
//! ```
//!
//! instead of one pass for `X B` and another for `Xᵀ R`. Blocks are sized (about 512 KB of `X`)
//! to stay in L2 between the two products; their boundaries depend on `p` only.
//!
//! Order: blocks are grouped [`GROUP`] at a time; a group folds its blocks in order, and the
//! groups' results are folded in order. The grouping is fixed, so threads only decide who
//! computes a group, never how sums associate.
//!
//! When the rows are one rank's shard of a data set spread over MPI ranks
//! ([`crate::distributed::rows`]), the folded sums of [`fused_pass`] (and of the callers that
//! fold blocks themselves) are completed across the ranks by [`sum_over_ranks`].

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use crate::distributed::rows;

/// Bytes of `X` per row block.
const BLOCK_BYTES: usize = 1 << 19;
/// Blocks folded sequentially by one task.
const GROUP: usize = 8;
/// Below this many elements of `X` a pass runs on the calling thread (the same blocks, so the
/// same result).
const PARALLEL_FROM: usize = 1 << 18;

/// Rows per block for a matrix with `p` columns: a multiple of 8 between 64 and 8192.
pub(crate) fn block_rows(p: usize) -> usize {
    (BLOCK_BYTES / (8 * p.max(1))).clamp(64, 8192) / 8 * 8
}

/// Runs `block(start, len)` on every row block of an `n × p` matrix and folds the results with
/// `add(acc, part)` in the fixed order described in the module docs.
pub(crate) fn fold_blocks<T, B, A>(n: usize, p: usize, block: B, add: A) -> T
where
    T: Send,
    B: Fn(usize, usize) -> T + Sync,
    A: Fn(&mut T, T) + Sync,
{
    let rows = block_rows(p);
    let count = n.div_ceil(rows).max(1);
    let group = |g: usize| {
        let blocks = g * GROUP..((g + 1) * GROUP).min(count);
        let mut parts = blocks.map(|b| block(b * rows, rows.min(n - b * rows)));
        let mut acc = parts.next().expect("a group holds at least one block");
        parts.for_each(|part| add(&mut acc, part));
        acc
    };
    let groups = count.div_ceil(GROUP);
    let partials: Vec<T> = if n * p < PARALLEL_FROM {
        (0..groups).map(group).collect()
    } else {
        (0..groups).into_par_iter().map(group).collect()
    };
    let mut partials = partials.into_iter();
    let mut acc = partials.next().expect("at least one group");
    partials.for_each(|part| add(&mut acc, part));
    acc
}

/// Completes a sum over rows held as matrices (and a few scalars, `extra`) across the ranks of a
/// sharded fit, in one allreduce; a no-op outside a [`rows::RowShards`] scope.
pub(crate) fn sum_over_ranks(mats: &mut [&mut Mat<f64>], extra: &mut [f64]) {
    if !rows::is_sharded() {
        return;
    }
    let mut buf: Vec<f64> = extra.to_vec();
    for m in mats.iter() {
        for j in 0..m.ncols() {
            buf.extend(m.col(j).iter().copied());
        }
    }
    rows::sum_slice(&mut buf);
    extra.copy_from_slice(&buf[..extra.len()]);
    let mut at = extra.len();
    for m in mats.iter_mut() {
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                m[(i, j)] = buf[at];
                at += 1;
            }
        }
    }
}

/// `A B` on the calling thread, for the products inside one block.
pub(crate) fn block_products(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::zeros(a.nrows(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    out
}

/// One read of `X`: for every row block, `Z_b = X_b B`, then `residuals(start, Z_b)` turns the
/// scores into residuals in place and returns the block's share of the objective, then
/// `X_bᵀ R_b` is accumulated. Returns `(Σ shares, Xᵀ R)`.
pub(crate) fn fused_pass<F>(
    x: MatRef<'_, f64>,
    coef: MatRef<'_, f64>,
    residuals: F,
) -> (f64, Mat<f64>)
where
    F: Fn(usize, MatMut<'_, f64>) -> f64 + Sync,
{
    debug_assert_eq!(x.ncols(), coef.nrows());
    let (n, p) = (x.nrows(), x.ncols());
    let block = |start: usize, len: usize| {
        let xb = x.subrows(start, len);
        let mut z = block_products(xb, coef);
        let value = residuals(start, z.as_mut());
        (value, block_products(xb.transpose(), z.as_ref()))
    };
    let add = |acc: &mut (f64, Mat<f64>), part: (f64, Mat<f64>)| {
        acc.0 += part.0;
        acc.1 += part.1;
    };
    let (mut value, mut g) = fold_blocks(n, p, block, add);
    let mut extra = [value];
    sum_over_ranks(&mut [&mut g], &mut extra);
    value = extra[0];
    (value, g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_pass_equals_the_two_products() {
        for n in [1, 7, 1000, 5 * block_rows(6) + 3, 40 * block_rows(6) + 1] {
            let x = Mat::from_fn(n, 6, |i, j| ((i * 7 + j * 3) % 11) as f64 / 4.0 - 1.0);
            let b = Mat::from_fn(6, 2, |j, c| (j as f64 - 2.5) * (c as f64 + 0.5));
            let (value, g) = fused_pass(x.as_ref(), b.as_ref(), |_, mut z| {
                let mut s = 0.0;
                for c in 0..z.ncols() {
                    for i in 0..z.nrows() {
                        s += z[(i, c)];
                        z[(i, c)] = z[(i, c)].tanh();
                    }
                }
                s
            });
            let z = &x * &b;
            let r = Mat::from_fn(n, 2, |i, c| z[(i, c)].tanh());
            let want = x.transpose() * &r;
            let total: f64 = (0..2).map(|c| z.col(c).iter().sum::<f64>()).sum();
            assert!((value - total).abs() <= 1e-9 * (1.0 + total.abs()), "n = {n}");
            for j in 0..6 {
                for c in 0..2 {
                    let d = (g[(j, c)] - want[(j, c)]).abs();
                    assert!(d <= 1e-9 * (1.0 + want[(j, c)].abs()), "n = {n}");
                }
            }
        }
    }
}
