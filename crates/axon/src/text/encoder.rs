//! [`SparseEncoder`]: the fitted transformation of a frame's text columns into one sparse design
//! ([`Csr`]), what a saved sparse model carries so that new raw rows get the columns it was fitted
//! on. Each text column has a [`TextSpec`] — an [`Analyzer`], then a learned vocabulary
//! (`min_df`, `max_df`, `max_features`) or the hashing trick (`2^bits` columns), then counts,
//! binary indicators or tf-idf weights — computed exactly as scikit-learn's `CountVectorizer`,
//! `HashingVectorizer(norm=None)` and `TfidfVectorizer` do; the columns' blocks are put side by
//! side in the order of the specs, and a feature is named `column:term` (`column:#j` for hashed
//! column `j`).
//!
//! The encoder is a serde value except for the inverse document frequencies, which a model file
//! stores as tensors ([`SparseEncoder::idf_tensors`]), and the vocabularies' terms, which it
//! stores as blocks of text, one term a line ([`SparseEncoder::term_blocks`]): the description
//! holds a vocabulary's options alone (files of version 2 held its terms too, as a JSON array,
//! and still load); [`SparseEncoder::with_stored`] puts both back. Hashed
//! columns of a click log ([`HashedColumns`]: categories, numbers, log bins, crosses) join as one
//! more block after the text blocks, named `hash:#j` by their hash bucket; they learn nothing
//! from the data, so an encoder of hashed columns alone is what a streamed fit saves. A model
//! fitted on a LibSVM file has no columns to encode: its encoder records the file's layout
//! ([`LibsvmColumns`]) and passes the file's rows through ([`SparseEncoder::transform_sparse`]).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::analyzer::Analyzer;
use super::hashing::HashingVectorizer;
use super::tfidf::{Norm, Tfidf, TfidfOptions};
use super::vocabulary::{CountOptions, CountVectorizer, DocFreq};
use crate::data::{Frame, HashedColumns};
use crate::error::{Error, Result};
use crate::sparse::{hstack, Csr};

/// How a text column's terms become columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TermSpec {
    /// A vocabulary learned from the training documents (scikit-learn's `CountVectorizer`).
    Vocabulary { min_df: DocFreq, max_df: DocFreq, max_features: Option<usize> },
    /// `2^bits` hashed columns, signed when `alternate_sign` (`HashingVectorizer`).
    Hashing { bits: u32, alternate_sign: bool },
}

/// What a column's entries hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Weighting {
    /// How often the term occurs (rows not normalised).
    Counts,
    /// 1 when the term occurs (`binary=True`, rows not normalised).
    Binary,
    /// Term frequency × inverse document frequency, rows normalised (`TfidfVectorizer`).
    Tfidf(TfidfOptions),
}

/// How one text column becomes sparse columns (unfitted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSpec {
    /// The column of the frame that holds the documents.
    pub column: String,
    pub analyzer: Analyzer,
    pub terms: TermSpec,
    pub weighting: Weighting,
}

impl TextSpec {
    /// scikit-learn's `TfidfVectorizer()` defaults on `column`: unigrams, every term, smoothed
    /// idf, linear tf, L2 rows.
    pub fn new(column: impl Into<String>) -> TextSpec {
        TextSpec {
            column: column.into(),
            analyzer: Analyzer::default(),
            terms: TermSpec::Vocabulary {
                min_df: DocFreq::Count(1),
                max_df: DocFreq::Proportion(1.0),
                max_features: None,
            },
            weighting: Weighting::Tfidf(TfidfOptions::default()),
        }
    }

    /// Checks the analyzer, the hash size and the weighting.
    pub fn validate(&self) -> Result<()> {
        self.analyzer.validate()?;
        if let TermSpec::Hashing { bits, alternate_sign } = self.terms {
            HashingVectorizer::new(bits)?;
            if alternate_sign && matches!(self.weighting, Weighting::Tfidf(o) if o.sublinear_tf) {
                return Err(Error::invalid(
                    "sublinear_tf",
                    &self.column,
                    "signed hashing gives negative counts, whose logarithm is undefined; hash \
                     without alternate signs or use linear term frequencies",
                ));
            }
        }
        Ok(())
    }

    fn binary(&self) -> bool {
        self.weighting == Weighting::Binary
    }

    fn hashing(&self) -> Option<HashingVectorizer> {
        let TermSpec::Hashing { bits, alternate_sign } = self.terms else { return None };
        Some(HashingVectorizer {
            analyzer: self.analyzer.clone(),
            bits,
            alternate_sign,
            binary: self.binary(),
            norm: Norm::None,
        })
    }
}

/// One text column, fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFeatures {
    pub spec: TextSpec,
    /// The learned vocabulary (none when hashing); serialised without its terms.
    #[serde(with = "stored_vocabulary")]
    vocabulary: Option<CountVectorizer>,
    /// The tf-idf weighting, with the idf (stored as a tensor, not in the description).
    #[serde(skip)]
    tfidf: Option<Tfidf>,
}

impl TextFeatures {
    /// The number of columns this text column gives.
    pub fn n_features(&self) -> usize {
        match (&self.vocabulary, &self.spec.terms) {
            (Some(v), _) => v.n_features(),
            (None, TermSpec::Hashing { bits, .. }) => 1 << bits,
            (None, TermSpec::Vocabulary { .. }) => 0,
        }
    }

    /// The vocabulary's terms in column order (none when hashing).
    pub fn terms(&self) -> Option<&[String]> {
        self.vocabulary.as_ref().map(CountVectorizer::terms)
    }

    /// The inverse document frequencies, when the weighting uses them.
    pub fn idf(&self) -> Option<&[f64]> {
        self.tfidf.as_ref().and_then(Tfidf::idf)
    }

    /// The name of this column's feature `j`: `column:term`, or `column:#j` when hashing.
    pub fn feature_name(&self, j: usize) -> String {
        match self.terms() {
            Some(terms) => format!("{}:{}", self.spec.column, terms[j]),
            None => format!("{}:#{j}", self.spec.column),
        }
    }

    fn fit_transform(spec: &TextSpec, frame: &Frame) -> Result<(TextFeatures, Csr)> {
        spec.validate()?;
        let docs = documents(frame, &spec.column)?;
        let (vocabulary, counts) = match (&spec.terms, spec.hashing()) {
            (_, Some(h)) => (None, h.transform(&docs)?),
            (TermSpec::Vocabulary { min_df, max_df, max_features }, None) => {
                let options = CountOptions {
                    analyzer: spec.analyzer.clone(),
                    min_df: *min_df,
                    max_df: *max_df,
                    max_features: *max_features,
                    binary: spec.binary(),
                };
                let (v, x) = CountVectorizer::fit_transform(options, &docs)
                    .map_err(|e| in_column(e, &spec.column))?;
                (Some(v), x)
            }
            (TermSpec::Hashing { .. }, None) => unreachable!("hashing() is Some for hashing"),
        };
        let tfidf = match spec.weighting {
            Weighting::Tfidf(options) => Some(Tfidf::fit(options, &counts)),
            Weighting::Counts | Weighting::Binary => None,
        };
        let fitted = TextFeatures { spec: spec.clone(), vocabulary, tfidf };
        let x = fitted.weigh(counts)?;
        Ok((fitted, x))
    }

    fn transform(&self, frame: &Frame) -> Result<Csr> {
        let docs = documents(frame, &self.spec.column)?;
        let counts = match (&self.vocabulary, self.spec.hashing()) {
            (Some(v), _) => v.transform(&docs)?,
            (None, Some(h)) => h.transform(&docs)?,
            (None, None) => {
                return Err(Error::invalid("vocabulary", &self.spec.column, "no vocabulary"))
            }
        };
        self.weigh(counts)
    }

    fn weigh(&self, counts: Csr) -> Result<Csr> {
        match (&self.tfidf, self.spec.weighting) {
            (Some(t), _) => t.transform_owned(counts),
            (None, Weighting::Tfidf(_)) => Err(Error::invalid(
                "idf",
                &self.spec.column,
                "the tf-idf weighting of this column has no fitted idf",
            )),
            (None, _) => Ok(counts),
        }
    }
}

/// The layout of the LibSVM file a model was fitted on: its width and how it numbers columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibsvmColumns {
    /// The number of columns of the design.
    pub n_features: usize,
    /// Whether the file's indices start at 0 (else at 1).
    pub zero_based: bool,
}

/// The fitted transformation of a frame's text columns into one sparse design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseEncoder {
    /// One per text column, in the order their blocks are stacked.
    pub text: Vec<TextFeatures>,
    /// Hashed columns, stacked last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashed: Option<HashedColumns>,
    /// The LibSVM file's own columns (alone: no text or hashed columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libsvm: Option<LibsvmColumns>,
}

impl SparseEncoder {
    /// Fits every spec on `frame` (see [`SparseEncoder::fit_transform`]).
    pub fn fit(specs: &[TextSpec], frame: &Frame) -> Result<SparseEncoder> {
        Ok(SparseEncoder::fit_transform(specs, frame)?.0)
    }

    /// Fits every spec on `frame` and returns the design of its rows too.
    pub fn fit_transform(specs: &[TextSpec], frame: &Frame) -> Result<(SparseEncoder, Csr)> {
        SparseEncoder::fit_transform_with(specs, None, frame)
    }

    /// Fits every text spec on `frame`, hashes the `hashed` columns after them, and returns the
    /// design of `frame`'s rows too.
    pub fn fit_transform_with(
        specs: &[TextSpec],
        hashed: Option<HashedColumns>,
        frame: &Frame,
    ) -> Result<(SparseEncoder, Csr)> {
        if specs.is_empty() && hashed.is_none() {
            return Err(Error::invalid(
                "specs",
                "none",
                "a sparse encoder needs a text column or hashed columns",
            ));
        }
        for (i, s) in specs.iter().enumerate() {
            if specs[..i].iter().any(|t| t.column == s.column) {
                return Err(Error::invalid("column", &s.column, "a text column is named twice"));
            }
        }
        let mut text = Vec::with_capacity(specs.len());
        let mut blocks = Vec::with_capacity(specs.len());
        for spec in specs {
            let (fitted, x) = TextFeatures::fit_transform(spec, frame)?;
            text.push(fitted);
            blocks.push(x);
        }
        if let Some(h) = &hashed {
            blocks.push(h.transform(frame)?);
        }
        let x = stack(blocks)?;
        Ok((SparseEncoder { text, hashed, libsvm: None }, x))
    }

    /// An encoder of hashed columns alone (a streamed fit's: nothing is learned from data).
    pub fn hashed(hashed: HashedColumns) -> SparseEncoder {
        SparseEncoder { text: Vec::new(), hashed: Some(hashed), libsvm: None }
    }

    /// The encoder of a model fitted on a LibSVM file of `n_features` columns.
    pub fn libsvm(n_features: usize, zero_based: bool) -> SparseEncoder {
        let libsvm = Some(LibsvmColumns { n_features, zero_based });
        SparseEncoder { text: Vec::new(), hashed: None, libsvm }
    }

    /// The design of a LibSVM file's rows for a model fitted on one: columns it has not seen
    /// ignored (as LIBLINEAR does), a narrower file widened.
    pub fn transform_sparse(&self, x: Csr) -> Result<Csr> {
        match self.libsvm {
            Some(layout) => Ok(x.with_n_cols(layout.n_features)),
            None => Err(Error::invalid(
                "data",
                "a LibSVM file",
                "the model was fitted on the columns of a table file; give it one",
            )),
        }
    }

    /// The design of the rows of `frame` (terms not in a vocabulary ignored).
    pub fn transform(&self, frame: &Frame) -> Result<Csr> {
        if self.libsvm.is_some() {
            let reason = "the model was fitted on a LibSVM file; give it one";
            return Err(Error::invalid("data", "a table file", reason));
        }
        let mut blocks =
            self.text.iter().map(|t| t.transform(frame)).collect::<Result<Vec<_>>>()?;
        if let Some(h) = &self.hashed {
            blocks.push(h.transform(frame)?);
        }
        stack(blocks)
    }

    /// Builds the vocabularies' indexes now (see [`CountVectorizer::prepare`]).
    pub fn prepare(&self) {
        self.text.iter().filter_map(|t| t.vocabulary.as_ref()).for_each(CountVectorizer::prepare);
    }

    /// The number of columns of the design.
    pub fn n_features(&self) -> usize {
        let hashed = self.hashed.as_ref().map_or(0, HashedColumns::n_features);
        let libsvm = self.libsvm.map_or(0, |l| l.n_features);
        self.text.iter().map(TextFeatures::n_features).sum::<usize>() + hashed + libsvm
    }

    /// The columns of the frame the encoder reads.
    pub fn input_columns(&self) -> Vec<String> {
        let text = self.text.iter().map(|t| t.spec.column.clone());
        let hashed = self.hashed.iter().flat_map(|h| h.columns().iter().map(|c| c.name.clone()));
        text.chain(hashed).collect()
    }

    /// The name of design column `j` (`text:free`, `subject:#123`; a LibSVM file's index as the
    /// file numbers it).
    pub fn feature_name(&self, mut j: usize) -> String {
        if let Some(layout) = self.libsvm {
            return (j + usize::from(!layout.zero_based)).to_string();
        }
        for t in &self.text {
            if j < t.n_features() {
                return t.feature_name(j);
            }
            j -= t.n_features();
        }
        format!("hash:#{j}")
    }

    /// Every column's name, in order.
    pub fn names(&self) -> Vec<String> {
        (0..self.n_features()).map(|j| self.feature_name(j)).collect()
    }

    /// The inverse document frequencies to store as tensors: `text.{i}.idf` for text column `i`.
    pub fn idf_tensors(&self) -> Vec<(String, Vec<f64>)> {
        (self.text.iter().enumerate())
            .filter_map(|(i, t)| Some((format!("text.{i}.idf"), t.idf()?.to_vec())))
            .collect()
    }

    /// The vocabularies' terms to store as byte blocks: `text.{i}.terms` for text column `i`
    /// (see [`CountVectorizer::term_block`]).
    pub fn term_blocks(&self) -> Result<Vec<(String, Vec<u8>)>> {
        (self.text.iter().enumerate())
            .filter_map(|(i, t)| Some((i, t.vocabulary.as_ref()?)))
            .map(|(i, v)| Ok((format!("text.{i}.terms"), v.term_block()?)))
            .collect()
    }

    /// The encoder as deserialised, its idf put back from `tensor(name)` (see
    /// [`SparseEncoder::idf_tensors`]), its vocabularies' terms from `bytes(name)` (see
    /// [`SparseEncoder::term_blocks`]; a file of version 2 has them in the description) and
    /// every part checked against the others.
    pub fn with_stored<'a>(
        mut self,
        tensor: impl Fn(&str) -> Option<Vec<f64>>,
        bytes: impl Fn(&str) -> Option<&'a [u8]>,
    ) -> Result<SparseEncoder> {
        if self.libsvm.is_some() && (!self.text.is_empty() || self.hashed.is_some()) {
            let reason = "a LibSVM file's columns stand alone, without text or hashed columns";
            return Err(Error::invalid("encoder", "libsvm", reason));
        }
        for (i, t) in self.text.iter_mut().enumerate() {
            t.spec.validate()?;
            let hashing = matches!(t.spec.terms, TermSpec::Hashing { .. });
            if hashing == t.vocabulary.is_some() {
                let reason = "a vocabulary is stored exactly when the terms are not hashed";
                return Err(Error::invalid("vocabulary", &t.spec.column, reason));
            }
            if let Some(v) = t.vocabulary.take() {
                let block = bytes(&format!("text.{i}.terms"));
                t.vocabulary =
                    Some(v.with_term_block(block).map_err(|e| in_column(e, &t.spec.column))?);
            }
            let Weighting::Tfidf(options) = t.spec.weighting else { continue };
            let name = format!("text.{i}.idf");
            let idf = if options.use_idf {
                let idf = tensor(&name).ok_or_else(|| {
                    Error::invalid(
                        "idf",
                        &name,
                        format!("no tensor for column `{}`", t.spec.column),
                    )
                })?;
                if idf.len() != t.n_features() {
                    let reason =
                        format!("column `{}` has {} features", t.spec.column, t.n_features());
                    return Err(Error::invalid(
                        "idf",
                        format!("{name}: {} values", idf.len()),
                        reason,
                    ));
                }
                Some(idf)
            } else {
                None
            };
            t.tfidf = Some(Tfidf::from_idf(options, idf)?);
        }
        Ok(self)
    }
}

/// A text column's vocabulary as its description stores it: the options alone (the terms go to a
/// byte block of the model file), or, read from a file of version 2, the terms too.
mod stored_vocabulary {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{CountOptions, CountVectorizer};

    #[derive(Serialize, Deserialize)]
    struct Stored<O> {
        options: O,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        terms: Option<Vec<String>>,
    }

    pub fn serialize<S: Serializer>(v: &Option<CountVectorizer>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|v| Stored { options: &v.options, terms: None }).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<CountVectorizer>, D::Error> {
        let stored = Option::<Stored<CountOptions>>::deserialize(d)?;
        Ok(stored.map(|s| CountVectorizer::awaiting_terms(s.options, s.terms.unwrap_or_default())))
    }
}

/// The blocks side by side; one block alone is the design as it is, not copied.
fn stack(mut blocks: Vec<Csr>) -> Result<Csr> {
    match blocks.len() {
        1 => Ok(blocks.pop().expect("one block")),
        _ => hstack(&blocks.iter().collect::<Vec<_>>()),
    }
}

/// Column `name` of `frame` as documents, one per row (a number as its shortest text).
fn documents<'a>(frame: &'a Frame, name: &str) -> Result<Vec<Cow<'a, str>>> {
    let column = frame.column(name)?;
    Ok((0..column.len()).map(|i| column.label(i)).collect())
}

/// An error of a column's vectorizer, said of the column.
fn in_column(e: Error, column: &str) -> Error {
    match e {
        Error::InvalidArgument { name, value, reason } => Error::InvalidArgument {
            name,
            value,
            reason: format!("text column `{column}`: {reason}"),
        },
        other => other,
    }
}
