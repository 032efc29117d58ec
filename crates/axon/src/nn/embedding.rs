//! A lookup table `y[…, :] = W[i[…], :]`: weight `W` of shape `(num_embeddings, dim)`, indices
//! `i` of any shape (`i64`), output `i.shape + (dim)`. It is `index_select` on the rows of `W`,
//! so the gradient of a row is the sum of the output gradients of every position that chose it.
//! The weight starts as PyTorch's default, `N(0, 1)`.

use super::module::Module;
use super::param::Param;
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};

/// `torch.nn.Embedding` without padding index or max-norm.
pub struct Embedding {
    weight: Param,
}

impl Embedding {
    /// `num_embeddings` vectors of size `dim`, drawn from `N(0, 1)`.
    pub fn new(
        num_embeddings: usize,
        dim: usize,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<Embedding> {
        if num_embeddings == 0 || dim == 0 || !dtype.is_float() {
            let shape = format!("({num_embeddings}, {dim})");
            return Err(Error::invalid("shape", shape, "an Embedding needs non-zero float sizes"));
        }
        Embedding::from_tensor(Tensor::randn([num_embeddings, dim], 0.0, 1.0, dtype, rng))
    }

    /// A table with the given weight `(num_embeddings, dim)`.
    pub fn from_tensor(weight: Tensor) -> Result<Embedding> {
        if weight.rank() != 2 || !weight.dtype().is_float() {
            return Err(Error::invalid("weight", weight.shape(), "needs a float (num, dim)"));
        }
        Ok(Embedding { weight: Param::new("weight", weight) })
    }

    pub fn weight(&self) -> &Param {
        &self.weight
    }
}

impl Module for Embedding {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.dtype() != DType::I64 {
            return Err(Error::DTypeMismatch {
                op: "Embedding",
                expected: DType::I64,
                got: x.dtype(),
            });
        }
        let w = self.weight.value();
        let flat = x.reshape([x.numel()])?;
        let mut dims = x.dims().to_vec();
        dims.push(w.dims()[1]);
        w.index_select(0, &flat)?.reshape(dims)
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        vec![("weight".into(), self.weight.clone())]
    }

    fn describe(&self) -> String {
        let d = self.weight.value().dims().to_vec();
        format!("Embedding({}, {})", d[0], d[1])
    }
}
