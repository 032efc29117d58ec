//! Gradient checking: autograd's gradients against central finite differences,
//! `∂L/∂x_j ≈ (L(x + ε e_j) − L(x − ε e_j)) / 2ε`, in `f64`. Tests, examples and users all call
//! this one function.
//!
//! A function with a non-scalar output is checked through `L = Σ w ⊙ f(x)` with fixed random
//! weights `w`; a plain sum would hide errors in ops whose outputs sum to a constant (softmax).

use std::fmt;

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};

/// Analytic and numeric gradients of every checked element.
#[derive(Debug, Clone)]
pub struct GradCheck {
    /// Per checked input (floating-point inputs, in order): autograd's gradient.
    pub analytic: Vec<Vec<f64>>,
    /// The same from central differences.
    pub numeric: Vec<Vec<f64>>,
}

impl GradCheck {
    fn pairs(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.analytic.iter().flatten().copied().zip(self.numeric.iter().flatten().copied())
    }

    /// Largest `|analytic − numeric|`.
    pub fn max_abs_error(&self) -> f64 {
        self.pairs().map(|(a, n)| (a - n).abs()).fold(0.0, f64::max)
    }

    /// Largest `|analytic − numeric| / max(|analytic|, |numeric|)` (0 where both are 0).
    pub fn max_rel_error(&self) -> f64 {
        self.pairs()
            .map(|(a, n)| {
                let scale = a.abs().max(n.abs());
                if scale == 0.0 {
                    0.0
                } else {
                    (a - n).abs() / scale
                }
            })
            .fold(0.0, f64::max)
    }

    /// True when `|analytic − numeric| ≤ atol + rtol |numeric|` for every element (PyTorch's
    /// `gradcheck` criterion).
    pub fn is_close(&self, atol: f64, rtol: f64) -> bool {
        self.pairs().all(|(a, n)| (a - n).abs() <= atol + rtol * n.abs())
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n: usize = self.analytic.iter().map(Vec::len).sum();
        write!(
            f,
            "{n} partial derivatives: max abs error {:.3e}, max rel error {:.3e}",
            self.max_abs_error(),
            self.max_rel_error()
        )
    }
}

/// Compares autograd with central differences of step `eps` for `f` at `inputs`. Floating-point
/// inputs must be `f64` and are all checked; `i64` inputs (indices) pass through unchanged.
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    eps: f64,
) -> Result<GradCheck> {
    if let Some(t) = inputs.iter().find(|t| t.dtype() == DType::F32) {
        return Err(Error::DTypeMismatch { op: "gradcheck", expected: DType::F64, got: t.dtype() });
    }
    let is_checked = |t: &Tensor| t.dtype() == DType::F64;
    let leaves: Vec<Tensor> = inputs
        .iter()
        .map(|t| if is_checked(t) { t.detach().requires_grad() } else { t.clone() })
        .collect();
    let out = f(&leaves)?;
    let weights = Tensor::rand(out.shape(), 0.5, 1.5, DType::F64, &mut Rng::seed(0x5eed));
    let loss_of = |out: Tensor| out.mul(&weights)?.sum_all();

    let grads = loss_of(out)?.backward()?;
    let mut analytic = Vec::new();
    let mut numeric = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        if !is_checked(leaf) {
            continue;
        }
        analytic.push(match grads.get(leaf) {
            Some(g) => g.to_f64_vec(),
            None => vec![0.0; leaf.numel()],
        });
        let base = leaf.to_f64_vec();
        let mut column = Vec::with_capacity(base.len());
        for j in 0..base.len() {
            let at = |delta: f64| -> Result<f64> {
                let mut x = base.clone();
                x[j] += delta;
                let mut args: Vec<Tensor> = inputs.to_vec();
                args[i] = Tensor::from_vec(x, leaf.shape())?;
                loss_of(f(&args)?)?.item()
            };
            column.push((at(eps)? - at(-eps)?) / (2.0 * eps));
        }
        numeric.push(column);
    }
    Ok(GradCheck { analytic, numeric })
}
