//! Products with tall matrices (`n` rows of data, a few hundred columns at most): the Gram
//! matrices and cross products of Newton's method, `Xᵀ W X` and `Xᵀ R`, and `η = X β`, split
//! over rayon's threads above a size. faer's own parallel product synchronises its threads with
//! spinning barriers, which collapses when the cores are shared with other work; summing
//! sequential products of row blocks on rayon's pool is as fast on an idle machine and degrades
//! gracefully on a busy one.
//!
//! ```text
//! AᵀB     = Σ_b A_bᵀ B_b                  A_b, B_b: rows [b·R, (b+1)·R) of A and B
//! XᵀR²X   = Σ_b (R_b X_b)ᵀ (R_b X_b)      R = diag(r): scaled block by block, never all of X
//! ```
//!
//! The Gram matrix is symmetric, so each block computes only its lower triangle (half the
//! multiply–adds) and the sum is mirrored once at the end. Block sums go through
//! [`fold_blocks`], in one fixed order whatever the number of threads, and, for a fit over row
//! shards on several MPI ranks, through [`sum_over_ranks`].
//!
//! The exact fits (binary and multinomial) also refuse a collinear design on the Gram matrix
//! ([`check_rank`]): with unit-norm columns, the squared Cholesky pivot of column `j` is
//! `1 − R²ⱼ` against the columns before it. A column whose sum of squares overflows (a value of
//! 10³⁰⁰) is reported as ill-scaled, not as collinear.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::solvers::{Llt, LltError};
use faer::{Accum, Mat, MatRef, Par, Side};
use rayon::prelude::*;

use super::blocks::{fold_blocks, sum_over_ranks};

use crate::error::{Error, Result};

/// Rows per block of a matrix–vector product.
const ROWS_MV: usize = 16_384;
/// Below this many elements a matrix–vector product runs on the calling thread.
const PARALLEL_FROM: usize = 1 << 18;

/// `X β`, row blocks in parallel, each a sum of scaled columns (contiguous slices when `X` is
/// column-major, as faer makes it).
pub(crate) fn x_beta(x: MatRef<'_, f64>, beta: &[f64]) -> Vec<f64> {
    debug_assert_eq!(x.ncols(), beta.len());
    let mut eta = vec![0.0; x.nrows()];
    let block = |(k, out): (usize, &mut [f64])| {
        let rows = x.subrows(k * ROWS_MV, out.len());
        for (j, &b) in beta.iter().enumerate().filter(|(_, &b)| b != 0.0) {
            let column = rows.col(j);
            match column.try_as_col_major() {
                Some(c) => out.iter_mut().zip(c.as_slice()).for_each(|(e, &v)| *e += v * b),
                None => out.iter_mut().zip(column.iter()).for_each(|(e, &v)| *e += v * b),
            }
        }
    };
    if x.nrows() * x.ncols() < PARALLEL_FROM {
        eta.chunks_mut(ROWS_MV).enumerate().for_each(block);
    } else {
        eta.par_chunks_mut(ROWS_MV).enumerate().for_each(block);
    }
    eta
}

/// `AᵀB` for `A` of shape `(n, p)` and `B` of shape `(n, q)`, summed over row blocks in a fixed
/// order (and across the ranks of a sharded fit).
pub(crate) fn t_matmul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = t_matmul_local(a, b);
    sum_over_ranks(&mut [&mut out], &mut []);
    out
}

/// [`t_matmul`] over this rank's rows only, for a caller that completes several sums across the
/// ranks in one reduction.
pub(crate) fn t_matmul_local(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    debug_assert_eq!(a.nrows(), b.nrows());
    let (n, p, q) = (a.nrows(), a.ncols(), b.ncols());
    let block = |start: usize, len: usize| {
        let mut out = Mat::zeros(p, q);
        let (ab, bb) = (a.subrows(start, len), b.subrows(start, len));
        matmul(out.as_mut(), Accum::Replace, ab.transpose(), bb, 1.0, Par::Seq);
        out
    };
    fold_blocks(n, p.max(q), block, |acc, part| *acc += part)
}

/// The lower triangle of `(diag(r) X_b)ᵀ (diag(r) X_b)` for the rows `start..start + len` of `X`
/// and their `len` factors `r`: one block's share of a Gram matrix, the scaled rows made for this
/// block only. Mirror the sum with [`mirror_lower`].
pub(crate) fn scaled_gram_block(
    x: MatRef<'_, f64>,
    r: &[f64],
    start: usize,
    len: usize,
) -> Mat<f64> {
    let p = x.ncols();
    let rows = x.subrows(start, len);
    let mut scaled = Mat::<f64>::zeros(len, p);
    for j in 0..p {
        let column = scaled.col_mut(j).iter_mut().zip(rows.col(j).iter());
        for ((out, &v), &ri) in column.zip(r) {
            *out = ri * v;
        }
    }
    let mut out = Mat::zeros(p, p);
    let (lower, full) = (BlockStructure::TriangularLower, BlockStructure::Rectangular);
    let (lhs, rhs) = (scaled.transpose(), scaled.as_ref());
    triangular::matmul(out.as_mut(), lower, Accum::Replace, lhs, full, rhs, full, 1.0, Par::Seq);
    out
}

/// Copies the lower triangle of a square matrix onto its upper triangle.
pub(crate) fn mirror_lower(gram: &mut Mat<f64>) {
    for j in 0..gram.ncols() {
        for i in 0..j {
            gram[(i, j)] = gram[(j, i)];
        }
    }
}

/// `(diag(r) X)ᵀ (diag(r) X) = Xᵀ diag(r²) X` for `X` of shape `(n, p)`, `r` of length `n`;
/// one pass over row blocks (the scaled rows exist one block at a time), summed in a fixed order.
pub(crate) fn scaled_gram(x: MatRef<'_, f64>, r: &[f64]) -> Mat<f64> {
    debug_assert_eq!(x.nrows(), r.len());
    let block = |start: usize, len: usize| scaled_gram_block(x, &r[start..start + len], start, len);
    let mut gram = fold_blocks(x.nrows(), x.ncols(), block, |acc, part| *acc += part);
    sum_over_ranks(&mut [&mut gram], &mut []);
    mirror_lower(&mut gram);
    gram
}

/// Refuses a design whose (weighted) columns are linearly dependent: with unit-norm columns the
/// Cholesky pivot of column `j` is `1 − R²ⱼ` against the columns before it.
pub(crate) fn check_rank(
    x: MatRef<'_, f64>,
    weights: Option<&[f64]>,
    names: &[String],
) -> Result<()> {
    let (n, p) = (x.nrows(), x.ncols());
    let root_weights: Vec<f64> = (0..n).map(|i| weights.map_or(1.0, |w| w[i].sqrt())).collect();
    let raw = scaled_gram(x, &root_weights);
    let norms: Vec<f64> = (0..p).map(|j| raw[(j, j)].sqrt()).collect();
    if let Some(j) = norms.iter().position(|v| !v.is_finite()) {
        return Err(ill_scaled_error(x, weights, names, j));
    }
    if let Some(j) = norms.iter().position(|&v| v == 0.0) {
        return Err(singular_error(names, j));
    }
    let gram = Mat::from_fn(p, p, |j, k| raw[(j, k)] / (norms[j] * norms[k]));
    let llt = Llt::new(gram.as_ref(), Side::Lower)
        .map_err(|LltError::NonPositivePivot { index }| singular_error(names, index))?;
    match (0..p).find(|&j| llt.L()[(j, j)].powi(2) < 1e-11) {
        Some(j) => Err(singular_error(names, j)),
        None => Ok(()),
    }
}

/// The error for column `j`, whose sum of squares overflows: its values are too large for the
/// fit, which is a matter of scale (often a typo), not of collinearity.
fn ill_scaled_error(
    x: MatRef<'_, f64>,
    weights: Option<&[f64]>,
    names: &[String],
    j: usize,
) -> Error {
    let used = |i: &usize| weights.is_none_or(|w| w[*i] > 0.0);
    let (row, largest) = (0..x.nrows())
        .filter(used)
        .map(|i| (i, x[(i, j)].abs()))
        .fold((0, 0.0f64), |best, (i, v)| if v > best.1 { (i, v) } else { best });
    let column = names.get(j).map_or("?", |s| s.as_str());
    Error::invalid(
        "x",
        format!("column `{column}`"),
        format!(
            "is ill-scaled: it holds values as large as {largest:e} (row {} of the design), whose \
             squares overflow, so the information matrix cannot be formed; check the value (a \
             typo?) and rescale the column (standardising it works only once its squares fit in \
             a double)",
            row + 1
        ),
    )
}

/// The error for column `index`, which depends linearly on the columns before it.
pub(crate) fn singular_error(names: &[String], index: usize) -> Error {
    let column = names.get(index).map_or("?", |s| s.as_str());
    Error::invalid(
        "x",
        format!("column `{column}`"),
        "is (numerically) a linear combination of the columns before it, so the information \
         matrix is singular; drop the column",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_product_equals_the_direct_one() {
        for n in [1, 7, 2048, 2049, 3 * 2048 + 5, ROWS_MV * 4 + 3] {
            let a = Mat::from_fn(n, 5, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
            let b = Mat::from_fn(n, 3, |i, j| ((i * 5 + j) % 13) as f64 * 0.5);
            let want = a.transpose() * &b;
            let got = t_matmul(a.as_ref(), b.as_ref());
            for i in 0..5 {
                for j in 0..3 {
                    assert_eq!(got[(i, j)], want[(i, j)], "n = {n}");
                }
            }
            let v: Vec<f64> = (0..n).map(|i| (i % 7) as f64 - 3.0).collect();
            let beta = [0.5, -1.0, 0.0, 2.0, 0.25];
            let eta = x_beta(a.as_ref(), &beta);
            let xt = t_matmul(a.as_ref(), Mat::from_fn(n, 1, |i, _| v[i]).as_ref());
            for i in 0..n {
                let want: f64 = (0..5).map(|j| a[(i, j)] * beta[j]).sum();
                assert!((eta[i] - want).abs() < 1e-12, "n = {n}");
            }
            for j in 0..5 {
                let want: f64 = (0..n).map(|i| a[(i, j)] * v[i]).sum();
                assert!((xt[(j, 0)] - want).abs() <= 1e-12 * (1.0 + want.abs()), "n = {n}");
            }
            let r: Vec<f64> = (0..n).map(|i| (i % 4) as f64 * 0.5).collect();
            let ra = Mat::from_fn(n, 5, |i, j| r[i] * a[(i, j)]);
            let want = ra.transpose() * &ra;
            let got = scaled_gram(a.as_ref(), &r);
            for i in 0..5 {
                for j in 0..5 {
                    assert!((got[(i, j)] - want[(i, j)]).abs() <= 1e-12 * want[(i, j)].abs());
                }
            }
        }
    }
}
