//! [`RowScatter`], sums over the rows of a [`Csr`](super::Csr) into a column-length vector,
//! `outⱼ = Σᵢ e(cᵢ, xᵢⱼ)` with a per-row coefficient `cᵢ` computed from the row itself, in one
//! pass over the rows: `Xᵀ(D X v)` (with `cᵢ = dᵢ xᵢᵀv`) reads the design once, not once as `X`
//! and once as a transpose, and needs no transpose at all (a second copy of the design, made
//! serially).
//!
//! The rows are cut into one run per thread of about equal non-zeros (fewer on a design with
//! fewer non-zeros than columns per thread); each run adds into its own
//! accumulator, in row order, and the accumulators are added in run order. A result is the same
//! bits for a fixed thread count (and, on one thread, equals the sequential sum over rows).

use rayon::prelude::*;

use super::Csr;

/// The runs and accumulators of one design's row sums, made once and reused.
pub struct RowScatter {
    /// Row ranges, one per thread, of about equal non-zeros (some may be empty).
    runs: Vec<(usize, usize)>,
    /// One column-length accumulator for each run after the first (which adds into the output).
    acc: Vec<Vec<f64>>,
}

impl RowScatter {
    /// The runs for `x` on the current thread pool: one per thread, but no more accumulators
    /// than the design has non-zeros per column, so that a wide design with few non-zeros (hashed
    /// features) does not get a column-length vector for every thread.
    pub fn new(x: &Csr) -> RowScatter {
        let k = rayon::current_num_threads().clamp(1, 1 + x.nnz() / x.n_cols().max(1));
        let (n, nnz) = (x.n_rows(), x.nnz());
        let mut runs = Vec::with_capacity(k);
        let mut start = 0;
        for t in 1..=k {
            let target = nnz / k * t + nnz % k * t / k;
            // The first row at or after `start` that starts at or beyond the target.
            let (mut lo, mut hi) = (start, n);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if x.row_start(mid) < target {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let end = if t == k { n } else { lo };
            runs.push((start, end));
            start = end;
        }
        let acc = vec![vec![0.0; x.n_cols()]; k - 1];
        RowScatter { runs, acc }
    }

    /// `outⱼ = Σᵢ entry(cᵢ, xᵢⱼ)` over the rows of `x` (the design given to [`RowScatter::new`]),
    /// where `cᵢ = coef(i, columns, values, coefs[i])` is also written to `coefs[i]`.
    pub fn add_rows<C, E>(&mut self, x: &Csr, coefs: &mut [f64], out: &mut [f64], coef: C, entry: E)
    where
        C: Fn(usize, &[u32], &[f64], f64) -> f64 + Sync,
        E: Fn(f64, f64) -> f64 + Sync,
    {
        assert_eq!(coefs.len(), x.n_rows(), "RowScatter: one coefficient per row");
        assert_eq!(out.len(), x.n_cols(), "RowScatter: one output per column");
        let mut targets: Vec<&mut [f64]> = Vec::with_capacity(self.runs.len());
        targets.push(&mut *out);
        targets.extend(self.acc.iter_mut().map(|a| a.as_mut_slice()));
        let mut pieces = Vec::with_capacity(self.runs.len());
        let mut rest = coefs;
        for &(a, b) in &self.runs {
            let (head, tail) = rest.split_at_mut(b - a);
            pieces.push(head);
            rest = tail;
        }
        self.runs.par_iter().zip(targets).zip(pieces).for_each(|((&(a, b), acc), cs)| {
            acc.fill(0.0);
            for (i, c) in (a..b).zip(cs.iter_mut()) {
                let (idx, val) = x.row(i);
                *c = coef(i, idx, val, *c);
                let ci = *c;
                for (&j, &v) in idx.iter().zip(val) {
                    acc[j as usize] += entry(ci, v);
                }
            }
        });
        if self.acc.is_empty() {
            return;
        }
        let acc = &self.acc;
        out.par_chunks_mut(8192).enumerate().for_each(|(c, chunk)| {
            let base = c * 8192;
            for a in acc {
                chunk.iter_mut().zip(&a[base..]).for_each(|(o, v)| *o += v);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparse::csr::random_csr;

    #[test]
    fn row_sums_equal_the_transposed_product_on_any_thread_count() {
        let m = random_csr(3000, 500, 5, 40);
        let r: Vec<f64> = (0..3000).map(|i| (i as f64 * 0.13).sin()).collect();
        let shifted: Vec<f64> = r.iter().enumerate().map(|(i, v)| v + i as f64).collect();
        // Each column's entries in row order, summed sequentially.
        let want = m.transpose().mul_vec(&shifted);
        for threads in [1, 2, 3, 7] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let (got, coefs) = pool.install(|| {
                let mut scatter = RowScatter::new(&m);
                assert_eq!(scatter.runs.len(), threads);
                let (mut got, mut coefs) = (vec![f64::NAN; 500], r.clone());
                scatter.add_rows(&m, &mut coefs, &mut got, |i, _, _, c| c + i as f64, |c, v| c * v);
                (got, coefs)
            });
            for (i, c) in coefs.iter().enumerate() {
                assert_eq!(*c, r[i] + i as f64);
            }
            for (j, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!((g - w).abs() <= 1e-9 * (1.0 + w.abs()), "column {j}: {g} vs {w}");
                if threads == 1 {
                    assert_eq!(g, w, "one thread is the sequential sum, column {j}");
                }
            }
        }
    }
}
