//! Cross-validation of a linear model with its preprocessing inside the fold, as scikit-learn's
//! `cross_val_score` does with a `Pipeline`: for each fold the [`Encoder`] (categorical levels,
//! the basis expansion, the means and standard deviations of `standardize`, the target's
//! classes) is fitted on the training rows only, the model is fitted on their design matrix by
//! the caller's fit function, and the held-out rows are transformed by that encoder and scored.
//! A fold's fit is therefore exactly a plain fit on the fold's training rows; nothing learned
//! from the held-out rows leaks into it.
//!
//! [`Encoder`]: crate::data::Encoder

use super::model::{row_major, LinearModel};
use crate::cv::{stratified_kfold, Fold, Metric};
use crate::data::{Design, DesignSpec, Frame};
use crate::error::Result;
use crate::rng::Rng;

/// One fold's model and its probabilities for the held-out rows.
#[derive(Debug, Clone)]
pub struct FoldFit {
    /// Fitted, with its encoder, on the fold's training rows.
    pub model: LinearModel,
    /// `(n_test, K)` row-major.
    pub proba: Vec<f64>,
    /// The true classes of the held-out rows.
    pub y: Vec<usize>,
}

impl FoldFit {
    /// The held-out rows' score by `metric`.
    pub fn score(&self, metric: Metric) -> Result<f64> {
        metric.score(&self.y, &self.proba, self.model.classes().len())
    }
}

/// `k` stratified folds of the rows of `frame` by the classes of its `target` column, shuffled
/// by a generator seeded with `seed` (the same seed, the same folds).
pub fn stratified_folds(frame: &Frame, target: &str, k: usize, seed: u64) -> Result<Vec<Fold>> {
    let column = frame.column(target)?;
    let classes = column.distinct_labels();
    let labels: Vec<usize> = (0..frame.n_rows)
        .map(|i| classes.iter().position(|c| *c == column.label(i)).unwrap_or(0))
        .collect();
    stratified_kfold(&labels, k, Some(&mut Rng::seed(seed)))
}

/// Fits the preprocessing `spec` describes and, by `fit`, the model on the training rows of
/// `fold`, and predicts its held-out rows.
pub fn fit_fold<F>(frame: &Frame, spec: &DesignSpec, fold: &Fold, fit: F) -> Result<FoldFit>
where
    F: FnOnce(&Design) -> Result<LinearModel>,
{
    let design = Design::new(&frame.take_rows(&fold.train), spec)?;
    let model = fit(&design)?;
    let test = frame.take_rows(&fold.test);
    let proba = row_major(&model.predict_proba(&test)?);
    let y = model.encoder.transform_target(&test)?.into_iter().map(|c| c as usize).collect();
    Ok(FoldFit { model, proba, y })
}
