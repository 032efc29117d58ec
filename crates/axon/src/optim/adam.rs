//! Adam (Kingma & Ba), as `torch.optim.Adam` (without AMSGrad). With `g_t = ∇L(w) + λ w` (the L2
//! penalty goes into the gradient; [`super::AdamW`] decouples it) and step count `t`:
//!
//! ```text
//! m_t = β1 m_{t−1} + (1 − β1) g_t
//! v_t = β2 v_{t−1} + (1 − β2) g_t²
//! w ← w − η/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)
//! ```

use super::{
    check_decay, check_eps, check_lr, check_non_negative, export_state, export_steps, import_state,
    import_steps, state_for, update, Optimizer,
};
use crate::autograd::GradStore;
use crate::error::Result;
use crate::nn::Param;

/// Hyper-parameters of [`Adam`]; the defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    /// `(β1, β2)`, each in `[0, 1)`.
    pub betas: (f64, f64),
    pub eps: f64,
    /// L2 penalty λ added to the gradient.
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0 }
    }
}

/// The moment estimates of Adam and AdamW, per parameter.
pub(super) struct Moments {
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
    t: Vec<u64>,
}

impl Moments {
    pub(super) fn new(n: usize) -> Moments {
        Moments { m: vec![Vec::new(); n], v: vec![Vec::new(); n], t: vec![0; n] }
    }

    /// One Adam step of every parameter with a gradient: `l2` is added to the gradient as
    /// `l2 · w`, `decoupled` shrinks the weight by `1 − η · decoupled` first (AdamW).
    pub(super) fn step(
        &mut self,
        params: &[Param],
        grads: &GradStore,
        config: &AdamConfig,
        decoupled: f64,
    ) -> Result<()> {
        let AdamConfig { lr, betas: (b1, b2), eps, weight_decay: l2 } = *config;
        for (i, p) in params.iter().enumerate() {
            let Some(g) = p.grad(grads) else { continue };
            self.t[i] += 1;
            let t = self.t[i] as i32;
            let step_size = lr / (1.0 - b1.powi(t));
            let bc2_sqrt = (1.0 - b2.powi(t)).sqrt();
            let shrink = 1.0 - lr * decoupled;
            let m = state_for(&mut self.m, i, g.numel());
            let v = state_for(&mut self.v, i, g.numel());
            update(p, g, |j, w, g| {
                let g = g + l2 * w;
                m[j] = b1 * m[j] + (1.0 - b1) * g;
                v[j] = b2 * v[j] + (1.0 - b2) * g * g;
                w * shrink - step_size * m[j] / (v[j].sqrt() / bc2_sqrt + eps)
            })?;
        }
        Ok(())
    }
}

impl Moments {
    /// `m.i`, `v.i` and the step counts `t`.
    pub(super) fn state(&self) -> Vec<(String, Vec<f64>)> {
        let mut state = export_state("m", &self.m);
        state.extend(export_state("v", &self.v));
        state.push(export_steps(&self.t));
        state
    }

    pub(super) fn load_state(
        &mut self,
        params: &[Param],
        state: &[(String, Vec<f64>)],
    ) -> Result<()> {
        import_state("m", &mut self.m, params, state)?;
        import_state("v", &mut self.v, params, state)?;
        import_steps(&mut self.t, state)
    }
}

/// Checks Adam's and AdamW's hyper-parameters.
pub(super) fn check_config(config: &AdamConfig) -> Result<()> {
    check_lr(config.lr)?;
    check_decay("beta1", config.betas.0)?;
    check_decay("beta2", config.betas.1)?;
    check_eps(config.eps)?;
    check_non_negative("weight_decay", config.weight_decay)
}

/// Adam with an optional L2 penalty in the gradient.
pub struct Adam {
    params: Vec<Param>,
    config: AdamConfig,
    moments: Moments,
}

impl Adam {
    pub fn new(params: Vec<Param>, config: AdamConfig) -> Result<Adam> {
        check_config(&config)?;
        let moments = Moments::new(params.len());
        Ok(Adam { params, config, moments })
    }

    pub fn config(&self) -> &AdamConfig {
        &self.config
    }
}

impl Optimizer for Adam {
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.moments.step(&self.params, grads, &self.config, 0.0)
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
