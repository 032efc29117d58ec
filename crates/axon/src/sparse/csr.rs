//! [`Csr`], a compressed sparse row matrix (`f64` values, `u32` column indices, as scipy's
//! `csr_matrix` with sorted indices), and the two products a linear model needs, `X·β` and
//! `Xᵀr`, on all cores. Both split the rows into blocks of a fixed number of non-zeros (not of
//! threads), and `Xᵀr` adds the blocks' partial sums in block order, so a result is the same
//! bits whatever the thread count.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// About this many non-zeros per parallel task.
const BLOCK_NNZ: usize = 1 << 16;

/// A sparse matrix in compressed sparse row form: row `i` holds the columns
/// `indices[indptr[i]..indptr[i + 1]]` (strictly increasing) with their `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    n_rows: usize,
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl Csr {
    /// A matrix from its three arrays, checked: `indptr` starts at 0, never decreases and ends
    /// at the number of values; each row's indices increase strictly and are below `n_cols`.
    pub fn new(
        n_cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f64>,
    ) -> Result<Csr> {
        let bad = |msg: String| Err(Error::invalid("csr", "arrays", msg));
        if indptr.first() != Some(&0) || indptr.last() != Some(&indices.len()) {
            return bad(format!(
                "indptr must run from 0 to the {} stored values, got {:?}..{:?}",
                indices.len(),
                indptr.first(),
                indptr.last()
            ));
        }
        if indices.len() != values.len() {
            return bad(format!("{} indices but {} values", indices.len(), values.len()));
        }
        if n_cols > u32::MAX as usize + 1 {
            return bad(format!("{n_cols} columns do not fit u32 indices"));
        }
        if let Some(i) = indptr.windows(2).position(|w| w[0] > w[1]) {
            return bad(format!("indptr decreases at row {i}"));
        }
        // The rows checked across threads; the first bad one is reported.
        let rows = indptr.par_windows(2).with_min_len(256);
        let bad_row = rows.position_first(|w| {
            let row = &indices[w[0]..w[1]];
            row.windows(2).any(|p| p[0] >= p[1])
                || row.last().is_some_and(|&j| j as usize >= n_cols)
        });
        if let Some(i) = bad_row {
            let row = &indices[indptr[i]..indptr[i + 1]];
            if row.windows(2).any(|p| p[0] >= p[1]) {
                return bad(format!("row {i}: column indices must increase strictly"));
            }
            let last = row.last().copied().unwrap_or_default();
            return bad(format!("row {i}: column {last} but only {n_cols} columns"));
        }
        Ok(Csr { n_rows: indptr.len() - 1, n_cols, indptr, indices, values })
    }

    /// A matrix from rows of `(column, value)` pairs in any order; repeated columns of a row are
    /// summed (as scipy does), explicit zeros kept.
    pub fn from_rows<I>(n_cols: usize, rows: I) -> Result<Csr>
    where
        I: IntoIterator<Item = Vec<(u32, f64)>>,
    {
        let mut indptr = vec![0];
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        for mut row in rows {
            row.sort_by_key(|&(j, _)| j);
            for (j, v) in row {
                if indices.len() > *indptr.last().unwrap() && indices.last() == Some(&j) {
                    *values.last_mut().unwrap() += v;
                } else {
                    indices.push(j);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Csr::new(n_cols, indptr, indices, values)
    }

    /// A matrix from rows of `(column, value)` pairs whose columns already increase strictly
    /// (checked), copied into place on all cores: no sorting and no merging of repeats.
    pub fn from_sorted_rows(n_cols: usize, rows: &[Vec<(u32, f64)>]) -> Result<Csr> {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        for row in rows {
            indptr.push(indptr[indptr.len() - 1] + row.len());
        }
        let nnz = indptr[rows.len()];
        let (mut indices, mut values) = (vec![0u32; nnz], vec![0.0; nnz]);
        let mut pieces = Vec::with_capacity(rows.len());
        let (mut rest_i, mut rest_v) = (indices.as_mut_slice(), values.as_mut_slice());
        for row in rows {
            let (head_i, tail_i) = rest_i.split_at_mut(row.len());
            let (head_v, tail_v) = rest_v.split_at_mut(row.len());
            pieces.push((head_i, head_v));
            (rest_i, rest_v) = (tail_i, tail_v);
        }
        rows.par_iter().zip(pieces).with_min_len(64).for_each(|(row, (idx, val))| {
            for ((i, v), &(j, x)) in idx.iter_mut().zip(val.iter_mut()).zip(row) {
                (*i, *v) = (j, x);
            }
        });
        Csr::new(n_cols, indptr, indices, values)
    }

    /// Rewrites the values of every row in place, rows in parallel: `f(i, columns, values)` on
    /// row `i`. The structure (which entries are stored) does not change.
    pub fn map_rows(&mut self, f: impl Fn(usize, &[u32], &mut [f64]) + Sync) {
        let blocks = self.blocks();
        let mut pieces = Vec::with_capacity(blocks.len());
        let mut rest = self.values.as_mut_slice();
        for &(a, b) in &blocks {
            let (head, tail) = rest.split_at_mut(self.indptr[b] - self.indptr[a]);
            pieces.push(head);
            rest = tail;
        }
        let (indptr, indices) = (&self.indptr, &self.indices);
        blocks.par_iter().zip(pieces).for_each(|(&(a, b), piece)| {
            let base = indptr[a];
            for i in a..b {
                let (lo, hi) = (indptr[i], indptr[i + 1]);
                f(i, &indices[lo..hi], &mut piece[lo - base..hi - base]);
            }
        });
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Stored values (non-zeros, and any explicit zeros).
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Where row `i` starts among the stored values (`nnz()` for `i = n_rows()`).
    pub fn row_start(&self, i: usize) -> usize {
        self.indptr[i]
    }

    /// Row `i`: its column indices and values.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// The rows `rows`, in that order, as a new matrix (a fold, a batch).
    pub fn take_rows(&self, rows: &[usize]) -> Csr {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        for &i in rows {
            let (idx, val) = self.row(i);
            indices.extend_from_slice(idx);
            values.extend_from_slice(val);
            indptr.push(indices.len());
        }
        Csr { n_rows: rows.len(), n_cols: self.n_cols, indptr, indices, values }
    }

    /// The matrix with `n_cols` columns: entries in columns at or beyond `n_cols` dropped (as
    /// LIBLINEAR's `predict` ignores features a model has not seen), narrower matrices widened.
    pub fn with_n_cols(mut self, n_cols: usize) -> Csr {
        if n_cols < self.n_cols && self.indices.iter().any(|&j| j as usize >= n_cols) {
            let mut indptr = Vec::with_capacity(self.n_rows + 1);
            indptr.push(0);
            let (mut indices, mut values) = (Vec::new(), Vec::new());
            for i in 0..self.n_rows {
                let (idx, val) = self.row(i);
                let kept = idx.partition_point(|&j| (j as usize) < n_cols);
                indices.extend_from_slice(&idx[..kept]);
                values.extend_from_slice(&val[..kept]);
                indptr.push(indices.len());
            }
            (self.indptr, self.indices, self.values) = (indptr, indices, values);
        }
        self.n_cols = n_cols;
        self
    }

    /// Row blocks of about [`BLOCK_NNZ`] non-zeros (at least one row each), as row ranges.
    fn blocks(&self) -> Vec<(usize, usize)> {
        let mut blocks = Vec::new();
        let mut start = 0;
        while start < self.n_rows {
            let target = self.indptr[start] + BLOCK_NNZ;
            let end = self.indptr[start + 1..].partition_point(|&p| p < target) + start + 1;
            let end = end.min(self.n_rows);
            blocks.push((start, end));
            start = end;
        }
        blocks
    }

    /// `X·β` (one value per row).
    pub fn mul_vec(&self, beta: &[f64]) -> Vec<f64> {
        self.mul_dense(beta, 1)
    }

    /// `Xᵀr` (one value per column).
    pub fn t_mul_vec(&self, r: &[f64]) -> Vec<f64> {
        self.t_mul_dense(r, 1)
    }

    /// `X·W` for a row-major `n_cols × k` matrix `w`: a row-major `n_rows × k` matrix.
    pub fn mul_dense(&self, w: &[f64], k: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.n_rows * k];
        self.mul_dense_into(w, k, &mut out);
        out
    }

    /// `X·β` into `out` (one value per row), allocating no vector of its length.
    pub fn mul_vec_into(&self, beta: &[f64], out: &mut [f64]) {
        self.mul_dense_into(beta, 1, out)
    }

    /// [`Csr::mul_dense`] into `out` (overwritten).
    pub fn mul_dense_into(&self, w: &[f64], k: usize, out: &mut [f64]) {
        assert_eq!(w.len(), self.n_cols * k, "Csr::mul_dense: W has the wrong size");
        assert_eq!(out.len(), self.n_rows * k, "Csr::mul_dense: the output has the wrong size");
        out.fill(0.0);
        let blocks = self.blocks();
        let mut pieces: Vec<&mut [f64]> = Vec::with_capacity(blocks.len());
        let mut rest = out;
        for &(a, b) in &blocks {
            let (head, tail) = rest.split_at_mut((b - a) * k);
            pieces.push(head);
            rest = tail;
        }
        blocks.par_iter().zip(pieces).for_each(|(&(a, _), piece)| {
            if k == 1 {
                for (i, o) in (a..).zip(piece.iter_mut()) {
                    let (idx, val) = self.row(i);
                    *o = idx.iter().zip(val).map(|(&j, &v)| v * w[j as usize]).sum();
                }
                return;
            }
            for (i, o) in (a..).zip(piece.chunks_exact_mut(k.max(1))) {
                let (idx, val) = self.row(i);
                for (&j, &v) in idx.iter().zip(val) {
                    let wj = &w[j as usize * k..(j as usize + 1) * k];
                    o.iter_mut().zip(wj).for_each(|(o, w)| *o += v * w);
                }
            }
        });
    }

    /// The transpose, `Xᵀ` (`n_cols × n_rows`), by a counting sort of the entries by column;
    /// each of its rows lists the column's entries in row order.
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &j in &self.indices {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.n_cols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0.0; self.nnz()];
        for i in 0..self.n_rows {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                let at = &mut next[j as usize];
                indices[*at] = i as u32;
                values[*at] = v;
                *at += 1;
            }
        }
        Csr { n_rows: self.n_cols, n_cols: self.n_rows, indptr, indices, values }
    }

    /// `XᵀG` for a row-major `n_rows × k` matrix `g`: a row-major `n_cols × k` matrix. A wide
    /// matrix (many columns for its non-zeros) goes through its transpose, so that no task needs
    /// an accumulator as wide as the matrix; a narrow one adds per-block accumulators.
    pub fn t_mul_dense(&self, g: &[f64], k: usize) -> Vec<f64> {
        assert_eq!(g.len(), self.n_rows * k, "Csr::t_mul_dense: G has the wrong size");
        if self.blocks().len() * self.n_cols > 4 * self.nnz() {
            return self.transpose().mul_dense(g, k);
        }
        let partial = |&(a, b): &(usize, usize)| {
            let mut acc = vec![0.0; self.n_cols * k];
            for i in a..b {
                let gi = &g[i * k..(i + 1) * k];
                let (idx, val) = self.row(i);
                for (&j, &v) in idx.iter().zip(val) {
                    let aj = &mut acc[j as usize * k..(j as usize + 1) * k];
                    aj.iter_mut().zip(gi).for_each(|(a, g)| *a += v * g);
                }
            }
            acc
        };
        let blocks = self.blocks();
        if blocks.len() <= 1 {
            return blocks.first().map_or_else(|| vec![0.0; self.n_cols * k], partial);
        }
        // Pairwise in block order: the same tree of additions for any thread count.
        let mut parts: Vec<Vec<f64>> = blocks.par_iter().map(partial).collect();
        while parts.len() > 1 {
            parts = parts
                .par_chunks_mut(2)
                .map(|pair| match pair {
                    [a, b] => {
                        a.iter_mut().zip(b.iter()).for_each(|(x, y)| *x += y);
                        std::mem::take(a)
                    }
                    [a] => std::mem::take(a),
                    _ => unreachable!(),
                })
                .collect();
        }
        parts.pop().unwrap()
    }

    /// The sum of the squared values of each column (for scaling checks and Jacobi
    /// preconditioning).
    pub fn column_sq_sums(&self) -> Vec<f64> {
        let sq: Vec<f64> = self.values.iter().map(|v| v * v).collect();
        let squared = Csr { values: sq, ..self.clone() };
        squared.t_mul_vec(&vec![1.0; self.n_rows])
    }
}

/// A seeded random matrix for the sparse kernels' tests: each row has fewer than `max_nnz`
/// entries (some none) at random columns, values on a grid in [−13, 14).
#[cfg(test)]
pub(crate) fn random_csr(n_rows: usize, n_cols: usize, seed: u64, max_nnz: usize) -> Csr {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let rows: Vec<Vec<(u32, f64)>> = (0..n_rows)
        .map(|_| {
            let k = next() % max_nnz;
            (0..k)
                .map(|_| ((next() % n_cols) as u32, (next() % 1000) as f64 / 37.0 - 13.0))
                .collect()
        })
        .collect();
    Csr::from_rows(n_cols, rows).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(m: &Csr) -> Vec<Vec<f64>> {
        (0..m.n_rows())
            .map(|i| {
                let mut row = vec![0.0; m.n_cols()];
                let (idx, val) = m.row(i);
                idx.iter().zip(val).for_each(|(&j, &v)| row[j as usize] = v);
                row
            })
            .collect()
    }

    /// A seeded random matrix with empty rows and a few thousand rows, so several blocks.
    fn random(n_rows: usize, n_cols: usize) -> Csr {
        random_csr(n_rows, n_cols, 3, 60)
    }

    #[test]
    fn products_equal_the_dense_ones() {
        let m = random(5000, 300);
        assert!(m.blocks().len() > 2);
        let d = dense(&m);
        let beta: Vec<f64> = (0..300).map(|j| (j as f64 * 0.37).sin()).collect();
        let r: Vec<f64> = (0..5000).map(|i| (i as f64 * 0.11).cos()).collect();
        let xb = m.mul_vec(&beta);
        let xtr = m.t_mul_vec(&r);
        for (i, row) in d.iter().enumerate() {
            let want: f64 = row.iter().zip(&beta).map(|(a, b)| a * b).sum();
            assert!((xb[i] - want).abs() <= 1e-12 * (1.0 + want.abs()), "row {i}");
        }
        for j in 0..300 {
            let want: f64 = d.iter().zip(&r).map(|(row, ri)| row[j] * ri).sum();
            assert!((xtr[j] - want).abs() <= 1e-10 * (1.0 + want.abs()), "column {j}");
        }
    }

    #[test]
    fn the_transposed_product_is_the_same_bits_on_any_thread_count() {
        let m = random(5000, 300);
        let r: Vec<f64> = (0..5000).map(|i| (i as f64 * 0.11).cos()).collect();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| m.t_mul_vec(&r))
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn a_wide_matrix_goes_through_its_transpose_to_the_same_product() {
        let m = random(5000, 200_000);
        assert!(m.blocks().len() * m.n_cols() > 4 * m.nnz());
        let t = m.transpose();
        assert_eq!(t.transpose(), m);
        let r: Vec<f64> = (0..5000).map(|i| (i as f64 * 0.11).cos()).collect();
        let got = m.t_mul_vec(&r);
        for (j, g) in got.iter().enumerate().step_by(997) {
            let (idx, val) = t.row(j);
            let want: f64 = idx.iter().zip(val).map(|(&i, &v)| v * r[i as usize]).sum();
            assert_eq!(*g, want, "column {j}");
        }
    }

    #[test]
    fn the_transpose_lists_each_column_in_row_order() {
        for (rows, cols, nnz) in [(300, 5000, 2000), (50, 7, 60), (1000, 40_000, 40), (0, 5, 1)] {
            let m = random_csr(rows, cols, 9, nnz);
            let mut by_col: Vec<Vec<(u32, f64)>> = vec![Vec::new(); cols];
            for i in 0..rows {
                let (idx, val) = m.row(i);
                idx.iter().zip(val).for_each(|(&j, &v)| by_col[j as usize].push((i as u32, v)));
            }
            assert_eq!(m.transpose(), Csr::from_rows(rows, by_col).unwrap(), "{rows} × {cols}");
        }
    }

    #[test]
    fn rows_are_sorted_and_repeats_summed() {
        let m = Csr::from_rows(4, vec![vec![(3, 1.0), (0, 2.0), (3, 0.5)], vec![]]).unwrap();
        assert_eq!(m.row(0), (&[0u32, 3][..], &[2.0, 1.5][..]));
        assert_eq!(m.row(1).0.len(), 0);
        assert_eq!(m.take_rows(&[1, 0]).row(1), m.row(0));
    }

    #[test]
    fn bad_arrays_are_errors() {
        assert!(Csr::new(3, vec![0, 2], vec![1, 1], vec![1.0, 2.0]).is_err());
        assert!(Csr::new(3, vec![0, 1], vec![3], vec![1.0]).is_err());
        assert!(Csr::new(3, vec![0, 2], vec![0], vec![1.0]).is_err());
        assert!(Csr::new(3, vec![1, 1], vec![0], vec![1.0]).is_err());
        assert!(Csr::from_rows(2, vec![vec![(5, 1.0)]]).is_err());
    }
}
