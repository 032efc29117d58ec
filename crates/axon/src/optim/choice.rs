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
