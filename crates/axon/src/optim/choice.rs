//! The choice of optimizer as plain data, so that a command line, a Python caller or a saved
//! run record names one (`{"kind": "adam", "lr": 0.001, ...}`) and [`OptimizerChoice::build`]
//! makes it for a network's parameters, with PyTorch's defaults for everything not named.

use serde::{Deserialize, Serialize};

use super::{Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig};
use crate::error::Result;
use crate::nn::Param;

/// An optimizer and its settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerChoice {
    /// SGD with momentum `μ` (Nesterov's when `nesterov`) and an L2 penalty `weight_decay`
    /// added to the gradient.
    Sgd {
        lr: f64,
        momentum: f64,
        weight_decay: f64,
        #[serde(default)]
        nesterov: bool,
    },
    /// Adam with an L2 penalty added to the gradient.
    Adam { lr: f64, weight_decay: f64 },
    /// Adam with decoupled weight decay.
    AdamW { lr: f64, weight_decay: f64 },
}

impl OptimizerChoice {
    /// The optimizer over `params`.
    pub fn build(&self, params: Vec<Param>) -> Result<Box<dyn Optimizer>> {
        Ok(match *self {
            OptimizerChoice::Sgd { lr, momentum, weight_decay, nesterov } => {
                let config = SgdConfig { lr, momentum, weight_decay, nesterov, dampening: 0.0 };
                Box::new(Sgd::new(params, config)?)
            }
            OptimizerChoice::Adam { lr, weight_decay } => {
                Box::new(Adam::new(params, AdamConfig { lr, weight_decay, ..Default::default() })?)
            }
            OptimizerChoice::AdamW { lr, weight_decay } => {
                let config = AdamWConfig { lr, weight_decay, ..Default::default() };
                Box::new(AdamW::new(params, config)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    /// Two steps of `--optimizer sgd --momentum 0.9 --nesterov --lr 0.1` on `L = w²/2`
    /// (`g = w`) from `w = 1`, by PyTorch's rule (`b₁ = g₁`, `b_t = μ b_{t−1} + g_t`,
    /// `w ← w − η (g_t + μ b_t)`), worked by hand:
    ///
    /// ```text
    /// t = 1: g = 1,     b = 1,                  w = 1 − 0.1 (1 + 0.9)             = 0.81
    /// t = 2: g = 0.81,  b = 0.9 + 0.81 = 1.71,  w = 0.81 − 0.1 (0.81 + 0.9 · 1.71) = 0.5751
    /// ```
    ///
    /// Plain momentum would give 0.9 and then 0.729: the choice must build Nesterov's.
    #[test]
    fn nesterov_choice_takes_pytorch_steps() {
        let p = Param::new("w", Tensor::from_vec(vec![1.0f64], [1]).unwrap());
        let choice =
            OptimizerChoice::Sgd { lr: 0.1, momentum: 0.9, weight_decay: 0.0, nesterov: true };
        let mut opt = choice.build(vec![p.clone()]).unwrap();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let loss = p.value().square().unwrap().sum_all().unwrap().mul_scalar(0.5).unwrap();
            opt.step(&loss.backward().unwrap()).unwrap();
            seen.push(p.value().to_f64_vec()[0]);
        }
        assert!((seen[0] - 0.81).abs() < 1e-12 && (seen[1] - 0.5751).abs() < 1e-12, "{seen:?}");
        // Without momentum Nesterov is refused, as PyTorch refuses it.
        let bad =
            OptimizerChoice::Sgd { lr: 0.1, momentum: 0.0, weight_decay: 0.0, nesterov: true };
        assert!(bad.build(vec![p]).is_err());
    }
}
