//! Text as features: documents become rows of a sparse matrix ([`Csr`](crate::sparse::Csr)), the
//! way scikit-learn's `feature_extraction.text` makes them, so that a model fitted here and one
//! fitted there see the same columns. [`Analyzer`] turns a document into terms (lowercase, words
//! of two or more word characters, optional English stop words, word n-grams);
//! [`HashingVectorizer`] maps terms to columns with signed MurmurHash3; [`CountVectorizer`]
//! learns a vocabulary (document-frequency bounds, a size limit) and [`TfidfVectorizer`] adds
//! inverse document frequencies, sublinear term frequencies and row norms. The fitted vectorizers
//! are serde values, so a model file can carry them; [`SparseEncoder`] applies them to a frame's
//! text columns at once, as a saved sparse model does.

mod analyzer;
mod counting;
mod encoder;
mod gram_keys;
mod hashing;
mod murmur;
mod radix;
mod tfidf;
mod vocabulary;

pub use analyzer::{english_stop_words, is_word_char, tokenize, Analyzer};
pub use encoder::{LibsvmColumns, SparseEncoder, TermSpec, TextFeatures, TextSpec, Weighting};
pub use hashing::HashingVectorizer;
pub use murmur::murmurhash3_32;
pub use tfidf::{Norm, Tfidf, TfidfOptions, TfidfVectorizer};
pub use vocabulary::{CountOptions, CountVectorizer, DocFreq};
