//! [`BertTokenizer`]: a Hugging Face `tokenizer.json` (BERT's normaliser, pre-tokeniser,
//! WordPiece and `[CLS] … [SEP]` template) run by the `tokenizers` crate, the library the Python
//! `transformers` fast tokenizers wrap, so token ids are the same by construction. Inputs are
//! truncated to the model's maximum length (longest first, as `tokenizer(..., truncation=True,
//! max_length=…)`) and each batch padded to its longest input; the attention mask it returns is
//! the encoder's key padding mask.

use std::path::Path;

use tokenizers::{
    PaddingDirection, PaddingParams, PaddingStrategy, Tokenizer, TruncationDirection,
    TruncationParams, TruncationStrategy,
};

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A batch of tokenised texts, padded to its longest.
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// Token ids `(B, L)`, `i64`.
    pub input_ids: Tensor,
    /// 1 for a token, 0 for padding `(B, L)`, `i64`.
    pub attention_mask: Tensor,
    /// Segment ids `(B, L)`, `i64`.
    pub token_type_ids: Tensor,
    /// Each text's tokens (special tokens included, padding not).
    pub lengths: Vec<usize>,
}

/// A `tokenizer.json` with the model's truncation and per-batch padding.
pub struct BertTokenizer {
    inner: Tokenizer,
    max_length: usize,
}

impl BertTokenizer {
    /// Reads `tokenizer.json` at `path`; inputs are truncated to `max_length` tokens (special
    /// tokens included). The pad token is the file's padding token, else `[PAD]`.
    pub fn from_file(path: impl AsRef<Path>, max_length: usize) -> Result<BertTokenizer> {
        let path = path.as_ref();
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        if !path.is_file() {
            return Err(bad("no such file (a Hugging Face tokenizer.json)".into()));
        }
        let json = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        BertTokenizer::from_json(&json, max_length, &path.display().to_string())
    }

    /// As [`BertTokenizer::from_file`], from the text of a `tokenizer.json`; `source` names it
    /// in errors.
    pub fn from_json(json: &str, max_length: usize, source: &str) -> Result<BertTokenizer> {
        let bad = |msg: String| Error::Io { path: source.to_owned(), msg };
        let mut inner: Tokenizer =
            json.parse().map_err(|e| bad(format!("not a Hugging Face tokenizer.json: {e}")))?;
        let (pad_id, pad_token) = match inner.get_padding() {
            Some(p) => (p.pad_id, p.pad_token.clone()),
            None => {
                let id = inner.token_to_id("[PAD]").ok_or_else(|| {
                    bad("the tokenizer has no padding settings and no `[PAD]` token".into())
                })?;
                (id, "[PAD]".to_owned())
            }
        };
        let truncation = TruncationParams {
            direction: TruncationDirection::Right,
            max_length,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
        };
        inner
            .with_truncation(Some(truncation))
            .map_err(|e| bad(format!("cannot truncate to {max_length} tokens: {e}")))?;
        inner.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id,
            pad_type_id: 0,
            pad_token,
        }));
        Ok(BertTokenizer { inner, max_length })
    }

    /// The `tokenizer.json` text (with this tokenizer's truncation and padding), which
    /// [`BertTokenizer::from_json`] reads back.
    pub fn to_json(&self) -> Result<String> {
        let bad = |e| Error::invalid("tokenizer", "tokenizer.json", format!("{e}"));
        self.inner.to_string(false).map_err(bad)
    }

    /// The most tokens an input keeps.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// The number of tokens in the vocabulary (added tokens included).
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The token ids of each text, with special tokens, truncated, not padded.
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let batch = self.encode(texts)?;
        Ok(batch
            .iter()
            .map(|e| {
                let n = e.get_attention_mask().iter().filter(|&&m| m != 0).count();
                e.get_ids()[..n].to_vec()
            })
            .collect())
    }

    /// Tokenises `texts` into one batch padded to the longest.
    pub fn batch(&self, texts: &[&str]) -> Result<TokenBatch> {
        if texts.is_empty() {
            return Err(Error::invalid("texts", "[]", "a batch needs at least one text"));
        }
        let encodings = self.encode(texts)?;
        let (b, l) = (encodings.len(), encodings[0].get_ids().len());
        let mut ids = Vec::with_capacity(b * l);
        let mut mask = Vec::with_capacity(b * l);
        let mut types = Vec::with_capacity(b * l);
        let mut lengths = Vec::with_capacity(b);
        for e in &encodings {
            ids.extend(e.get_ids().iter().map(|&i| i as i64));
            mask.extend(e.get_attention_mask().iter().map(|&m| m as i64));
            types.extend(e.get_type_ids().iter().map(|&t| t as i64));
            lengths.push(e.get_attention_mask().iter().filter(|&&m| m != 0).count());
        }
        Ok(TokenBatch {
            input_ids: Tensor::from_vec(ids, [b, l])?,
            attention_mask: Tensor::from_vec(mask, [b, l])?,
            token_type_ids: Tensor::from_vec(types, [b, l])?,
            lengths,
        })
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<tokenizers::Encoding>> {
        self.inner
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| Error::invalid("texts", texts.len(), format!("cannot tokenise: {e}")))
    }
}
