//! `AᵀB` for tall matrices (`n` rows of data, a few hundred columns at most): the Gram matrices
//! and cross products of Newton's method, `Xᵀ W X` and `Xᵀ R`. faer's own parallel product
//! synchronises its threads with spinning barriers, which collapses when the cores are shared
//! with other work; summing sequential products of row blocks on rayon's pool is as fast on an
//! idle machine and degrades gracefully on a busy one.
//!
//! ```text
//! AᵀB     = Σ_b A_bᵀ B_b                  A_b, B_b: rows [b·R, (b+1)·R) of A and B
//! XᵀR²X   = Σ_b (R_b X_b)ᵀ (R_b X_b)      R = diag(r): scaled block by block, never all of X
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

/// Rows per block: a block of a 100-column matrix is 1.6 MB, about the size of L2.
const ROWS: usize = 2048;

/// `AᵀB` for `A` of shape `(n, p)` and `B` of shape `(n, q)`.
pub(crate) fn t_matmul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    debug_assert_eq!(a.nrows(), b.nrows());
    let (n, p, q) = (a.nrows(), a.ncols(), b.ncols());
    let block = |start: usize| {
        let len = ROWS.min(n - start);
        let mut out = Mat::zeros(p, q);
        let (ab, bb) = (a.subrows(start, len), b.subrows(start, len));
        matmul(out.as_mut(), Accum::Replace, ab.transpose(), bb, 1.0, Par::Seq);
        out
    };
    if n <= ROWS {
        return block(0);
    }
    (0..n.div_ceil(ROWS))
        .into_par_iter()
        .map(|k| block(k * ROWS))
        .reduce(|| Mat::zeros(p, q), |x, y| x + y)
}

/// `(diag(r) X)ᵀ (diag(r) X) = Xᵀ diag(r²) X` for `X` of shape `(n, p)`, `r` of length `n`;
/// the scaled rows exist one block at a time.
pub(crate) fn scaled_gram(x: MatRef<'_, f64>, r: &[f64]) -> Mat<f64> {
    debug_assert_eq!(x.nrows(), r.len());
    let (n, p) = (x.nrows(), x.ncols());
    let block = |start: usize| {
        let len = ROWS.min(n - start);
        let rows = x.subrows(start, len);
        let r = &r[start..start + len];
        let mut scaled = Mat::<f64>::zeros(len, p);
        for j in 0..p {
            let column = scaled.col_mut(j).iter_mut().zip(rows.col(j).iter());
            for ((out, &v), &ri) in column.zip(r) {
                *out = ri * v;
            }
        }
        let mut out = Mat::zeros(p, p);
        matmul(out.as_mut(), Accum::Replace, scaled.transpose(), scaled.as_ref(), 1.0, Par::Seq);
        out
    };
    if n <= ROWS {
        return block(0);
    }
    (0..n.div_ceil(ROWS))
        .into_par_iter()
        .map(|k| block(k * ROWS))
        .reduce(|| Mat::zeros(p, p), |x, y| x + y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_product_equals_the_direct_one() {
        for n in [1, 7, ROWS, ROWS + 1, 3 * ROWS + 5] {
            let a = Mat::from_fn(n, 5, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
            let b = Mat::from_fn(n, 3, |i, j| ((i * 5 + j) % 13) as f64 * 0.5);
            let want = a.transpose() * &b;
            let got = t_matmul(a.as_ref(), b.as_ref());
            for i in 0..5 {
                for j in 0..3 {
                    assert_eq!(got[(i, j)], want[(i, j)], "n = {n}");
                }
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
