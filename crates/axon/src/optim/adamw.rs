//! AdamW (Loshchilov & Hutter), as `torch.optim.AdamW`: Adam whose weight decay is decoupled from
//! the gradient. Each step first shrinks the weight, `w ← w (1 − η λ)`, then takes the Adam step
//! of [`super::Adam`] with the plain gradient (no `λ w` term in `m` and `v`).
//!
//! [`AdamW::with_decay_mask`] decays only some parameters, as two PyTorch parameter groups (one
//! with `weight_decay = λ`, one with 0): Hugging Face's `Trainer` leaves biases and layer-norm
//! weights undecayed.

use super::adam::{check_config, AdamConfig, Moments};
use super::{check_lr, Optimizer};
use crate::autograd::GradStore;
use crate::error::Result;
use crate::nn::Param;

/// Hyper-parameters of [`AdamW`]; the defaults are PyTorch's (`weight_decay = 0.01`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    pub lr: f64,
    /// `(β1, β2)`, each in `[0, 1)`.
    pub betas: (f64, f64),
    pub eps: f64,
    /// Decoupled weight decay λ.
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.01 }
    }
}

impl AdamWConfig {
    /// The Adam settings of the gradient step (no L2 term).
    fn adam(&self) -> AdamConfig {
        AdamConfig { lr: self.lr, betas: self.betas, eps: self.eps, weight_decay: 0.0 }
    }
}

/// Adam with decoupled weight decay.
pub struct AdamW {
    params: Vec<Param>,
    config: AdamWConfig,
    moments: Moments,
    /// Whether each parameter is decayed (all when empty).
    decay: Vec<bool>,
}

impl AdamW {
    pub fn new(params: Vec<Param>, config: AdamWConfig) -> Result<AdamW> {
        check_config(&AdamConfig { weight_decay: config.weight_decay, ..config.adam() })?;
        let moments = Moments::new(params.len());
        Ok(AdamW { params, config, moments, decay: Vec::new() })
    }

    /// AdamW that decays parameter `i` only where `decay[i]` (one flag per parameter).
    pub fn with_decay_mask(
        params: Vec<Param>,
        config: AdamWConfig,
        decay: Vec<bool>,
    ) -> Result<AdamW> {
        if decay.len() != params.len() {
            let why = format!("one flag per parameter ({})", params.len());
            return Err(crate::error::Error::invalid("decay", decay.len(), why));
        }
        Ok(AdamW { decay, ..AdamW::new(params, config)? })
    }

    pub fn config(&self) -> &AdamWConfig {
        &self.config
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        let adam = self.config.adam();
        let (wd, decay) = (self.config.weight_decay, &self.decay);
        let decoupled = |i: usize| if decay.get(i).copied().unwrap_or(true) { wd } else { 0.0 };
        self.moments.step(&self.params, grads, &adam, decoupled)
    }

    fn learning_rate(&self) -> f64 {
        self.config.lr
    }

    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        self.config.lr = check_lr(lr)?;
        Ok(())
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        self.moments.state()
    }

    fn load_state(&mut self, state: &[(String, Vec<f64>)]) -> Result<()> {
        self.moments.load_state(&self.params, state)
    }
}
