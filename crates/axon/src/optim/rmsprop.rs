//! RMSprop (Hinton), as `torch.optim.RMSprop`. With `g_t = ∇L(w) + λ w`:
//!
//! ```text
//! v_t = α v_{t−1} + (1 − α) g_t²
//! a_t = α a_{t−1} + (1 − α) g_t,  s_t = √(v_t − a_t²) + ε   (centred)
//!                                 s_t = √v_t + ε            (otherwise)
//! b_t = μ b_{t−1} + g_t / s_t,  w ← w − η b_t               (momentum μ > 0)
//! w ← w − η g_t / s_t                                        (μ = 0)
//! ```

use super::{
    check_decay, check_eps, check_lr, check_non_negative, export_state, import_state, state_for,
    update, Optimizer,
};
use crate::autograd::GradStore;
use crate::error::Result;
use crate::nn::Param;

/// Hyper-parameters of [`RmsProp`]; the defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig {
    pub lr: f64,
    /// Smoothing constant α in `[0, 1)`.
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    /// Normalise by the estimated variance instead of the second moment.
    pub centered: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 0.01,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

/// RMSprop, optionally centred and with momentum.
pub struct RmsProp {
    params: Vec<Param>,
    config: RmsPropConfig,
    square_avg: Vec<Vec<f64>>,
    grad_avg: Vec<Vec<f64>>,
    buffer: Vec<Vec<f64>>,
}

impl RmsProp {
    pub fn new(params: Vec<Param>, config: RmsPropConfig) -> Result<RmsProp> {
        check_lr(config.lr)?;
        check_decay("alpha", config.alpha)?;
        check_eps(config.eps)?;
        check_non_negative("weight_decay", config.weight_decay)?;
        check_non_negative("momentum", config.momentum)?;
        let empty = vec![Vec::new(); params.len()];
        Ok(RmsProp {
            params,
            config,
            square_avg: empty.clone(),
            grad_avg: empty.clone(),
            buffer: empty,
        })
    }

    pub fn config(&self) -> &RmsPropConfig {
        &self.config
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        let RmsPropConfig { lr, alpha, eps, weight_decay: wd, momentum: mu, centered } =
            self.config;
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = p.grad(grads) else { continue };
            let n = g.numel();
            let v = state_for(&mut self.square_avg, i, n);
            let a = state_for(&mut self.grad_avg, i, n);
            let b = state_for(&mut self.buffer, i, n);
            update(p, g, |j, w, g| {
                let g = g + wd * w;
                v[j] = alpha * v[j] + (1.0 - alpha) * g * g;
                let s = if centered {
                    a[j] = alpha * a[j] + (1.0 - alpha) * g;
                    (v[j] - a[j] * a[j]).sqrt() + eps
                } else {
                    v[j].sqrt() + eps
                };
                if mu > 0.0 {
                    b[j] = mu * b[j] + g / s;
                    w - lr * b[j]
                } else {
                    w - lr * g / s
                }
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
        let mut state = export_state("square_avg", &self.square_avg);
        state.extend(export_state("grad_avg", &self.grad_avg));
        state.extend(export_state("momentum_buffer", &self.buffer));
        state
    }

    fn load_state(&mut self, state: &[(String, Vec<f64>)]) -> Result<()> {
        import_state("square_avg", &mut self.square_avg, &self.params, state)?;
        import_state("grad_avg", &mut self.grad_avg, &self.params, state)?;
        import_state("momentum_buffer", &mut self.buffer, &self.params, state)
    }
}
