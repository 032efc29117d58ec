//! Loss functions, with PyTorch's definitions and reductions. For predictions of shape `(N, …)`:
//!
//! - [`mse_loss`]: `ℓ_i = (x_i − y_i)²`.
//! - [`bce_loss`] on probabilities `p ∈ [0, 1]`: `ℓ_i = −w_i [y_i log p_i + (1 − y_i) log(1 − p_i)]`,
//!   each log clamped at `−100` as PyTorch does, so `p = 0` or `1` gives a finite loss.
//! - [`bce_with_logits`] on logits `x`: the same loss of `p = σ(x)`, computed stably as
//!   `max(x, 0) − x·y + log(1 + e^−|x|)` (softplus(x) − x·y), never forming `σ(x)`.
//! - [`cross_entropy`] from logits `(N, C)` and class indices `(N)`: `ℓ_i = −log softmax(x_i)_{y_i}`,
//!   one fused op ([`Tensor::cross_entropy_rows`]) whose gradient is `softmax(x_i) − onehot(y_i)`,
//!   bit-identical to `nll_loss` of `log_softmax`.
//! - [`nll_loss`] on log-probabilities `(N, C)`: `ℓ_i = −w_{y_i} x_{i, y_i}`.
//!
//! [`Reduction::Sum`] adds the `ℓ_i`; [`Reduction::Mean`] averages them, except that with class
//! weights `w` the mean of cross-entropy and NLL is `Σ w_{y_i} ℓ_i / Σ w_{y_i}` (PyTorch's weighted
//! mean). The per-element weight of the BCE losses rescales `ℓ_i` and the mean stays over elements.

use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// How per-sample losses become one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// The average (PyTorch's default).
    #[default]
    Mean,
    /// The sum.
    Sum,
}

/// The lower bound PyTorch puts on each log in [`bce_loss`].
const LOG_FLOOR: f64 = -100.0;

fn same_shape(op: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::ShapeMismatch { op, lhs: a.shape().clone(), rhs: b.shape().clone() });
    }
    if a.dtype() != b.dtype() || !a.dtype().is_float() {
        return Err(Error::DTypeMismatch { op, expected: a.dtype(), got: b.dtype() });
    }
    Ok(())
}

fn reduce(losses: &Tensor, reduction: Reduction) -> Result<Tensor> {
    match reduction {
        Reduction::Mean => losses.mean_all(),
        Reduction::Sum => losses.sum_all(),
    }
}

fn rescale(losses: Tensor, weight: Option<&Tensor>) -> Result<Tensor> {
    match weight {
        Some(w) => losses.mul(w),
        None => Ok(losses),
    }
}

/// Mean squared error `(x − y)²`, reduced. `input` and `target` have one shape and dtype.
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    same_shape("mse_loss", input, target)?;
    reduce(&input.sub(target)?.square()?, reduction)
}

/// Binary cross-entropy of probabilities `p` (each in `[0, 1]`) against targets `y`, with an
/// optional per-element `weight` (broadcast to `p`'s shape).
pub fn bce_loss(
    p: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    same_shape("bce_loss", p, target)?;
    if let Some(bad) = p.to_f64_vec().into_iter().find(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::invalid("p", bad, "binary cross-entropy needs probabilities in [0, 1]"));
    }
    // max(log p, −100) = log(max(p, e^−100)); clamping p keeps the gradient finite at p = 0.
    let floor = LOG_FLOOR.exp();
    let log_p = p.clamp(floor, 1.0)?.log()?;
    let log_q = p.neg()?.add_scalar(1.0)?.clamp(floor, 1.0)?.log()?;
    let one_minus_y = target.neg()?.add_scalar(1.0)?;
    let losses = target.mul(&log_p)?.add(&one_minus_y.mul(&log_q)?)?.neg()?;
    reduce(&rescale(losses, weight)?, reduction)
}

/// Binary cross-entropy of `σ(x)` from logits `x`, computed stably for any `x`.
pub fn bce_with_logits(
    logits: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    same_shape("bce_with_logits", logits, target)?;
    let losses = logits.softplus()?.sub(&logits.mul(target)?)?;
    reduce(&rescale(losses, weight)?, reduction)
}

/// Cross-entropy from logits `(N, C)` and class indices `(N)` (`i64`), with optional class
/// weights `(C)`.
pub fn cross_entropy(
    logits: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    check_classes("cross_entropy", logits, target, weight)?;
    reduce_picked(logits.cross_entropy_rows(target)?, target, weight, reduction)
}

/// Negative log-likelihood of log-probabilities `(N, C)` at class indices `(N)` (`i64`), with
/// optional class weights `(C)`.
pub fn nll_loss(
    log_probs: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    check_classes("nll_loss", log_probs, target, weight)?;
    let n = target.numel();
    let picked = log_probs.gather(1, &target.reshape([n, 1])?)?.reshape([n])?.neg()?;
    reduce_picked(picked, target, weight, reduction)
}

/// Reduces the per-sample losses `picked` `(N)` of the classes `target`, weighted by the
/// classes' `weight` if given (PyTorch's weighted mean).
fn reduce_picked(
    picked: Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    let Some(w) = weight else { return reduce(&picked, reduction) };
    let w_picked = w.index_select(0, target)?;
    let total = picked.mul(&w_picked)?.sum_all()?;
    match reduction {
        Reduction::Sum => Ok(total),
        Reduction::Mean => total.div(&w_picked.sum_all()?),
    }
}

fn check_classes(
    op: &'static str,
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
) -> Result<()> {
    if input.rank() != 2 || !input.dtype().is_float() {
        return Err(Error::invalid("input", input.shape(), format!("{op} needs float (N, C)")));
    }
    if target.dtype() != DType::I64 {
        return Err(Error::DTypeMismatch { op, expected: DType::I64, got: target.dtype() });
    }
    if target.dims() != [input.dims()[0]] {
        return Err(Error::ShapeMismatch {
            op,
            lhs: input.shape().clone(),
            rhs: target.shape().clone(),
        });
    }
    if let Some(w) = weight {
        if w.dims() != [input.dims()[1]] || w.dtype() != input.dtype() {
            return Err(Error::ShapeMismatch {
                op,
                lhs: input.shape().clone(),
                rhs: w.shape().clone(),
            });
        }
    }
    Ok(())
}
