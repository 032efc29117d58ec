//! [`BertModel`], a BERT encoder on axon's modules: the embeddings (word + position + token
//! type, then layer norm and dropout), a stack of post-LN [`TransformerEncoderLayer`]s with the
//! exact GELU, and the optional pooler (`tanh(dense(h_[CLS]))`). BERT's layer is exactly the
//! post-LN encoder layer, so its Hugging Face tensors map one to one onto the layer's modules:
//!
//! ```text
//! attention.self.{query,key,value}   self_attn.{q,k,v}_proj
//! attention.output.dense             self_attn.out_proj
//! attention.output.LayerNorm         norm1
//! intermediate.dense                 linear1
//! output.dense                       linear2
//! output.LayerNorm                   norm2
//! ```
//!
//! [`Module::parameters`] names the weights as Hugging Face does (`encoder.layer.0.…`), so
//! [`crate::io::save_module`] writes a file that `BertModel.from_pretrained` reads back. The model
//! is loaded in evaluation mode (dropout off), as `from_pretrained` leaves it.

use std::path::Path;

use super::config::BertConfig;
use super::weights::Weights;
use crate::error::{Error, Result};
use crate::nn::activation::Tanh;
use crate::nn::attention::MultiHeadAttention;
use crate::nn::embedding::Embedding;
use crate::nn::layers::Dropout;
use crate::nn::linear::Linear;
use crate::nn::module::{with_prefix, Module};
use crate::nn::norm::LayerNorm;
use crate::nn::param::Param;
use crate::nn::transformer::{
    EncoderLayerConfig, EncoderLayerWeights, FeedForwardActivation, TransformerEncoderLayer,
};
use crate::rng::Rng;
use crate::tensor::{no_grad, DType, Tensor};

/// Hugging Face's name of each encoder-layer module beside axon's (see the module docs).
const LAYER_NAMES: [(&str, &str); 8] = [
    ("self_attn.q_proj", "attention.self.query"),
    ("self_attn.k_proj", "attention.self.key"),
    ("self_attn.v_proj", "attention.self.value"),
    ("self_attn.out_proj", "attention.output.dense"),
    ("norm1", "attention.output.LayerNorm"),
    ("linear1", "intermediate.dense"),
    ("linear2", "output.dense"),
    ("norm2", "output.LayerNorm"),
];

/// A BERT encoder with Hugging Face weights.
pub struct BertModel {
    config: BertConfig,
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    embeddings_norm: LayerNorm,
    embeddings_dropout: Dropout,
    layers: Vec<TransformerEncoderLayer>,
    pooler: Option<Linear>,
}

impl BertModel {
    /// Loads a Hugging Face model directory: `config.json` and `model.safetensors`.
    pub fn load(dir: impl AsRef<Path>) -> Result<BertModel> {
        let dir = dir.as_ref();
        let config = BertConfig::from_file(dir.join("config.json"))?;
        BertModel::from_safetensors(config, dir.join("model.safetensors"))
    }

    /// The encoder of `config` with the weights of a safetensors file, by Hugging Face's names
    /// with or without the `bert.` prefix (a task model's head beside `bert.` is left out).
    pub fn from_safetensors(config: BertConfig, path: impl AsRef<Path>) -> Result<BertModel> {
        BertModel::from_safetensors_seeded(config, path, 0)
    }

    /// As [`BertModel::from_safetensors`], the dropout masks (training mode) drawn from
    /// generators seeded by `seed`.
    pub fn from_safetensors_seeded(
        config: BertConfig,
        path: impl AsRef<Path>,
        seed: u64,
    ) -> Result<BertModel> {
        let mut w = Weights::read(path.as_ref())?;
        let c = &config;
        let h = c.hidden_size;
        let mut embedding = |name: &str, rows: usize| {
            Embedding::from_tensor(w.take(&format!("embeddings.{name}.weight"), &[rows, h])?)
        };
        let word_embeddings = embedding("word_embeddings", c.vocab_size)?;
        let position_embeddings = embedding("position_embeddings", c.max_position_embeddings)?;
        let token_type_embeddings = embedding("token_type_embeddings", c.type_vocab_size)?;
        let embeddings_norm = norm(&mut w, "embeddings.LayerNorm", c)?;
        // Dropout masks only matter in training mode; one seeded stream per dropout.
        let mut rng = Rng::seed(seed);
        let layers = (0..c.num_hidden_layers)
            .map(|i| load_layer(&mut w, i, c, rng.split()))
            .collect::<Result<Vec<_>>>()?;
        let pooler = if w.has("pooler.dense.weight") {
            Some(linear(&mut w, "pooler.dense", h, h)?)
        } else {
            None
        };
        w.finish()?;
        let mut model = BertModel {
            embeddings_dropout: Dropout::new(c.hidden_dropout_prob, rng.split())?,
            config,
            word_embeddings,
            position_embeddings,
            token_type_embeddings,
            embeddings_norm,
            layers,
            pooler,
        };
        model.train(false);
        Ok(model)
    }

    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Whether the file had a pooler (`pooler.dense`).
    pub fn has_pooler(&self) -> bool {
        self.pooler.is_some()
    }

    /// The last hidden state `(B, L, H)` of token ids `(B, L)` (`i64`), padding keys masked by
    /// `attention_mask` `(B, L)` (1: token, 0: padding; none: every token), segments given by
    /// `token_type_ids` `(B, L)` (none: all segment 0). As `BertModel(...).last_hidden_state`.
    pub fn forward_masked(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
    ) -> Result<Tensor> {
        self.forward_frozen(input_ids, attention_mask, token_type_ids, None)
    }

    /// As [`BertModel::forward_masked`], with the embeddings and the
    /// first `frozen` layers run without recording a graph when `frozen` is given: no gradient
    /// reaches them, and their backward pass is never computed (fine-tuning with frozen layers).
    pub fn forward_frozen(
        &self,
        input_ids: &Tensor,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        frozen: Option<usize>,
    ) -> Result<Tensor> {
        let &[b, l] = input_ids.dims() else {
            let why = "BERT takes token ids (batch, length)";
            return Err(Error::invalid("input_ids", input_ids.shape(), why));
        };
        let max = self.config.max_position_embeddings;
        if l > max {
            let why = format!("longer than the model's {max} positions (max_position_embeddings)");
            return Err(Error::invalid("input_ids", input_ids.shape(), why));
        }
        let vocab = self.config.vocab_size as i64;
        let ids: Vec<i64> = input_ids.to_dtype(DType::I64)?.to_vec()?;
        if let Some(bad) = ids.iter().find(|&&i| !(0..vocab).contains(&i)) {
            let why = format!("token id {bad} is outside the vocabulary of {vocab}");
            return Err(Error::invalid("input_ids", input_ids.shape(), why));
        }
        for (name, t) in [("attention_mask", attention_mask), ("token_type_ids", token_type_ids)] {
            if let Some(t) = t.filter(|t| t.dims() != [b, l]) {
                let why = format!("must be ({b}, {l}) as the token ids");
                return Err(Error::invalid(name, t.shape(), why));
            }
        }
        let embed = || -> Result<Tensor> {
            let words = self.word_embeddings.forward(&input_ids.to_dtype(DType::I64)?)?;
            let positions = self.position_embeddings.weight().value().narrow(0, 0, l)?;
            let types = match token_type_ids {
                Some(t) => self.token_type_embeddings.forward(&t.to_dtype(DType::I64)?)?,
                None => self.token_type_embeddings.weight().value().narrow(0, 0, 1)?,
            };
            let x = words.add(&positions)?.add(&types)?;
            self.embeddings_dropout.forward(&self.embeddings_norm.forward(&x)?)
        };
        let frozen_layers = frozen.unwrap_or(0).min(self.layers.len());
        let (head, tail) = self.layers.split_at(frozen_layers);
        let run = |x: Tensor, layers: &[TransformerEncoderLayer]| {
            layers.iter().try_fold(x, |x, layer| layer.forward_masked(&x, attention_mask))
        };
        let x = match frozen {
            Some(_) => no_grad(|| run(embed()?, head))?.detach(),
            None => embed()?,
        };
        run(x, tail)
    }

    /// The number of encoder layers.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// The pooler's output `tanh(dense(h[:, 0]))` `(B, H)` of a last hidden state `(B, L, H)`
    /// (BERT's `pooler_output`); an error when the file had no pooler.
    pub fn pool(&self, hidden: &Tensor) -> Result<Tensor> {
        let Some(pooler) = &self.pooler else {
            return Err(Error::invalid("pooler", "none", "the weights file has no pooler.dense"));
        };
        let cls = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        Tanh.forward(&pooler.forward(&cls)?)
    }
}

/// `{prefix}.weight` `(out, inp)` and `{prefix}.bias` `(out)` as a `Linear`.
fn linear(w: &mut Weights, prefix: &str, out: usize, inp: usize) -> Result<Linear> {
    let weight = w.take(&format!("{prefix}.weight"), &[out, inp])?;
    Linear::from_tensors(weight, Some(w.take(&format!("{prefix}.bias"), &[out])?))
}

/// `{prefix}.weight` and `{prefix}.bias` `(H)` as a `LayerNorm`.
fn norm(w: &mut Weights, prefix: &str, c: &BertConfig) -> Result<LayerNorm> {
    let h = c.hidden_size;
    let weight = w.take(&format!("{prefix}.weight"), &[h])?;
    LayerNorm::from_tensors(weight, w.take(&format!("{prefix}.bias"), &[h])?, c.layer_norm_eps)
}

/// Encoder layer `i` (`encoder.layer.{i}.…`).
fn load_layer(
    w: &mut Weights,
    i: usize,
    c: &BertConfig,
    rng: Rng,
) -> Result<TransformerEncoderLayer> {
    let (h, f) = (c.hidden_size, c.intermediate_size);
    let p = |name: &str| format!("encoder.layer.{i}.{name}");
    let mut square = |name: &str| linear(w, &p(name), h, h);
    let (q, k, v) =
        (square(LAYER_NAMES[0].1)?, square(LAYER_NAMES[1].1)?, square(LAYER_NAMES[2].1)?);
    let out = square(LAYER_NAMES[3].1)?;
    let self_attn = MultiHeadAttention::from_projections(q, k, v, out, c.num_attention_heads)?;
    let weights = EncoderLayerWeights {
        self_attn,
        norm1: norm(w, &p(LAYER_NAMES[4].1), c)?,
        linear1: linear(w, &p(LAYER_NAMES[5].1), f, h)?,
        linear2: linear(w, &p(LAYER_NAMES[6].1), h, f)?,
        norm2: norm(w, &p(LAYER_NAMES[7].1), c)?,
    };
    let config = EncoderLayerConfig {
        embed: h,
        heads: c.num_attention_heads,
        feed_forward: f,
        activation: FeedForwardActivation::Gelu,
        dropout: c.hidden_dropout_prob,
        attention_dropout: c.attention_probs_dropout_prob,
        layer_norm_eps: c.layer_norm_eps,
        norm_first: false,
    };
    TransformerEncoderLayer::from_weights(config, weights, rng)
}

/// Hugging Face's name of an encoder layer's parameter named `name` by axon.
fn hf_layer_name(name: &str) -> String {
    LAYER_NAMES
        .iter()
        .find_map(|(ours, theirs)| name.strip_prefix(ours).map(|rest| format!("{theirs}{rest}")))
        .unwrap_or_else(|| name.to_owned())
}

impl Module for BertModel {
    /// The last hidden state of token ids `(B, L)`, every token attended.
    fn forward(&self, input_ids: &Tensor) -> Result<Tensor> {
        self.forward_masked(input_ids, None, None)
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        let mut params = Vec::new();
        for (name, table) in [
            ("word_embeddings", &self.word_embeddings),
            ("position_embeddings", &self.position_embeddings),
            ("token_type_embeddings", &self.token_type_embeddings),
        ] {
            params.extend(with_prefix(&format!("embeddings.{name}"), table.parameters()));
        }
        params.extend(with_prefix("embeddings.LayerNorm", self.embeddings_norm.parameters()));
        for (i, layer) in self.layers.iter().enumerate() {
            let named = layer.parameters().into_iter().map(|(n, p)| (hf_layer_name(&n), p));
            params.extend(with_prefix(&format!("encoder.layer.{i}"), named.collect()));
        }
        if let Some(pooler) = &self.pooler {
            params.extend(with_prefix("pooler.dense", pooler.parameters()));
        }
        params
    }

    fn train(&mut self, mode: bool) {
        self.embeddings_dropout.train(mode);
        for layer in &mut self.layers {
            layer.train(mode);
        }
    }

    fn is_training(&self) -> bool {
        self.embeddings_dropout.is_training()
    }

    fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "BertModel(hidden_size={}, num_hidden_layers={}, num_attention_heads={}, \
             intermediate_size={}, vocab_size={}, max_position_embeddings={})",
            c.hidden_size,
            c.num_hidden_layers,
            c.num_attention_heads,
            c.intermediate_size,
            c.vocab_size,
            c.max_position_embeddings
        )
    }
}
