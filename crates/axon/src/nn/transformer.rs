//! [`TransformerEncoderLayer`], the block a BERT-family encoder stacks: multi-head
//! self-attention and a position-wise feed-forward network (`Linear → activation → Linear`), each
//! wrapped in dropout, a residual connection and layer normalisation. Post-LN (the normalisation
//! after the residual sum, as BERT and PyTorch's default) or pre-LN (`norm_first`, before each
//! sub-layer, as GPT-2 and PyTorch's `norm_first=True`):
//!
//! ```text
//! post-LN:  h = LN₁(x + Drop(Attn(x)))       y = LN₂(h + Drop(FF(h)))
//! pre-LN:   h = x + Drop(Attn(LN₁(x)))       y = h + Drop(FF(LN₂(h)))
//! ```
//!
//! Parameter names follow PyTorch's `nn.TransformerEncoderLayer` (`self_attn.*`, `linear1`,
//! `linear2`, `norm1`, `norm2`), with the attention's projections as [`MultiHeadAttention`]
//! names them.

use super::attention::MultiHeadAttention;
use super::layers::Dropout;
use super::linear::Linear;
use super::module::{with_prefix, Module};
use super::norm::LayerNorm;
use super::param::Param;
use crate::error::{Error, Result};
use crate::ops::UnaryOp;
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};

/// The feed-forward network's activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedForwardActivation {
    /// The exact (erf) GELU, BERT's `hidden_act = "gelu"`.
    Gelu,
    Relu,
}

/// The sizes and choices of a [`TransformerEncoderLayer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderLayerConfig {
    /// Features per token (`hidden_size`).
    pub embed: usize,
    /// Attention heads (`num_attention_heads`); must divide `embed`.
    pub heads: usize,
    /// Width of the feed-forward network (`intermediate_size`).
    pub feed_forward: usize,
    pub activation: FeedForwardActivation,
    /// Dropout after attention and after the feed-forward network, in training mode.
    pub dropout: f64,
    /// Dropout of the attention probabilities in training mode (PyTorch's layer uses
    /// `dropout` here too; BERT's `attention_probs_dropout_prob`).
    pub attention_dropout: f64,
    /// Layer normalisation's `ε` (`layer_norm_eps`: BERT's 1e-12, PyTorch's default 1e-5).
    pub layer_norm_eps: f64,
    /// Pre-LN instead of post-LN.
    pub norm_first: bool,
}

/// The modules of a [`TransformerEncoderLayer`] built from loaded weights.
pub struct EncoderLayerWeights {
    pub self_attn: MultiHeadAttention,
    pub linear1: Linear,
    pub linear2: Linear,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
}

/// One encoder block: self-attention then feed-forward, each with residual and layer norm.
pub struct TransformerEncoderLayer {
    self_attn: MultiHeadAttention,
    linear1: Linear,
    linear2: Linear,
    norm1: LayerNorm,
    norm2: LayerNorm,
    dropout: Dropout,
    config: EncoderLayerConfig,
}

impl TransformerEncoderLayer {
    /// A layer initialised as PyTorch's, its dropout masks drawn from a stream split off `rng`.
    pub fn new(config: EncoderLayerConfig, dtype: DType, rng: &mut Rng) -> Result<Self> {
        let c = config;
        if c.embed == 0 || c.feed_forward == 0 {
            let sizes = format!("embed {}, feed_forward {}", c.embed, c.feed_forward);
            return Err(Error::invalid("config", sizes, "an encoder layer needs non-zero sizes"));
        }
        let self_attn = MultiHeadAttention::new(c.embed, c.heads, dtype, rng)?;
        let linear1 = Linear::new(c.embed, c.feed_forward, true, dtype, rng)?;
        let linear2 = Linear::new(c.feed_forward, c.embed, true, dtype, rng)?;
        let norm = || LayerNorm::new(&[c.embed], dtype)?.with_eps(c.layer_norm_eps);
        Ok(TransformerEncoderLayer {
            linear1,
            linear2,
            norm1: norm()?,
            norm2: norm()?,
            dropout: Dropout::new(c.dropout, rng.split())?,
            self_attn: self_attn.with_dropout(c.attention_dropout, rng.split())?,
            config,
        })
    }

    /// A layer from loaded weights (as a BERT checkpoint holds them), its dropout masks drawn
    /// from streams split off `dropout_rng`. The sizes must agree with `config`, and the norms' `ε` with its
    /// `layer_norm_eps`.
    pub fn from_weights(
        config: EncoderLayerConfig,
        weights: EncoderLayerWeights,
        dropout_rng: Rng,
    ) -> Result<Self> {
        let c = config;
        let w = weights;
        let attn_embed = w.self_attn.embed();
        let fits = |l: &Linear, input: usize, output: usize| {
            l.in_features() == input && l.out_features() == output
        };
        let norm_fits =
            |n: &LayerNorm| n.normalized_shape() == [c.embed] && n.eps() == c.layer_norm_eps;
        if attn_embed != c.embed
            || w.self_attn.heads() != c.heads
            || !fits(&w.linear1, c.embed, c.feed_forward)
            || !fits(&w.linear2, c.feed_forward, c.embed)
            || !norm_fits(&w.norm1)
            || !norm_fits(&w.norm2)
        {
            return Err(Error::invalid(
                "weights",
                format!(
                    "attention {attn_embed}×{} heads, feed-forward {}→{}→{}",
                    w.self_attn.heads(),
                    w.linear1.in_features(),
                    w.linear1.out_features(),
                    w.linear2.out_features()
                ),
                format!("the config says {c:?}"),
            ));
        }
        let mut rng = dropout_rng;
        Ok(TransformerEncoderLayer {
            self_attn: w.self_attn.with_dropout(c.attention_dropout, rng.split())?,
            linear1: w.linear1,
            linear2: w.linear2,
            norm1: w.norm1,
            norm2: w.norm2,
            dropout: Dropout::new(c.dropout, rng)?,
            config,
        })
    }

    pub fn config(&self) -> &EncoderLayerConfig {
        &self.config
    }

    /// The block on `x` `(B, L, E)`, padding keys masked by `key_mask` `(B, L)` (0: padding).
    pub fn forward_masked(&self, x: &Tensor, key_mask: Option<&Tensor>) -> Result<Tensor> {
        let attend =
            |t: &Tensor| self.dropout.forward(&self.self_attn.forward_masked(t, key_mask)?);
        if self.config.norm_first {
            let h = x.add(&attend(&self.norm1.forward(x)?)?)?;
            h.add(&self.feed_forward(&self.norm2.forward(&h)?)?)
        } else {
            let h = self.norm1.forward(&x.add(&attend(x)?)?)?;
            self.norm2.forward(&h.add(&self.feed_forward(&h)?)?)
        }
    }

    /// `Drop(linear2(act(linear1(x))))`.
    fn feed_forward(&self, x: &Tensor) -> Result<Tensor> {
        let act = match self.config.activation {
            FeedForwardActivation::Gelu => UnaryOp::Gelu,
            FeedForwardActivation::Relu => UnaryOp::Relu,
        };
        let inner = self.linear1.forward_fused(x, Some(act))?;
        self.dropout.forward(&self.linear2.forward(&inner)?)
    }
}

impl Module for TransformerEncoderLayer {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_masked(x, None)
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        let mut params = with_prefix("self_attn", self.self_attn.parameters());
        for (name, layer) in [("linear1", &self.linear1), ("linear2", &self.linear2)] {
            params.extend(with_prefix(name, layer.parameters()));
        }
        for (name, norm) in [("norm1", &self.norm1), ("norm2", &self.norm2)] {
            params.extend(with_prefix(name, norm.parameters()));
        }
        params
    }

    fn train(&mut self, mode: bool) {
        self.dropout.train(mode);
        self.self_attn.train(mode);
    }

    fn is_training(&self) -> bool {
        self.dropout.is_training()
    }

    fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "TransformerEncoderLayer(d_model={}, nhead={}, dim_feedforward={}, dropout={}, \
             attention_dropout={}, activation={:?}, layer_norm_eps={:e}, norm_first={})",
            c.embed,
            c.heads,
            c.feed_forward,
            c.dropout,
            c.attention_dropout,
            c.activation,
            c.layer_norm_eps,
            c.norm_first
        )
    }
}
