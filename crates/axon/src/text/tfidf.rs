//! TF-IDF weights, as scikit-learn's `TfidfTransformer` and `TfidfVectorizer`: the term
//! frequency (or `1 + ln tf` when sublinear), times the inverse document frequency
//! `idf = ln(n / df) + 1` (with `n + 1` and `df + 1` when smoothed, as if one document held every
//! term), then each row divided by its L2 (or L1) norm. The operations are done in scikit-learn's
//! order, so the values agree with it to rounding.

use serde::{Deserialize, Serialize};

use super::counting::document_frequencies;
use super::vocabulary::{CountOptions, CountVectorizer};
use crate::error::Result;
use crate::sparse::Csr;

/// How each row is scaled after weighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Norm {
    /// Rows as they are.
    None,
    /// Divided by the sum of absolute values.
    L1,
    /// Divided by the Euclidean norm (scikit-learn's default).
    L2,
}

/// The norm of a row's values, accumulated in storage order (0 for `Norm::None`).
fn row_norm(vals: &[f64], norm: Norm) -> f64 {
    match norm {
        Norm::None => 0.0,
        Norm::L1 => vals.iter().fold(0.0, |s, v| s + v.abs()),
        Norm::L2 => vals.iter().fold(0.0, |s, v| s + v * v).sqrt(),
    }
}

/// Each row of `vals` divided by its norm (rows of norm 0 left as they are), as scikit-learn's
/// `normalize`: the sum accumulated in storage order, then one division per value.
fn normalize_row(vals: &mut [f64], norm: Norm) {
    let n = row_norm(vals, norm);
    if n != 0.0 {
        vals.iter_mut().for_each(|v| *v /= n);
    }
}

/// Each row of `x` normalised in place (see [`normalize_row`]), rows in parallel.
pub(crate) fn normalize_rows(mut x: Csr, norm: Norm) -> Csr {
    if norm != Norm::None {
        x.map_rows(|_, _, vals| normalize_row(vals, norm));
    }
    x
}

/// The weighting options of [`Tfidf`] (scikit-learn's defaults: idf on, smoothed, linear tf,
/// L2 rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TfidfOptions {
    pub use_idf: bool,
    pub smooth_idf: bool,
    pub sublinear_tf: bool,
    pub norm: Norm,
}

impl Default for TfidfOptions {
    fn default() -> Self {
        TfidfOptions { use_idf: true, smooth_idf: true, sublinear_tf: false, norm: Norm::L2 }
    }
}

/// A fitted `TfidfTransformer`: counts in, weights out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tfidf {
    pub options: TfidfOptions,
    /// Per column, when `use_idf`.
    idf: Option<Vec<f64>>,
}

impl Tfidf {
    /// Learns the inverse document frequencies of the count matrix `counts`.
    pub fn fit(options: TfidfOptions, counts: &Csr) -> Tfidf {
        let idf = options.use_idf.then(|| {
            let df = document_frequencies(counts.n_rows(), counts.n_cols(), |i| {
                counts.row(i).0.iter().copied()
            });
            let smooth = f64::from(u8::from(options.smooth_idf));
            let n = counts.n_rows() as f64 + smooth;
            df.iter().map(|&d| (n / (f64::from(d) + smooth)).ln() + 1.0).collect()
        });
        Tfidf { options, idf }
    }

    /// A fitted weighting from its inverse document frequencies (a saved model's): present
    /// exactly when `options.use_idf`, each finite and at least 1.
    pub fn from_idf(options: TfidfOptions, idf: Option<Vec<f64>>) -> Result<Tfidf> {
        if idf.is_some() != options.use_idf {
            let reason = "inverse document frequencies are stored exactly when use_idf is set";
            return Err(crate::error::Error::invalid("idf", idf.is_some(), reason));
        }
        if let Some((j, v)) =
            idf.iter().flatten().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 1.0))
        {
            let reason = "an inverse document frequency ln(n/df) + 1 is finite and at least 1";
            return Err(crate::error::Error::invalid("idf", format!("{v} at column {j}"), reason));
        }
        Ok(Tfidf { options, idf })
    }

    /// The inverse document frequencies, if used.
    pub fn idf(&self) -> Option<&[f64]> {
        self.idf.as_deref()
    }

    /// The weights of the count matrix `counts` (same columns as the fit).
    pub fn transform(&self, counts: &Csr) -> Result<Csr> {
        self.check_columns(counts)?;
        Ok(self.weigh(counts.clone()))
    }

    fn check_columns(&self, counts: &Csr) -> Result<()> {
        match &self.idf {
            Some(idf) if idf.len() != counts.n_cols() => Err(crate::error::Error::invalid(
                "counts",
                format!("{} columns", counts.n_cols()),
                format!("the tf-idf was fitted on {} columns", idf.len()),
            )),
            _ => Ok(()),
        }
    }

    /// The weights of `counts`, computed in its own storage (rows in parallel); the caller has
    /// checked the number of columns.
    fn weigh(&self, mut counts: Csr) -> Csr {
        let (sublinear, norm) = (self.options.sublinear_tf, self.options.norm);
        counts.map_rows(|_, cols, vals| {
            for (v, &j) in vals.iter_mut().zip(cols) {
                let tf = if sublinear { v.ln() + 1.0 } else { *v };
                *v = match &self.idf {
                    Some(idf) => tf * idf[j as usize],
                    None => tf,
                };
            }
            normalize_row(vals, norm);
        });
        counts
    }

    /// As [`Tfidf::transform`], taking the counts to write the weights over them.
    pub fn transform_owned(&self, counts: Csr) -> Result<Csr> {
        self.check_columns(&counts)?;
        Ok(self.weigh(counts))
    }
}

/// A fitted `TfidfVectorizer`: a vocabulary and its tf-idf weights, documents in, weights out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfidfVectorizer {
    pub counts: CountVectorizer,
    pub tfidf: Tfidf,
}

impl TfidfVectorizer {
    /// Learns the vocabulary and idf of `docs` and returns their weights too.
    pub fn fit_transform<S: AsRef<str> + Sync>(
        counts: CountOptions,
        tfidf: TfidfOptions,
        docs: &[S],
    ) -> Result<(TfidfVectorizer, Csr)> {
        let (counts, x) = CountVectorizer::fit_transform(counts, docs)?;
        let tfidf = Tfidf::fit(tfidf, &x);
        let weights = tfidf.transform_owned(x)?;
        Ok((TfidfVectorizer { counts, tfidf }, weights))
    }

    /// Learns the vocabulary and idf of `docs`.
    pub fn fit<S: AsRef<str> + Sync>(
        counts: CountOptions,
        tfidf: TfidfOptions,
        docs: &[S],
    ) -> Result<TfidfVectorizer> {
        Ok(TfidfVectorizer::fit_transform(counts, tfidf, docs)?.0)
    }

    /// The weights of `docs` (unknown terms ignored).
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<Csr> {
        self.tfidf.transform(&self.counts.transform(docs)?)
    }

    /// The terms, in column order.
    pub fn terms(&self) -> &[String] {
        self.counts.terms()
    }
}
