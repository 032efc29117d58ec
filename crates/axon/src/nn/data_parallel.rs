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
//! rounding of the sums (the buffer is `f64`). The buffer travels in buckets of about 2 MiB,
//! the last layers' first: the backward pass reports each parameter's gradient as soon as it is
//! complete ([`Tensor::backward_hooked`]), and a bucket's non-blocking allreduce starts when its
//! last gradient is in, overlapping the rest of the pass (Horovod's and PyTorch DDP's
//! scheme). Exact for the mean losses of
//! [`Objective`] without class weights and for layers without batch statistics or randomness;
//! batch normalisation sees the slice's statistics and dropout each rank's own draws.

use rustc_hash::FxHashMap as HashMap;

use crate::autograd::GradStore;
use crate::distributed::Communicator;
use crate::error::Result;
use crate::tensor::{buffers, no_grad, DType, Tensor, TensorId};

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

/// The size a bucket of gradients fills up to before its sum across the ranks starts (the
/// last parameter may take it past): large enough that each allreduce's latency is paid on
/// megabytes, small enough that the first starts early in the backward pass.
const BUCKET_BYTES: usize = 2 << 20;

/// The buckets of a step: the parameters, last first (the order the backward pass completes
/// their gradients in), cut into runs of about [`BUCKET_BYTES`], then the loss and hits.
struct Buckets {
    /// Each parameter's offset in the flat buffer and its bucket.
    place: Vec<(usize, usize)>,
    /// Values per bucket.
    lens: Vec<usize>,
    /// Parameters per bucket (the loss bucket has none).
    members: Vec<usize>,
}

impl Buckets {
    fn new(sizes: &[usize]) -> Buckets {
        let mut place = vec![(0, 0); sizes.len()];
        let (mut lens, mut members) = (vec![0], vec![0]);
        let mut at = 0;
        for i in (0..sizes.len()).rev() {
            let b = lens.len() - 1;
            place[i] = (at, b);
            (lens[b], members[b], at) = (lens[b] + sizes[i], members[b] + 1, at + sizes[i]);
            if lens[b] * std::mem::size_of::<f64>() >= BUCKET_BYTES && i > 0 {
                lens.push(0);
                members.push(0);
            }
        }
        lens.push(2);
        members.push(0);
        Buckets { place, lens, members }
    }
}

/// Forward and backward on this rank's slice of the global batch `(xb, yb)`; each bucket of
/// gradients is summed across the ranks (a non-blocking allreduce) as soon as the backward pass
/// has completed it, while the pass goes on, and all are in before this returns with the
/// gradients of `params` for the whole batch. The sums are element-wise, so the buckets change
/// which allreduce carries a number, not what it adds.
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
    let buckets = Buckets::new(&sizes);
    let total: usize = sizes.iter().sum();
    let by_id: HashMap<TensorId, usize> =
        params.iter().enumerate().map(|(i, p)| (p.value().id(), i)).collect();
    // From the buffer pool: a fresh 2 MB `Vec` per step faulted in new pages every step.
    let mut local = buffers::take_zeroed::<f64>(total + 2);
    let mut sums = buffers::take_stale::<f64>(total + 2);
    let mut work = |hand: &mut dyn FnMut(&[f64])| -> Result<()> {
        // Bucket `next` is handed over once all of its parameters' gradients are in `local`.
        let mut left = buckets.members.clone();
        let mut next = 0;
        let mut bucket_start = 0;
        let mut hand_ready = |left: &[usize], local: &[f64], upto: usize| {
            while next < upto && left[next] == 0 {
                let len = buckets.lens[next];
                hand(&local[bucket_start..bucket_start + len]);
                (next, bucket_start) = (next + 1, bucket_start + len);
            }
        };
        let params_buckets = buckets.lens.len() - 1;
        if end > start {
            let len = end - start;
            let (xl, yl) = (xb.narrow(0, start, len)?, yb.narrow(0, start, len)?);
            let logits = model.forward(&xl)?;
            let loss = objective.loss(&logits, &yl)?;
            let scale = len as f64;
            loss.backward_hooked(&mut |leaf, g| {
                let Some(&i) = by_id.get(&leaf.id()) else { return Ok(()) };
                let (at, bucket) = buckets.place[i];
                let out = &mut local[at..at + sizes[i]];
                match g.dtype() {
                    DType::F32 => scaled_into(out, &g.values::<f32>()?, scale),
                    _ => scaled_into(out, &g.values::<f64>()?, scale),
                }
                left[bucket] -= 1;
                hand_ready(&left, &local, params_buckets);
                Ok(())
            })?;
            let (_, hits) = no_grad(|| objective.score(&logits.detach(), &yl))?;
            local[total] = loss.item()? * scale;
            local[total + 1] = hits as f64;
        }
        // Parameters the loss did not reach keep a zero gradient; then the loss and hits.
        left.iter_mut().for_each(|l| *l = 0);
        hand_ready(&left, &local, buckets.lens.len());
        Ok(())
    };
    comm.allreduce_sum_f64_overlapped(&buckets.lens, &mut sums, &mut work)?;
    let mut grads = GradStore::default();
    for (i, p) in params.iter().enumerate() {
        let value = p.value();
        let at = buckets.place[i].0;
        let mean: Vec<f64> = sums[at..at + sizes[i]].iter().map(|g| g / b as f64).collect();
        let grad = no_grad(|| Tensor::from_vec(mean, value.dims())?.to_dtype(value.dtype()))?;
        grads.insert(&value, grad);
    }
    let (loss, hits) = (sums[total] / b as f64, sums[total + 1] as usize);
    buffers::give(local);
    buffers::give(sums);
    Ok(ParallelStep { grads, loss, hits })
}

/// `out[j] = x[j] · scale` in `f64` (exact widening of `f32`, as `to_dtype` does).
fn scaled_into<T: Copy + Into<f64>>(out: &mut [f64], x: &[T], scale: f64) {
    out.iter_mut().zip(x).for_each(|(o, &x)| *o = x.into() * scale);
}
