//! Training a classifier network on a [`Dataset`] from a description of it, the whole of what
//! `axon train` does between reading the data and writing the files: build the architecture
//! (seeded), make the optimizer, run [`fit_classifier`] over mini-batches of the training rows
//! (shuffled by the same seeded generator) with the validation rows for early stopping, and
//! score the final network on the test rows.
//!
//! [`NetworkOptions`] also chooses the hidden layers and output ([`LayerOptions`]: activation
//! and leaky slope, dropout, batch norm, a single sigmoid output), class weights
//! ([`ClassWeight::Balanced`]: `n / (K · n_k)` from the training rows' class counts, as
//! scikit-learn) and a learning-rate schedule ([`ScheduleChoice`]). Before training, a feature
//! that alone separates a two-class target almost perfectly is warned about
//! ([`crate::data::separating_features`]): it is probably the target in disguise.
//!
//! One [`Rng`] seeded with [`NetworkOptions::seed`] initialises the weights and then hands a
//! split-off generator to the loader, so the same seed and thread count give the same numbers.
//!
//! A network whose parameters would not fit in memory for training is refused before it is
//! built. A run whose loss exploded without becoming infinite (too large a learning rate) ends
//! with a warning in [`TrainReport::warnings`] and the summary: when the last epoch's training
//! loss or the test loss is at least [`LOSS_GROWTH`] times `ln K`, the cross-entropy of the
//! uniform prediction over `K` classes, which is about where a freshly initialised network
//! starts.

use std::time::Instant;

use serde::Serialize;

use super::architecture::{Architecture, LayerOptions};
use super::checkpoint::EpochMetrics;
use super::classifier::{NetworkClassifier, CHUNK};
use super::module::Module;
use super::objective::Objective;
use super::train::{evaluate_output, fit_classifier, TrainConfig, TrainEvent, TrainReport};
use crate::data::{leakage_warning, separating_features, DataLoader, Dataset, Source, Split};
use crate::error::{Error, Result};
use crate::linear::{balanced_class_weights, ClassWeight};
use crate::optim::{OptimizerChoice, ScheduleChoice};
use crate::rng::Rng;
use crate::tensor::Tensor;

/// How many times the starting loss `ln K` a final loss must reach to be warned about.
pub const LOSS_GROWTH: f64 = 100.0;

/// What to train and how.
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    /// `logreg`, `mlp:H1,H2,...` or `cnn` (see [`Architecture::parse`]).
    pub model: String,
    /// The hidden layers' activation, dropout and batch norm, and the output layer.
    pub layers: LayerOptions,
    pub optimizer: OptimizerChoice,
    /// The learning rate per epoch.
    pub scheduler: Option<ScheduleChoice>,
    /// Class weights in the training loss.
    pub class_weight: ClassWeight,
    pub batch_size: usize,
    /// Seeds the initialisation and the batch order.
    pub seed: u64,
    /// Epochs, early stopping, checkpoints.
    pub train: TrainConfig,
}

/// A trained network with how it got there and how it scores on the test rows.
pub struct TrainedNetwork {
    pub classifier: NetworkClassifier,
    pub report: TrainReport,
    pub test_log_loss: f64,
    pub test_accuracy: f64,
    /// Wall-clock seconds of the training loop.
    pub seconds: f64,
    /// The weight of each class in the training loss, when classes were weighted.
    pub class_weights: Option<Vec<f64>>,
}

/// The numbers a run reports (`axon train --json`, and the run record's `result`).
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    pub test_accuracy: f64,
    pub test_log_loss: f64,
    pub epochs: usize,
    pub stopped_early: bool,
    pub best_epoch: Option<usize>,
    pub restored_best_weights: bool,
    pub train_seconds: f64,
    pub examples_per_second: f64,
    pub n_params: usize,
    pub n_train: usize,
    pub n_val: usize,
    pub n_test: usize,
    pub model: Architecture,
    /// The weight of each class in the training loss (`--class-weight balanced`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weights: Option<Vec<f64>>,
    /// The last epoch's training loss: the objective, weighted when the classes are.
    pub final_train_loss: Option<f64>,
    pub final_val_accuracy: Option<f64>,
    /// Warnings of the run (a loss that exploded, a resumed checkpoint with other settings).
    pub warnings: Vec<String>,
}

/// Features and labels of `split` as tensors with rows of `row_shape`.
fn tensors(split: &Split, row_shape: &[usize]) -> Result<(Tensor, Tensor)> {
    let mut shape = vec![split.len()];
    shape.extend_from_slice(row_shape);
    let x = Tensor::from_vec(split.x.clone(), shape)?;
    Ok((x, Tensor::from_vec(split.y.clone(), [split.len()])?))
}

/// Trains a network on `data` as `options` say; `on_event` sees every batch and epoch.
pub fn train_network(
    data: &Dataset,
    options: &NetworkOptions,
    on_event: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<TrainedNetwork> {
    if options.train.epochs == 0 {
        return Err(Error::invalid("epochs", 0, "must be at least 1"));
    }
    if options.batch_size == 0 {
        return Err(Error::invalid("batch_size", 0, "must be at least 1"));
    }
    let (spec, k) = (&options.model, data.n_classes());
    let arch = Architecture::parse(spec, &options.layers, data.d, data.image, k)?;
    arch.check_size(Architecture::BYTES_TO_TRAIN)?;
    let class_weights = match options.class_weight {
        ClassWeight::None => None,
        ClassWeight::Balanced => {
            let mut counts = vec![0usize; k];
            for &c in &data.train.y {
                counts[c as usize] += 1;
            }
            Some(balanced_class_weights(&counts))
        }
    };
    if let Architecture::Mlp { batch_norm: true, .. } = arch {
        let n = data.train.len();
        if n % options.batch_size == 1 {
            let reason = format!(
                "with batch norm, the last batch of the {n} training rows would hold 1 row, \
                 which has no variance to normalise by; choose another batch size"
            );
            return Err(Error::invalid("batch_size", options.batch_size, reason));
        }
    }
    let objective = Objective { output: arch.output(), class_weights: class_weights.clone() };
    let config = TrainConfig {
        optimizer: Some(options.optimizer),
        objective,
        scheduler: options.scheduler,
        ..options.train.clone()
    };
    let mut rng = Rng::seed(options.seed);
    let scaling = Some(data.scaling.clone());
    let (schema, encoder) = (data.schema.clone(), data.encoder.clone());
    let mut classifier = NetworkClassifier::with_encoder(arch, scaling, schema, encoder, &mut rng)?;
    let mut optimizer = options.optimizer.build(classifier.net.params())?;
    let row = classifier.architecture.row_shape();
    let (x_train, y_train) = tensors(&data.train, &row)?;
    let val = data.val.as_ref().map(|v| tensors(v, &row)).transpose()?;
    let (x_test, y_test) = tensors(&data.test, &row)?;
    let mut loader = DataLoader::new(x_train, y_train, options.batch_size)?.shuffle(rng.split());
    let started = Instant::now();
    let val_ref = val.as_ref().map(|(x, y)| (x, y));
    let net = &mut classifier.net;
    let mut report =
        fit_classifier(net, optimizer.as_mut(), &mut loader, val_ref, &config, on_event)?;
    let seconds = started.elapsed().as_secs_f64();
    let output = classifier.architecture.output();
    let (test_log_loss, test_accuracy) =
        evaluate_output(&classifier.net, &x_test, &y_test, CHUNK, output)?;
    let history = &report.progress.history;
    report.warnings.extend(loss_warning(history, test_log_loss, data.n_classes()));
    report.warnings.splice(0..0, leakage(data));
    Ok(TrainedNetwork { classifier, report, test_log_loss, test_accuracy, seconds, class_weights })
}

/// The warning for features that alone separate a two-class target (see the module docs).
pub fn leakage(data: &Dataset) -> Option<String> {
    if data.n_classes() != 2 || data.schema.source == Source::Idx {
        return None;
    }
    let found = separating_features(&data.train.x, &data.train.y, &data.feature_names());
    leakage_warning(&found)
}

/// The warning for a loss that grew by orders of magnitude (see the module docs).
fn loss_warning(history: &[EpochMetrics], test_log_loss: f64, classes: usize) -> Option<String> {
    let start = (classes.max(2) as f64).ln();
    let last = history.last().map_or(0.0, |m| m.train_loss);
    let worst = last.max(test_log_loss);
    (worst >= LOSS_GROWTH * start).then(|| {
        format!(
            "the loss exploded: the last epoch's training loss is {last:.4e} and the test log \
             loss {test_log_loss:.4e}, against {start:.4} for predicting every class equally \
             likely; the learning rate is probably too large (try one 10 or 100 times smaller)"
        )
    })
}

impl TrainedNetwork {
    /// The report of the run on `data` (the data set it was trained on).
    pub fn summary(&self, data: &Dataset) -> TrainSummary {
        let (report, history) = (&self.report, &self.report.progress.history);
        let trained = history.len().saturating_sub(report.resumed_after) * data.train.len();
        TrainSummary {
            test_accuracy: self.test_accuracy,
            test_log_loss: self.test_log_loss,
            epochs: history.len(),
            stopped_early: report.progress.stopped_early,
            best_epoch: (report.progress.best_epoch > 0).then_some(report.progress.best_epoch),
            restored_best_weights: report.restored_epoch.is_some(),
            train_seconds: self.seconds,
            examples_per_second: trained as f64 / self.seconds.max(1e-9),
            n_params: self.classifier.net.num_parameters(),
            n_train: data.train.len(),
            n_val: data.val.as_ref().map_or(0, Split::len),
            n_test: data.test.len(),
            model: self.classifier.architecture.clone(),
            class_weights: self.class_weights.clone(),
            final_train_loss: history.last().map(|m| m.train_loss),
            final_val_accuracy: history.last().and_then(|m| m.val_accuracy),
            warnings: report.warnings.clone(),
        }
    }
}
