//! The hashing trick as scikit-learn's `HashingVectorizer(n_features=2**bits, norm=None)`: a
//! term's column is `|h| mod 2^bits` for `h` the signed MurmurHash3 (seed 0) of its UTF-8 bytes,
//! its sign `+1` for `h >= 0` and `-1` otherwise (`alternate_sign`), and a row sums its terms'
//! signed ones. Colliding terms of opposite signs leave an explicit zero, as scikit-learn's
//! `sum_duplicates` does. No vocabulary is stored: any document maps to the same columns.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::analyzer::Analyzer;
use super::murmur::murmurhash3_32;
use super::tfidf::{normalize_rows, Norm};
use crate::error::{Error, Result};
use crate::sparse::Csr;

/// A stateless vectorizer: documents to `2^bits` hashed columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HashingVectorizer {
    /// How documents become terms.
    pub analyzer: Analyzer,
    /// `log2` of the number of columns, 1 to 30 (scikit-learn takes at most `2^31 - 1` columns).
    pub bits: u32,
    /// Sign each term by its hash (scikit-learn's default `alternate_sign=True`).
    pub alternate_sign: bool,
    /// Every stored value becomes 1 (scikit-learn's `binary=True`, explicit zeros included).
    pub binary: bool,
    /// Row normalisation (scikit-learn's default is L2; the counts are `Norm::None`).
    pub norm: Norm,
}

impl HashingVectorizer {
    /// `2^bits` columns, signed, unnormalised counts, the default analyzer.
    pub fn new(bits: u32) -> Result<HashingVectorizer> {
        let v = HashingVectorizer {
            analyzer: Analyzer::default(),
            bits,
            alternate_sign: true,
            binary: false,
            norm: Norm::None,
        };
        v.validate()?;
        Ok(v)
    }

    fn validate(&self) -> Result<()> {
        if !(1..=30).contains(&self.bits) {
            return Err(Error::invalid("bits", self.bits, "the hash takes 1 to 30 bits"));
        }
        self.analyzer.validate()
    }

    /// The number of columns, `2^bits`.
    pub fn n_features(&self) -> usize {
        1 << self.bits
    }

    /// A term's column and sign.
    pub fn column(&self, term: &str) -> (u32, f64) {
        self.column_of_hash(murmurhash3_32(term.as_bytes(), 0))
    }

    /// The column and sign of a term whose hash is `h`: `|h| mod 2^bits`, with `|h|` taken in
    /// 64 bits so that `|i32::MIN| = 2^31` (scikit-learn special-cases it to the same value).
    pub fn column_of_hash(&self, h: i32) -> (u32, f64) {
        let index = (i64::from(h).unsigned_abs() % self.n_features() as u64) as u32;
        let sign = if self.alternate_sign && h < 0 { -1.0 } else { 1.0 };
        (index, sign)
    }

    /// The hashed rows of `docs`.
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<Csr> {
        self.validate()?;
        let rows: Vec<Vec<(u32, f64)>> = docs
            .par_iter()
            .map(|d| {
                let mut row = Vec::new();
                self.analyzer.for_each_term(d.as_ref(), |t| row.push(self.column(t)));
                row
            })
            .collect();
        let mut x = Csr::from_rows(self.n_features(), rows)?;
        if self.binary {
            x.map_rows(|_, _, vals| vals.fill(1.0));
        }
        Ok(normalize_rows(x, self.norm))
    }
}
