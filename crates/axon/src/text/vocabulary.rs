//! A learned vocabulary, as scikit-learn's `CountVectorizer`: every term of the training
//! documents, then those in too few or too many documents dropped (`min_df`, `max_df`), then the
//! `max_features` most frequent kept, columns in alphabetical (code point) order as
//! `get_feature_names_out` lists them. `transform` counts the known terms of any document and
//! ignores the others.
//!
//! One difference: when `max_features` cuts through terms of equal total count, scikit-learn
//! keeps whichever numpy's unstable argsort puts first; here the alphabetically first are kept.

use std::sync::OnceLock;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::analyzer::Analyzer;
use super::counting::{short_key, Counts};
use super::radix;
use crate::error::{Error, Result};
use crate::sparse::Csr;

/// A document-frequency bound: a number of documents, or a proportion of them in `[0, 1]`
/// (scikit-learn's int and float `min_df` / `max_df`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum DocFreq {
    Count(usize),
    Proportion(f64),
}

impl DocFreq {
    fn validate(self, name: &'static str) -> Result<()> {
        match self {
            DocFreq::Proportion(p) if !(0.0..=1.0).contains(&p) => Err(Error::invalid(
                name,
                p,
                "a proportion of documents must lie in [0, 1] (give a count as an integer)",
            )),
            _ => Ok(()),
        }
    }

    /// The bound in documents, out of `n_docs` (a proportion stays fractional, as in sklearn).
    fn documents(self, n_docs: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Proportion(p) => p * n_docs as f64,
        }
    }
}

/// What a [`CountVectorizer`] learns and how it counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountOptions {
    pub analyzer: Analyzer,
    /// Keep terms in at least this many documents (default 1 document).
    pub min_df: DocFreq,
    /// Keep terms in at most this many documents (default all).
    pub max_df: DocFreq,
    /// Then keep at most this many terms, the largest total counts.
    pub max_features: Option<usize>,
    /// Count 1 for a term present, whatever its number of occurrences.
    pub binary: bool,
}

impl Default for CountOptions {
    fn default() -> Self {
        CountOptions {
            analyzer: Analyzer::default(),
            min_df: DocFreq::Count(1),
            max_df: DocFreq::Proportion(1.0),
            max_features: None,
            binary: false,
        }
    }
}

/// A fitted vocabulary: terms sorted, column `j` counting `terms[j]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountVectorizer {
    pub options: CountOptions,
    terms: Vec<String>,
    /// Each term's column, made on first use (a saved model's vocabulary is read without it).
    #[serde(skip)]
    index: TermIndex,
}

/// A hash index of a vocabulary's terms: a cache, not part of the value (always equal).
#[derive(Clone, Default)]
struct TermIndex(OnceLock<Lookup>);

/// The vocabulary by token ids: a document's tokens are looked up once each, its unigrams then
/// found by index and its bigrams by one integer key (the token ids packed as the counting of
/// a fit packs them, [`short_key`]), without making the text of a bigram.
#[derive(Clone, Default)]
struct Lookup {
    /// Every token of a term of one or two tokens, numbered.
    tokens: FxHashMap<String, u32>,
    /// The column of each token as a unigram term (`u32::MAX` when it is none).
    unigram: Vec<u32>,
    /// The bigrams' columns, by [`short_key`] of their token ids, in [`BIGRAM_SHARDS`] tables
    /// by [`bigram_shard`]: filled in parallel, one table per worker at a time.
    bigram: Vec<FxHashMap<u64, u32>>,
    /// The other terms' columns (three or more tokens), by text.
    long: FxHashMap<String, u32>,
}

/// The first and second tokens of a term of one or two tokens (split at its space); `None` for
/// a longer term (or one a tokenizer cannot make: empty, or with an empty token).
fn short_parts(term: &str) -> Option<(&str, Option<&str>)> {
    let Some(i) = memchr::memchr(b' ', term.as_bytes()) else {
        return (!term.is_empty()).then_some((term, None));
    };
    let (first, second) = (&term[..i], &term[i + 1..]);
    let short = !first.is_empty() && !second.is_empty() && !second.contains(' ');
    short.then_some((first, Some(second)))
}

/// The integer key of the bigram of token ids `(b, a)`.
fn bigram_key(b: u32, a: u32) -> Option<u64> {
    short_key(&[b, a])
}

/// The number of tables the bigrams are spread over (a power of two).
const BIGRAM_SHARDS: usize = 16;

/// Terms per parallel task when their bigrams' keys are made.
const TERMS_PER_TASK: usize = 4096;

/// The table of the bigram of key `key`: its top bits once mixed by a multiplication (not the
/// bits the tables' own hash uses to place it).
fn bigram_shard(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - BIGRAM_SHARDS.trailing_zeros())) as usize
}

/// The bigrams of one run of terms, by table, and the terms whose second token was not yet
/// numbered.
type BigramPiece = (Vec<Vec<(u64, u32)>>, Vec<u32>);

impl Lookup {
    fn new(terms: &[String]) -> Lookup {
        let parts: Vec<Option<(&str, Option<&str>)>> =
            terms.par_iter().map(|t| short_parts(t)).collect();
        let mut lookup = Lookup {
            tokens: FxHashMap::with_capacity_and_hasher(terms.len() / 4, Default::default()),
            ..Lookup::default()
        };
        // First tokens numbered in term order, the unigrams' columns and the long terms put, one
        // term after another. Terms are sorted, so those of one first token follow each other:
        // it is looked up once.
        let mut firsts = vec![u32::MAX; terms.len()];
        let mut last: Option<(&str, u32)> = None;
        for (j, part) in parts.iter().enumerate() {
            let Some((first, second)) = *part else {
                lookup.long.insert(terms[j].clone(), j as u32);
                continue;
            };
            let a = match last {
                Some((token, id)) if token == first => id,
                _ => lookup.token_id(first),
            };
            last = Some((first, a));
            firsts[j] = a;
            if second.is_none() {
                lookup.unigram[a as usize] = j as u32;
            }
        }
        // The bigrams' keys made in parallel, runs of terms at a time, each sent to its table;
        // then the tables filled in parallel, one by one worker.
        let tokens = &lookup.tokens;
        let pieces: Vec<BigramPiece> =
            (parts.par_chunks(TERMS_PER_TASK).zip(firsts.par_chunks(TERMS_PER_TASK)))
                .enumerate()
                .map(|(c, (parts, firsts))| {
                    let mut piece: BigramPiece = (vec![Vec::new(); BIGRAM_SHARDS], Vec::new());
                    for (i, (part, &a)) in parts.iter().zip(firsts).enumerate() {
                        let j = (c * TERMS_PER_TASK + i) as u32;
                        let Some((_, Some(second))) = *part else { continue };
                        match tokens.get(second).and_then(|&b| bigram_key(a, b)) {
                            Some(key) => piece.0[bigram_shard(key)].push((key, j)),
                            None => piece.1.push(j),
                        }
                    }
                    piece
                })
                .collect();
        lookup.bigram = (0..BIGRAM_SHARDS)
            .into_par_iter()
            .map(|s| {
                let n = pieces.iter().map(|p| p.0[s].len()).sum();
                let mut table = FxHashMap::with_capacity_and_hasher(n, Default::default());
                table.extend(pieces.iter().flat_map(|p| p.0[s].iter().copied()));
                table
            })
            .collect();
        // A second token that is no term's first (rare: pruned by max_features or max_df) is
        // numbered here, in term order.
        for j in pieces.iter().flat_map(|p| &p.1).map(|&j| j as usize) {
            let Some((_, Some(second))) = parts[j] else { continue };
            match bigram_key(firsts[j], lookup.token_id(second)) {
                Some(key) => {
                    lookup.bigram[bigram_shard(key)].insert(key, j as u32);
                }
                // A first token numbered u32::MAX: four billion tokens cannot be here.
                None => {
                    lookup.long.insert(terms[j].clone(), j as u32);
                }
            }
        }
        lookup
    }

    /// The column of the bigram of key `key`.
    fn bigram(&self, key: u64) -> Option<&u32> {
        self.bigram[bigram_shard(key)].get(&key)
    }

    fn token_id(&mut self, token: &str) -> u32 {
        // Looked up first: a token is in many terms, and is copied only the first time.
        if let Some(&id) = self.tokens.get(token) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.tokens.insert(token.to_owned(), id);
        self.unigram.push(u32::MAX);
        id
    }

    /// The column of the term `term` (tokens joined by one space).
    fn column(&self, term: &str) -> Option<u32> {
        let Some((first, second)) = short_parts(term) else {
            return self.long.get(term).copied();
        };
        let a = *self.tokens.get(first)?;
        let column = match second {
            Some(second) => match bigram_key(a, *self.tokens.get(second)?) {
                Some(key) => self.bigram(key).copied(),
                None => self.long.get(term).copied(),
            },
            None => Some(self.unigram[a as usize]),
        };
        column.filter(|&j| j != u32::MAX)
    }

    /// Pushes the column of each term `analyzer` makes of `doc` that is in the vocabulary, in the
    /// analyzer's order.
    fn count(&self, analyzer: &Analyzer, doc: &str, row: &mut Vec<u32>) {
        let mut buf = String::new();
        let tokens = analyzer.tokens(doc, &mut buf);
        let ids: Vec<Option<u32>> = tokens.iter().map(|t| self.tokens.get(*t).copied()).collect();
        let (lo, hi) = analyzer.ngram_range;
        let mut gram = String::new();
        for n in lo..=hi.min(tokens.len()) {
            if n == 1 {
                let columns = ids.iter().flatten().map(|&a| self.unigram[a as usize]);
                row.extend(columns.filter(|&j| j != u32::MAX));
                continue;
            }
            for (w, window) in ids.windows(n).enumerate() {
                let key = match *window {
                    [Some(b), Some(a)] => bigram_key(b, a),
                    [_, _] => continue,
                    _ => None,
                };
                let column = match key {
                    Some(key) => self.bigram(key),
                    None => {
                        gram.clear();
                        for (i, t) in tokens[w..w + n].iter().enumerate() {
                            if i > 0 {
                                gram.push(' ');
                            }
                            gram.push_str(t);
                        }
                        self.long.get(gram.as_str())
                    }
                };
                if let Some(&j) = column {
                    row.push(j);
                }
            }
        }
    }
}

/// Sorts column numbers below `2^bits`: by [`radix::sort_bits`], a few passes over a
/// document's columns instead of a comparison sort's `log n` (a short list is sorted by
/// comparisons); `scratch` is reused memory.
fn sort_columns(columns: &mut Vec<u32>, scratch: &mut Vec<u32>, bits: u32) {
    if columns.len() < 256 {
        columns.sort_unstable();
    } else {
        radix::sort_bits(columns, scratch, 0, bits);
    }
}

impl PartialEq for TermIndex {
    fn eq(&self, _: &TermIndex) -> bool {
        true
    }
}

impl std::fmt::Debug for TermIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TermIndex")
    }
}

impl CountVectorizer {
    /// Learns the vocabulary of `docs`.
    pub fn fit<S: AsRef<str> + Sync>(options: CountOptions, docs: &[S]) -> Result<CountVectorizer> {
        Ok(CountVectorizer::fit_transform(options, docs)?.0)
    }

    /// Learns the vocabulary of `docs` and returns their counts too.
    pub fn fit_transform<S: AsRef<str> + Sync>(
        options: CountOptions,
        docs: &[S],
    ) -> Result<(CountVectorizer, Csr)> {
        options.analyzer.validate()?;
        options.min_df.validate("min_df")?;
        options.max_df.validate("max_df")?;
        let n_docs = docs.len();
        let (high, low) = (options.max_df.documents(n_docs), options.min_df.documents(n_docs));
        if high < low {
            return Err(Error::invalid(
                "max_df",
                format!("{:?}", options.max_df),
                format!("max_df corresponds to fewer documents ({high}) than min_df ({low})"),
            ));
        }
        let within = |d: u32| {
            let d = f64::from(d);
            d <= high && d >= low
        };
        // Terms numbered in alphabetical order, each row by column.
        let (counts, mut x) = Counts::of(&options.analyzer, docs, within)?;
        if counts.n_distinct == 0 {
            return Err(Error::invalid(
                "documents",
                format!("{n_docs} documents"),
                "empty vocabulary; perhaps the documents only contain stop words",
            ));
        }
        if options.binary {
            x.map_rows(|_, _, values| values.fill(1.0));
        }
        let n_terms = counts.n_terms();
        let mut keep: Vec<u32> = (0..n_terms as u32).collect();
        if let Some(limit) = options.max_features {
            if keep.len() > limit {
                // Counts are whole numbers: their f64 sums are exact in any order.
                let mut total = vec![0f64; n_terms];
                for i in 0..x.n_rows() {
                    let (columns, counts) = x.row(i);
                    columns.iter().zip(counts).for_each(|(&j, &c)| total[j as usize] += c);
                }
                let mut by_total = keep.clone();
                // stable: ties keep alphabetical order
                by_total.sort_by(|&a, &b| total[b as usize].total_cmp(&total[a as usize]));
                by_total.truncate(limit);
                let kept: rustc_hash::FxHashSet<u32> = by_total.into_iter().collect();
                keep.retain(|j| kept.contains(j));
            }
        }
        if keep.is_empty() {
            return Err(Error::invalid(
                "min_df",
                format!("{:?} (max_df {:?})", options.min_df, options.max_df),
                "after pruning, no terms remain; try a lower min_df or a higher max_df",
            ));
        }
        if keep.len() < n_terms {
            // Renumbered in the same order: rows stay sorted.
            let mut new_index = vec![u32::MAX; n_terms];
            for (new, &old) in keep.iter().enumerate() {
                new_index[old as usize] = new as u32;
            }
            let rows: Vec<Vec<(u32, f64)>> = (0..x.n_rows())
                .into_par_iter()
                .map(|i| {
                    let (columns, counts) = x.row(i);
                    (columns.iter().zip(counts))
                        .map(|(&j, &c)| (new_index[j as usize], c))
                        .filter(|&(j, _)| j != u32::MAX)
                        .collect()
                })
                .collect();
            x = Csr::from_sorted_rows(keep.len(), &rows)?;
        }
        // Text is made only for the terms kept.
        let kept_terms = keep.par_iter().map(|&j| counts.term(j)).collect();
        let vectorizer =
            CountVectorizer { options, terms: kept_terms, index: TermIndex::default() };
        Ok((vectorizer, x))
    }

    /// A fitted vocabulary from its terms (a saved model's), which must be strictly increasing
    /// and not none (as fitting refuses an empty vocabulary; a model file could not tell an
    /// empty term block from a missing term).
    pub fn from_terms(options: CountOptions, terms: Vec<String>) -> Result<CountVectorizer> {
        options.analyzer.validate()?;
        if terms.is_empty() {
            return Err(Error::invalid("terms", "[]", "a vocabulary needs at least one term"));
        }
        if let Some(i) = terms.par_windows(2).position_first(|w| w[0] >= w[1]) {
            return Err(Error::invalid(
                "terms",
                format!("`{}` then `{}` at {}", terms[i], terms[i + 1], i + 1),
                "a vocabulary's terms must be sorted and distinct",
            ));
        }
        Ok(CountVectorizer { options, terms, index: TermIndex::default() })
    }

    /// A vocabulary of `options` whose terms are still to come from a model file: what a
    /// description deserialises to before [`CountVectorizer::with_term_block`].
    pub(crate) fn awaiting_terms(options: CountOptions, terms: Vec<String>) -> CountVectorizer {
        CountVectorizer { options, terms, index: TermIndex::default() }
    }

    /// The terms as a model file stores them: each followed by a newline (a term is made of
    /// word characters and spaces; one with a newline, possible only through
    /// [`CountVectorizer::from_terms`], is an error).
    pub fn term_block(&self) -> Result<Vec<u8>> {
        if let Some(t) = self.terms.iter().find(|t| t.contains('\n')) {
            let reason = "a term with a newline cannot be stored in a model file's term block";
            return Err(Error::invalid("terms", format!("{t:?}"), reason));
        }
        let mut block = Vec::with_capacity(self.terms.iter().map(|t| t.len() + 1).sum());
        for term in &self.terms {
            block.extend_from_slice(term.as_bytes());
            block.push(b'\n');
        }
        Ok(block)
    }

    /// The vocabulary completed from a model file, checked: its terms from `block` (see
    /// [`CountVectorizer::term_block`]), or, in a file of version 2 (no block), those the
    /// description held.
    pub(crate) fn with_term_block(self, block: Option<&[u8]>) -> Result<CountVectorizer> {
        let terms = match (block, self.terms.is_empty()) {
            (Some(block), true) => {
                let text = std::str::from_utf8(block).map_err(|e| {
                    Error::invalid("terms", "the term block", format!("not UTF-8: {e}"))
                })?;
                let Some(text) = text.strip_suffix('\n') else {
                    let reason = "a term block is terms each followed by a newline";
                    return Err(Error::invalid("terms", "the term block", reason));
                };
                // In parallel: a vocabulary has hundreds of thousands of terms (order kept).
                text.par_split('\n').map(str::to_owned).collect()
            }
            (None, false) => self.terms,
            (Some(_), false) => {
                let reason = "the terms are stored both in the description and in a block";
                return Err(Error::invalid("terms", "the vocabulary", reason));
            }
            (None, true) => {
                return Err(Error::invalid("terms", "the vocabulary", "no terms are stored"));
            }
        };
        CountVectorizer::from_terms(self.options, terms)
    }

    /// The counts of `docs` over the fitted vocabulary (unknown terms ignored).
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<Csr> {
        let lookup = self.lookup();
        let binary = self.options.binary;
        let bits = u32::BITS - (self.terms.len() as u32).leading_zeros();
        let rows: Vec<Vec<(u32, f64)>> = docs
            .par_iter()
            // The columns of a document and the sort's scratch, reused by each worker.
            .map_init(
                || (Vec::new(), Vec::new()),
                |(columns, scratch): &mut (Vec<u32>, Vec<u32>), d| {
                    columns.clear();
                    lookup.count(&self.options.analyzer, d.as_ref(), columns);
                    // Sorted (as plain integers) and counted here, in parallel.
                    sort_columns(columns, scratch, bits);
                    let mut row: Vec<(u32, f64)> = Vec::with_capacity(columns.len());
                    for &j in columns.iter() {
                        match row.last_mut() {
                            Some((k, c)) if *k == j => *c += if binary { 0.0 } else { 1.0 },
                            _ => row.push((j, 1.0)),
                        }
                    }
                    row
                },
            )
            .collect();
        Csr::from_sorted_rows(self.terms.len(), &rows)
    }

    /// The terms, in column order (alphabetical).
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The column of `term`, if it is in the vocabulary.
    pub fn index(&self, term: &str) -> Option<usize> {
        self.lookup().column(term).map(|j| j as usize)
    }

    /// Builds the index of the terms that [`CountVectorizer::transform`] looks documents up in
    /// (built on first use otherwise), so that a caller can have it made on another thread
    /// while it reads the documents.
    pub fn prepare(&self) {
        self.lookup();
    }

    fn lookup(&self) -> &Lookup {
        self.index.0.get_or_init(|| Lookup::new(&self.terms))
    }

    /// The number of columns.
    pub fn n_features(&self) -> usize {
        self.terms.len()
    }
}
