//! Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay, as
//! `torch.optim.SGD`. With `g_t = ∇L(w) + λ w`:
//!
//! ```text
//! b_1 = g_1,  b_t = μ b_{t−1} + (1 − τ) g_t          (only when μ > 0)
//! d_t = g_t + μ b_t  (Nesterov)   or   b_t  (momentum)   or   g_t  (μ = 0)
//! w ← w − η d_t
//! ```

use super::kernel::{self, Rule, Slot};
use super::{check_lr, check_non_negative, export_state, import_state, Optimizer};
use crate::autograd::GradStore;
use crate::error::{Error, Result};
use crate::nn::Param;
use crate::tensor::Float;

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
    /// Momentum buffers (`μ > 0`).
    momentum: Vec<Slot<1>>,
    /// Recycled value buffers (`μ = 0`).
    plain: Vec<Slot<0>>,
}

/// One SGD step's constants; `first` when the momentum buffer starts as `g`.
struct SgdRule {
    config: SgdConfig,
    first: bool,
}

impl Rule<0> for SgdRule {
    #[inline(always)]
    fn apply<T: Float>(&self, w: &[T], g: &[T], _: [&mut [T]; 0], out: &mut [T]) {
        let (lr, wd) = (T::from_f64(self.config.lr), T::from_f64(self.config.weight_decay));
        for ((o, &w), &g) in out.iter_mut().zip(w).zip(g) {
            *o = w - lr * (g + wd * w);
        }
    }
}

impl Rule<1> for SgdRule {
    #[inline(always)]
    fn apply<T: Float>(&self, w: &[T], g: &[T], [buf]: [&mut [T]; 1], out: &mut [T]) {
        let SgdConfig { lr, momentum, dampening, nesterov, weight_decay } = self.config;
        let c = |x: f64| T::from_f64(x);
        let (lr, mu, keep, wd) = (c(lr), c(momentum), c(1.0 - dampening), c(weight_decay));
        for (((o, &w), &g), b) in out.iter_mut().zip(w).zip(g).zip(buf.iter_mut()) {
            let g = g + wd * w;
            *b = if self.first { g } else { mu * *b + keep * g };
            let d = if nesterov { g + mu * *b } else { *b };
            *o = w - lr * d;
        }
    }
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
        let momentum = params.iter().map(|_| Slot::default()).collect();
        let plain = params.iter().map(|_| Slot::default()).collect();
        Ok(Sgd { params, config, momentum, plain })
    }

    pub fn config(&self) -> &SgdConfig {
        &self.config
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        let config = self.config;
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = p.grad(grads) else { continue };
            if config.momentum == 0.0 {
                let rule = SgdRule { config, first: false };
                kernel::step::<_, 0>(p, g, &mut self.plain[i], &rule)?;
                continue;
            }
            let rule = SgdRule { config, first: self.momentum[i].is_fresh() };
            kernel::step::<_, 1>(p, g, &mut self.momentum[i], &rule)?;
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
        let buffers: Vec<Vec<f64>> = self.momentum.iter().map(|s| s.export(0)).collect();
        export_state("momentum", &buffers)
    }

    fn load_state(&mut self, state: &[(String, Vec<f64>)]) -> Result<()> {
        let mut buffers = vec![Vec::new(); self.params.len()];
        import_state("momentum", &mut buffers, &self.params, state)?;
        for ((slot, p), b) in self.momentum.iter_mut().zip(&self.params).zip(&buffers) {
            slot.import(0, b, p);
        }
        Ok(())
    }
}
