//! BERT-family encoders loaded from Hugging Face files as they are shipped, and sentence
//! embeddings on them:
//!
//! - [`BertConfig`] reads `config.json`;
//! - [`BertModel`] is the encoder (embeddings, post-LN [`crate::nn::TransformerEncoderLayer`]s on
//!   the fused attention with the padding mask, optional pooler), its weights read from
//!   `model.safetensors` by Hugging Face's names, with or without the `bert.` prefix;
//! - [`BertTokenizer`] runs `tokenizer.json` through the `tokenizers` crate, truncating to the
//!   model's length and padding each batch to its longest;
//! - [`Pooling`] and [`l2_normalize`] are sentence-transformers' `Pooling` and `Normalize`;
//! - [`SentenceEncoder`] puts them together from a sentence-transformers directory
//!   (`modules.json`) and embeds texts as `SentenceTransformer.encode` does;
//! - [`BertClassifier`] is a classifier on the pooled encoder, and [`fine_tune`] trains it as
//!   Hugging Face's `Trainer` does (AdamW, warm-up then linear decay, clipping), optionally with
//!   the first layers frozen.
//! - [`EncoderFeatures`] turns text columns into embedding columns of a table, for linear models
//!   on frozen embeddings, and checks the encoder's files by their digests when it is loaded again.
//!
//! Nothing is downloaded: a model directory is fetched beforehand (`scripts/fetch_models.sh`).
//!
//! ```no_run
//! use axon::nn::bert::SentenceEncoder;
//! let encoder = SentenceEncoder::load("all-MiniLM-L6-v2")?;
//! let embeddings = encoder.embed(&["A cat sat.", "Un chat était assis."], 32)?;
//! assert_eq!(embeddings.dims(), [2, 384]);
//! # Ok::<(), axon::Error>(())
//! ```

mod classifier;
mod config;
mod features;
mod fine_tune;
mod model;
mod pooling;
mod sentence;
mod tokenizer;
mod weights;

pub use classifier::BertClassifier;
pub use config::BertConfig;
pub use features::{EncoderFeatures, EncoderFile};
pub use fine_tune::{
    decays, fine_tune, score, warmup_steps, FineTuneOptions, FineTuner, LabelledTexts, StepResult,
    Warmup, GROUP_BATCHES,
};
pub use model::BertModel;
pub use pooling::{l2_normalize, Pooling, PoolingMode};
pub use sentence::SentenceEncoder;
pub use tokenizer::{BertTokenizer, TokenBatch, Tokens};
