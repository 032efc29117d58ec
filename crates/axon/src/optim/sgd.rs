//! Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay, as
//! `torch.optim.SGD`. With `g_t = ∇L(w) + λ w`:
//!
//! ```text
//! b_1 = g_1,  b_t = μ b_{t−1} + (1 − τ) g_t          (only when μ > 0)
//! d_t = g_t + μ b_t  (Nesterov)   or   b_t  (momentum)   or   g_t  (μ = 0)
//! w ← w − η d_t
//! ```

use super::{
    check_lr, check_non_negative, export_state, import_state, state_for, update, Optimizer,
};
use crate::autograd::GradStore;
use crate::error::{Error, Result};
use crate::nn::Param;

/// Hyper-parameters of [`Sgd`]; the defaults are PyTorch's (no momentum, no decay).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate η.
    pub lr: f64,
    /// Momentum μ.
    pub momentum: f64,
    /// Dampening τ of the momentum buffer.
    pub dampening: f64,
    /// Nesterov momentum (needs μ > 0 and τ = 0).
    pub nesterov: bool,
    /// L2 penalty λ added to the gradient.
    pub weight_decay: f64,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 0.01, momentum: 0.0, dampening: 0.0, nesterov: false, weight_decay: 0.0 }
    }
}

/// SGD with optional (Nesterov) momentum and weight decay.
pub struct Sgd {
    params: Vec<Param>,
    config: SgdConfig,
    momentum: Vec<Vec<f64>>,
}

impl Sgd {
    pub fn new(params: Vec<Param>, config: SgdConfig) -> Result<Sgd> {
        check_lr(config.lr)?;
        check_non_negative("momentum", config.momentum)?;
        check_non_negative("dampening", config.dampening)?;
        check_non_negative("weight_decay", config.weight_decay)?;
        if config.nesterov && (config.momentum <= 0.0 || config.dampening != 0.0) {
            return Err(Error::invalid(
                "nesterov",
                true,
                "Nesterov momentum requires a momentum > 0 and zero dampening",
            ));
        }
        let momentum = vec![Vec::new(); params.len()];
        Ok(Sgd { params, config, momentum })
    }

    pub fn config(&self) -> &SgdConfig {
        &self.config
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        let SgdConfig { lr, momentum: mu, dampening, nesterov, weight_decay: wd } = self.config;
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = p.grad(grads) else { continue };
            if mu == 0.0 {
                update(p, g, |_, w, g| w - lr * (g + wd * w))?;
                continue;
            }
            let first = self.momentum[i].is_empty();
            let buf = state_for(&mut self.momentum, i, g.numel());
            update(p, g, |j, w, g| {
                let g = g + wd * w;
                buf[j] = if first { g } else { mu * buf[j] + (1.0 - dampening) * g };
                let d = if nesterov { g + mu * buf[j] } else { buf[j] };
                w - lr * d
            })?;
        }
        Ok(())
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
        export_state("momentum", &self.momentum)
    }

    fn load_state(&mut self, state: &[(String, Vec<f64>)]) -> Result<()> {
        import_state("momentum", &mut self.momentum, &self.params, state)
    }
}
