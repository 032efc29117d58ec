//! Learning-rate schedules, in PyTorch's closed forms. With initial rate `η_0` and epoch `e`
//! (the number of [`Scheduler::step`] calls so far):
//!
//! - [`StepLR`]: `η_0 · γ^⌊e / s⌋`.
//! - [`ExponentialLR`]: `η_0 · γ^e`.
//! - [`CosineAnnealingLR`]: `η_min + (η_0 − η_min) (1 + cos(π e / T_max)) / 2` (for `e ≤ T_max`;
//!   the cosine continues periodically after, as PyTorch's closed form).
//! - [`LinearWarmup`]: `η_0 · (f + (1 − f) · min(e, W) / W)` for `W` warm-up epochs starting at
//!   the factor `f`, optionally followed by another schedule run on `e − W` (warm-up then
//!   cosine, the transformer recipe).
//! - [`WarmupLinearDecay`], per optimizer step `s` of `T`: `η_0 · s / W` for `s < W`, then
//!   `η_0 · max(0, (T − s) / (T − W))` (Hugging Face's `get_linear_schedule_with_warmup`; the
//!   first step runs at rate 0 when `W > 0`, as there).
//!
//! A [`Schedule`] is the formula; a [`Scheduler`] remembers `η_0` and the epoch and sets the
//! optimizer's learning rate at every step.

use std::f64::consts::PI;

use super::Optimizer;
use crate::error::{Error, Result};

/// A learning rate as a function of the initial rate and the epoch.
pub trait Schedule {
    /// The learning rate at epoch `epoch`, starting from `base_lr`.
    fn lr_at(&self, base_lr: f64, epoch: usize) -> f64;
}

/// Multiply by `gamma` every `step_size` epochs.
#[derive(Debug, Clone, Copy)]
pub struct StepLR {
    step_size: usize,
    gamma: f64,
}

impl StepLR {
    pub fn new(step_size: usize, gamma: f64) -> Result<StepLR> {
        if step_size == 0 {
            return Err(Error::invalid("step_size", step_size, "must be at least 1"));
        }
        check_gamma(gamma)?;
        Ok(StepLR { step_size, gamma })
    }
}

fn check_gamma(gamma: f64) -> Result<()> {
    if !(gamma.is_finite() && gamma > 0.0) {
        return Err(Error::invalid("gamma", gamma, "must be finite and > 0"));
    }
    Ok(())
}

impl Schedule for StepLR {
    fn lr_at(&self, base_lr: f64, epoch: usize) -> f64 {
        base_lr * self.gamma.powi((epoch / self.step_size) as i32)
    }
}

/// Multiply by `gamma` every epoch.
#[derive(Debug, Clone, Copy)]
pub struct ExponentialLR {
    gamma: f64,
}

impl ExponentialLR {
    pub fn new(gamma: f64) -> Result<ExponentialLR> {
        check_gamma(gamma)?;
        Ok(ExponentialLR { gamma })
    }
}

impl Schedule for ExponentialLR {
    fn lr_at(&self, base_lr: f64, epoch: usize) -> f64 {
        base_lr * self.gamma.powi(epoch as i32)
    }
}

/// Half a cosine from `η_0` down to `eta_min` over `t_max` epochs.
#[derive(Debug, Clone, Copy)]
pub struct CosineAnnealingLR {
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealingLR {
    pub fn new(t_max: usize, eta_min: f64) -> Result<CosineAnnealingLR> {
        if t_max == 0 {
            return Err(Error::invalid("t_max", t_max, "must be at least 1"));
        }
        super::check_lr(eta_min)?;
        Ok(CosineAnnealingLR { t_max, eta_min })
    }
}

impl Schedule for CosineAnnealingLR {
    fn lr_at(&self, base_lr: f64, epoch: usize) -> f64 {
        let cos = (PI * epoch as f64 / self.t_max as f64).cos();
        self.eta_min + (base_lr - self.eta_min) * (1.0 + cos) / 2.0
    }
}

/// A linear ramp from `start_factor · η_0` to `η_0` over `warmup` epochs, then `after` (if any)
/// counted from the end of the warm-up.
pub struct LinearWarmup {
    warmup: usize,
    start_factor: f64,
    after: Option<Box<dyn Schedule + Send + Sync>>,
}

impl LinearWarmup {
    pub fn new(warmup: usize, start_factor: f64) -> Result<LinearWarmup> {
        if warmup == 0 {
            return Err(Error::invalid("warmup", warmup, "must be at least 1"));
        }
        if !(start_factor > 0.0 && start_factor <= 1.0) {
            return Err(Error::invalid("start_factor", start_factor, "must lie in (0, 1]"));
        }
        Ok(LinearWarmup { warmup, start_factor, after: None })
    }

    /// Runs `schedule` after the warm-up.
    pub fn then(mut self, schedule: impl Schedule + Send + Sync + 'static) -> LinearWarmup {
        self.after = Some(Box::new(schedule));
        self
    }
}

impl Schedule for LinearWarmup {
    fn lr_at(&self, base_lr: f64, epoch: usize) -> f64 {
        if epoch >= self.warmup {
            if let Some(after) = &self.after {
                return after.lr_at(base_lr, epoch - self.warmup);
            }
            return base_lr;
        }
        let f = self.start_factor;
        base_lr * (f + (1.0 - f) * epoch as f64 / self.warmup as f64)
    }
}

/// A linear warm-up over `warmup` steps then a linear decay to 0 at step `total` (see the
/// module docs); its [`Schedule::lr_at`] takes the optimizer step, not the epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarmupLinearDecay {
    warmup: usize,
    total: usize,
}

impl WarmupLinearDecay {
    /// `warmup` steps of warm-up within `total` steps (`warmup ≤ total`, `total ≥ 1`).
    pub fn new(warmup: usize, total: usize) -> Result<WarmupLinearDecay> {
        if total == 0 {
            return Err(Error::invalid("total", total, "must be at least 1 step"));
        }
        if warmup > total {
            let why = format!("the warm-up cannot be longer than the {total} steps in all");
            return Err(Error::invalid("warmup", warmup, why));
        }
        Ok(WarmupLinearDecay { warmup, total })
    }

    pub fn warmup(&self) -> usize {
        self.warmup
    }

    pub fn total(&self) -> usize {
        self.total
    }
}

impl Schedule for WarmupLinearDecay {
    fn lr_at(&self, base_lr: f64, step: usize) -> f64 {
        let (s, w, t) = (step as f64, self.warmup as f64, self.total as f64);
        if step < self.warmup {
            return base_lr * s / w.max(1.0);
        }
        base_lr * ((t - s) / (t - w).max(1.0)).max(0.0)
    }
}

/// Applies a [`Schedule`] to an optimizer: sets the epoch-0 rate at creation and the next
/// epoch's rate at every [`step`](Scheduler::step).
pub struct Scheduler<S> {
    schedule: S,
    base_lr: f64,
    epoch: usize,
}

impl<S: Schedule> Scheduler<S> {
    /// Takes `η_0` from `optimizer` and sets its rate to the schedule's rate at epoch 0.
    pub fn new(schedule: S, optimizer: &mut dyn Optimizer) -> Result<Scheduler<S>> {
        let base_lr = optimizer.learning_rate();
        optimizer.set_learning_rate(schedule.lr_at(base_lr, 0))?;
        Ok(Scheduler { schedule, base_lr, epoch: 0 })
    }

    /// Advances one epoch and sets the optimizer's learning rate.
    pub fn step(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        self.epoch += 1;
        optimizer.set_learning_rate(self.schedule.lr_at(self.base_lr, self.epoch))
    }

    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The learning rate of the current epoch.
    pub fn learning_rate(&self) -> f64 {
        self.schedule.lr_at(self.base_lr, self.epoch)
    }
}
