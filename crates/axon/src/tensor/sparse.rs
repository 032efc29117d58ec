//! The product of a constant sparse matrix and a tensor, `X·W`, recorded on the graph so that a
//! layer on sparse features (a bag of words, hashed click features) trains through the same
//! engine as a dense one; the backward rule is `dW = XᵀG`. The sparse matrix holds `f64`
//! values: an `f32` weight is widened for the product and the result narrowed back (exact for
//! the inputs, one rounding for the output).

use std::sync::Arc;

use super::{DType, Op, Storage, Tensor};
use crate::error::{Error, Result};
use crate::sparse::Csr;

impl Tensor {
    /// `X·W` for a sparse `X` (`n × p`) and `W` (`p × k`, or `p` for one output per row): a
    /// tensor `(n, k)` (or `(n)`) of `W`'s type, differentiable in `W`.
    pub fn sparse_matmul(x: &Arc<Csr>, weight: &Tensor) -> Result<Tensor> {
        let k = match weight.dims() {
            [p] if *p == x.n_cols() => None,
            [p, k] if *p == x.n_cols() => Some(*k),
            _ => {
                return Err(Error::invalid(
                    "weight",
                    format!("shape {:?}", weight.dims()),
                    format!(
                        "sparse_matmul needs ({}, k) for a matrix of {} columns",
                        x.n_cols(),
                        x.n_cols()
                    ),
                ))
            }
        };
        let w = values_f64(weight)?;
        let values = x.mul_dense(&w, k.unwrap_or(1));
        let shape: Vec<usize> = std::iter::once(x.n_rows()).chain(k).collect();
        let op =
            Tensor::record(&[weight], || Op::SparseMatMul { x: x.clone(), weight: weight.clone() });
        Ok(Tensor::from_storage(Storage::from_f64(values, weight.dtype()), shape.into(), op))
    }
}

/// `XᵀG` as a tensor of type `dtype`, shaped as the weight (`(p, k)` or `(p)`).
pub(crate) fn sparse_t_matmul(x: &Csr, g: &Tensor, dtype: DType) -> Result<Tensor> {
    let k = if g.rank() == 2 { g.dims()[1] } else { 1 };
    let grad = values_f64(g)?;
    let values = x.t_mul_dense(&grad, k);
    let shape: Vec<usize> = if g.rank() == 2 { vec![x.n_cols(), k] } else { vec![x.n_cols()] };
    Ok(Tensor::from_storage(Storage::from_f64(values, dtype), shape.into(), None))
}

/// The elements of `t` in row-major order, as `f64`.
fn values_f64(t: &Tensor) -> Result<Vec<f64>> {
    t.detach().to_dtype(DType::F64)?.to_vec()
}
