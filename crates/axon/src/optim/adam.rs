//! Adam (Kingma & Ba), as `torch.optim.Adam` (without AMSGrad). With `g_t = ∇L(w) + λ w` (the L2
//! penalty goes into the gradient; [`super::AdamW`] decouples it) and step count `t`:
//!
//! ```text
//! m_t = β1 m_{t−1} + (1 − β1) g_t
//! v_t = β2 v_{t−1} + (1 − β2) g_t²
//! w ← w − η/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)
//! ```

use super::kernel::{self, Rule, Slot};
use super::{
    check_decay, check_eps, check_lr, check_non_negative, export_state, export_steps, import_state,
    import_steps, Optimizer,
};
use crate::autograd::GradStore;
use crate::error::Result;
use crate::nn::Param;
use crate::tensor::Float;

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

/// The moment estimates of Adam and AdamW, per parameter: `m` and `v` in the parameter's dtype.
pub(super) struct Moments {
    slots: Vec<Slot<2>>,
    t: Vec<u64>,
}

/// One Adam step's constants (see the module docs), in `f64`.
struct AdamRule {
    b1: f64,
    b2: f64,
    l2: f64,
    step_size: f64,
    bc2_sqrt: f64,
    shrink: f64,
    eps: f64,
}

impl Rule<2> for AdamRule {
    #[inline(always)]
    fn apply<T: Float>(&self, w: &[T], g: &[T], [m, v]: [&mut [T]; 2], out: &mut [T]) {
        let c = |x: f64| T::from_f64(x);
        let (b1, b2, l2, eps) = (c(self.b1), c(self.b2), c(self.l2), c(self.eps));
        let (one_b1, one_b2) = (c(1.0 - self.b1), c(1.0 - self.b2));
        let (step_size, bc2_sqrt, shrink) = (c(self.step_size), c(self.bc2_sqrt), c(self.shrink));
        let n = out.len();
        let (w, g, m, v) = (&w[..n], &g[..n], &mut m[..n], &mut v[..n]);
        for j in 0..n {
            let gj = g[j] + l2 * w[j];
            m[j] = b1 * m[j] + one_b1 * gj;
            v[j] = b2 * v[j] + one_b2 * gj * gj;
            out[j] = w[j] * shrink - step_size * m[j] / (v[j].sqrt() / bc2_sqrt + eps);
        }
    }
}

impl Moments {
    pub(super) fn new(n: usize) -> Moments {
        Moments { slots: (0..n).map(|_| Slot::default()).collect(), t: vec![0; n] }
    }

    /// One Adam step of every parameter with a gradient: `l2` is added to the gradient as
    /// `l2 · w`, `decoupled(i)` shrinks parameter `i` by `1 − η · decoupled(i)` first (AdamW).
    pub(super) fn step(
        &mut self,
        params: &[Param],
        grads: &GradStore,
        config: &AdamConfig,
        decoupled: impl Fn(usize) -> f64,
    ) -> Result<()> {
        let AdamConfig { lr, betas: (b1, b2), eps, weight_decay: l2 } = *config;
        for (i, p) in params.iter().enumerate() {
            let Some(g) = p.grad(grads) else { continue };
            self.t[i] += 1;
            let t = self.t[i] as i32;
            let rule = AdamRule {
                b1,
                b2,
                l2,
                step_size: lr / (1.0 - b1.powi(t)),
                bc2_sqrt: (1.0 - b2.powi(t)).sqrt(),
                shrink: 1.0 - lr * decoupled(i),
                eps,
            };
            kernel::step(p, g, &mut self.slots[i], &rule)?;
        }
        Ok(())
    }

    /// `m.i`, `v.i` and the step counts `t`.
    pub(super) fn state(&self) -> Vec<(String, Vec<f64>)> {
        let m: Vec<Vec<f64>> = self.slots.iter().map(|s| s.export(0)).collect();
        let v: Vec<Vec<f64>> = self.slots.iter().map(|s| s.export(1)).collect();
        let mut state = export_state("m", &m);
        state.extend(export_state("v", &v));
        state.push(export_steps(&self.t));
        state
    }

    pub(super) fn load_state(
        &mut self,
        params: &[Param],
        state: &[(String, Vec<f64>)],
    ) -> Result<()> {
        let mut m = vec![Vec::new(); params.len()];
        let mut v = m.clone();
        import_state("m", &mut m, params, state)?;
        import_state("v", &mut v, params, state)?;
        for ((slot, p), (m, v)) in self.slots.iter_mut().zip(params).zip(m.iter().zip(&v)) {
            slot.import(0, m, p);
            slot.import(1, v, p);
        }
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
        self.moments.step(&self.params, grads, &self.config, |_| 0.0)
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
