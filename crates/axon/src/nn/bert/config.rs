//! [`BertConfig`], the sizes of a BERT-family encoder as a Hugging Face `config.json` gives
//! them. Only what the encoder's forward pass reads is kept; a key it needs and the file lacks
//! takes Hugging Face's `BertConfig` default only where one exists (`type_vocab_size` 2,
//! `layer_norm_eps` 1e-12, `hidden_act` gelu, dropout 0.1), and every size is checked, so a bad
//! file is an error naming the file and the key, never a panic at the first forward pass.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The architecture of a BERT encoder (`config.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct BertConfig {
    /// Features per token (`hidden_size`).
    pub hidden_size: usize,
    /// Encoder layers (`num_hidden_layers`).
    pub num_hidden_layers: usize,
    /// Attention heads (`num_attention_heads`); divides `hidden_size`.
    pub num_attention_heads: usize,
    /// Width of each feed-forward network (`intermediate_size`).
    pub intermediate_size: usize,
    /// Rows of the word embedding (`vocab_size`).
    pub vocab_size: usize,
    /// Rows of the position embedding (`max_position_embeddings`): the longest input.
    pub max_position_embeddings: usize,
    /// Rows of the token-type (segment) embedding (`type_vocab_size`).
    pub type_vocab_size: usize,
    /// Layer normalisation's `ε` (`layer_norm_eps`).
    pub layer_norm_eps: f64,
    /// Dropout after embeddings and sub-layers in training mode (`hidden_dropout_prob`).
    pub hidden_dropout_prob: f64,
    /// Dropout of the attention probabilities in training mode (`attention_probs_dropout_prob`).
    pub attention_probs_dropout_prob: f64,
}

impl BertConfig {
    /// Reads and checks a `config.json`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<BertConfig> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io { path: path.display().to_string(), msg: e.to_string() })?;
        BertConfig::from_json(&text, &path.display().to_string())
    }

    /// Parses and checks the text of a `config.json`; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<BertConfig> {
        let bad = |msg: String| Error::Io { path: source.to_owned(), msg };
        let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(bad("a config.json holds one JSON object".into()));
        };
        let reader = Keys { map: &map, source };
        if let Some(kind) = map.get("model_type").and_then(Value::as_str) {
            // RoBERTa and its kin offset positions by the padding index; reading their weights
            // as BERT's would silently give wrong embeddings.
            if !matches!(kind, "bert" | "") {
                return Err(bad(format!(
                    "model_type `{kind}`: only BERT encoders (model_type `bert`) are supported"
                )));
            }
        }
        let act = map.get("hidden_act").map_or(Some("gelu"), Value::as_str);
        if act != Some("gelu") {
            let got = map.get("hidden_act").map(Value::to_string).unwrap_or_default();
            return Err(bad(format!(
                "hidden_act {got}: only `gelu` (the exact erf GELU) is supported"
            )));
        }
        let positions = map.get("position_embedding_type").and_then(Value::as_str);
        if positions.is_some_and(|p| p != "absolute") {
            return Err(bad(format!(
                "position_embedding_type `{}`: only `absolute` is supported",
                positions.unwrap_or_default()
            )));
        }
        let config = BertConfig {
            hidden_size: reader.size("hidden_size", None)?,
            num_hidden_layers: reader.size("num_hidden_layers", None)?,
            num_attention_heads: reader.size("num_attention_heads", None)?,
            intermediate_size: reader.size("intermediate_size", None)?,
            vocab_size: reader.size("vocab_size", None)?,
            max_position_embeddings: reader.size("max_position_embeddings", None)?,
            type_vocab_size: reader.size("type_vocab_size", Some(2))?,
            layer_norm_eps: reader.float("layer_norm_eps", 1e-12)?,
            hidden_dropout_prob: reader.float("hidden_dropout_prob", 0.1)?,
            attention_probs_dropout_prob: reader.float("attention_probs_dropout_prob", 0.1)?,
        };
        if !config.hidden_size.is_multiple_of(config.num_attention_heads) {
            return Err(bad(format!(
                "num_attention_heads {} does not divide hidden_size {}",
                config.num_attention_heads, config.hidden_size
            )));
        }
        if config.layer_norm_eps <= 0.0 {
            return Err(bad(format!("layer_norm_eps {} must be positive", config.layer_norm_eps)));
        }
        for (key, p) in [
            ("hidden_dropout_prob", config.hidden_dropout_prob),
            ("attention_probs_dropout_prob", config.attention_probs_dropout_prob),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(bad(format!("{key} {p} must lie in [0, 1)")));
            }
        }
        Ok(config)
    }
}

impl BertConfig {
    /// The `config.json` of this config, as Hugging Face's `BertConfig` reads it (what
    /// [`BertConfig::from_json`] reads back to the same config).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "model_type": "bert",
            "architectures": ["BertModel"],
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "intermediate_size": self.intermediate_size,
            "vocab_size": self.vocab_size,
            "max_position_embeddings": self.max_position_embeddings,
            "type_vocab_size": self.type_vocab_size,
            "layer_norm_eps": self.layer_norm_eps,
            "hidden_dropout_prob": self.hidden_dropout_prob,
            "attention_probs_dropout_prob": self.attention_probs_dropout_prob,
            "hidden_act": "gelu",
            "position_embedding_type": "absolute",
        })
        .to_string()
    }
}

/// Typed reads of a config's keys, each error naming the file and the key.
struct Keys<'a> {
    map: &'a Map<String, Value>,
    source: &'a str,
}

impl Keys<'_> {
    fn bad(&self, msg: String) -> Error {
        Error::Io { path: self.source.to_owned(), msg }
    }

    /// A positive integer; `default` when absent (an error when there is none).
    fn size(&self, key: &str, default: Option<usize>) -> Result<usize> {
        match (self.map.get(key), default) {
            (None, Some(d)) => Ok(d),
            (None, None) => Err(self.bad(format!("no `{key}`"))),
            (Some(v), _) => match v.as_u64() {
                Some(n) if n > 0 => Ok(n as usize),
                _ => Err(self.bad(format!("`{key}` is {v}, not a positive integer"))),
            },
        }
    }

    /// A finite number; `default` when absent.
    fn float(&self, key: &str, default: f64) -> Result<f64> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| self.bad(format!("`{key}` is {v}, not a number"))),
        }
    }
}
