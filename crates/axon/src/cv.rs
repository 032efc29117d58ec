//! Cross-validation: splitting `n` samples into train and test index sets, scoring a model on
//! each split, and choosing a hyper-parameter by its mean score. A model fitted and scored on the
//! same rows flatters itself; these splits are how the lectures' regularisation strength or
//! hidden-layer width is chosen honestly.
//!
//! Splits are plain index lists ([`Fold`]), so they work with any data layout. They follow
//! scikit-learn: [`kfold`] gives the first `n % k` folds one extra sample (`KFold`),
//! [`stratified_kfold`] keeps every class's share of each fold within one sample of the others,
//! [`train_test_split`] puts `⌈test_fraction · n⌉` samples in the test set, and [`CvScores`]
//! reports the population standard deviation, as `cv_results_["std_test_score"]` does. Shuffling
//! draws from an [`Rng`], so the same seed gives the same folds.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::metrics;
use crate::rng::Rng;

/// One split: the rows to fit on and the rows to score on, each in ascending order for
/// [`kfold`] and [`stratified_kfold`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fold {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// `k` folds of `0..n`: sample order is shuffled by `shuffle` when given, then cut into `k`
/// consecutive test blocks of sizes `⌈n/k⌉` (the first `n % k`) and `⌊n/k⌋`. Needs `2 ≤ k ≤ n`.
pub fn kfold(n: usize, k: usize, shuffle: Option<&mut Rng>) -> Result<Vec<Fold>> {
    check_k(n, k)?;
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(rng) = shuffle {
        rng.shuffle(&mut order);
    }
    let mut fold_of = vec![0; n];
    let mut start = 0;
    for f in 0..k {
        let size = n / k + usize::from(f < n % k);
        for &i in &order[start..start + size] {
            fold_of[i] = f;
        }
        start += size;
    }
    Ok(folds_from_assignment(&fold_of, k))
}

/// `k` folds that keep class proportions: each class's indices (shuffled by `rng` when given) are
/// dealt round-robin to the folds, each class starting where the previous one stopped, so every
/// fold holds each class's count to within one and all fold sizes are within one. A class with
/// fewer than `k` members is allowed (scikit-learn warns): some test folds then lack it.
/// Needs `2 ≤ k ≤ labels.len()`.
pub fn stratified_kfold(
    labels: &[usize],
    k: usize,
    mut rng: Option<&mut Rng>,
) -> Result<Vec<Fold>> {
    check_k(labels.len(), k)?;
    let mut by_class: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &y) in labels.iter().enumerate() {
        by_class.entry(y).or_default().push(i);
    }
    let mut fold_of = vec![0; labels.len()];
    let mut next = 0;
    for members in by_class.values_mut() {
        if let Some(rng) = rng.as_deref_mut() {
            rng.shuffle(members);
        }
        for &i in members.iter() {
            fold_of[i] = next;
            next = (next + 1) % k;
        }
    }
    Ok(folds_from_assignment(&fold_of, k))
}

/// One random split of `0..n` with `⌈test_fraction · n⌉` test samples, in the shuffled order
/// (scikit-learn's `train_test_split`); without `rng`, the first rows train and the last test.
/// Both parts must be non-empty.
pub fn train_test_split(n: usize, test_fraction: f64, rng: Option<&mut Rng>) -> Result<Fold> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::invalid("test_fraction", test_fraction, "must lie in (0, 1)"));
    }
    let n_test = (test_fraction * n as f64).ceil() as usize;
    if n_test == 0 || n_test >= n {
        let reason = format!(
            "{n} samples leave {n_test} for the test set and {} to train",
            n.saturating_sub(n_test)
        );
        return Err(Error::invalid("test_fraction", test_fraction, reason));
    }
    let mut order: Vec<usize> = (0..n).collect();
    match rng {
        Some(rng) => {
            rng.shuffle(&mut order);
            let train = order.split_off(n_test);
            Ok(Fold { train, test: order })
        }
        None => {
            let test = order.split_off(n - n_test);
            Ok(Fold { train: order, test })
        }
    }
}

fn check_k(n: usize, k: usize) -> Result<()> {
    if k < 2 {
        return Err(Error::invalid("k", k, "need at least 2 folds"));
    }
    if k > n {
        return Err(Error::invalid("k", k, format!("more folds than the {n} samples")));
    }
    Ok(())
}

fn folds_from_assignment(fold_of: &[usize], k: usize) -> Vec<Fold> {
    (0..k)
        .map(|f| {
            let (test, train) = (0..fold_of.len()).partition(|&i| fold_of[i] == f);
            Fold { train, test }
        })
        .collect()
}

/// The scores of one cross-validation, their mean and population standard deviation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvScores {
    pub scores: Vec<f64>,
    pub mean: f64,
    pub std: f64,
}

impl CvScores {
    /// Summarises `scores` (at least one). A NaN score makes the mean and std NaN.
    pub fn from_scores(scores: Vec<f64>) -> Result<Self> {
        if scores.is_empty() {
            return Err(Error::invalid("scores", "[]", "no scores to summarise"));
        }
        let n = scores.len() as f64;
        let mean = scores.iter().sum::<f64>() / n;
        let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
        Ok(CvScores { scores, mean, std: var.sqrt() })
    }
}

/// Calls `fit_and_score` on every fold in order (fit on `fold.train`, score on `fold.test`) and
/// summarises the scores; the first error is returned as is.
pub fn cross_validate<F>(folds: &[Fold], mut fit_and_score: F) -> Result<CvScores>
where
    F: FnMut(&Fold) -> Result<f64>,
{
    if folds.is_empty() {
        return Err(Error::invalid("folds", "[]", "no folds to cross-validate on"));
    }
    let scores = folds.iter().map(&mut fit_and_score).collect::<Result<Vec<f64>>>()?;
    CvScores::from_scores(scores)
}

/// Which way a score improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Goal {
    /// Higher is better: accuracy, AUC, F1.
    Maximize,
    /// Lower is better: log loss, Brier score, error rate.
    Minimize,
}

/// A score of class probabilities against the true classes, to compare candidates by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    LogLoss,
    Accuracy,
    /// Two classes only: the area under the ROC curve of `P(class 1)`.
    RocAuc,
    Brier,
    F1Macro,
}

impl Metric {
    /// Which way the metric improves.
    pub fn goal(self) -> Goal {
        match self {
            Metric::LogLoss | Metric::Brier => Goal::Minimize,
            Metric::Accuracy | Metric::RocAuc | Metric::F1Macro => Goal::Maximize,
        }
    }

    /// Refuses a metric that does not apply to `n_classes` classes.
    pub fn check(self, n_classes: usize) -> Result<()> {
        if self == Metric::RocAuc && n_classes != 2 {
            let reason = format!("needs a binary target; the target has {n_classes} classes");
            return Err(Error::invalid("metric", "roc-auc", reason));
        }
        Ok(())
    }

    /// The score of the `(n, k)` row-major probabilities `proba` for the true classes `y`; the
    /// predicted class is the most probable one.
    pub fn score(self, y: &[usize], proba: &[f64], k: usize) -> Result<f64> {
        self.check(k)?;
        let pred: Vec<usize> = proba.chunks(k.max(1)).map(metrics::argmax).collect();
        match self {
            Metric::LogLoss => metrics::log_loss(y, proba),
            Metric::Brier => metrics::brier_score(y, proba),
            Metric::Accuracy => metrics::accuracy(y, &pred),
            Metric::F1Macro => Ok(metrics::precision_recall_f1(y, &pred, k)?.macro_avg.f1),
            Metric::RocAuc => {
                let p1: Vec<f64> = proba.chunks(2).map(|r| r[1]).collect();
                metrics::roc_auc(y, &p1)
            }
        }
    }
}

/// One candidate of a grid search with its cross-validated scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridRow<P> {
    pub value: P,
    pub cv: CvScores,
}

/// A grid search over one named hyper-parameter: every candidate's scores and the best one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridSearch<P> {
    pub param: String,
    pub goal: Goal,
    pub rows: Vec<GridRow<P>>,
    /// Index into `rows` of the best mean score (the first on a tie; NaN means never win).
    pub best: usize,
}

impl<P> GridSearch<P> {
    /// The row of the best candidate.
    pub fn best_row(&self) -> &GridRow<P> {
        &self.rows[self.best]
    }

    /// The best parameter value.
    pub fn best_value(&self) -> &P {
        &self.best_row().value
    }
}

/// Cross-validates every value of the parameter `param` on the same `folds`, calling
/// `fit_and_score(value, fold)`, and picks the best mean by `goal`. Errors on no values, no folds,
/// the first error of `fit_and_score`, or when every mean is NaN.
pub fn grid_search<P, F>(
    param: &str,
    values: &[P],
    folds: &[Fold],
    goal: Goal,
    mut fit_and_score: F,
) -> Result<GridSearch<P>>
where
    P: Clone,
    F: FnMut(&P, &Fold) -> Result<f64>,
{
    if values.is_empty() {
        return Err(Error::invalid("values", "[]", format!("no candidate values for `{param}`")));
    }
    let mut rows = Vec::with_capacity(values.len());
    for value in values {
        let cv = cross_validate(folds, |fold| fit_and_score(value, fold))?;
        rows.push(GridRow { value: value.clone(), cv });
    }
    let better = |a: f64, b: f64| match goal {
        Goal::Maximize => a > b,
        Goal::Minimize => a < b,
    };
    let best = (0..rows.len())
        .filter(|&i| !rows[i].cv.mean.is_nan())
        .reduce(|best, i| if better(rows[i].cv.mean, rows[best].cv.mean) { i } else { best })
        .ok_or_else(|| {
            Error::invalid("fit_and_score", "NaN", "every candidate's mean score is NaN")
        })?;
    Ok(GridSearch { param: param.to_string(), goal, rows, best })
}

impl<P: fmt::Display> fmt::Display for GridSearch<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<String> = self.rows.iter().map(|r| r.value.to_string()).collect();
        let width = values
            .iter()
            .map(|v| v.chars().count())
            .chain([self.param.chars().count()])
            .max()
            .unwrap_or(0);
        let goal = match self.goal {
            Goal::Maximize => "higher is better",
            Goal::Minimize => "lower is better",
        };
        writeln!(f, "  {:<width$} {:>10} {:>10}   ({goal})", self.param, "mean", "std")?;
        for (i, (row, value)) in self.rows.iter().zip(&values).enumerate() {
            let mark = if i == self.best { '*' } else { ' ' };
            writeln!(f, "{mark} {value:<width$} {:>10.4} {:>10.4}", row.cv.mean, row.cv.std)?;
        }
        match values.get(self.best) {
            Some(best) => write!(f, "best {} = {best}", self.param),
            None => Ok(()),
        }
    }
}
