//! The fused product `Xᵀ (D (X v + b))` of a Newton method's Hessian-vector products on a
//! sparse design, in one pass over the rows of `X` instead of a pass over `X` and another over
//! `Xᵀ`: each row's `sᵢ = dᵢ (xᵢᵀv + b)` is added into the result as soon as it is known.
//!
//! The rows are cut into a fixed number of stripes of about equal non-zeros (not one per
//! thread); each stripe adds into its own accumulator as wide as the result, and the
//! accumulators are then summed in stripe order. The sums are therefore the same bits whatever
//! the number of threads.

use rayon::prelude::*;

use super::Csr;

/// Stripes of rows, each with its own accumulator.
const STRIPES: usize = 4;

/// The stripes of one design and their accumulators, made once and reused by every product.
pub struct GramProduct {
    /// Row ranges.
    stripes: Vec<(usize, usize)>,
    /// One accumulator per stripe after the first (the first adds into the result).
    acc: Vec<Vec<f64>>,
}

impl GramProduct {
    /// The stripes of `x`.
    pub fn new(x: &Csr) -> GramProduct {
        let (n, nnz) = (x.n_rows(), x.nnz());
        let mut stripes = Vec::with_capacity(STRIPES);
        let mut start = 0;
        for k in 1..=STRIPES {
            let end = if k == STRIPES {
                n
            } else {
                let target = nnz * k / STRIPES;
                (start..n).find(|&i| x.row_start(i + 1) >= target).map_or(n, |i| i + 1)
            };
            stripes.push((start, end));
            start = end;
        }
        let acc = vec![vec![0.0; x.n_cols()]; STRIPES - 1];
        GramProduct { stripes, acc }
    }

    /// `out = Xᵀ s` with `sᵢ = dᵢ (xᵢᵀv + b)`, writing `s` into `s` too (one per row).
    pub fn apply(&mut self, x: &Csr, d: &[f64], v: &[f64], b: f64, s: &mut [f64], out: &mut [f64]) {
        assert_eq!(v.len(), x.n_cols(), "GramProduct: v has the wrong size");
        assert_eq!(out.len(), x.n_cols(), "GramProduct: the output has the wrong size");
        assert!(d.len() == x.n_rows() && s.len() == x.n_rows(), "GramProduct: wrong row count");
        let mut targets: Vec<&mut [f64]> = Vec::with_capacity(STRIPES);
        targets.push(&mut *out);
        targets.extend(self.acc.iter_mut().map(Vec::as_mut_slice));
        let mut pieces: Vec<&mut [f64]> = Vec::with_capacity(STRIPES);
        let mut rest = s;
        for &(a, e) in &self.stripes {
            let (head, tail) = rest.split_at_mut(e - a);
            pieces.push(head);
            rest = tail;
        }
        self.stripes.par_iter().zip(targets).zip(pieces).for_each(|((&(a, e), acc), s)| {
            acc.fill(0.0);
            for (i, si) in (a..e).zip(s.iter_mut()) {
                let (idx, val) = x.row(i);
                let z: f64 = idx.iter().zip(val).map(|(&j, &xv)| xv * v[j as usize]).sum();
                *si = d[i] * (z + b);
                for (&j, &xv) in idx.iter().zip(val) {
                    acc[j as usize] += *si * xv;
                }
            }
        });
        // The accumulators added in stripe order, columns in parallel.
        const CHUNK: usize = 1 << 14;
        let acc = &self.acc;
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
            let at = c * CHUNK;
            let len = chunk.len();
            for a in acc {
                chunk.iter_mut().zip(&a[at..at + len]).for_each(|(o, x)| *o += x);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded matrix of a few thousand rows (several per stripe, empty rows among them).
    fn random(n_rows: usize, n_cols: usize) -> Csr {
        crate::sparse::csr::random_csr(n_rows, n_cols, 5, 40)
    }

    fn inputs(x: &Csr) -> (Vec<f64>, Vec<f64>) {
        let d = (0..x.n_rows()).map(|i| 0.05 + (i % 7) as f64 / 9.0).collect();
        let v = (0..x.n_cols()).map(|j| (j as f64 * 0.37).sin()).collect();
        (d, v)
    }

    #[test]
    fn the_fused_product_equals_the_two_passes() {
        let x = random(3000, 500);
        let (d, v) = inputs(&x);
        let b = 0.3;
        let mut s = vec![0.0; x.n_rows()];
        let mut out = vec![7.0; x.n_cols()];
        GramProduct::new(&x).apply(&x, &d, &v, b, &mut s, &mut out);
        let xv = x.mul_vec(&v);
        let want_s: Vec<f64> = xv.iter().zip(&d).map(|(z, di)| di * (z + b)).collect();
        assert_eq!(s, want_s);
        let want = x.t_mul_vec(&want_s);
        for (j, (o, w)) in out.iter().zip(&want).enumerate() {
            assert!((o - w).abs() <= 1e-10 * (1.0 + w.abs()), "column {j}: {o} vs {w}");
        }
    }

    #[test]
    fn the_fused_product_is_the_same_bits_on_any_thread_count() {
        let x = random(3000, 500);
        let (d, v) = inputs(&x);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut gram = GramProduct::new(&x);
            let (mut s, mut out) = (vec![0.0; x.n_rows()], vec![0.0; x.n_cols()]);
            pool.install(|| gram.apply(&x, &d, &v, -0.2, &mut s, &mut out));
            // A second product on the same accumulators starts from zero again.
            pool.install(|| gram.apply(&x, &d, &v, -0.2, &mut s, &mut out));
            out
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn fewer_rows_than_stripes_still_give_the_product() {
        let x = Csr::from_rows(3, vec![vec![(0, 1.0), (2, 2.0)], vec![(1, -1.0)]]).unwrap();
        let (mut s, mut out) = (vec![0.0; 2], vec![0.0; 3]);
        GramProduct::new(&x).apply(&x, &[1.0, 2.0], &[1.0, 1.0, 1.0], 0.0, &mut s, &mut out);
        assert_eq!(s, vec![3.0, -2.0]);
        assert_eq!(out, vec![3.0, 2.0, 6.0]);
    }
}
