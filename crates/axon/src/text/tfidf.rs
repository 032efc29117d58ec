//! TF-IDF weights, as scikit-learn's `TfidfTransformer` and `TfidfVectorizer`: the term
//! frequency (or `1 + ln tf` when sublinear), times the inverse document frequency
//! `idf = ln(n / df) + 1` (with `n + 1` and `df + 1` when smoothed, as if one document held every
//! term), then each row divided by its L2 (or L1) norm. The operations are done in scikit-learn's
//! order, so the values agree with it to rounding.

use serde::{Deserialize, Serialize};

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

/// `x` with each stored value replaced by `f(row, column, value)`, the pattern kept.
pub(crate) fn map_values(x: &Csr, mut f: impl FnMut(usize, u32, f64) -> f64) -> Result<Csr> {
    let mut indptr = Vec::with_capacity(x.n_rows() + 1);
    indptr.push(0);
    let (mut indices, mut values) = (Vec::with_capacity(x.nnz()), Vec::with_capacity(x.nnz()));
    for i in 0..x.n_rows() {
        let (cols, vals) = x.row(i);
        indices.extend_from_slice(cols);
        values.extend(cols.iter().zip(vals).map(|(&j, &v)| f(i, j, v)));
        indptr.push(indices.len());
    }
    Csr::new(x.n_cols(), indptr, indices, values)
}

/// Each row of `x` divided by its norm (rows of norm 0 left as they are), as scikit-learn's
/// `normalize`: the sum accumulated in storage order, then one division per value.
pub(crate) fn normalize_rows(x: &Csr, norm: Norm) -> Result<Csr> {
    let norms: Vec<f64> = (0..x.n_rows())
        .map(|i| {
            let vals = x.row(i).1;
            match norm {
                Norm::None => 0.0,
                Norm::L1 => vals.iter().fold(0.0, |s, v| s + v.abs()),
                Norm::L2 => vals.iter().fold(0.0, |s, v| s + v * v).sqrt(),
            }
        })
        .collect();
    map_values(x, |i, _, v| if norms[i] == 0.0 { v } else { v / norms[i] })
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
            let mut df = vec![0f64; counts.n_cols()];
            for i in 0..counts.n_rows() {
                for &j in counts.row(i).0 {
                    df[j as usize] += 1.0;
                }
            }
            let smooth = f64::from(u8::from(options.smooth_idf));
            let n = counts.n_rows() as f64 + smooth;
            df.iter().map(|&d| (n / (d + smooth)).ln() + 1.0).collect()
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
        if let Some(idf) = &self.idf {
            if idf.len() != counts.n_cols() {
                return Err(crate::error::Error::invalid(
                    "counts",
                    format!("{} columns", counts.n_cols()),
                    format!("the tf-idf was fitted on {} columns", idf.len()),
                ));
            }
        }
        let sublinear = self.options.sublinear_tf;
        let weighted = map_values(counts, |_, j, v| {
            let tf = if sublinear { v.ln() + 1.0 } else { v };
            match &self.idf {
                Some(idf) => tf * idf[j as usize],
                None => tf,
            }
        })?;
        normalize_rows(&weighted, self.options.norm)
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
        let weights = tfidf.transform(&x)?;
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
