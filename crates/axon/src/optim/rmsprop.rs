//! RMSprop (Hinton), as `torch.optim.RMSprop`. With `g_t = ∇L(w) + λ w`:
//!
//! ```text
//! v_t = α v_{t−1} + (1 − α) g_t²
//! a_t = α a_{t−1} + (1 − α) g_t,  s_t = √(v_t − a_t²) + ε   (centred)
//!                                 s_t = √v_t + ε            (otherwise)
//! b_t = μ b_{t−1} + g_t / s_t,  w ← w − η b_t               (momentum μ > 0)
//! w ← w − η g_t / s_t                                        (μ = 0)
//! ```

use super::kernel::{self, Rule, Slot};
use super::Optimizer;
use super::{check_decay, check_eps, check_lr, check_non_negative, export_state, import_state};
use crate::autograd::GradStore;
use crate::error::Result;
use crate::nn::Param;
use crate::tensor::Float;

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
    /// Per parameter: the square average `v`, the gradient average `a` and the momentum
    /// buffer `b`, in the parameter's dtype.
    slots: Vec<Slot<3>>,
}

/// The buffer names in checkpoints, in slot order.
const NAMES: [&str; 3] = ["square_avg", "grad_avg", "momentum_buffer"];

impl Rule<3> for RmsPropConfig {
    #[inline(always)]
    fn apply<T: Float>(&self, w: &[T], g: &[T], [v, a, b]: [&mut [T]; 3], out: &mut [T]) {
        let c = |x: f64| T::from_f64(x);
        let (lr, alpha, one_alpha) = (c(self.lr), c(self.alpha), c(1.0 - self.alpha));
        let (eps, wd, mu) = (c(self.eps), c(self.weight_decay), c(self.momentum));
        let n = out.len();
        let (w, g, v, a, b) = (&w[..n], &g[..n], &mut v[..n], &mut a[..n], &mut b[..n]);
        for j in 0..n {
            let gj = g[j] + wd * w[j];
            v[j] = alpha * v[j] + one_alpha * gj * gj;
            let s = if self.centered {
                a[j] = alpha * a[j] + one_alpha * gj;
                (v[j] - a[j] * a[j]).sqrt() + eps
            } else {
                v[j].sqrt() + eps
            };
            out[j] = if self.momentum > 0.0 {
                b[j] = mu * b[j] + gj / s;
                w[j] - lr * b[j]
            } else {
                w[j] - lr * gj / s
            };
        }
    }
}

impl RmsProp {
    pub fn new(params: Vec<Param>, config: RmsPropConfig) -> Result<RmsProp> {
        check_lr(config.lr)?;
        check_decay("alpha", config.alpha)?;
        check_eps(config.eps)?;
        check_non_negative("weight_decay", config.weight_decay)?;
        check_non_negative("momentum", config.momentum)?;
        let slots = params.iter().map(|_| Slot::default()).collect();
        Ok(RmsProp { params, config, slots })
    }

    pub fn config(&self) -> &RmsPropConfig {
        &self.config
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = p.grad(grads) else { continue };
            kernel::step(p, g, &mut self.slots[i], &self.config)?;
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
        let mut state = Vec::new();
        for (k, name) in NAMES.iter().enumerate() {
            let buffers: Vec<Vec<f64>> = self.slots.iter().map(|s| s.export(k)).collect();
            state.extend(export_state(name, &buffers));
        }
        state
    }

    fn load_state(&mut self, state: &[(String, Vec<f64>)]) -> Result<()> {
        for (k, name) in NAMES.iter().enumerate() {
            let mut buffers = vec![Vec::new(); self.params.len()];
            import_state(name, &mut buffers, &self.params, state)?;
            for ((slot, p), b) in self.slots.iter_mut().zip(&self.params).zip(&buffers) {
                slot.import(k, b, p);
            }
        }
        Ok(())
    }
}
