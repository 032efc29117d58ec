//! The flags of text features (`--text COL` and how its documents become sparse columns), one
//! struct flattened into `axon fit`'s arguments, and the one place they become the library's
//! [`TextSpec`]s: an analyzer (n-grams, stop words, case), a vocabulary (`--min-df`, `--max-df`,
//! `--max-features`) or hashing (`--hash-bits`), and a weighting (`--weighting`,
//! `--sublinear-tf`), as scikit-learn's `TfidfVectorizer`, `CountVectorizer` and
//! `HashingVectorizer` take them.

use axon::text::{Analyzer, DocFreq, Norm, TermSpec, TextSpec, TfidfOptions, Weighting};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::common::flag;

/// Text columns and how they become features.
#[derive(Debug, Clone, Args, Serialize)]
pub struct TextArgs {
    /// A column of documents (e-mails, reviews) to turn into word features, repeatable: `fit` and
    /// `cv` then fit an L2 logit (or --model softmax, nb) on the sparse design of these columns
    /// only, and `train` a network whose first layer reads it.
    #[arg(long = "text", value_name = "COL")]
    pub text: Vec<String>,
    /// Word n-grams: N for 1..=N, or MIN-MAX [default: 1].
    #[arg(long, value_name = "N|MIN-MAX")]
    pub ngram: Option<String>,
    /// Drop scikit-learn's English stop words before making n-grams.
    #[arg(long, value_enum, value_name = "LIST")]
    pub stop_words: Option<StopWords>,
    /// Keep the case of the text (by default it is lowercased).
    #[arg(long)]
    pub keep_case: bool,
    /// Keep terms in at least this many documents (an integer) or this proportion of them
    /// (a number with a decimal point) [default: 1].
    #[arg(long, value_name = "DF")]
    pub min_df: Option<String>,
    /// Keep terms in at most this many documents (an integer) or this proportion of them
    /// (a number with a decimal point) [default: 1.0].
    #[arg(long, value_name = "DF")]
    pub max_df: Option<String>,
    /// Then keep the N terms of largest total count.
    #[arg(long, value_name = "N")]
    pub max_features: Option<usize>,
    /// Hash into 2^B columns: with --text, terms into signed columns (scikit-learn's
    /// HashingVectorizer) instead of learning a vocabulary; with --stream, the hashed columns
    /// [stream default: 18].
    #[arg(long = "hash-bits", value_name = "B")]
    pub hash_bits: Option<u32>,
    /// What a document's entries hold [default: tfidf for the logit, counts for nb].
    #[arg(long, value_enum)]
    pub weighting: Option<WeightingArg>,
    /// With tfidf: 1 + ln(tf) instead of the raw term frequency.
    #[arg(long)]
    pub sublinear_tf: bool,
    /// The additive smoothing of --model nb (scikit-learn's MultinomialNB alpha).
    #[arg(long, value_name = "A")]
    pub nb_alpha: Option<f64>,
}

/// `--stop-words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StopWords {
    English,
}

/// `--weighting`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightingArg {
    /// How often each term occurs.
    Counts,
    /// 1 when a term occurs.
    Binary,
    /// Term frequency × smoothed inverse document frequency, rows of unit L2 norm.
    Tfidf,
}

impl TextArgs {
    /// Whether any text flag other than --text was given (to refuse them without --text).
    pub fn other_flags(&self) -> Vec<&'static str> {
        let given = [
            ("--ngram", self.ngram.is_some()),
            ("--stop-words", self.stop_words.is_some()),
            ("--keep-case", self.keep_case),
            ("--min-df", self.min_df.is_some()),
            ("--max-df", self.max_df.is_some()),
            ("--max-features", self.max_features.is_some()),
            ("--hash-bits", self.hash_bits.is_some()),
            ("--weighting", self.weighting.is_some()),
            ("--sublinear-tf", self.sublinear_tf),
            ("--nb-alpha", self.nb_alpha.is_some()),
        ];
        given.iter().filter(|g| g.1).map(|g| g.0).collect()
    }

    /// One spec per --text column; `default` is the weighting when --weighting is not given.
    pub fn specs(&self, default: WeightingArg) -> anyhow::Result<Vec<TextSpec>> {
        let weighting = self.weighting.unwrap_or(default);
        if self.sublinear_tf && weighting != WeightingArg::Tfidf {
            anyhow::bail!("--sublinear-tf applies to --weighting tfidf (got {})", flag(weighting));
        }
        let terms = match self.hash_bits {
            Some(bits) => {
                let vocabulary = [
                    ("--min-df", self.min_df.is_some()),
                    ("--max-df", self.max_df.is_some()),
                    ("--max-features", self.max_features.is_some()),
                ];
                if let Some((name, _)) = vocabulary.iter().find(|v| v.1) {
                    anyhow::bail!(
                        "{name} bounds a learned vocabulary; --hash-bits {bits} hashes every term"
                    );
                }
                if self.sublinear_tf {
                    anyhow::bail!(
                        "--sublinear-tf with --hash-bits {bits}: signed hashed counts can be \
                         negative, and their logarithm is undefined"
                    );
                }
                if !(1..=30).contains(&bits) {
                    anyhow::bail!("--hash-bits {bits}: the hash takes 1 to 30 bits");
                }
                TermSpec::Hashing { bits, alternate_sign: true }
            }
            None => TermSpec::Vocabulary {
                min_df: doc_freq("--min-df", self.min_df.as_deref(), DocFreq::Count(1))?,
                max_df: doc_freq("--max-df", self.max_df.as_deref(), DocFreq::Proportion(1.0))?,
                max_features: self.max_features,
            },
        };
        if self.max_features == Some(0) {
            anyhow::bail!("--max-features 0: keep at least one term");
        }
        let analyzer = Analyzer {
            stop_words: self.stop_words.is_some(),
            ngram_range: ngram_range(self.ngram.as_deref())?,
            lowercase: !self.keep_case,
        };
        let weighting = match weighting {
            WeightingArg::Counts => Weighting::Counts,
            WeightingArg::Binary => Weighting::Binary,
            WeightingArg::Tfidf => Weighting::Tfidf(TfidfOptions {
                sublinear_tf: self.sublinear_tf,
                norm: Norm::L2,
                ..TfidfOptions::default()
            }),
        };
        Ok(self
            .text
            .iter()
            .map(|column| TextSpec {
                column: column.trim().to_owned(),
                analyzer: analyzer.clone(),
                terms: terms.clone(),
                weighting,
            })
            .collect())
    }
}

/// `--ngram N` (1..=N) or `--ngram MIN-MAX`.
fn ngram_range(text: Option<&str>) -> anyhow::Result<(usize, usize)> {
    let Some(text) = text else { return Ok((1, 1)) };
    let bad = || anyhow::anyhow!("--ngram {text}: give N (1..=N) or MIN-MAX, with 1 <= MIN <= MAX");
    let parse = |s: &str| s.trim().parse::<usize>().map_err(|_| bad());
    let (lo, hi) = match text.split_once('-') {
        Some((a, b)) => (parse(a)?, parse(b)?),
        None => (1, parse(text)?),
    };
    if lo == 0 || lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// A document-frequency bound: an integer is a number of documents, a number with a decimal
/// point a proportion in [0, 1] (as scikit-learn's int and float).
fn doc_freq(name: &str, text: Option<&str>, default: DocFreq) -> anyhow::Result<DocFreq> {
    let Some(text) = text else { return Ok(default) };
    let t = text.trim();
    if let Ok(count) = t.parse::<usize>() {
        return Ok(DocFreq::Count(count));
    }
    match t.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(DocFreq::Proportion(p)),
        _ => anyhow::bail!(
            "{name} {text}: give a number of documents (an integer) or a proportion in [0, 1]"
        ),
    }
}
