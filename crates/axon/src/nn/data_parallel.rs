//! One data-parallel training step over the ranks of a [`Communicator`], as Horovod's
//! `DistributedOptimizer` does: every rank holds the same model (same seed, same
//! initialisation) and draws the same global batch of `B` rows (same loader seed); rank `r`
//! runs forward and backward on its slice `[⌊rB/K⌋, ⌊(r+1)B/K⌋)` of it, and one allreduce of a
//! single flat buffer (every parameter's gradient, scaled by the slice's row count, then the
//! slice's summed loss and correct predictions) gives every rank
//!
//! ```text
//! ∇L = (1/B) Σ_r b_r ∇L_r        the gradient of the mean loss over the whole batch
//! ```
//!
//! so the optimizer takes the step the single-process run takes with batch `B`, up to the
//! rounding of the sums (the buffer is `f64`). Exact for the mean losses of
//! [`Objective`] without class weights and for layers without batch statistics or randomness;
//! batch normalisation sees the slice's statistics and dropout each rank's own draws.

use crate::autograd::GradStore;
use crate::distributed::Communicator;
use crate::error::Result;
use crate::tensor::{no_grad, DType, Tensor};

use super::module::Module;
use super::objective::Objective;
use super::param::Param;

/// What one data-parallel step leaves: the averaged gradients and the batch's statistics.
pub(crate) struct ParallelStep {
    pub grads: GradStore,
    /// The mean loss over the whole batch.
    pub loss: f64,
    /// Correct predictions over the whole batch.
    pub hits: usize,
}

/// Forward and backward on this rank's slice of the global batch `(xb, yb)`, then one
/// allreduce; returns the gradients of `params` for the whole batch.
pub(crate) fn parallel_step(
    model: &mut dyn Module,
    objective: &Objective,
    params: &[Param],
    (xb, yb): (&Tensor, &Tensor),
    comm: &dyn Communicator,
) -> Result<ParallelStep> {
    let b = yb.dims()[0];
    let (k, r) = (comm.size(), comm.rank());
    let (start, end) = (b * r / k, b * (r + 1) / k);
    let sizes: Vec<usize> = params.iter().map(Param::numel).collect();
    let total: usize = sizes.iter().sum();
    let mut buf = vec![0.0f64; total + 2];
    if end > start {
        let len = end - start;
        let (xl, yl) = (xb.narrow(0, start, len)?, yb.narrow(0, start, len)?);
        let logits = model.forward(&xl)?;
        let loss = objective.loss(&logits, &yl)?;
        let grads = loss.backward()?;
        let scale = len as f64;
        let mut at = 0;
        for (p, &n) in params.iter().zip(&sizes) {
            if let Some(g) = p.grad(&grads) {
                let v = no_grad(|| g.to_dtype(DType::F64))?.to_vec::<f64>()?;
                buf[at..at + n].iter_mut().zip(v).for_each(|(o, x)| *o = x * scale);
            }
            at += n;
        }
        let (_, hits) = no_grad(|| objective.score(&logits.detach(), &yl))?;
        buf[total] = loss.item()? * scale;
        buf[total + 1] = hits as f64;
    }
    comm.allreduce_sum_f64(&mut buf);
    let mut grads = GradStore::default();
    let mut at = 0;
    for (p, &n) in params.iter().zip(&sizes) {
        let value = p.value();
        let mean: Vec<f64> = buf[at..at + n].iter().map(|g| g / b as f64).collect();
        let grad = no_grad(|| Tensor::from_vec(mean, value.dims())?.to_dtype(value.dtype()))?;
        grads.insert(&value, grad);
        at += n;
    }
    Ok(ParallelStep { grads, loss: buf[total] / b as f64, hits: buf[total + 1] as usize })
}
