//! Side-by-side sparse blocks: the design of a model whose features come from several sources
//! (one block per text column, hashed click columns) is their blocks' columns concatenated, row by
//! row, as scipy's `sparse.hstack` in CSR form.

use super::Csr;
use crate::error::{Error, Result};

/// The blocks' columns side by side: row `i` holds block 0's row `i`, then block 1's with its
/// columns shifted by block 0's width, and so on. Every block must have the same rows.
pub fn hstack(blocks: &[&Csr]) -> Result<Csr> {
    let Some(first) = blocks.first() else {
        return Err(Error::invalid("blocks", "none", "hstack needs at least one block"));
    };
    let n = first.n_rows();
    if let Some(b) = blocks.iter().find(|b| b.n_rows() != n) {
        return Err(Error::invalid(
            "blocks",
            format!("{} rows", b.n_rows()),
            format!("every block must have the {n} rows of the first"),
        ));
    }
    let mut offsets = Vec::with_capacity(blocks.len());
    let mut width = 0usize;
    for b in blocks {
        offsets.push(width);
        width += b.n_cols();
    }
    if width > u32::MAX as usize + 1 {
        return Err(Error::invalid("blocks", format!("{width} columns"), "more than u32 indices"));
    }
    let nnz: usize = blocks.iter().map(|b| b.nnz()).sum();
    let (mut indptr, mut indices, mut values) =
        (Vec::with_capacity(n + 1), Vec::with_capacity(nnz), Vec::with_capacity(nnz));
    indptr.push(0);
    for i in 0..n {
        for (b, &offset) in blocks.iter().zip(&offsets) {
            let (cols, vals) = b.row(i);
            indices.extend(cols.iter().map(|&j| j + offset as u32));
            values.extend_from_slice(vals);
        }
        indptr.push(indices.len());
    }
    Csr::new(width, indptr, indices, values)
}
