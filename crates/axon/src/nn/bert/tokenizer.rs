//! [`BertTokenizer`]: a Hugging Face `tokenizer.json` (BERT's normaliser, pre-tokeniser,
//! WordPiece and `[CLS] … [SEP]` template) run by the `tokenizers` crate, the library the Python
//! `transformers` fast tokenizers wrap, so token ids are the same by construction. Inputs are
//! truncated to the model's maximum length (longest first, as `tokenizer(..., truncation=True,
//! max_length=…)`) and each batch padded to its longest input; the attention mask it returns is
//! the encoder's key padding mask. Texts can also be tokenised first and batched later
//! ([`BertTokenizer::encode`], [`BertTokenizer::pad`]), so that a caller can group texts of
//! equal token counts into batches that need little padding.

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

/// One text's tokens, special tokens included, truncated, not padded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The token ids.
    pub ids: Vec<u32>,
    /// The segment id of each token.
    pub type_ids: Vec<u32>,
}

/// A `tokenizer.json` with the model's truncation and per-batch padding.
pub struct BertTokenizer {
    /// The file's tokenizer with this tokenizer's truncation and padding (what `to_json` saves).
    inner: Tokenizer,
    /// The same without padding: what texts are encoded with.
    unpadded: Tokenizer,
    pad_id: u32,
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
        let mut unpadded = inner.clone();
        unpadded.with_padding(None);
        inner.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id,
            pad_type_id: 0,
            pad_token,
        }));
        Ok(BertTokenizer { inner, unpadded, pad_id, max_length })
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
        Ok(self.encode(texts)?.into_iter().map(|t| t.ids).collect())
    }

    /// Tokenises `texts` into one batch padded to the longest.
    pub fn batch(&self, texts: &[&str]) -> Result<TokenBatch> {
        let tokens = self.encode(texts)?;
        self.pad(&tokens.iter().collect::<Vec<_>>())
    }

    /// Each text's tokens (in parallel), truncated, not padded.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Tokens>> {
        let encodings = self
            .unpadded
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| Error::invalid("texts", texts.len(), format!("cannot tokenise: {e}")))?;
        Ok(encodings
            .into_iter()
            .map(|e| Tokens { ids: e.get_ids().to_vec(), type_ids: e.get_type_ids().to_vec() })
            .collect())
    }

    /// One batch of tokenised texts, padded on the right to the longest with the pad token
    /// (segment 0, attention mask 0), as the tokenizer's own batch padding does.
    pub fn pad(&self, texts: &[&Tokens]) -> Result<TokenBatch> {
        let Some(l) = texts.iter().map(|t| t.ids.len()).max() else {
            return Err(Error::invalid("texts", "[]", "a batch needs at least one text"));
        };
        let b = texts.len();
        let mut ids = Vec::with_capacity(b * l);
        let mut mask = Vec::with_capacity(b * l);
        let mut types = Vec::with_capacity(b * l);
        for t in texts {
            let pad = l - t.ids.len();
            ids.extend(t.ids.iter().map(|&i| i as i64));
            ids.extend(std::iter::repeat_n(self.pad_id as i64, pad));
            mask.extend(std::iter::repeat_n(1i64, t.ids.len()));
            mask.extend(std::iter::repeat_n(0i64, pad));
            types.extend(t.type_ids.iter().map(|&i| i as i64));
            types.extend(std::iter::repeat_n(0i64, pad));
        }
        Ok(TokenBatch {
            input_ids: Tensor::from_vec(ids, [b, l])?,
            attention_mask: Tensor::from_vec(mask, [b, l])?,
            token_type_ids: Tensor::from_vec(types, [b, l])?,
            lengths: texts.iter().map(|t| t.ids.len()).collect(),
        })
    }
}
