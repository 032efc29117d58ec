//! Fine-tuning a [`BertClassifier`] as Hugging Face's `Trainer` does by default: AdamW
//! (weight decay 0.01, none on biases and layer-norm parameters), the learning rate warmed up
//! linearly from 0 then decayed linearly to 0 at the last step ([`WarmupLinearDecay`], set
//! before every optimizer step), gradients clipped to a global norm of 1.0, and the mean
//! cross-entropy of each mini-batch.
//!
//! [`FineTuner::step`] is one such step on one tokenised batch. [`fine_tune`] runs epochs of
//! them: the training texts shuffled by a seeded generator every epoch, then (with
//! [`FineTuneOptions::group_by_length`], Hugging Face's `group_by_length`) each run of 50 batches'
//! worth of texts sorted by length, longest first, so that a batch holds texts of similar length
//! and pads little; cut into batches, each tokenised and padded to its own longest text; after each epoch the validation texts
//! (when given) are scored in evaluation mode, the metrics reported, and, with a checkpoint path,
//! the model, optimizer, generator and progress written as `fit_classifier` writes them (so a
//! run resumes from its last finished epoch; the dropout generators are not saved, so resuming
//! with dropout is not bit-exact).

use std::path::PathBuf;
use std::time::Instant;

use super::classifier::BertClassifier;
use super::tokenizer::TokenBatch;
use crate::error::{Error, Result};
use crate::metrics::log_loss;
use crate::nn::checkpoint::{load_checkpoint, save_checkpoint, EpochMetrics, Progress};
use crate::nn::loss::{cross_entropy, Reduction};
use crate::nn::module::Module;
use crate::nn::train::{TrainEvent, TrainReport};
use crate::optim::{clip_grad_norm, AdamW, AdamWConfig, Optimizer, Schedule, WarmupLinearDecay};
use crate::rng::Rng;
use crate::tensor::{no_grad, Tensor};

/// The warm-up of the learning rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Warmup {
    /// This many optimizer steps.
    Steps(usize),
    /// This share of all the steps, rounded up (`--warmup_ratio`).
    Ratio(f64),
}

/// Settings of [`fine_tune`] (Hugging Face's defaults, but for the epochs and batch size).
#[derive(Debug, Clone)]
pub struct FineTuneOptions {
    pub epochs: usize,
    pub batch_size: usize,
    /// The peak learning rate.
    pub lr: f64,
    /// AdamW's decoupled weight decay (not on biases and layer norms).
    pub weight_decay: f64,
    pub warmup: Warmup,
    /// The global gradient norm is clipped to this.
    pub max_grad_norm: f64,
    /// Seeds the batch order.
    pub seed: u64,
    /// Texts per forward pass when scoring the validation set.
    pub eval_batch: usize,
    /// Where to write a checkpoint after every epoch.
    pub checkpoint: Option<PathBuf>,
    /// Continue from `checkpoint`, which must exist.
    pub resume: bool,
    /// Sort the shuffled texts by length within runs of [`GROUP_BATCHES`] batches.
    pub group_by_length: bool,
}

/// The batches whose texts are sorted together by [`FineTuneOptions::group_by_length`] (Hugging
/// Face's `LengthGroupedSampler` takes 50).
pub const GROUP_BATCHES: usize = 50;

impl Default for FineTuneOptions {
    fn default() -> Self {
        FineTuneOptions {
            epochs: 3,
            batch_size: 8,
            lr: 5e-5,
            weight_decay: 0.01,
            warmup: Warmup::Steps(0),
            max_grad_norm: 1.0,
            seed: 0,
            eval_batch: 64,
            checkpoint: None,
            resume: false,
            group_by_length: true,
        }
    }
}

/// Whether Hugging Face's `Trainer` decays a parameter: not a bias, not a layer norm.
pub fn decays(name: &str) -> bool {
    !(name.ends_with("bias") || name.contains("LayerNorm"))
}

/// The optimizer and schedule of a fine-tuning run, one [`FineTuner::step`] at a time.
pub struct FineTuner {
    optimizer: AdamW,
    schedule: WarmupLinearDecay,
    base_lr: f64,
    max_grad_norm: f64,
    /// Optimizer steps taken.
    step: usize,
}

/// What one step measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepResult {
    /// The batch's mean cross-entropy before the update.
    pub loss: f64,
    /// The number of rows classified correctly before the update.
    pub correct: usize,
    /// The global gradient norm before clipping.
    pub grad_norm: f64,
    /// The learning rate the step ran at.
    pub lr: f64,
}

impl FineTuner {
    /// AdamW over `model`'s trainable parameters (decay by [`decays`]) and the schedule of
    /// `total_steps` steps, `warmup_steps` of them warming up.
    pub fn new(
        model: &BertClassifier,
        options: &FineTuneOptions,
        warmup_steps: usize,
        total_steps: usize,
    ) -> Result<FineTuner> {
        let named = model.trainable_parameters();
        let decay = named.iter().map(|(n, _)| decays(n)).collect();
        let params = named.into_iter().map(|(_, p)| p).collect();
        let config = AdamWConfig {
            lr: options.lr,
            weight_decay: options.weight_decay,
            ..Default::default()
        };
        if !(options.max_grad_norm.is_finite() && options.max_grad_norm > 0.0) {
            let why = "must be finite and > 0";
            return Err(Error::invalid("max_grad_norm", options.max_grad_norm, why));
        }
        Ok(FineTuner {
            optimizer: AdamW::with_decay_mask(params, config, decay)?,
            schedule: WarmupLinearDecay::new(warmup_steps, total_steps)?,
            base_lr: options.lr,
            max_grad_norm: options.max_grad_norm,
            step: 0,
        })
    }

    /// One step on `batch` with class indices `labels` `(B)` (`i64`): forward, mean
    /// cross-entropy, backward, clipping, AdamW at the schedule's rate for this step.
    pub fn step(
        &mut self,
        model: &BertClassifier,
        batch: &TokenBatch,
        labels: &Tensor,
    ) -> Result<StepResult> {
        let lr = self.schedule.lr_at(self.base_lr, self.step);
        self.optimizer.set_learning_rate(lr)?;
        let logits = model.forward_batch(batch)?;
        let loss = cross_entropy(&logits, labels, None, Reduction::Mean)?;
        let value = loss.item()?;
        if !value.is_finite() {
            let why = format!("the training loss is {value} at step {}", self.step + 1);
            return Err(Error::invalid("lr", self.base_lr, why));
        }
        let mut grads = loss.backward()?;
        let grad_norm = clip_grad_norm(self.optimizer.params(), &mut grads, self.max_grad_norm)?;
        self.optimizer.step(&grads)?;
        self.step += 1;
        let predicted = no_grad(|| logits.detach().argmax(1, false))?.to_vec::<i64>()?;
        let truth = labels.to_vec::<i64>()?;
        let correct = predicted.iter().zip(&truth).filter(|(p, t)| p == t).count();
        Ok(StepResult { loss: value, correct, grad_norm, lr })
    }

    /// The optimizer steps taken so far.
    pub fn steps(&self) -> usize {
        self.step
    }

    pub fn optimizer(&self) -> &AdamW {
        &self.optimizer
    }

    pub fn schedule(&self) -> &WarmupLinearDecay {
        &self.schedule
    }
}

/// The warm-up steps of `warmup` in a run of `total` steps.
pub fn warmup_steps(warmup: Warmup, total: usize) -> Result<usize> {
    match warmup {
        Warmup::Steps(n) if n <= total => Ok(n),
        Warmup::Steps(n) => {
            Err(Error::invalid("warmup_steps", n, format!("the run has {total} steps in all")))
        }
        Warmup::Ratio(r) if (0.0..=1.0).contains(&r) => Ok((r * total as f64).ceil() as usize),
        Warmup::Ratio(r) => Err(Error::invalid("warmup_ratio", r, "must lie in [0, 1]")),
    }
}

/// Labelled texts: the texts and their class indices.
pub type LabelledTexts<'a> = (&'a [&'a str], &'a [i64]);

/// Fine-tunes `model` on `train` (texts, class indices), scoring `val` after every epoch; see
/// the module docs. `on_event` sees every step and epoch. The model ends in evaluation mode.
pub fn fine_tune(
    model: &mut BertClassifier,
    train: LabelledTexts<'_>,
    val: Option<LabelledTexts<'_>>,
    options: &FineTuneOptions,
    on_event: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<TrainReport> {
    let (texts, labels) = train;
    let (n, k) = (texts.len(), model.classes().len());
    if labels.len() != n || n == 0 {
        let why = format!("{n} texts and {} labels; needs one label per text", labels.len());
        return Err(Error::invalid("labels", labels.len(), why));
    }
    if let Some(bad) =
        labels.iter().chain(val.iter().flat_map(|v| v.1)).find(|&&c| c < 0 || c as usize >= k)
    {
        return Err(Error::invalid("labels", bad, format!("class indices are 0 to {}", k - 1)));
    }
    if options.epochs == 0 || options.batch_size == 0 {
        let why = "epochs and batch_size must be at least 1";
        return Err(Error::invalid(
            "options",
            format!("{}/{}", options.epochs, options.batch_size),
            why,
        ));
    }
    let batches = n.div_ceil(options.batch_size);
    let total = batches * options.epochs;
    let mut tuner = FineTuner::new(model, options, warmup_steps(options.warmup, total)?, total)?;
    let mut rng = Rng::seed(options.seed);
    let mut progress = Progress::default();
    let mut warnings = Vec::new();
    let checkpoint = options.checkpoint.as_deref();
    if options.resume {
        let Some(path) = checkpoint else {
            return Err(Error::invalid("resume", "set", "resuming needs a checkpoint path"));
        };
        if !path.exists() {
            let msg = "no checkpoint to resume from";
            return Err(Error::Io { path: path.display().to_string(), msg: msg.into() });
        }
        let resumed = load_checkpoint(path, model, &mut tuner.optimizer)?;
        progress = resumed.progress;
        if let Some(r) = resumed.rng {
            rng = r;
        }
        tuner.step = progress.history.len() * batches;
        if progress.history.len() >= options.epochs {
            warnings.push(format!(
                "the checkpoint has already trained {} epochs: nothing was trained",
                progress.history.len()
            ));
        }
    }
    let resumed_after = progress.history.len();
    let mut order: Vec<usize> = (0..n).collect();
    let chars: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
    for epoch in resumed_after + 1..=options.epochs {
        model.train(true);
        let started = Instant::now();
        order.sort_unstable();
        rng.shuffle(&mut order);
        if options.group_by_length {
            for group in order.chunks_mut(GROUP_BATCHES * options.batch_size) {
                group.sort_by_key(|&i| std::cmp::Reverse(chars[i]));
            }
        }
        let (mut total_loss, mut hits, mut seen) = (0.0, 0usize, 0usize);
        let lr = tuner.schedule.lr_at(tuner.base_lr, tuner.step);
        for (b, rows) in order.chunks(options.batch_size).enumerate() {
            let batch: Vec<&str> = rows.iter().map(|&i| texts[i]).collect();
            let y = Tensor::from_vec(rows.iter().map(|&i| labels[i]).collect(), [rows.len()])?;
            let tokens = model.tokenizer().batch(&batch)?;
            let s = tuner.step(model, &tokens, &y)?;
            total_loss += s.loss * rows.len() as f64;
            hits += s.correct;
            seen += rows.len();
            let accuracy = hits as f64 / seen as f64;
            let event =
                TrainEvent::Batch { epoch, batch: b + 1, batches, loss: s.loss, seen, accuracy };
            on_event(event);
        }
        let seconds = started.elapsed().as_secs_f64();
        model.train(false);
        let val_stats = val.map(|v| score(model, v, options.eval_batch)).transpose()?;
        let metrics = EpochMetrics {
            epoch,
            train_loss: total_loss / seen as f64,
            train_accuracy: hits as f64 / seen as f64,
            val_loss: val_stats.map(|s| s.0),
            val_accuracy: val_stats.map(|s| s.1),
            learning_rate: lr,
            seconds,
            examples_per_second: seen as f64 / seconds.max(1e-9),
        };
        on_event(TrainEvent::Epoch(&metrics));
        progress.history.push(metrics);
        if let Some(path) = checkpoint {
            save_checkpoint(path, model, &tuner.optimizer, (Some(&rng), None), &progress)?;
        }
    }
    model.train(false);
    Ok(TrainReport { progress, resumed_after, restored_epoch: None, warnings })
}

/// The log loss and accuracy of `model` on labelled texts.
pub fn score(
    model: &BertClassifier,
    (texts, labels): LabelledTexts<'_>,
    batch: usize,
) -> Result<(f64, f64)> {
    let (proba, _) = model.predict_proba(texts, batch)?;
    let y: Vec<usize> = labels.iter().map(|&c| c as usize).collect();
    let k = model.classes().len();
    let right = proba.chunks(k).zip(&y).filter(|(p, &c)| crate::metrics::argmax(p) == c).count();
    Ok((log_loss(&y, &proba)?, right as f64 / y.len().max(1) as f64))
}
