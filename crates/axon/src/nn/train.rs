//! A classification training loop: for each epoch, mini-batches from a [`DataLoader`], the
//! cross-entropy `L = −(1/B) Σ_i log softmax(f(x_i))_{y_i}` of the model's logits `(B, K)`
//! against class indices `(B)` (or the [`Objective`] of [`TrainConfig::objective`]: a single
//! sigmoid output, class weights), one optimizer step per batch; then the epoch's training loss
//! (the objective) and accuracy (averaged over the batches as they were seen, in training mode)
//! and, given a validation set, its unweighted log loss and accuracy in evaluation mode.
//!
//! With [`TrainConfig::scheduler`], epoch `e` (from 1) runs at the schedule's rate at `e − 1`
//! from the optimizer's initial rate, set before its first step and recorded in its metrics;
//! a resumed run sets the same rates.
//!
//! Early stopping watches the validation loss or accuracy ([`Monitor`]) and stops after
//! `patience` epochs without improvement. Whenever there is a validation set and
//! [`TrainConfig::restore_best`] is on (the default), the model ends with the parameters *and
//! buffers* of the epoch with the best monitored value, as Keras' `restore_best_weights` and
//! Lightning's best checkpoint do, whether or not training stopped early: the last epoch's
//! weights are what overfitting left, the best epoch's are what the validation set chose.
//!
//! With a checkpoint path, every epoch ends by writing the parameters, buffers, optimizer state,
//! the best epoch's parameters and buffers, the loader's random generator and the progress so far
//! (atomically); [`TrainConfig::resume`] continues from that file (which must exist), and the
//! result is the same, bit for bit, as a run that was never interrupted. Resuming a checkpoint
//! written with other optimizer settings, or one already at or past the epochs asked for, is
//! allowed but comes back as a warning in [`TrainReport::warnings`]. Trained data-parallel over
//! several ranks, every rank holds the same state: rank 0 alone writes the checkpoint, every
//! rank resumes from it, and the resumed run is the uninterrupted one over the same ranks.
//! Everything random comes from seeded [`crate::Rng`]s that the caller gives (initialisation,
//! the loader's shuffling); the model's own generators (dropout) are not saved, so resuming a
//! model with dropout is not exact.

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::architecture::Output;
use super::checkpoint::{
    load_checkpoint, model_state, save_checkpoint, set_model_state, EpochMetrics, Progress,
};
use super::data_parallel::parallel_step;
use super::module::Module;
use super::objective::Objective;
use crate::data::DataLoader;
use crate::distributed::{world, Communicator};
use crate::error::{Error, Result};
use crate::optim::{Optimizer, OptimizerChoice, ScheduleChoice};
use crate::tensor::{no_grad, Tensor};

/// The validation metric early stopping watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Monitor {
    /// Lower is better.
    ValLoss,
    /// Higher is better.
    ValAccuracy,
}

/// Settings of [`fit_classifier`].
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The number of epochs (at most).
    pub epochs: usize,
    /// Stop after this many epochs without improvement of `monitor` (needs a validation set).
    pub patience: Option<usize>,
    pub monitor: Monitor,
    /// Where to write a checkpoint after every epoch.
    pub checkpoint: Option<PathBuf>,
    /// Continue from `checkpoint`, which must exist.
    pub resume: bool,
    /// Rows per forward pass when evaluating the validation set.
    pub eval_batch: usize,
    /// End with the parameters and buffers of the best epoch by `monitor` (needs a validation
    /// set; without one the model keeps its last weights).
    pub restore_best: bool,
    /// The optimizer's settings, recorded in checkpoints so that resuming with other settings is
    /// noticed (the loop itself runs whatever optimizer it is given).
    pub optimizer: Option<OptimizerChoice>,
    /// What training minimises (default: the unweighted cross-entropy of `(B, K)` logits).
    pub objective: Objective,
    /// The learning rate per epoch (default: the optimizer's, unchanged).
    pub scheduler: Option<ScheduleChoice>,
    /// Train data-parallel over [`crate::distributed::world`]'s ranks (a no-op with one
    /// process): each rank computes the gradients of its slice of every batch and one allreduce
    /// per step averages them ([`super::data_parallel`]). Every rank must run the same training
    /// with the same seed. Default off.
    pub data_parallel: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            patience: None,
            monitor: Monitor::ValLoss,
            checkpoint: None,
            resume: false,
            eval_batch: 1024,
            restore_best: true,
            optimizer: None,
            objective: Objective::default(),
            scheduler: None,
            data_parallel: false,
        }
    }
}

/// What happened during [`fit_classifier`].
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub progress: Progress,
    /// The epoch a resumed run continued after (0 for a fresh run).
    pub resumed_after: usize,
    /// The epoch whose parameters and buffers the model ended with, when
    /// [`TrainConfig::restore_best`] put back an epoch before the last one.
    pub restored_epoch: Option<usize>,
    /// What the caller should be told: a resumed checkpoint with other optimizer settings, or
    /// one that left nothing to train.
    pub warnings: Vec<String>,
}

/// What the loop reports as it goes (for progress bars and logs).
#[derive(Debug)]
pub enum TrainEvent<'a> {
    /// After each optimizer step: the batch's loss, how many examples this epoch has seen, and
    /// the share of them classified correctly (at the time each batch was seen).
    Batch { epoch: usize, batch: usize, batches: usize, loss: f64, seen: usize, accuracy: f64 },
    /// After each epoch.
    Epoch(&'a EpochMetrics),
}

/// Mean cross-entropy and accuracy of `model` on `(x, y)`, in chunks of `chunk` rows, without
/// a graph. The model's mode is not changed.
pub fn evaluate(model: &dyn Module, x: &Tensor, y: &Tensor, chunk: usize) -> Result<(f64, f64)> {
    evaluate_output(model, x, y, chunk, Output::Softmax)
}

/// [`evaluate`] for a model with the output layer `output`: the mean log loss and accuracy.
pub fn evaluate_output(
    model: &dyn Module,
    x: &Tensor,
    y: &Tensor,
    chunk: usize,
    output: Output,
) -> Result<(f64, f64)> {
    let scorer = Objective { output, class_weights: None };
    let n = x.dims().first().copied().unwrap_or(0);
    if n == 0 || y.dims().first() != Some(&n) {
        let (lhs, rhs) = (x.shape().clone(), y.shape().clone());
        return Err(Error::ShapeMismatch { op: "evaluate", lhs, rhs });
    }
    let (mut loss, mut hits) = (0.0, 0usize);
    for start in (0..n).step_by(chunk.max(1)) {
        let len = chunk.max(1).min(n - start);
        let (xb, yb) = (x.narrow(0, start, len)?, y.narrow(0, start, len)?);
        let (l, h) = no_grad(|| scorer.score(&model.forward(&xb)?, &yb))?;
        loss += l * len as f64;
        hits += h;
    }
    Ok((loss / n as f64, hits as f64 / n as f64))
}

/// What one epoch of training measured.
struct EpochTotals {
    /// The mean loss over the examples seen, each batch's taken as it was seen.
    loss: f64,
    /// The share of the examples classified correctly, as each batch was seen.
    accuracy: f64,
    /// Wall-clock seconds of the training steps.
    seconds: f64,
    /// The number of examples seen.
    seen: usize,
}

/// One epoch of training.
fn train_epoch(
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    loader: &mut DataLoader,
    epoch: usize,
    objective: &Objective,
    comm: Option<&dyn Communicator>,
    on_event: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<EpochTotals> {
    model.train(true);
    let started = Instant::now();
    let (mut total, mut hits, mut seen) = (0.0, 0usize, 0usize);
    let batches = loader.len();
    for (batch, item) in loader.epoch().enumerate() {
        crate::interrupt::check()?;
        let (xb, yb) = item?;
        let (l, h) = match comm {
            Some(comm) => {
                let params = optimizer.params().to_vec();
                let step = parallel_step(model, objective, &params, (&xb, &yb), comm)?;
                optimizer.step(&step.grads)?;
                (step.loss, step.hits)
            }
            None => {
                let logits = model.forward(&xb)?;
                let loss = objective.loss(&logits, &yb)?;
                optimizer.step(&loss.backward()?)?;
                let (_, h) = no_grad(|| objective.score(&logits.detach(), &yb))?;
                (loss.item()?, h)
            }
        };
        if !l.is_finite() {
            return Err(Error::invalid("loss", l, format!("diverged in epoch {epoch}")));
        }
        let b = yb.dims()[0];
        (total, hits, seen) = (total + l * b as f64, hits + h, seen + b);
        let accuracy = hits as f64 / seen as f64;
        on_event(TrainEvent::Batch { epoch, batch: batch + 1, batches, loss: l, seen, accuracy });
    }
    let n = seen.max(1) as f64;
    let seconds = started.elapsed().as_secs_f64();
    Ok(EpochTotals { loss: total / n, accuracy: hits as f64 / n, seconds, seen })
}

/// Updates the early-stopping counters with `metrics`; true when training should stop.
fn early_stop(progress: &mut Progress, metrics: &EpochMetrics, config: &TrainConfig) -> bool {
    let value = match config.monitor {
        Monitor::ValLoss => metrics.val_loss,
        Monitor::ValAccuracy => metrics.val_accuracy.map(|a| -a),
    };
    let Some(value) = value else { return false };
    if progress.best_value.is_none_or(|best| value < best) {
        (progress.best_value, progress.best_epoch, progress.bad_epochs) =
            (Some(value), metrics.epoch, 0);
    } else {
        progress.bad_epochs += 1;
    }
    config.patience.is_some_and(|p| progress.bad_epochs >= p)
}

/// Trains `model` (logits `(B, K)`) on `loader` (features, `i64` class indices) with
/// `optimizer`, as the module docs describe. `val` is an optional validation set.
pub fn fit_classifier(
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    loader: &mut DataLoader,
    val: Option<(&Tensor, &Tensor)>,
    config: &TrainConfig,
    on_event: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<TrainReport> {
    if config.patience.is_some() && val.is_none() {
        return Err(Error::invalid("patience", "set", "early stopping needs a validation set"));
    }
    let mut progress = Progress { optimizer: config.optimizer, ..Progress::default() };
    let mut best = None;
    // The best epoch's parameters and buffers are kept when they will be restored.
    let keep_best = config.restore_best && val.is_some();
    let checkpoint = config.checkpoint.as_deref();
    let mut warnings = Vec::new();
    // The schedule starts from the optimizer's rate as given, whatever a checkpoint left.
    let base_lr = optimizer.learning_rate();
    let schedule = config.scheduler.map(|s| s.schedule(config.epochs)).transpose()?;
    if config.resume {
        let Some(path) = checkpoint else {
            return Err(Error::invalid("resume", "set", "resuming needs a checkpoint path"));
        };
        if !path.exists() {
            let msg = "no checkpoint to resume from (a run with this checkpoint path and \
                       without resume writes one)";
            return Err(Error::Io { path: path.display().to_string(), msg: msg.into() });
        }
        let resumed = load_checkpoint(path, model, optimizer)?;
        warnings = resume_warnings(&resumed.progress, config);
        (progress, best) = (resumed.progress, resumed.best.filter(|_| keep_best));
        progress.optimizer = config.optimizer.or(progress.optimizer);
        if let Some(rng) = resumed.rng {
            loader.set_rng(rng);
        }
    }
    let resumed_after = progress.history.len();
    let comm = (config.data_parallel && world().size() > 1).then(world);
    // Over several ranks every rank holds the same model, optimizer state and loader
    // generator: rank 0 alone writes the checkpoint, and every rank resumes from that file.
    let writes = comm.is_none_or(|c| c.rank() == 0);
    for epoch in resumed_after + 1..=config.epochs {
        if progress.stopped_early {
            break;
        }
        if let Some(schedule) = &schedule {
            optimizer.set_learning_rate(schedule.lr_at(base_lr, epoch - 1))?;
        }
        let lr = optimizer.learning_rate();
        let objective = &config.objective;
        let totals = train_epoch(model, optimizer, loader, epoch, objective, comm, on_event)?;
        model.train(false);
        let output = objective.output;
        let val_stats = val
            .map(|(x, y)| evaluate_output(model, x, y, config.eval_batch, output))
            .transpose()?;
        let metrics = EpochMetrics {
            epoch,
            train_loss: totals.loss,
            train_accuracy: totals.accuracy,
            val_loss: val_stats.map(|s| s.0),
            val_accuracy: val_stats.map(|s| s.1),
            learning_rate: lr,
            seconds: totals.seconds,
            examples_per_second: totals.seen as f64 / totals.seconds.max(1e-9),
        };
        progress.stopped_early = early_stop(&mut progress, &metrics, config);
        if keep_best && progress.best_epoch == epoch {
            best = Some(model_state(model));
        }
        on_event(TrainEvent::Epoch(&metrics));
        progress.history.push(metrics);
        if let Some(path) = checkpoint.filter(|_| writes) {
            let state = (loader.rng(), best.as_deref());
            save_checkpoint(path, model, optimizer, state, &progress)?;
        }
    }
    model.train(false);
    if let Some(state) = &best {
        set_model_state(model, state)?;
    }
    let last = progress.history.len();
    let restored_epoch = best.and((progress.best_epoch != last).then_some(progress.best_epoch));
    Ok(TrainReport { progress, resumed_after, restored_epoch, warnings })
}

/// What to tell about resuming `checkpoint` (its progress) with `config`: other optimizer
/// settings than the checkpoint's, or no epochs left to train.
fn resume_warnings(checkpoint: &Progress, config: &TrainConfig) -> Vec<String> {
    let mut warnings = Vec::new();
    if let (Some(then), Some(now)) = (checkpoint.optimizer, config.optimizer) {
        if then != now {
            warnings.push(format!(
                "the checkpoint was written with the optimizer {}, this run uses {}: training \
                 continues with this run's settings",
                describe_optimizer(&then),
                describe_optimizer(&now)
            ));
        }
    }
    let done = checkpoint.history.len();
    if done >= config.epochs {
        warnings.push(format!(
            "the checkpoint has already trained {done} epoch{}, at least the {} asked for: \
             nothing was trained, the model is the checkpoint's",
            if done == 1 { "" } else { "s" },
            config.epochs
        ));
    } else if checkpoint.stopped_early {
        warnings.push(format!(
            "the checkpoint's run stopped early after {done} epochs: nothing was trained"
        ));
    }
    warnings
}

/// `adam (lr 0.001, weight decay 0)`.
fn describe_optimizer(choice: &OptimizerChoice) -> String {
    match *choice {
        OptimizerChoice::Sgd { lr, momentum, weight_decay, nesterov } => {
            let nesterov = if nesterov { ", nesterov" } else { "" };
            format!("sgd (lr {lr}, momentum {momentum}{nesterov}, weight decay {weight_decay})")
        }
        OptimizerChoice::Adam { lr, weight_decay } => {
            format!("adam (lr {lr}, weight decay {weight_decay})")
        }
        OptimizerChoice::AdamW { lr, weight_decay } => {
            format!("adamw (lr {lr}, weight decay {weight_decay})")
        }
    }
}

/// Makes the calling thread worker 0 of rayon's global pool (of the same size:
/// `RAYON_NUM_THREADS` or one thread per core, so the same thread count and the same results),
/// so that the parallel ops of a training step run their first part on it. A step is a dozen
/// small parallel regions (the products, the fused epilogues, the optimizer's update); from a
/// thread outside the pool each one is handed to the workers while the caller sleeps on a lock
/// until they finish, and that sleeping and waking was a sixth of an MLP epoch on two cores
/// (about 36 context switches per step; now about none). For a program that trains on its main
/// thread (`axon train`), called before any parallel work; a pool already built stays as it is.
/// Not for a caller that waits outside the pool on another thread's parallel work (a streamed
/// fit's reader): with one thread, the pool would be that waiting caller alone.
pub fn join_thread_pool() {
    let _ = rayon::ThreadPoolBuilder::new().use_current_thread().build_global();
}
