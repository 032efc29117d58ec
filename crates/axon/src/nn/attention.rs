//! [`MultiHeadAttention`], the self-attention of a transformer encoder layer: the input
//! `(B, L, E)` is projected to queries, keys and values by three `Linear` layers, split into `H`
//! heads of `E / H` features, attended by the engine's fused
//! [`Tensor::scaled_dot_product_attention`] (with an optional key padding mask `(B, L)`, 1 for a
//! token and 0 for padding, as a Hugging Face `attention_mask`), merged back and projected by a
//! fourth `Linear`. Parameter names are `q_proj`, `k_proj`, `v_proj` and `out_proj`, each with
//! `weight` `(E, E)` and `bias` `(E)`. In training mode the attention probabilities are dropped
//! out with the layer's `dropout` (PyTorch's `MultiheadAttention(dropout=…)`, Hugging Face
//! BERT's `attention_probs_dropout_prob`), each forward pass drawing its mask's seed from the
//! layer's own generator.

use std::sync::Mutex;

use super::linear::Linear;
use super::module::{with_prefix, Module};
use super::param::Param;
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};

/// Multi-head self-attention over `E` features in `H` heads.
pub struct MultiHeadAttention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    out_proj: Linear,
    heads: usize,
    /// Dropout probability of the attention probabilities in training mode.
    dropout: f64,
    training: bool,
    rng: Mutex<Rng>,
}

impl MultiHeadAttention {
    /// A layer of `embed` features in `heads` heads (`heads` must divide `embed`), its four
    /// projections initialised as PyTorch's `Linear`.
    pub fn new(embed: usize, heads: usize, dtype: DType, rng: &mut Rng) -> Result<Self> {
        let linear = |rng: &mut Rng| Linear::new(embed, embed, true, dtype, rng);
        let (q_proj, k_proj, v_proj, out_proj) =
            (linear(rng)?, linear(rng)?, linear(rng)?, linear(rng)?);
        MultiHeadAttention::from_projections(q_proj, k_proj, v_proj, out_proj, heads)
    }

    /// A layer from its four projections (loaded weights), each `(E, E)`.
    pub fn from_projections(
        q_proj: Linear,
        k_proj: Linear,
        v_proj: Linear,
        out_proj: Linear,
        heads: usize,
    ) -> Result<Self> {
        let embed = q_proj.in_features();
        let square = |l: &Linear| l.in_features() == embed && l.out_features() == embed;
        if ![&q_proj, &k_proj, &v_proj, &out_proj].into_iter().all(square) {
            return Err(Error::invalid(
                "projections",
                embed,
                "multi-head attention needs four (E, E) projections",
            ));
        }
        if heads == 0 || !embed.is_multiple_of(heads) {
            return Err(Error::invalid(
                "heads",
                heads,
                format!("must divide the {embed} features"),
            ));
        }
        let rng = Mutex::new(Rng::seed(0));
        let (dropout, training) = (0.0, true);
        Ok(MultiHeadAttention { q_proj, k_proj, v_proj, out_proj, heads, dropout, training, rng })
    }

    /// The same layer dropping attention probabilities with probability `p` in `[0, 1)` in
    /// training mode, its masks seeded from `rng`.
    pub fn with_dropout(mut self, p: f64, rng: Rng) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid("dropout", p, "a dropout probability lies in [0, 1)"));
        }
        self.dropout = p;
        self.rng = Mutex::new(rng);
        Ok(self)
    }

    /// The dropout probability of the attention probabilities.
    pub fn dropout(&self) -> f64 {
        self.dropout
    }

    pub fn heads(&self) -> usize {
        self.heads
    }

    /// The features `E` it attends over.
    pub fn embed(&self) -> usize {
        self.q_proj.in_features()
    }

    /// Self-attention of `x` `(B, L, E)`, keys masked by `key_mask` `(B, L)` (0: padding).
    pub fn forward_masked(&self, x: &Tensor, key_mask: Option<&Tensor>) -> Result<Tensor> {
        let embed = self.q_proj.in_features();
        let &[b, l, e] = x.dims() else {
            return Err(Error::invalid("x", x.shape(), "multi-head attention needs (B, L, E)"));
        };
        if e != embed {
            return Err(Error::invalid("x", x.shape(), format!("the layer has {embed} features")));
        }
        let (h, dh) = (self.heads, embed / self.heads);
        // (B, L, E) → (B, H, L, E/H).
        let split = |t: Tensor| t.reshape([b, l, h, dh])?.permute(&[0, 2, 1, 3]);
        let q = split(self.q_proj.forward(x)?)?;
        let k = split(self.k_proj.forward(x)?)?;
        let v = split(self.v_proj.forward(x)?)?;
        let (p, seed) = match self.training && self.dropout > 0.0 {
            true => (self.dropout, self.rng.lock().unwrap_or_else(|e| e.into_inner()).next_u64()),
            false => (0.0, 0),
        };
        let o = q.scaled_dot_product_attention_dropout(&k, &v, key_mask, None, p, seed)?;
        let merged = o.permute(&[0, 2, 1, 3])?.contiguous().reshape([b, l, embed])?;
        self.out_proj.forward(&merged)
    }
}

impl Module for MultiHeadAttention {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_masked(x, None)
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        [("q_proj", &self.q_proj), ("k_proj", &self.k_proj), ("v_proj", &self.v_proj)]
            .into_iter()
            .chain([("out_proj", &self.out_proj)])
            .flat_map(|(name, layer)| with_prefix(name, layer.parameters()))
            .collect()
    }

    fn train(&mut self, mode: bool) {
        self.training = mode;
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn describe(&self) -> String {
        let e = self.q_proj.in_features();
        format!("MultiheadAttention(embed_dim={e}, num_heads={})", self.heads)
    }
}
