//! [`SentenceEncoder`], a sentence-transformers model directory as it is shipped: `modules.json`
//! lists a `Transformer` (the BERT encoder: `config.json`, `model.safetensors`, `tokenizer.json`,
//! and `sentence_bert_config.json` for the maximum sequence length), a `Pooling` (its
//! `config.json`) and optionally `Normalize`. A plain Hugging Face directory without
//! `modules.json` gets mean pooling, as `SentenceTransformer` gives it.
//!
//! [`SentenceEncoder::embed`] does what `SentenceTransformer.encode` does, batch by batch without
//! recording a graph: tokenise, encode, pool, normalise, and return the vectors in the input
//! order. It groups the texts into batches by their token counts (longest first), where
//! sentence-transformers sorts by characters: a batch is padded to its longest text, and texts
//! of equal character counts can differ several-fold in tokens (on 2 000 e-mail subject lines,
//! sorting by characters pads 46 768 token positions for 27 089 tokens). A text's embedding does
//! not depend on the batch it is in.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::model::BertModel;
use super::pooling::{l2_normalize, Pooling};
use super::tokenizer::{BertTokenizer, Tokens};
use crate::error::{Error, Result};
use crate::tensor::{no_grad, Tensor};

/// A sentence encoder: tokenizer, BERT, pooling and optional normalisation.
pub struct SentenceEncoder {
    model: BertModel,
    tokenizer: BertTokenizer,
    pooling: Pooling,
    normalize: bool,
    dir: PathBuf,
    /// Every file `load` read, in the order it read them.
    files: Vec<PathBuf>,
}

/// The modules of a `modules.json`: where the encoder is, the pooling, and whether to normalise.
struct Modules {
    transformer: PathBuf,
    pooling: Option<PathBuf>,
    normalize: bool,
}

impl SentenceEncoder {
    /// Loads a sentence-transformers directory (or a plain Hugging Face BERT directory).
    pub fn load(dir: impl AsRef<Path>) -> Result<SentenceEncoder> {
        SentenceEncoder::load_seeded(dir, 0)
    }

    /// As [`SentenceEncoder::load`], the encoder's dropout (training mode) seeded by `seed`.
    pub fn load_seeded(dir: impl AsRef<Path>, seed: u64) -> Result<SentenceEncoder> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            let msg = "no such directory (a sentence-transformers or Hugging Face model)";
            return Err(Error::Io { path: dir.display().to_string(), msg: msg.into() });
        }
        let modules = read_modules(dir)?;
        let t = &modules.transformer;
        let config = super::config::BertConfig::from_file(t.join("config.json"))?;
        let model = BertModel::from_safetensors_seeded(config, t.join("model.safetensors"), seed)?;
        let hidden = model.config().hidden_size;
        let pooling = match &modules.pooling {
            Some(p) => Pooling::from_file(p.join("config.json"), hidden)?,
            None => Pooling::mean(),
        };
        let max_length = max_seq_length(&modules.transformer, model.config())?;
        let tokenizer =
            BertTokenizer::from_file(modules.transformer.join("tokenizer.json"), max_length)?;
        if tokenizer.vocab_size() > model.config().vocab_size {
            return Err(Error::Io {
                path: modules.transformer.join("tokenizer.json").display().to_string(),
                msg: format!(
                    "the tokenizer has {} tokens, the model's vocab_size is {}",
                    tokenizer.vocab_size(),
                    model.config().vocab_size
                ),
            });
        }
        let t = &modules.transformer;
        let mut files = vec![dir.join("modules.json")];
        files.extend(["config.json", "model.safetensors", "tokenizer.json"].map(|f| t.join(f)));
        files.extend(modules.pooling.iter().map(|p| p.join("config.json")));
        files.extend(MAX_LENGTH_FILES.iter().map(|(f, _)| t.join(f)));
        files.retain(|f| f.is_file());
        Ok(SentenceEncoder {
            model,
            tokenizer,
            pooling,
            normalize: modules.normalize,
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// The encoder, tokenizer and pooling (the normalisation is left out).
    pub fn into_parts(self) -> (BertModel, BertTokenizer, Pooling) {
        (self.model, self.tokenizer, self.pooling)
    }

    pub fn model(&self) -> &BertModel {
        &self.model
    }

    pub fn tokenizer(&self) -> &BertTokenizer {
        &self.tokenizer
    }

    pub fn pooling(&self) -> &Pooling {
        &self.pooling
    }

    /// Whether embeddings are L2-normalised (a `Normalize` module).
    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// The directory it was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every file the encoder was loaded from (`modules.json`, the BERT's `config.json`,
    /// `model.safetensors` and `tokenizer.json`, the pooling's `config.json`, and the files
    /// that give the maximum length), those that exist: what makes its embeddings what they are.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The width of an embedding.
    pub fn dim(&self) -> usize {
        self.pooling.output_dim(self.model.config().hidden_size)
    }

    /// The embeddings `(N, dim)` (`f32`) of `texts`, in their order, encoded `batch_size` at a
    /// time.
    pub fn embed(&self, texts: &[&str], batch_size: usize) -> Result<Tensor> {
        self.embed_with_progress(texts, batch_size, |_| {})
    }

    /// As [`SentenceEncoder::embed`], calling `progress(done)` after each batch with the number
    /// of texts encoded so far.
    pub fn embed_with_progress(
        &self,
        texts: &[&str],
        batch_size: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<Tensor> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        let dim = self.dim();
        let tokens = self.tokenizer.encode(texts)?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(tokens[i].ids.len()));
        let mut out = vec![0f32; texts.len() * dim];
        let mut done = 0;
        for chunk in order.chunks(batch_size) {
            let batch: Vec<&Tokens> = chunk.iter().map(|&i| &tokens[i]).collect();
            let rows = self.embed_batch(&batch)?;
            for (&i, row) in chunk.iter().zip(rows.chunks_exact(dim)) {
                out[i * dim..(i + 1) * dim].copy_from_slice(row);
            }
            done += chunk.len();
            progress(done);
        }
        Tensor::from_vec(out, [texts.len(), dim])
    }

    /// One batch's embeddings, row-major, in the batch's order.
    fn embed_batch(&self, texts: &[&Tokens]) -> Result<Vec<f32>> {
        let batch = self.tokenizer.pad(texts)?;
        let hidden = no_grad(|| {
            self.model.forward_masked(
                &batch.input_ids,
                Some(&batch.attention_mask),
                Some(&batch.token_type_ids),
            )
        })?;
        let h = self.model.config().hidden_size;
        let values: Vec<f32> = hidden.contiguous().to_vec()?;
        let mask: Vec<i64> = batch.attention_mask.to_vec()?;
        let mut rows = self.pooling.pool(&values, &mask, texts.len(), h);
        if self.normalize {
            l2_normalize(&mut rows, self.dim());
        }
        Ok(rows)
    }
}

/// The modules of `dir/modules.json`, or a plain model's (the directory itself, mean pooling).
fn read_modules(dir: &Path) -> Result<Modules> {
    let path = dir.join("modules.json");
    if !path.is_file() {
        return Ok(Modules { transformer: dir.to_path_buf(), pooling: None, normalize: false });
    }
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let entries = value.as_array().ok_or_else(|| bad("modules.json holds a list".into()))?;
    let mut modules = Modules { transformer: PathBuf::new(), pooling: None, normalize: false };
    let mut has_transformer = false;
    for (n, entry) in entries.iter().enumerate() {
        let kind = entry.get("type").and_then(Value::as_str).unwrap_or_default();
        let sub = dir.join(entry.get("path").and_then(Value::as_str).unwrap_or_default());
        match kind.rsplit('.').next().unwrap_or_default() {
            "Transformer" if !has_transformer && n == 0 => {
                (modules.transformer, has_transformer) = (sub, true);
            }
            "Pooling" if has_transformer && modules.pooling.is_none() => {
                modules.pooling = Some(sub);
            }
            "Normalize" if modules.pooling.is_some() => modules.normalize = true,
            _ => {
                return Err(bad(format!(
                    "module {n} of type `{kind}` is not supported here (axon reads a \
                     Transformer, then a Pooling, then an optional Normalize)"
                )))
            }
        }
    }
    if !has_transformer {
        return Err(bad("no Transformer module".into()));
    }
    Ok(modules)
}

/// The files that may give the longest input, and their keys, in the order they are read.
const MAX_LENGTH_FILES: &[(&str, &str)] = &[
    ("sentence_bert_config.json", "max_seq_length"),
    ("tokenizer_config.json", "model_max_length"),
];

/// The longest input in tokens: `sentence_bert_config.json`'s `max_seq_length` if there is one
/// (sentence-transformers up to 5), else `tokenizer_config.json`'s `model_max_length` (what
/// sentence-transformers 6 and `transformers` read), else the model's positions; never more
/// than the positions.
fn max_seq_length(dir: &Path, config: &super::config::BertConfig) -> Result<usize> {
    let positions = config.max_position_embeddings;
    for &(file, key) in MAX_LENGTH_FILES {
        let path = dir.join(file);
        if !path.is_file() {
            continue;
        }
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let value: Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        match value.get(key) {
            None | Some(Value::Null) => continue,
            Some(v) => {
                return match v.as_f64() {
                    // transformers writes 1e30 for "no limit".
                    Some(n) if n >= 2.0 => Ok(positions.min(n.min(usize::MAX as f64) as usize)),
                    _ => Err(bad(format!("`{key}` is {v}, not an integer of at least 2"))),
                };
            }
        }
    }
    Ok(positions)
}
