//! Shape and regularisation layers without weights: [`Flatten`] (`(N, d1, d2, …)` →
//! `(N, d1·d2·…)`), [`Identity`], and [`Dropout`], which in training mode zeroes each element
//! with probability `p` and scales the survivors by `1 / (1 − p)` (inverted dropout, so the
//! expected output equals the input and evaluation mode is the identity).

use std::sync::Mutex;

use super::module::Module;
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{Storage, Tensor};

/// Merges every axis from `start` (default 1, as `torch.nn.Flatten`) into one.
#[derive(Debug, Clone)]
pub struct Flatten {
    start: usize,
}

impl Flatten {
    /// Flattens from axis 1: `(N, C, H, W)` → `(N, C·H·W)`.
    pub fn new() -> Flatten {
        Flatten { start: 1 }
    }

    /// Flattens from axis `start`.
    pub fn from_axis(start: usize) -> Flatten {
        Flatten { start }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new()
    }
}

impl Module for Flatten {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.flatten_from(self.start)
    }

    fn describe(&self) -> String {
        format!("Flatten(start_dim={}, end_dim=-1)", self.start)
    }
}

/// `y = x`.
#[derive(Debug, Clone, Default)]
pub struct Identity;

impl Module for Identity {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }

    fn describe(&self) -> String {
        "Identity()".into()
    }
}

/// Inverted dropout with drop probability `p`, from its own seeded generator.
pub struct Dropout {
    p: f64,
    training: bool,
    rng: Mutex<Rng>,
}

impl Dropout {
    /// Dropout with probability `p` in `[0, 1]`, drawing its masks from `rng`.
    pub fn new(p: f64, rng: Rng) -> Result<Dropout> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid("p", p, "a dropout probability lies in [0, 1]"));
        }
        Ok(Dropout { p, training: true, rng: Mutex::new(rng) })
    }

    pub fn p(&self) -> f64 {
        self.p
    }

    /// The mask `m_i ∈ {0, 1/(1−p)}` of `x`'s shape and dtype.
    fn mask(&self, x: &Tensor) -> Tensor {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let keep = 1.0 - self.p;
        let scale = if keep > 0.0 { 1.0 / keep } else { 0.0 };
        let values = (0..x.numel()).map(|_| if rng.uniform() < keep { scale } else { 0.0 });
        Tensor::from_storage(Storage::from_f64(values, x.dtype()), x.shape().clone(), None)
    }
}

impl Module for Dropout {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !self.training || self.p == 0.0 {
            return Ok(x.clone());
        }
        if !x.dtype().is_float() {
            return Err(Error::invalid("x", x.dtype(), "dropout needs a float tensor"));
        }
        x.mul(&self.mask(x))
    }

    fn train(&mut self, mode: bool) {
        self.training = mode;
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn describe(&self) -> String {
        format!("Dropout(p={}, inplace=False)", self.p)
    }
}
