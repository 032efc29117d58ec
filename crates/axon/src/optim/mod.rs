//! Optimizers: given the gradients `g = ∂L/∂w` of a [`GradStore`], move every parameter `w`
//! downhill. Each optimizer ([`Sgd`], [`Adam`], [`AdamW`], [`RmsProp`], [`Adagrad`]) follows
//! PyTorch's update rule exactly (stated in its file's docs), with its own per-parameter state.
//!
//! Updates are plain arithmetic outside the graph: each step reads the parameter's values and
//! its gradient as slices, computes the new values element by element in the parameter's dtype
//! (with the state kept in that dtype too, as PyTorch keeps it), and writes them back into the
//! [`Param`] as one fresh leaf, in a recycled buffer (`kernel.rs`): one pass per parameter, no
//! allocation in steady state, and no graph. Checkpoints see the state as `f64` vectors (exact
//! for `f32` values). A parameter without a gradient in the store is left unchanged, as PyTorch
//! skips parameters whose `.grad` is `None`.
//!
//! [`clip_grad_norm`] rescales gradients to a maximum global norm, and [`scheduler`] changes the
//! learning rate from epoch to epoch.

mod adagrad;
mod adam;
mod adamw;
mod choice;
mod kernel;
mod rmsprop;
mod schedule_choice;
pub mod scheduler;
mod sgd;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig};
pub use adamw::{AdamW, AdamWConfig};
pub use choice::OptimizerChoice;
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule_choice::ScheduleChoice;
pub use scheduler::{
    CosineAnnealingLR, ExponentialLR, LinearWarmup, Schedule, Scheduler, StepLR, WarmupLinearDecay,
};
pub use sgd::{Sgd, SgdConfig};

use crate::autograd::GradStore;
use crate::error::{Error, Result};
use crate::nn::Param;
use crate::tensor::no_grad;

/// Something that updates parameters from their gradients.
pub trait Optimizer {
    /// One update of every parameter that has a gradient in `grads`.
    fn step(&mut self, grads: &GradStore) -> Result<()>;

    /// The current learning rate.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate (schedulers call this); a negative or non-finite rate is an error.
    fn set_learning_rate(&mut self, lr: f64) -> Result<()>;

    /// The parameters being optimised.
    fn params(&self) -> &[Param];

    /// The per-parameter state (moment buffers, step counts) as named `f64` vectors, for
    /// checkpoints: `name.i` for parameter `i`'s buffer `name` (omitted until first used).
    fn state(&self) -> Vec<(String, Vec<f64>)> {
        Vec::new()
    }

    /// Restores what [`Optimizer::state`] returned (from an optimizer over the same parameters);
    /// buffers not listed are reset to unused.
    fn load_state(&mut self, state: &[(String, Vec<f64>)]) -> Result<()> {
        match state.first() {
            None => Ok(()),
            Some((name, _)) => Err(Error::invalid("state", name, "this optimizer keeps no state")),
        }
    }
}

/// `buffers` as `(prefix.i, values)` for every non-empty buffer.
pub(crate) fn export_state(prefix: &str, buffers: &[Vec<f64>]) -> Vec<(String, Vec<f64>)> {
    let used = buffers.iter().enumerate().filter(|(_, b)| !b.is_empty());
    used.map(|(i, b)| (format!("{prefix}.{i}"), b.clone())).collect()
}

/// Fills `buffers` from the `prefix.i` entries of `state` (others become empty), checking that
/// each has the size of parameter `i`.
pub(crate) fn import_state(
    prefix: &str,
    buffers: &mut [Vec<f64>],
    params: &[Param],
    state: &[(String, Vec<f64>)],
) -> Result<()> {
    let mut restored = vec![Vec::new(); buffers.len()];
    for (name, values) in state {
        let Some(i) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let i: usize = i.parse().map_err(|_| Error::invalid("state", name, "bad index"))?;
        if i >= params.len() || values.len() != params[i].numel() {
            return Err(Error::invalid("state", name, "does not fit the parameters"));
        }
        restored[i] = values.clone();
    }
    buffers.clone_from_slice(&restored);
    Ok(())
}

/// Step counts as `f64` (exact below 2⁵³) and back.
pub(crate) fn export_steps(t: &[u64]) -> (String, Vec<f64>) {
    ("t".to_string(), t.iter().map(|&s| s as f64).collect())
}

pub(crate) fn import_steps(t: &mut [u64], state: &[(String, Vec<f64>)]) -> Result<()> {
    let steps = state.iter().find(|(n, _)| n == "t").map(|(_, v)| v.as_slice()).unwrap_or(&[]);
    if !steps.is_empty() && steps.len() != t.len() {
        return Err(Error::invalid("state", "t", "one step count per parameter"));
    }
    for (i, s) in t.iter_mut().enumerate() {
        *s = steps.get(i).map_or(0, |&v| v as u64);
    }
    Ok(())
}

/// Checks a learning rate: finite and `≥ 0`.
pub(crate) fn check_lr(lr: f64) -> Result<f64> {
    if !(lr.is_finite() && lr >= 0.0) {
        return Err(Error::invalid("lr", lr, "the learning rate must be finite and >= 0"));
    }
    Ok(lr)
}

/// Checks a non-negative, finite hyper-parameter.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::invalid(name, value, "must be finite and >= 0"));
    }
    Ok(())
}

/// Checks `eps > 0`.
pub(crate) fn check_eps(eps: f64) -> Result<()> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(Error::invalid("eps", eps, "must be finite and > 0"));
    }
    Ok(())
}

/// Checks a decay rate in `[0, 1)` (Adam's betas, RMSprop's alpha).
pub(crate) fn check_decay(name: &'static str, value: f64) -> Result<()> {
    if !(0.0..1.0).contains(&value) {
        return Err(Error::invalid(name, value, "must lie in [0, 1)"));
    }
    Ok(())
}

/// Scales the gradients of `params` in `grads` so that their global L2 norm
/// `‖g‖ = √(Σ_p ‖g_p‖²)` is at most `max_norm` (PyTorch's `clip_grad_norm_`: the factor is
/// `min(1, max_norm / (‖g‖ + 1e-6))`). Returns the norm before clipping.
pub fn clip_grad_norm(params: &[Param], grads: &mut GradStore, max_norm: f64) -> Result<f64> {
    check_non_negative("max_norm", max_norm)?;
    let mut total = 0.0;
    for p in params {
        if let Some(g) = p.grad(grads) {
            total += g.to_f64_vec().iter().map(|v| v * v).sum::<f64>();
        }
    }
    let norm = total.sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        for p in params {
            let value = p.value();
            if let Some(g) = grads.get(&value) {
                let scaled = no_grad(|| g.mul_scalar(coef))?;
                grads.insert(&value, scaled);
            }
        }
    }
    Ok(norm)
}
