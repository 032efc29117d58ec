//! [`Learner`], the update rules of the online logistic fits, and [`OnlineModel`], the state one
//! of them learns into row by row: per-coordinate arrays as wide as the hashed feature space
//! plus one slot for the bias, so a row costs time in its non-zeros only. Each row is predicted
//! before it is learned from (progressive validation, as Vowpal Wabbit reports it), so the
//! running log loss estimates the loss on unseen rows without a held-out set.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sparse::Csr;

/// The probability floor of the log loss (as scikit-learn's `log_loss` clips).
const EPS: f64 = 1e-15;

/// How the SGD step shrinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// The same rate for every row.
    Constant,
    /// `rate / sqrt(1 + t)` after `t` rows.
    InvSqrt,
}

/// An online update rule for the binary log loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "learner", rename_all = "lowercase")]
pub enum Learner {
    /// Plain stochastic gradient descent with an L2 penalty.
    Sgd { rate: f64, schedule: Schedule, l2: f64 },
    /// Adagrad (Duchi et al. 2011): each coordinate's step is `rate / sqrt(Σ g²)`.
    Adagrad { rate: f64, l2: f64 },
    /// FTRL-Proximal (McMahan et al. 2013, Algorithm 1): per-coordinate rates
    /// `(beta + sqrt(n)) / alpha`, L1 and L2, weights computed lazily from `z` and `n`.
    Ftrl { alpha: f64, beta: f64, l1: f64, l2: f64 },
}

impl Learner {
    /// Checks the settings: rates positive, penalties and `beta` non-negative, all finite.
    pub fn check(&self) -> Result<()> {
        let positive = |name: &'static str, x: f64| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(name, x, "must be a positive number"))
            }
        };
        let non_negative = |name: &'static str, x: f64| {
            if x.is_finite() && x >= 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(name, x, "must be a number ≥ 0"))
            }
        };
        match *self {
            Learner::Sgd { rate, l2, .. } | Learner::Adagrad { rate, l2 } => {
                positive("rate", rate)?;
                non_negative("l2", l2)
            }
            Learner::Ftrl { alpha, beta, l1, l2 } => {
                positive("alpha", alpha)?;
                non_negative("beta", beta)?;
                non_negative("l1", l1)?;
                non_negative("l2", l2)
            }
        }
    }

    /// FTRL's weight from a coordinate's `z` and `n` (the closed form of Algorithm 1); `z`
    /// itself for the other learners, whose state is the weight.
    pub(crate) fn weight_of(&self, z: f64, n: f64) -> f64 {
        let Learner::Ftrl { alpha, beta, l1, l2 } = *self else { return z };
        if z.abs() <= l1 {
            0.0
        } else {
            -(z - z.signum() * l1) / ((beta + n.sqrt()) / alpha + l2)
        }
    }

    /// The inverse of [`Learner::weight_of`] for a weight `w ≠ 0`: the `z` that gives `w` at `n`.
    pub(crate) fn state_of(&self, w: f64, n: f64) -> f64 {
        let Learner::Ftrl { alpha, beta, l1, l2 } = *self else { return w };
        -w * ((beta + n.sqrt()) / alpha + l2) - w.signum() * l1
    }

    /// The learner's name: `sgd`, `adagrad` or `ftrl`.
    pub fn name(&self) -> &'static str {
        match self {
            Learner::Sgd { .. } => "sgd",
            Learner::Adagrad { .. } => "adagrad",
            Learner::Ftrl { .. } => "ftrl",
        }
    }
}

/// Where a stream stands: rows learned, passes, the progressive loss.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Rows learned from, over all passes.
    pub rows: u64,
    /// The pass under way (0 for the first).
    pub pass: u32,
    /// Rows of the current pass learned from.
    pub rows_in_pass: u64,
    /// The sum of the (importance-weighted) log losses of every row, each before it was learned.
    pub loss_sum: f64,
    /// The sum of the importance weights behind `loss_sum`.
    pub weight_sum: f64,
    /// `loss_sum` and `weight_sum` at the last report (for the loss since then).
    pub reported_loss: f64,
    pub reported_weight: f64,
    /// The row count of the next report (1, 2, 4, ...).
    pub next_report: u64,
}

/// The progressive loss after `rows` rows, reported every power of two as Vowpal Wabbit does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    pub rows: u64,
    pub pass: u32,
    /// The mean log loss of all rows so far.
    pub average_loss: f64,
    /// The mean log loss of the rows since the previous report.
    pub since_last: f64,
}

impl Progress {
    /// The mean progressive log loss so far (`NaN` before any row).
    pub fn average_loss(&self) -> f64 {
        self.loss_sum / self.weight_sum
    }
}

/// The state of an online logistic fit over `n_features` columns; see the module docs.
#[derive(Debug, Clone)]
pub struct OnlineModel {
    learner: Learner,
    n_features: usize,
    /// SGD and Adagrad: the weights; FTRL: `z`. The bias is the last slot.
    a: Vec<f64>,
    /// Adagrad: the sums of squared gradients; FTRL: `n`; SGD: empty.
    b: Vec<f64>,
    pub progress: Progress,
    /// The active coordinates' weights of the row under way (FTRL), kept to save allocations.
    scratch: Vec<f64>,
}

/// Equal state: learner, width, arrays (bit for bit) and progress.
impl PartialEq for OnlineModel {
    fn eq(&self, other: &OnlineModel) -> bool {
        let same = |x: &[f64], y: &[f64]| {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits())
        };
        self.learner == other.learner
            && self.n_features == other.n_features
            && same(&self.a, &other.a)
            && same(&self.b, &other.b)
            && self.progress == other.progress
    }
}

impl OnlineModel {
    /// A model of zero weights over `n_features` columns and a bias.
    pub fn new(learner: Learner, n_features: usize) -> Result<OnlineModel> {
        learner.check()?;
        let b = match learner {
            Learner::Sgd { .. } => Vec::new(),
            _ => vec![0.0; n_features + 1],
        };
        let progress = Progress { next_report: 1, ..Progress::default() };
        Ok(OnlineModel {
            learner,
            n_features,
            a: vec![0.0; n_features + 1],
            b,
            progress,
            scratch: Vec::new(),
        })
    }

    /// A model from its saved parts (see `checkpoint.rs`), the arrays checked for length.
    pub(crate) fn from_parts(
        learner: Learner,
        n_features: usize,
        a: Vec<f64>,
        b: Vec<f64>,
        progress: Progress,
    ) -> Result<OnlineModel> {
        let fresh = OnlineModel::new(learner, n_features)?;
        if a.len() != fresh.a.len() || b.len() != fresh.b.len() {
            return Err(Error::invalid(
                "checkpoint",
                format!("{} and {} values", a.len(), b.len()),
                format!(
                    "expected {} and {} for {n_features} features",
                    fresh.a.len(),
                    fresh.b.len()
                ),
            ));
        }
        Ok(OnlineModel { a, b, progress, ..fresh })
    }

    pub fn learner(&self) -> Learner {
        self.learner
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The raw state arrays (`a`, `b`), for checkpoints.
    pub(crate) fn state(&self) -> (&[f64], &[f64]) {
        (&self.a, &self.b)
    }

    /// The raw state arrays, to merge the models of several processes (`ranks.rs`).
    pub(super) fn state_mut(&mut self) -> (&mut [f64], &mut [f64]) {
        (&mut self.a, &mut self.b)
    }

    /// FTRL's weight of coordinate `i` from `z` and `n` (the closed form of Algorithm 1).
    fn ftrl_weight(&self, i: usize) -> f64 {
        match self.learner {
            Learner::Ftrl { .. } => self.learner.weight_of(self.a[i], self.b[i]),
            _ => self.a[i],
        }
    }

    /// The weights (the bias last): FTRL's computed from `z` and `n`.
    pub fn weights(&self) -> Vec<f64> {
        (0..=self.n_features).map(|i| self.ftrl_weight(i)).collect()
    }

    /// The probability that a row is positive.
    pub fn predict_row(&self, indices: &[u32], values: &[f64]) -> f64 {
        let bias = self.ftrl_weight(self.n_features);
        let dot: f64 =
            indices.iter().zip(values).map(|(&j, &v)| self.ftrl_weight(j as usize) * v).sum();
        sigmoid(dot + bias)
    }

    /// Learns one row of label `y` (0 or 1) and importance `weight`; returns its log loss as
    /// predicted before the update. Column indices must be below `n_features`.
    pub fn learn_row(&mut self, indices: &[u32], values: &[f64], y: f64, weight: f64) -> f64 {
        let bias = self.n_features;
        let p = match self.learner {
            Learner::Ftrl { .. } => {
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                scratch.extend(indices.iter().map(|&j| self.ftrl_weight(j as usize)));
                let wb = self.ftrl_weight(bias);
                let dot: f64 = scratch.iter().zip(values).map(|(w, v)| w * v).sum::<f64>() + wb;
                let p = sigmoid(dot);
                let g = (p - y) * weight;
                for ((&j, &v), &w) in indices.iter().zip(values).zip(&scratch) {
                    self.ftrl_update(j as usize, g * v, w);
                }
                self.ftrl_update(bias, g, wb);
                self.scratch = scratch;
                p
            }
            Learner::Adagrad { rate, l2 } => {
                let p = self.predict_row(indices, values);
                let g = (p - y) * weight;
                let step = |w: &mut f64, acc: &mut f64, gi: f64| {
                    let gi = gi + l2 * *w;
                    *acc += gi * gi;
                    if *acc > 0.0 {
                        *w -= rate * gi / acc.sqrt();
                    }
                };
                for (&j, &v) in indices.iter().zip(values) {
                    let j = j as usize;
                    step(&mut self.a[j], &mut self.b[j], g * v);
                }
                step(&mut self.a[bias], &mut self.b[bias], g);
                p
            }
            Learner::Sgd { rate, schedule, l2 } => {
                let p = self.predict_row(indices, values);
                let eta = match schedule {
                    Schedule::Constant => rate,
                    Schedule::InvSqrt => rate / (1.0 + self.progress.rows as f64).sqrt(),
                };
                let g = (p - y) * weight;
                for (&j, &v) in indices.iter().zip(values) {
                    let w = &mut self.a[j as usize];
                    *w -= eta * (g * v + l2 * *w);
                }
                self.a[bias] -= eta * g;
                p
            }
        };
        let loss = log_loss(p, y) * weight;
        let progress = &mut self.progress;
        progress.rows += 1;
        progress.rows_in_pass += 1;
        progress.loss_sum += loss;
        progress.weight_sum += weight;
        loss
    }

    /// One FTRL step of coordinate `i` with gradient `g` and current weight `w`.
    fn ftrl_update(&mut self, i: usize, g: f64, w: f64) {
        let Learner::Ftrl { alpha, .. } = self.learner else { return };
        let n = self.b[i];
        let sigma = ((n + g * g).sqrt() - n.sqrt()) / alpha;
        self.a[i] += g - sigma * w;
        self.b[i] = n + g * g;
    }

    /// Learns the rows of `x` in order (labels 0/1, importance weights or 1), returning the
    /// reports due during the batch (at 1, 2, 4, ... rows). A row wider than the model, or
    /// labels of the wrong length, is an error.
    pub fn learn_batch(
        &mut self,
        x: &Csr,
        labels: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Vec<Report>> {
        self.check_batch(x, labels, weights)?;
        let mut reports = Vec::new();
        for (i, &y) in labels.iter().enumerate() {
            let (indices, values) = x.row(i);
            self.learn_row(indices, values, y, weights.map_or(1.0, |w| w[i]));
            if self.progress.rows >= self.progress.next_report {
                reports.push(self.report());
            }
        }
        Ok(reports)
    }

    /// Checks that `x` fits the model and that `labels` (and `weights`) have a value per row.
    pub(super) fn check_batch(
        &self,
        x: &Csr,
        labels: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<()> {
        if x.n_cols() > self.n_features {
            return Err(Error::invalid(
                "x",
                x.n_cols(),
                format!("rows are wider than the model's {} features", self.n_features),
            ));
        }
        if labels.len() != x.n_rows() || weights.is_some_and(|w| w.len() != x.n_rows()) {
            return Err(Error::invalid("labels", labels.len(), "one label (and weight) per row"));
        }
        Ok(())
    }

    /// The report of the rows so far, and the next one due at twice as many rows.
    pub fn report(&mut self) -> Report {
        let p = &mut self.progress;
        let since = (p.loss_sum - p.reported_loss) / (p.weight_sum - p.reported_weight);
        let report = Report {
            rows: p.rows,
            pass: p.pass,
            average_loss: p.average_loss(),
            since_last: since,
        };
        p.reported_loss = p.loss_sum;
        p.reported_weight = p.weight_sum;
        p.next_report = (p.rows * 2).max(1);
        report
    }

    /// Marks the end of a pass.
    pub fn end_pass(&mut self) {
        self.progress.pass += 1;
        self.progress.rows_in_pass = 0;
    }
}

/// The logistic function, stable for large |z|.
fn sigmoid(z: f64) -> f64 {
    let z = z.clamp(-35.0, 35.0);
    1.0 / (1.0 + (-z).exp())
}

/// The log loss of probability `p` for label `y` (0/1), `p` clipped to `[EPS, 1 − EPS]`.
fn log_loss(p: f64, y: f64) -> f64 {
    let p = p.clamp(EPS, 1.0 - EPS);
    -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
}
