//! Multinomial and Bernoulli Naive Bayes on sparse rows (word counts), the baselines the lectures
//! set text classifiers against, computed as scikit-learn's `MultinomialNB(alpha)` and
//! `BernoulliNB(alpha, binarize)` do: class priors from the training labels, Laplace/Lidstone
//! smoothed per-class feature probabilities, and the joint log-likelihood
//! `X·(log θ)ᵀ + log prior` (for Bernoulli also the log-probability of each absent feature),
//! normalised with a stable log-sum-exp. Inside a [`rows::RowShards`] scope (`mpirun -n K`),
//! the classes and the count matrices are those of every rank's rows, summed across the ranks
//! (counts: exact). `model` packages a fit with the text encoder of its
//! design for saving and prediction ([`NaiveBayesModel`]).

mod model;

use std::borrow::Cow;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::distributed::rows;
use crate::error::{Error, Result};
use crate::sparse::Csr;

pub use model::NaiveBayesModel;

/// The distinct labels of `y`, sorted; inside a [`rows::RowShards`] scope, those of every
/// rank's rows (one reduction of the next smallest label per class, so each rank's counts line
/// up with the others').
fn distinct_labels(y: &[u32]) -> Vec<u32> {
    let mut local = y.to_vec();
    local.sort_unstable();
    local.dedup();
    let mut classes = Vec::with_capacity(local.len());
    let mut from = 0u64;
    loop {
        let rest = &local[local.partition_point(|&l| u64::from(l) < from)..];
        let next = rest.first().map_or(f64::INFINITY, |&l| f64::from(l));
        let next = rows::min(next);
        if !next.is_finite() {
            return classes;
        }
        classes.push(next as u32);
        from = next as u64 + 1;
    }
}

/// Which event model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NbKind {
    /// Features are counts (`MultinomialNB`); values must be non-negative.
    Multinomial,
    /// Features are present or absent (`BernoulliNB`): a value above `binarize` counts as
    /// present; `None` takes the values as already 0/1.
    Bernoulli { binarize: Option<f64> },
}

/// A fitted Naive Bayes classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayes {
    pub kind: NbKind,
    /// The additive smoothing (scikit-learn's `alpha`, default 1).
    pub alpha: f64,
    /// The distinct training labels, sorted; predictions are among them.
    classes: Vec<u32>,
    /// `log P(class)` from the training label counts.
    class_log_prior: Vec<f64>,
    /// Per class (row-major, classes × features): `log P(feature | class)`.
    feature_log_prob: Vec<f64>,
    n_features: usize,
}

impl NaiveBayes {
    /// Fits the classifier to rows `x` with labels `y` (any `u32` codes; the classes are the
    /// distinct ones).
    pub fn fit(kind: NbKind, alpha: f64, x: &Csr, y: &[u32]) -> Result<NaiveBayes> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(Error::invalid(
                "alpha",
                alpha,
                "the smoothing must be positive and finite",
            ));
        }
        if y.len() != x.n_rows() {
            return Err(Error::invalid(
                "y",
                format!("{} labels", y.len()),
                format!("the design has {} rows", x.n_rows()),
            ));
        }
        if x.n_rows() == 0 {
            return Err(Error::invalid("x", "0 rows", "nothing to fit"));
        }
        let classes = distinct_labels(y);
        let (k, p) = (classes.len(), x.n_cols());
        let class_of: Vec<usize> =
            y.iter().map(|label| classes.partition_point(|l| l < label)).collect();
        let mut class_count = vec![0f64; k];
        class_of.iter().for_each(|&c| class_count[c] += 1.0);
        let mut feature_count = feature_counts(kind, x, &class_of, k)?;
        rows::sum_slice(&mut class_count);
        rows::sum_slice(&mut feature_count);
        let total: f64 = class_count.iter().sum();
        let class_log_prior = class_count.iter().map(|&n| n.ln() - total.ln()).collect();
        let log_denominator: Vec<f64> = (0..k)
            .map(|c| match kind {
                NbKind::Multinomial => {
                    feature_count[c * p..(c + 1) * p].iter().map(|&n| n + alpha).sum::<f64>()
                }
                NbKind::Bernoulli { .. } => class_count[c] + 2.0 * alpha,
            })
            .map(f64::ln)
            .collect();
        let mut feature_log_prob = vec![0f64; k * p];
        (feature_log_prob.par_chunks_mut(p.max(1)).zip(feature_count.par_chunks(p.max(1))))
            .zip(&log_denominator)
            .for_each(|((out, counts), &d)| {
                out.par_iter_mut().zip(counts).for_each(|(o, &n)| *o = (n + alpha).ln() - d);
            });
        Ok(NaiveBayes { kind, alpha, classes, class_log_prior, feature_log_prob, n_features: p })
    }

    /// A fitted classifier from its parts (a saved model's), checked: classes sorted and
    /// distinct, one prior per class, `classes × n_features` log-probabilities, all finite and
    /// at most 0.
    pub fn from_parts(
        kind: NbKind,
        alpha: f64,
        classes: Vec<u32>,
        class_log_prior: Vec<f64>,
        feature_log_prob: Vec<f64>,
        n_features: usize,
    ) -> Result<NaiveBayes> {
        let k = classes.len();
        if k == 0 || classes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid("classes", format!("{classes:?}"), "sorted and distinct"));
        }
        if class_log_prior.len() != k || feature_log_prob.len() != k * n_features {
            return Err(Error::invalid(
                "feature_log_prob",
                format!(
                    "{} priors, {} log-probabilities",
                    class_log_prior.len(),
                    feature_log_prob.len()
                ),
                format!("{k} classes × {n_features} features"),
            ));
        }
        let all = class_log_prior.iter().chain(&feature_log_prob);
        if let Some(v) = all.copied().find(|v| !(v.is_finite() && *v <= 0.0)) {
            return Err(Error::invalid(
                "log-probability",
                v,
                "a log-probability is finite and ≤ 0",
            ));
        }
        Ok(NaiveBayes { kind, alpha, classes, class_log_prior, feature_log_prob, n_features })
    }

    /// The number of features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The classes, sorted: the columns of the probabilities.
    pub fn classes(&self) -> &[u32] {
        &self.classes
    }

    /// `log P(class)`, one per class.
    pub fn class_log_prior(&self) -> &[f64] {
        &self.class_log_prior
    }

    /// `log P(feature j | class c)` at `[c * n_features + j]`.
    pub fn feature_log_prob(&self) -> &[f64] {
        &self.feature_log_prob
    }

    /// The unnormalised `log P(class) + log P(row | class)`, rows × classes, row-major.
    pub fn joint_log_likelihood(&self, x: &Csr) -> Result<Vec<f64>> {
        let (k, p) = (self.classes.len(), self.n_features);
        if x.n_cols() != p {
            return Err(Error::invalid(
                "x",
                format!("{} columns", x.n_cols()),
                format!("the model was fitted on {p} features"),
            ));
        }
        // Bernoulli: the weight of a present feature is log θ − log(1 − θ), and every row starts
        // from the sum over all features of log(1 − θ).
        let (weights, base): (Cow<[f64]>, Cow<[f64]>) = match self.kind {
            NbKind::Multinomial => (
                Cow::Borrowed(&self.feature_log_prob[..]),
                Cow::Borrowed(&self.class_log_prior[..]),
            ),
            NbKind::Bernoulli { .. } => {
                let neg: Vec<f64> =
                    self.feature_log_prob.iter().map(|&l| (1.0 - l.exp()).ln()).collect();
                let weights = self.feature_log_prob.iter().zip(&neg).map(|(l, n)| l - n).collect();
                let base = (0..k)
                    .map(|c| self.class_log_prior[c] + neg[c * p..(c + 1) * p].iter().sum::<f64>())
                    .collect();
                (Cow::Owned(weights), Cow::Owned(base))
            }
        };
        // Rows in parallel, each summed in its own order as before (the same bits); a bad
        // value is reported at the first row that holds one, whichever thread finds it.
        let mut jll = vec![0f64; x.n_rows() * k];
        let bad = jll
            .par_chunks_mut(k.max(1))
            .enumerate()
            .filter_map(|(i, out)| {
                let (cols, vals) = x.row(i);
                for (c, o) in out.iter_mut().enumerate() {
                    let w = &weights[c * p..(c + 1) * p];
                    let mut s = 0.0;
                    for (&j, &v) in cols.iter().zip(vals) {
                        match prepare(self.kind, v, i, j) {
                            Ok(v) => s += v * w[j as usize],
                            Err(e) => return Some((i, e)),
                        }
                    }
                    *o = s + base[c];
                }
                None
            })
            .min_by_key(|(i, _)| *i);
        if let Some((_, e)) = bad {
            return Err(e);
        }
        Ok(jll)
    }

    /// `log P(class | row)`, rows × classes, row-major.
    pub fn predict_log_proba(&self, x: &Csr) -> Result<Vec<f64>> {
        let k = self.classes.len();
        let mut jll = self.joint_log_likelihood(x)?;
        for row in jll.chunks_mut(k) {
            let lse = log_sum_exp(row);
            row.iter_mut().for_each(|v| *v -= lse);
        }
        Ok(jll)
    }

    /// `P(class | row)`, rows × classes, row-major.
    pub fn predict_proba(&self, x: &Csr) -> Result<Vec<f64>> {
        Ok(self.predict_log_proba(x)?.into_iter().map(f64::exp).collect())
    }

    /// The most probable class of each row (the first of equals, as numpy's `argmax`).
    pub fn predict(&self, x: &Csr) -> Result<Vec<u32>> {
        let k = self.classes.len();
        let jll = self.joint_log_likelihood(x)?;
        Ok(jll
            .chunks(k)
            .map(|row| {
                let best =
                    row.iter().enumerate().fold(0, |b, (c, &v)| if v > row[b] { c } else { b });
                self.classes[best]
            })
            .collect())
    }
}

/// Each class's sum of each feature's values (`[c * p + j]`, rows of class `class_of[i]`), or
/// the error of the first bad value in row order. The columns are cut into ranges, one task
/// each, every task reading its part of all rows in order: each sum adds its values in row
/// order, as one serial pass would (the same bits, whatever the values and the thread count).
/// The values are checked first, and where each row's part of each range starts is found a
/// row at a time (one pass over each row, where a search per row and task went out to memory
/// again and again).
fn feature_counts(kind: NbKind, x: &Csr, class_of: &[usize], k: usize) -> Result<Vec<f64>> {
    let bad = (0..x.n_rows()).into_par_iter().find_map_first(|i| {
        let (cols, vals) = x.row(i);
        cols.iter().zip(vals).find_map(|(&j, &v)| check(kind, v, i, j).err())
    });
    if let Some(e) = bad {
        return Err(e);
    }
    let p = x.n_cols();
    let width = p.div_ceil(4 * rayon::current_num_threads()).max(1 << 12);
    let ranges: Vec<(usize, usize)> =
        (0..p).step_by(width).map(|lo| (lo, p.min(lo + width))).collect();
    let n = ranges.len() + 1;
    let mut bounds = vec![0usize; class_of.len() * n];
    bounds.par_chunks_mut(n).enumerate().for_each(|(i, b)| {
        let cols = x.row(i).0;
        for (b, &(lo, _)) in b.iter_mut().zip(&ranges) {
            *b = cols.partition_point(|&j| (j as usize) < lo);
        }
        b[n - 1] = cols.len();
    });
    let sums: Vec<Vec<f64>> = (ranges.par_iter().enumerate())
        .map(|(t, &(lo, hi))| {
            let w = hi - lo;
            let mut local = vec![0f64; k * w];
            for (i, &c) in class_of.iter().enumerate() {
                let (cols, vals) = x.row(i);
                let (from, to) = (bounds[i * n + t], bounds[i * n + t + 1]);
                let counts = &mut local[c * w..(c + 1) * w];
                for (&j, &v) in cols[from..to].iter().zip(&vals[from..to]) {
                    counts[j as usize - lo] += weight(kind, v);
                }
            }
            local
        })
        .collect();
    let mut feature_count = vec![0f64; k * p];
    for (&(lo, hi), local) in ranges.iter().zip(&sums) {
        for (c, part) in local.chunks(hi - lo).enumerate() {
            feature_count[c * p + lo..c * p + hi].copy_from_slice(part);
        }
    }
    Ok(feature_count)
}

/// A stored value as the event model reads it, checked.
fn prepare(kind: NbKind, v: f64, row: usize, col: u32) -> Result<f64> {
    check(kind, v, row, col)?;
    Ok(weight(kind, v))
}

/// Whether the event model can read the value at `row`, `col`: a count is non-negative and
/// finite.
fn check(kind: NbKind, v: f64, row: usize, col: u32) -> Result<()> {
    match kind {
        NbKind::Multinomial if !(v >= 0.0 && v.is_finite()) => Err(Error::invalid(
            "x",
            format!("{v} at row {row}, column {col}"),
            "multinomial Naive Bayes takes non-negative finite counts",
        )),
        _ => Ok(()),
    }
}

/// A checked value as the event model reads it: a count, or a Bernoulli feature's 0 or 1.
#[inline]
fn weight(kind: NbKind, v: f64) -> f64 {
    match kind {
        NbKind::Multinomial | NbKind::Bernoulli { binarize: None } => v,
        NbKind::Bernoulli { binarize: Some(t) } => f64::from(u8::from(v > t)),
    }
}

/// `ln Σ exp(v)`, stable: the largest term taken out, the rest added through `ln_1p`.
fn log_sum_exp(v: &[f64]) -> f64 {
    let (i_max, &m) =
        v.iter().enumerate().fold((0, &v[0]), |b, (i, x)| if *x > *b.1 { (i, x) } else { b });
    if !m.is_finite() {
        return m;
    }
    let rest: f64 =
        v.iter().enumerate().filter(|&(i, _)| i != i_max).map(|(_, &x)| (x - m).exp()).sum();
    rest.ln_1p() + m
}
