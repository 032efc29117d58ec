//! Adagrad (Duchi et al.), as `torch.optim.Adagrad`. With `g_t = ∇L(w) + λ w` and step `t`:
//!
//! ```text
//! η_t = η / (1 + (t − 1) δ)          (learning-rate decay δ)
//! s_t = s_{t−1} + g_t²                (s_0 = the initial accumulator value)
//! w ← w − η_t g_t / (√s_t + ε)
//! ```

use super::kernel::{self, Rule, Slot};
use super::{
    check_eps, check_lr, check_non_negative, export_state, export_steps, import_state,
    import_steps, Optimizer,
};
use crate::autograd::GradStore;
use crate::error::Result;
use crate::nn::Param;
use crate::tensor::Float;

/// Hyper-parameters of [`Adagrad`]; the defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdagradConfig {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub initial_accumulator_value: f64,
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 0.01,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }
}

/// Adagrad: per-coordinate steps shrinking with the accumulated squared gradients.
pub struct Adagrad {
    params: Vec<Param>,
    config: AdagradConfig,
    /// The accumulated squares `s`, per parameter, in its dtype.
    sum: Vec<Slot<1>>,
    t: Vec<u64>,
}

/// One Adagrad step with the decayed rate `clr`.
struct AdagradRule {
    clr: f64,
    weight_decay: f64,
    eps: f64,
}

impl Rule<1> for AdagradRule {
    #[inline(always)]
    fn apply<T: Float>(&self, w: &[T], g: &[T], [s]: [&mut [T]; 1], out: &mut [T]) {
        let (clr, wd) = (T::from_f64(self.clr), T::from_f64(self.weight_decay));
        let eps = T::from_f64(self.eps);
        for (((o, &w), &g), s) in out.iter_mut().zip(w).zip(g).zip(s.iter_mut()) {
            let g = g + wd * w;
            *s += g * g;
            *o = w - clr * g / (s.sqrt() + eps);
        }
    }
}

/// Accumulators holding the initial value `s0`, in each parameter's dtype.
fn initial_sums(params: &[Param], s0: f64) -> Vec<Slot<1>> {
    let slot = |p: &Param| {
        let mut slot = Slot::default();
        slot.import(0, &vec![s0; p.numel()], p);
        slot
    };
    params.iter().map(slot).collect()
}

impl Adagrad {
    pub fn new(params: Vec<Param>, config: AdagradConfig) -> Result<Adagrad> {
        check_lr(config.lr)?;
        check_non_negative("lr_decay", config.lr_decay)?;
        check_non_negative("weight_decay", config.weight_decay)?;
        check_non_negative("initial_accumulator_value", config.initial_accumulator_value)?;
        check_eps(config.eps)?;
        let s0 = config.initial_accumulator_value;
        let sum = initial_sums(&params, s0);
        let t = vec![0; params.len()];
        Ok(Adagrad { params, config, sum, t })
    }

    pub fn config(&self) -> &AdagradConfig {
        &self.config
    }
}

impl Optimizer for Adagrad {
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        let AdagradConfig { lr, lr_decay, weight_decay: wd, eps, .. } = self.config;
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = p.grad(grads) else { continue };
            self.t[i] += 1;
            let clr = lr / (1.0 + (self.t[i] - 1) as f64 * lr_decay);
            let rule = AdagradRule { clr, weight_decay: wd, eps };
            kernel::step(p, g, &mut self.sum[i], &rule)?;
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
        let sums: Vec<Vec<f64>> = self.sum.iter().map(|s| s.export(0)).collect();
        let mut state = export_state("sum", &sums);
        state.push(export_steps(&self.t));
        state
    }

    fn load_state(&mut self, state: &[(String, Vec<f64>)]) -> Result<()> {
        // A parameter whose sum is not listed starts again from the initial value.
        let s0 = self.config.initial_accumulator_value;
        let mut sums = vec![Vec::new(); self.params.len()];
        import_state("sum", &mut sums, &self.params, state)?;
        for ((slot, p), s) in self.sum.iter_mut().zip(&self.params).zip(&sums) {
            match s.is_empty() {
                true => slot.import(0, &vec![s0; p.numel()], p),
                false => slot.import(0, s, p),
            }
        }
        import_steps(&mut self.t, state)
    }
}
