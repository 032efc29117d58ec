//! The fully connected layer `y = x Wᵀ + b`: input `(N, in)` (or `(in)`, or `(B, N, in)`), weight
//! `W` of shape `(out, in)`, bias `b` of shape `(out)`, output `(N, out)`.
//!
//! The weight is stored as PyTorch stores it, `(out, in)`, so that parameter files exchange with
//! PyTorch unchanged; `x Wᵀ` multiplies by a transposed view, which the matrix product reads in
//! place. Both `W` and `b` start as PyTorch's default, `U(−1/√in, 1/√in)`. The layer is one
//! fused op ([`Tensor::linear`]), which also takes the activation that follows the layer in a
//! [`super::Sequential`]; the leading axes of a `(B, N, in)` input are folded into the rows of
//! one matrix first.

use std::sync::Arc;

use super::module::Module;
use super::param::Param;
use crate::error::{Error, Result};
use crate::ops::linear::fusable;
use crate::ops::UnaryOp;
use crate::rng::Rng;
use crate::sparse::Csr;
use crate::tensor::{DType, Tensor};

/// `y = x Wᵀ + b`.
pub struct Linear {
    weight: Param,
    bias: Option<Param>,
    in_features: usize,
    out_features: usize,
}

impl Linear {
    /// A layer with PyTorch's default initialisation `U(−1/√in, 1/√in)` for the weight and the
    /// bias (if `bias`), drawn from `rng`.
    pub fn new(
        in_features: usize,
        out_features: usize,
        bias: bool,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<Linear> {
        if in_features == 0 || out_features == 0 {
            let shape = format!("({out_features}, {in_features})");
            return Err(Error::invalid("features", shape, "a Linear layer needs non-zero sizes"));
        }
        if !dtype.is_float() {
            return Err(Error::invalid("dtype", dtype, "parameters are f32 or f64"));
        }
        let bound = 1.0 / (in_features as f64).sqrt();
        let w = Tensor::rand([out_features, in_features], -bound, bound, dtype, rng);
        let b = bias.then(|| Tensor::rand([out_features], -bound, bound, dtype, rng));
        Linear::from_tensors(w, b)
    }

    /// A layer with the given weight `(out, in)` and optional bias `(out)`.
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>) -> Result<Linear> {
        if weight.rank() != 2 || !weight.dtype().is_float() {
            return Err(Error::invalid("weight", weight.shape(), "needs a float (out, in) matrix"));
        }
        let (out_features, in_features) = (weight.dims()[0], weight.dims()[1]);
        if let Some(b) = &bias {
            if b.dims() != [out_features] || b.dtype() != weight.dtype() {
                return Err(Error::ShapeMismatch {
                    op: "Linear bias",
                    lhs: weight.shape().clone(),
                    rhs: b.shape().clone(),
                });
            }
        }
        Ok(Linear {
            weight: Param::new("weight", weight),
            bias: bias.map(|b| Param::new("bias", b)),
            in_features,
            out_features,
        })
    }

    /// The weight `(out, in)`.
    pub fn weight(&self) -> &Param {
        &self.weight
    }

    /// The bias `(out)`, if the layer has one.
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }

    pub fn in_features(&self) -> usize {
        self.in_features
    }

    pub fn out_features(&self) -> usize {
        self.out_features
    }

    /// The layer on sparse rows (a bag of words, hashed features): `X Wᵀ + b` with `X` never
    /// densified, differentiable in the weight and the bias.
    pub fn forward_sparse(&self, x: &Arc<Csr>) -> Result<Tensor> {
        if x.n_cols() != self.in_features {
            return Err(Error::invalid(
                "x",
                format!("{} columns", x.n_cols()),
                format!("the layer takes {} features", self.in_features),
            ));
        }
        let y = Tensor::sparse_matmul(x, &self.weight.value().t()?)?;
        match &self.bias {
            Some(b) => y.add(&b.value()),
            None => Ok(y),
        }
    }
}

impl Linear {
    /// `act(x Wᵀ + b)` over the last axis of `x` as one op (`act`: a [`fusable`] activation, or
    /// none). The leading axes are folded into the rows of one matrix (`(B, L, in)` →
    /// `(B·L, in)`), so a batch of sequences is one product and one fused epilogue, not one
    /// small product per sequence.
    pub fn forward_fused(&self, x: &Tensor, act: Option<UnaryOp>) -> Result<Tensor> {
        let w = self.weight.value();
        let Some((&last, lead)) = x.dims().split_last().filter(|(&d, _)| d == self.in_features)
        else {
            return Err(Error::ShapeMismatch {
                op: "Linear",
                lhs: x.shape().clone(),
                rhs: w.shape().clone(),
            });
        };
        let bias = self.bias.as_ref().map(Param::value);
        if x.rank() == 2 {
            return x.linear(&w, bias.as_ref(), act);
        }
        let rows = lead.iter().product::<usize>();
        let mut out: Vec<usize> = lead.to_vec();
        out.push(self.out_features);
        x.reshape([rows, last])?.linear(&w, bias.as_ref(), act)?.reshape(out)
    }
}

impl Module for Linear {
    fn forward_sparse(&self, x: &Arc<Csr>) -> Result<Tensor> {
        // The inherent method (resolved first), `X Wᵀ + b` on the sparse rows.
        Linear::forward_sparse(self, x)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_fused(x, None)
    }

    /// `act(x Wᵀ + b)` as one op.
    fn forward_activated(&self, x: &Tensor, act: UnaryOp) -> Option<Result<Tensor>> {
        fusable(act).then(|| self.forward_fused(x, Some(act)))
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        let mut params = vec![("weight".to_string(), self.weight.clone())];
        params.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        params
    }

    fn describe(&self) -> String {
        let bias = if self.bias.is_some() { "True" } else { "False" };
        format!(
            "Linear(in_features={}, out_features={}, bias={bias})",
            self.in_features, self.out_features
        )
    }
}
