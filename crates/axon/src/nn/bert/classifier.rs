//! [`BertClassifier`]: a sequence classifier on a BERT encoder, the lecture's "retrain". The
//! encoder's last hidden state is pooled as its sentence-transformers configuration says
//! ([`Pooling::pool_tensor`], tensor operations, so gradients reach the encoder), then dropout
//! (the encoder's `hidden_dropout_prob`, as `BertForSequenceClassification`) and a `Linear` head
//! to one logit per class, initialised as Hugging Face does (`N(0, 0.02)` weights, zero bias).
//!
//! [`BertClassifier::freeze_layers`] keeps the embeddings and the first `K` encoder layers fixed:
//! they run without recording a graph (so no gradient is computed for them) and are left out of
//! [`BertClassifier::trainable_parameters`], what the optimizer gets; freezing every layer
//! trains the head alone on frozen features.
//!
//! Parameters are named as `BertForSequenceClassification` names them (`bert.embeddings.…`,
//! `bert.encoder.layer.0.…`, `classifier.weight`), so the tensors of a saved classifier load in
//! `transformers` as they are. The saved model (kind `bert-classifier`) also holds the encoder's
//! `config.json`, its `tokenizer.json`, the pooling, the text column and the classes: `axon
//! predict` needs no other file.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::BertConfig;
use super::model::BertModel;
use super::pooling::Pooling;
use super::sentence::SentenceEncoder;
use super::tokenizer::{BertTokenizer, TokenBatch};
use crate::error::{Error, Result};
use crate::io::{load_model, save_model, ModelFile, ModelKind};
use crate::nn::layers::Dropout;
use crate::nn::linear::Linear;
use crate::nn::module::{with_prefix, Module};
use crate::nn::param::Param;
use crate::ops::reduce::softmax_row;
use crate::rng::Rng;
use crate::tensor::{no_grad, DType, Tensor};

/// The standard deviation of the head's initial weights (`initializer_range`).
const INIT_STD: f64 = 0.02;

/// A BERT encoder, pooling, dropout and a linear head to `K` classes.
pub struct BertClassifier {
    encoder: BertModel,
    tokenizer: BertTokenizer,
    pooling: Pooling,
    dropout: Dropout,
    head: Linear,
    classes: Vec<String>,
    /// `Some(K)`: the embeddings and the first `K` layers are frozen.
    frozen: Option<usize>,
    /// The text column it reads, when it was trained on a table.
    pub text_column: String,
    /// The class column of the training data.
    pub target: String,
    /// The record of the run that saved it (`null` for one built here).
    pub settings: Value,
}

/// What rebuilds the classifier besides its tensors.
#[derive(Serialize, Deserialize)]
struct Body {
    /// The encoder's `config.json`.
    config: Value,
    /// The `tokenizer.json` text.
    tokenizer: String,
    max_length: usize,
    pooling: Vec<String>,
    dropout: f64,
    text: String,
    target: String,
    classes: Vec<String>,
    /// The number of frozen layers it was trained with (`null`: none).
    frozen: Option<usize>,
}

impl BertClassifier {
    /// A classifier to `classes` (at least 2) on the encoder of a sentence-transformers (or
    /// Hugging Face) directory, its head and every dropout seeded by `seed`; in training mode.
    pub fn load(dir: impl AsRef<Path>, classes: Vec<String>, seed: u64) -> Result<BertClassifier> {
        let mut rng = Rng::seed(seed);
        let encoder = SentenceEncoder::load_seeded(dir, rng.split().uniform().to_bits())?;
        let (encoder, tokenizer, pooling) = encoder.into_parts();
        BertClassifier::new(encoder, tokenizer, pooling, classes, &mut rng)
    }

    /// A classifier on `encoder` with a fresh head from `rng`; in training mode.
    pub fn new(
        encoder: BertModel,
        tokenizer: BertTokenizer,
        pooling: Pooling,
        classes: Vec<String>,
        rng: &mut Rng,
    ) -> Result<BertClassifier> {
        if classes.len() < 2 {
            return Err(Error::invalid("classes", classes.len(), "a classifier needs 2 or more"));
        }
        let width = pooling.output_dim(encoder.config().hidden_size);
        let k = classes.len();
        let weight = Tensor::randn([k, width], 0.0, INIT_STD, DType::F32, rng);
        let head = Linear::from_tensors(weight, Some(Tensor::zeros([k], DType::F32)))?;
        let dropout = Dropout::new(encoder.config().hidden_dropout_prob, rng.split())?;
        let mut model = BertClassifier {
            encoder,
            tokenizer,
            pooling,
            dropout,
            head,
            classes,
            frozen: None,
            text_column: String::new(),
            target: String::new(),
            settings: Value::Null,
        };
        model.train(true);
        Ok(model)
    }

    /// Keeps the embeddings and the first `k` encoder layers fixed (`k` up to the number of
    /// layers; all of them trains the head alone). `k = 0` still freezes the embeddings.
    pub fn freeze_layers(&mut self, k: usize) -> Result<()> {
        let n = self.encoder.num_layers();
        if k > n {
            let why = format!("the encoder has {n} layers");
            return Err(Error::invalid("freeze_layers", k, why));
        }
        self.frozen = Some(k);
        Ok(())
    }

    /// Truncates inputs to `max_length` tokens (special tokens included), at most the
    /// tokenizer's length now (the model's positions or `max_seq_length`).
    pub fn set_max_length(&mut self, max_length: usize) -> Result<()> {
        let now = self.tokenizer.max_length();
        if !(2..=now).contains(&max_length) {
            let why = format!("must lie in 2..={now} (the encoder's length)");
            return Err(Error::invalid("max_length", max_length, why));
        }
        self.tokenizer =
            BertTokenizer::from_json(&self.tokenizer.to_json()?, max_length, "tokenizer")?;
        Ok(())
    }

    /// Unfreezes everything.
    pub fn unfreeze(&mut self) {
        self.frozen = None;
    }

    /// The number of frozen layers (`None`: nothing is frozen, not even the embeddings).
    pub fn frozen_layers(&self) -> Option<usize> {
        self.frozen
    }

    pub fn encoder(&self) -> &BertModel {
        &self.encoder
    }

    pub fn tokenizer(&self) -> &BertTokenizer {
        &self.tokenizer
    }

    pub fn pooling(&self) -> &Pooling {
        &self.pooling
    }

    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    pub fn head(&self) -> &Linear {
        &self.head
    }

    /// The logits `(B, K)` of a tokenised batch (graph recorded from the first unfrozen layer).
    pub fn forward_batch(&self, batch: &TokenBatch) -> Result<Tensor> {
        let hidden = self.encoder.forward_frozen(
            &batch.input_ids,
            Some(&batch.attention_mask),
            Some(&batch.token_type_ids),
            self.frozen,
        )?;
        let pooled = self.pooling.pool_tensor(&hidden, &batch.attention_mask)?;
        self.head.forward(&self.dropout.forward(&pooled)?)
    }

    /// The logits `(B, K)` of `texts`, tokenised as one batch.
    pub fn logits(&self, texts: &[&str]) -> Result<Tensor> {
        self.forward_batch(&self.tokenizer.batch(texts)?)
    }

    /// The parameters the optimizer trains: everything but the frozen embeddings and layers
    /// and the pooler (which the pooled classifier does not use).
    pub fn trainable_parameters(&self) -> Vec<(String, Param)> {
        let frozen = |name: &str| {
            if name.starts_with("bert.pooler.") {
                return true;
            }
            let Some(k) = self.frozen else { return false };
            if name.starts_with("bert.embeddings.") {
                return true;
            }
            let layer = name.strip_prefix("bert.encoder.layer.").and_then(|r| r.split('.').next());
            layer.and_then(|i| i.parse::<usize>().ok()).is_some_and(|i| i < k)
        };
        self.parameters().into_iter().filter(|(n, _)| !frozen(n)).collect()
    }

    /// Class probabilities `(n, K)` row-major and the logits of `texts`, `batch_size` at a time
    /// (longest first, as `SentenceEncoder::embed` batches), without a graph, in evaluation
    /// mode as the model is (call `train(false)` first).
    pub fn predict_proba(&self, texts: &[&str], batch_size: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        let k = self.classes.len();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        let chars: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(chars[i]));
        let mut logits = vec![0f64; texts.len() * k];
        for chunk in order.chunks(batch_size) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            let z = no_grad(|| self.logits(&batch))?.to_f64_vec();
            for (&i, row) in chunk.iter().zip(z.chunks_exact(k)) {
                logits[i * k..(i + 1) * k].copy_from_slice(row);
            }
        }
        let mut proba = vec![0f64; logits.len()];
        for (z, p) in logits.chunks(k).zip(proba.chunks_mut(k)) {
            softmax_row(z, p);
        }
        Ok((proba, logits))
    }

    /// Saves the classifier to `path` (atomically): its tensors by Hugging Face's names, and
    /// the config, tokenizer, pooling, columns, classes and `settings` as the description.
    pub fn save(&self, path: impl AsRef<Path>, settings: &Value) -> Result<()> {
        let tensors: Vec<(String, Tensor)> =
            self.parameters().into_iter().map(|(n, p)| (n, p.value())).collect();
        let config: Value = serde_json::from_str(&self.encoder.config().to_json())
            .map_err(|e| Error::invalid("config", "json", e.to_string()))?;
        let body = Body {
            config,
            tokenizer: self.tokenizer.to_json()?,
            max_length: self.tokenizer.max_length(),
            pooling: self.pooling.names(),
            dropout: self.dropout.p(),
            text: self.text_column.clone(),
            target: self.target.clone(),
            classes: self.classes.clone(),
            frozen: self.frozen,
        };
        save_model(path, ModelKind::BertClassifier, &body, settings, &tensors)
    }

    /// Loads a classifier saved by [`BertClassifier::save`], in evaluation mode.
    pub fn load_saved(path: impl AsRef<Path>) -> Result<BertClassifier> {
        let path = path.as_ref();
        BertClassifier::from_file(&load_model(path)?, path)
    }

    /// The classifier in `file`, read from `path`.
    pub fn from_file(file: &ModelFile, path: &Path) -> Result<BertClassifier> {
        let source = path.display().to_string();
        let bad = |msg: String| Error::Io { path: source.clone(), msg };
        if file.kind != ModelKind::BertClassifier {
            let kind = serde_json::to_value(file.kind).unwrap_or_default();
            return Err(bad(format!("a {kind} model, not a BERT classifier")));
        }
        let body: Body = file.model_as(path)?;
        let config = BertConfig::from_json(&body.config.to_string(), &source)?;
        let (h, k) = (config.hidden_size, body.classes.len());
        let encoder = BertModel::from_safetensors(config, path)?;
        let tokenizer = BertTokenizer::from_json(&body.tokenizer, body.max_length, &source)?;
        let pooling = Pooling::from_names(&body.pooling).map_err(|e| bad(e.to_string()))?;
        let width = pooling.output_dim(h);
        let take = |name: &str, dims: &[usize]| -> Result<Tensor> {
            let t = file.tensors.tensor(name).ok_or_else(|| bad(format!("no tensor `{name}`")))?;
            if t.dims() != dims {
                let msg = format!("`{name}` is {:?}, the classifier needs {dims:?}", t.dims());
                return Err(bad(msg));
            }
            t.to_dtype(DType::F32)
        };
        if k < 2 {
            return Err(bad(format!("{k} classes; a classifier has 2 or more")));
        }
        let head = Linear::from_tensors(
            take("classifier.weight", &[k, width])?,
            Some(take("classifier.bias", &[k])?),
        )?;
        let mut model = BertClassifier {
            encoder,
            tokenizer,
            pooling,
            dropout: Dropout::new(body.dropout, Rng::seed(0)).map_err(|e| bad(e.to_string()))?,
            head,
            classes: body.classes,
            frozen: body.frozen,
            text_column: body.text,
            target: body.target,
            settings: file.settings.clone(),
        };
        model.train(false);
        Ok(model)
    }
}

impl Module for BertClassifier {
    /// The logits of token ids `(B, L)`, every token attended.
    fn forward(&self, input_ids: &Tensor) -> Result<Tensor> {
        let mask = Tensor::ones(input_ids.shape(), DType::I64);
        let hidden = self.encoder.forward_frozen(input_ids, Some(&mask), None, self.frozen)?;
        let pooled = self.pooling.pool_tensor(&hidden, &mask)?;
        self.head.forward(&self.dropout.forward(&pooled)?)
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        let mut params = with_prefix("bert", self.encoder.parameters());
        params.extend(with_prefix("classifier", self.head.parameters()));
        params
    }

    fn train(&mut self, mode: bool) {
        self.encoder.train(mode);
        self.dropout.train(mode);
    }

    fn is_training(&self) -> bool {
        self.dropout.is_training()
    }

    fn describe(&self) -> String {
        format!(
            "BertClassifier({}, pooling={}, classes={}, frozen_layers={})",
            self.encoder.describe(),
            self.pooling.names().join("+"),
            self.classes.len(),
            self.frozen.map_or("none".into(), |k| k.to_string())
        )
    }
}
