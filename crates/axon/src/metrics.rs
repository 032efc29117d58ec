//! Evaluation metrics for classifiers: how good a fitted model's predictions are on held-out data.
//! Every function here agrees with scikit-learn (the committed fixture
//! `tests/fixtures/metrics.json` holds its values and version) and fails with an [`Error`] instead
//! of a panic on bad input: mismatched lengths, empty input, a label outside `0..n_classes`,
//! probabilities outside `[0, 1]` or rows that do not sum to one.
//!
//! Labels are class indices `usize` in `0..K`. Probabilities come in two layouts, told apart by
//! length: `n` values are `P(y = 1)` of a binary problem; `n × K` values (`K ≥ 2`, row-major) are
//! one probability row per sample. With `p_i` the probability given to sample `i`'s true class,
//! weights `w_i` (all ones when none are given) and `ε` the f64 machine epsilon:
//!
//! - accuracy `= Σ w_i [ŷ_i = y_i] / Σ w_i`
//! - log loss `= −Σ w_i log clip(p_i, ε, 1 − ε) / Σ w_i` (scikit-learn ≥ 1.5 clips with the
//!   dtype's epsilon, not 1e-15)
//! - Brier score `= Σ w_i Σ_k (y_ik − p_ik)² / Σ w_i`, halved for two classes (scikit-learn's
//!   `scale_by_half="auto"`), which is the binary `mean (y − p)²`
//! - ROC AUC: the trapezoidal area under the ROC curve, one curve point per distinct score, so
//!   tied scores count one half as the Mann–Whitney statistic does; the curve itself
//!   ([`roc_curve`]) and the precision–recall curve ([`precision_recall_curve`]) as scikit-learn
//!   gives them with `drop_intermediate=False` (fixture `tests/fixtures/curves.json`)
//! - precision `tp / (tp + fp)`, recall `tp / (tp + fn)`, F1 `2 tp / (2 tp + fp + fn)` per class,
//!   with their unweighted (macro) and support-weighted means.
//!
//! Zero division follows scikit-learn's default `zero_division="warn"`: an undefined precision (a
//! class never predicted) or recall (a class absent from `y_true`) is set to 0 and the class is
//! listed in [`PrecisionRecallF1::undefined_precision`] / [`PrecisionRecallF1::undefined_recall`]
//! instead of a printed warning; a [`ClassificationReport`] prints those lists as notes.
//! Where scikit-learn only warns, axon is stricter: probability rows must sum to one within
//! [`ROW_SUM_TOL`], and ROC AUC with a single class in `y_true` is an error, not NaN.

use std::fmt;

use serde::Serialize;

use crate::error::{Error, Result};

/// Largest distance from one allowed for the sum of a probability row.
pub const ROW_SUM_TOL: f64 = 1e-6;

/// Log loss clips probabilities to `[LOG_LOSS_EPS, 1 − LOG_LOSS_EPS]` before the logarithm.
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// Fraction of predictions equal to the true label.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    accuracy_weighted(y_true, y_pred, None)
}

/// Weighted fraction of correct predictions, `Σ w_i [ŷ_i = y_i] / Σ w_i`.
pub fn accuracy_weighted(
    y_true: &[usize],
    y_pred: &[usize],
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_lengths("y_pred", y_true.len(), y_pred.len())?;
    check_weights(weights, y_true.len())?;
    let correct = y_true.iter().zip(y_pred).map(|(t, p)| f64::from(u8::from(t == p)));
    Ok(weighted_mean(correct, weights))
}

/// Mean negative log-likelihood of the true labels (cross-entropy). `proba` is `P(y = 1)` per
/// sample (binary, length `n`) or `n × K` row-major class probabilities.
pub fn log_loss(y_true: &[usize], proba: &[f64]) -> Result<f64> {
    log_loss_weighted(y_true, proba, None)
}

/// [`log_loss`] with sample weights.
pub fn log_loss_weighted(y_true: &[usize], proba: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    let k = check_proba(y_true, proba, weights)?;
    let clip = |p: f64| p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
    let losses: Vec<f64> = if k == 1 {
        y_true
            .iter()
            .zip(proba)
            .map(|(&y, &p)| -clip(if y == 1 { p } else { 1.0 - p }).ln())
            .collect()
    } else {
        y_true.iter().zip(proba.chunks_exact(k)).map(|(&y, row)| -clip(row[y]).ln()).collect()
    };
    Ok(weighted_mean(losses.into_iter(), weights))
}

/// Brier score: mean squared distance between the one-hot label and the probabilities; for a
/// binary problem (`n` values of `P(y = 1)`, or `n × 2`) this is `mean (y − p)²`.
pub fn brier_score(y_true: &[usize], proba: &[f64]) -> Result<f64> {
    brier_score_weighted(y_true, proba, None)
}

/// [`brier_score`] with sample weights.
pub fn brier_score_weighted(
    y_true: &[usize],
    proba: &[f64],
    weights: Option<&[f64]>,
) -> Result<f64> {
    let k = check_proba(y_true, proba, weights)?;
    let one_hot = |y: usize, c: usize| f64::from(u8::from(y == c));
    let rows: Vec<f64> = if k == 1 {
        // As scikit-learn: expand to the rows [1 − p, p], sum both squares, halve below.
        let row = |y: usize, p: f64| {
            ((1.0 - one_hot(y, 1)) - (1.0 - p)).powi(2) + (one_hot(y, 1) - p).powi(2)
        };
        y_true.iter().zip(proba).map(|(&y, &p)| row(y, p)).collect()
    } else {
        let row = |y: usize, r: &[f64]| {
            r.iter().enumerate().map(|(c, &p)| (one_hot(y, c) - p).powi(2)).sum()
        };
        y_true.iter().zip(proba.chunks_exact(k)).map(|(&y, r)| row(y, r)).collect()
    };
    let score = weighted_mean(rows.into_iter(), weights);
    Ok(if k <= 2 { 0.5 * score } else { score })
}

/// Area under the ROC curve of a binary problem: `y_true` in `{0, 1}`, `scores` any finite values
/// ranking class 1 higher (probabilities, logits, decision values).
pub fn roc_auc(y_true: &[usize], scores: &[f64]) -> Result<f64> {
    roc_auc_weighted(y_true, scores, None)
}

/// [`roc_auc`] with sample weights (each sample counts `w_i` times in the true and false positive
/// rates).
pub fn roc_auc_weighted(y_true: &[usize], scores: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check_lengths("scores", y_true.len(), scores.len())?;
    check_weights(weights, y_true.len())?;
    check_labels("y_true", y_true, 2)?;
    check_finite("scores", scores)?;
    if y_true.iter().all(|&y| y == y_true[0]) {
        return Err(Error::invalid(
            "y_true",
            format!("all {}", y_true[0]),
            "ROC AUC needs both classes",
        ));
    }
    let (fps, tps) = roc_points(y_true, scores, weights);
    let (fp_total, tp_total) = (fps[fps.len() - 1], tps[tps.len() - 1]);
    if fp_total <= 0.0 || tp_total <= 0.0 {
        return Err(Error::invalid("weights", "zero on one class", "ROC AUC needs both classes"));
    }
    let area = (1..fps.len())
        .map(|i| {
            let dx = fps[i] / fp_total - fps[i - 1] / fp_total;
            dx * (tps[i] / tp_total + tps[i - 1] / tp_total) / 2.0
        })
        .sum();
    Ok(area)
}

/// Cumulative (false, true) positive weights at each distinct score, highest score first,
/// starting from the point (0, 0).
fn roc_points(y_true: &[usize], scores: &[f64], weights: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
    let (fps, tps, _) = curve_counts(y_true, scores, weights);
    ([0.0].into_iter().chain(fps).collect(), [0.0].into_iter().chain(tps).collect())
}

/// Cumulative (false, true) positive weights of the samples scoring at least each distinct
/// score, with those scores, highest first (scikit-learn's `_binary_clf_curve`).
fn curve_counts(
    y_true: &[usize],
    scores: &[f64],
    weights: Option<&[f64]>,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..y_true.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut fps, mut tps, mut thresholds) = (vec![], vec![], vec![]);
    let (mut fp, mut tp) = (0.0, 0.0);
    for (pos, &i) in order.iter().enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        if y_true[i] == 1 {
            tp += w;
        } else {
            fp += w;
        }
        if order.get(pos + 1).is_none_or(|&next| scores[next] != scores[i]) {
            fps.push(fp);
            tps.push(tp);
            thresholds.push(scores[i]);
        }
    }
    (fps, tps, thresholds)
}

/// The ROC curve of a binary problem, as scikit-learn's `roc_curve(drop_intermediate=False)`:
/// one point per distinct score (highest first) after the point (0, 0), whose threshold is
/// `+∞`; point `i` is the (false, true) positive rate of predicting 1 for scores `≥
/// thresholds[i]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RocCurve {
    pub fpr: Vec<f64>,
    pub tpr: Vec<f64>,
    pub thresholds: Vec<f64>,
}

/// The [`RocCurve`] of `scores` ranking class 1 of `y_true` (both classes present) higher.
pub fn roc_curve(y_true: &[usize], scores: &[f64]) -> Result<RocCurve> {
    check_curve_input(y_true, scores)?;
    if y_true.iter().all(|&y| y == y_true[0]) {
        let value = format!("all {}", y_true[0]);
        return Err(Error::invalid("y_true", value, "a ROC curve needs both classes"));
    }
    let (fps, tps, thresholds) = curve_counts(y_true, scores, None);
    let (fp_total, tp_total) = (fps[fps.len() - 1], tps[tps.len() - 1]);
    Ok(RocCurve {
        fpr: [0.0].into_iter().chain(fps.iter().map(|f| f / fp_total)).collect(),
        tpr: [0.0].into_iter().chain(tps.iter().map(|t| t / tp_total)).collect(),
        thresholds: [f64::INFINITY].into_iter().chain(thresholds).collect(),
    })
}

/// The precision–recall curve of a binary problem, as scikit-learn's `precision_recall_curve`
/// (scikit-learn ≥ 1.3 layout, `drop_intermediate=False`): thresholds are the distinct scores in
/// increasing order, point `i` the precision `tp / (tp + fp)` and recall `tp / P` of predicting 1
/// for scores `≥ thresholds[i]`, and a last point (recall 0, precision 1) with no threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrecisionRecallCurve {
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub thresholds: Vec<f64>,
}

/// The [`PrecisionRecallCurve`] of `scores` ranking class 1 of `y_true` (at least one sample
/// of class 1) higher.
pub fn precision_recall_curve(y_true: &[usize], scores: &[f64]) -> Result<PrecisionRecallCurve> {
    check_curve_input(y_true, scores)?;
    if !y_true.contains(&1) {
        return Err(Error::invalid("y_true", "all 0", "a precision–recall curve needs class 1"));
    }
    let (fps, tps, mut thresholds) = curve_counts(y_true, scores, None);
    let tp_total = tps[tps.len() - 1];
    let mut precision: Vec<f64> = tps.iter().zip(&fps).map(|(t, f)| t / (t + f)).collect();
    let mut recall: Vec<f64> = tps.iter().map(|t| t / tp_total).collect();
    precision.reverse();
    recall.reverse();
    thresholds.reverse();
    precision.push(1.0);
    recall.push(0.0);
    Ok(PrecisionRecallCurve { precision, recall, thresholds })
}

fn check_curve_input(y_true: &[usize], scores: &[f64]) -> Result<()> {
    check_lengths("scores", y_true.len(), scores.len())?;
    check_labels("y_true", y_true, 2)?;
    check_finite("scores", scores)
}

/// Counts `C[t][p]` of samples with true class `t` predicted as `p`, for classes `0..n_classes`.
pub fn confusion_matrix(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
) -> Result<Vec<Vec<usize>>> {
    check_lengths("y_pred", y_true.len(), y_pred.len())?;
    check_labels("y_true", y_true, n_classes)?;
    check_labels("y_pred", y_pred, n_classes)?;
    let mut counts = vec![vec![0; n_classes]; n_classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        counts[t][p] += 1;
    }
    Ok(counts)
}

/// Precision, recall, F1 and support (number of true samples) of one class, or their average.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Per-class precision, recall and F1 with their macro (unweighted) and support-weighted means;
/// the averages' `support` is the number of samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrecisionRecallF1 {
    pub per_class: Vec<ClassMetrics>,
    pub macro_avg: ClassMetrics,
    pub weighted_avg: ClassMetrics,
    /// Classes never predicted: precision `0/0`, set to 0 (scikit-learn warns).
    pub undefined_precision: Vec<usize>,
    /// Classes absent from `y_true`: recall `0/0`, set to 0 (scikit-learn warns).
    pub undefined_recall: Vec<usize>,
}

/// Precision, recall and F1 of every class `0..n_classes` (see [`PrecisionRecallF1`]).
pub fn precision_recall_f1(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
) -> Result<PrecisionRecallF1> {
    let counts = confusion_matrix(y_true, y_pred, n_classes)?;
    Ok(prf_from_confusion(&counts))
}

fn prf_from_confusion(counts: &[Vec<usize>]) -> PrecisionRecallF1 {
    let ratio = |num: usize, den: usize| if den == 0 { 0.0 } else { num as f64 / den as f64 };
    let k = counts.len();
    let mut out = PrecisionRecallF1 {
        per_class: Vec::with_capacity(k),
        macro_avg: ClassMetrics { precision: 0.0, recall: 0.0, f1: 0.0, support: 0 },
        weighted_avg: ClassMetrics { precision: 0.0, recall: 0.0, f1: 0.0, support: 0 },
        undefined_precision: Vec::new(),
        undefined_recall: Vec::new(),
    };
    for c in 0..k {
        let tp = counts[c][c];
        let true_sum: usize = counts[c].iter().sum();
        let pred_sum: usize = counts.iter().map(|row| row[c]).sum();
        if pred_sum == 0 {
            out.undefined_precision.push(c);
        }
        if true_sum == 0 {
            out.undefined_recall.push(c);
        }
        let (precision, recall, f1) =
            (ratio(tp, pred_sum), ratio(tp, true_sum), ratio(2 * tp, true_sum + pred_sum));
        out.per_class.push(ClassMetrics { precision, recall, f1, support: true_sum });
    }
    out.macro_avg = average(&out.per_class, |_| 1.0);
    out.weighted_avg = average(&out.per_class, |m| m.support as f64);
    out
}

/// Weighted mean of the per-class metrics; the support of the result is the total support.
fn average(per_class: &[ClassMetrics], weight: impl Fn(&ClassMetrics) -> f64) -> ClassMetrics {
    let total: f64 = per_class.iter().map(&weight).sum();
    let mean = |f: fn(&ClassMetrics) -> f64| {
        let s: f64 = per_class.iter().map(|m| f(m) * weight(m)).sum();
        if total > 0.0 {
            s / total
        } else {
            0.0
        }
    };
    ClassMetrics {
        precision: mean(|m| m.precision),
        recall: mean(|m| m.recall),
        f1: mean(|m| m.f1),
        support: per_class.iter().map(|m| m.support).sum(),
    }
}

/// Everything above for one set of predictions, serialisable and printable as a table in the
/// manner of scikit-learn's `classification_report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationReport {
    pub n_samples: usize,
    pub n_classes: usize,
    pub accuracy: f64,
    pub scores: PrecisionRecallF1,
    /// `confusion[t][p]`: samples of true class `t` predicted as `p`.
    pub confusion: Vec<Vec<usize>>,
    /// Present when the report was made from probabilities.
    pub log_loss: Option<f64>,
    /// Present when made from probabilities.
    pub brier: Option<f64>,
    /// Present for binary probabilities with both classes in `y_true`.
    pub roc_auc: Option<f64>,
}

impl ClassificationReport {
    /// A report on hard predictions (no log loss, Brier score or AUC).
    pub fn from_predictions(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Self> {
        let confusion = confusion_matrix(y_true, y_pred, n_classes)?;
        Ok(ClassificationReport {
            n_samples: y_true.len(),
            n_classes,
            accuracy: accuracy(y_true, y_pred)?,
            scores: prf_from_confusion(&confusion),
            confusion,
            log_loss: None,
            brier: None,
            roc_auc: None,
        })
    }

    /// A report on probabilities (`n` values of `P(y = 1)` with `n_classes = 2`, or `n × K`
    /// rows); the predicted class is the most probable one (the first on a tie, so `p = 0.5`
    /// predicts class 0).
    pub fn from_probabilities(y_true: &[usize], proba: &[f64], n_classes: usize) -> Result<Self> {
        let k = check_proba(y_true, proba, None)?;
        let binary_col = match (k, n_classes) {
            (1, 2) => proba.to_vec(),
            (k, n) if k == n && k >= 2 => proba.chunks_exact(k).map(|r| r[1]).collect(),
            _ => {
                let n = y_true.len();
                let reason = format!(
                    "{n_classes} classes need {n} × {n_classes} values, or {n} of P(y = 1) for 2"
                );
                return Err(Error::invalid("proba", format!("{} values", proba.len()), reason));
            }
        };
        let y_pred: Vec<usize> = if k == 1 {
            proba.iter().map(|&p| usize::from(p > 0.5)).collect()
        } else {
            proba.chunks_exact(k).map(argmax).collect()
        };
        let mut report = Self::from_predictions(y_true, &y_pred, n_classes)?;
        report.log_loss = Some(log_loss(y_true, proba)?);
        report.brier = Some(brier_score(y_true, proba)?);
        let both = y_true.contains(&0) && y_true.contains(&1);
        if n_classes == 2 && both {
            report.roc_auc = Some(roc_auc(y_true, &binary_col)?);
        }
        Ok(report)
    }
}

/// Index of the largest value, the first on a tie (as NumPy's `argmax`), so `p = 0.5` of two
/// classes predicts class 0.
pub fn argmax(row: &[f64]) -> usize {
    (1..row.len()).fold(0, |best, c| if row[c] > row[best] { c } else { best })
}

impl fmt::Display for ClassificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, name: &str, m: &ClassMetrics| {
            writeln!(
                f,
                "{name:>12} {:>10.4} {:>10.4} {:>10.4} {:>10}",
                m.precision, m.recall, m.f1, m.support
            )
        };
        writeln!(
            f,
            "{:>12} {:>10} {:>10} {:>10} {:>10}",
            "", "precision", "recall", "f1-score", "support"
        )?;
        writeln!(f)?;
        for (c, m) in self.scores.per_class.iter().enumerate() {
            row(f, &c.to_string(), m)?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:>12} {:>10} {:>10} {:>10.4} {:>10}",
            "accuracy", "", "", self.accuracy, self.n_samples
        )?;
        row(f, "macro avg", &self.scores.macro_avg)?;
        row(f, "weighted avg", &self.scores.weighted_avg)?;
        self.fmt_confusion(f)?;
        self.fmt_probability_scores(f)?;
        self.fmt_notes(f)
    }
}

impl ClassificationReport {
    fn fmt_confusion(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .confusion
            .iter()
            .flatten()
            .chain([&self.n_classes])
            .map(|v| v.to_string().len())
            .max()
            .unwrap_or(1)
            + 2;
        writeln!(f, "\nconfusion matrix (rows: true class, columns: predicted class)")?;
        write!(f, "{:>12}", "")?;
        for c in 0..self.n_classes {
            write!(f, "{c:>width$}")?;
        }
        writeln!(f)?;
        for (t, counts) in self.confusion.iter().enumerate() {
            write!(f, "{t:>12}")?;
            for v in counts {
                write!(f, "{v:>width$}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }

    fn fmt_probability_scores(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named =
            [("log loss", self.log_loss), ("Brier score", self.brier), ("ROC AUC", self.roc_auc)];
        let parts: Vec<String> =
            named.iter().filter_map(|(n, v)| v.map(|v| format!("{n} {v:.4}"))).collect();
        if !parts.is_empty() {
            writeln!(f, "\n{}", parts.join("   "))?;
        }
        Ok(())
    }

    fn fmt_notes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |c: &[usize]| c.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
        if !self.scores.undefined_precision.is_empty() {
            writeln!(
                f,
                "\nnote: precision set to 0 for classes never predicted: {}",
                list(&self.scores.undefined_precision)
            )?;
        }
        if !self.scores.undefined_recall.is_empty() {
            writeln!(
                f,
                "note: recall set to 0 for classes absent from y_true: {}",
                list(&self.scores.undefined_recall)
            )?;
        }
        Ok(())
    }
}

// ---- validation helpers -------------------------------------------------------------------

fn check_lengths(name: &'static str, n_true: usize, n_other: usize) -> Result<()> {
    if n_true == 0 {
        return Err(Error::invalid("y_true", "[]", "no samples"));
    }
    if n_true != n_other {
        return Err(Error::invalid(
            name,
            format!("{n_other} values"),
            format!("y_true has {n_true}"),
        ));
    }
    Ok(())
}

fn check_labels(name: &'static str, labels: &[usize], n_classes: usize) -> Result<()> {
    match labels.iter().position(|&y| y >= n_classes) {
        Some(i) => Err(Error::invalid(
            name,
            labels[i],
            format!("sample {i}: label outside 0..{n_classes}"),
        )),
        None => Ok(()),
    }
}

fn check_finite(name: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::invalid(name, values[i], format!("element {i} is not finite"))),
        None => Ok(()),
    }
}

/// Weights: one per sample, finite, non-negative, with a positive sum.
fn check_weights(weights: Option<&[f64]>, n: usize) -> Result<()> {
    let Some(w) = weights else { return Ok(()) };
    check_lengths("weights", n, w.len())?;
    if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(Error::invalid(
            "weights",
            w[i],
            format!("element {i} is not a finite value ≥ 0"),
        ));
    }
    if w.iter().sum::<f64>() <= 0.0 {
        return Err(Error::invalid("weights", "all zero", "weights must have a positive sum"));
    }
    Ok(())
}

/// Checks labels, probabilities and weights; returns the row width `K` (1 for binary `P(y = 1)`).
fn check_proba(y_true: &[usize], proba: &[f64], weights: Option<&[f64]>) -> Result<usize> {
    let n = y_true.len();
    if n == 0 {
        return Err(Error::invalid("y_true", "[]", "no samples"));
    }
    if proba.is_empty() || !proba.len().is_multiple_of(n) {
        let reason = format!("need {n} values of P(y = 1) or {n} rows of K ≥ 2 probabilities");
        return Err(Error::invalid("proba", format!("{} values", proba.len()), reason));
    }
    check_weights(weights, n)?;
    if let Some(i) = proba.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::invalid(
            "proba",
            proba[i],
            format!("element {i} is not a probability in [0, 1]"),
        ));
    }
    let k = proba.len() / n;
    check_labels("y_true", y_true, k.max(2))?;
    if k > 1 {
        if let Some((i, row)) = proba
            .chunks_exact(k)
            .enumerate()
            .find(|(_, r)| (r.iter().sum::<f64>() - 1.0).abs() > ROW_SUM_TOL)
        {
            let sum: f64 = row.iter().sum();
            return Err(Error::invalid(
                "proba",
                format!("row {i} summing to {sum}"),
                "each row must sum to 1",
            ));
        }
    }
    Ok(k)
}

/// `Σ w_i v_i / Σ w_i`, or the plain mean without weights.
fn weighted_mean(values: impl Iterator<Item = f64>, weights: Option<&[f64]>) -> f64 {
    match weights {
        None => {
            let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            sum / n as f64
        }
        Some(w) => values.zip(w).map(|(v, w)| v * w).sum::<f64>() / w.iter().sum::<f64>(),
    }
}
