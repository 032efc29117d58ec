//! The state of a training run between epochs ([`Progress`] with each epoch's [`EpochMetrics`],
//! and the model's tensors in one list), and its file, the training checkpoint: one safetensors
//! file (written atomically) holding everything a run needs to continue exactly where it
//! stopped: the parameters (`param.<name>`), the buffers
//! (`buffer.<name>`, batch norm's running statistics), the optimizer's state (`optim.<name>`,
//! `f64` vectors), the best epoch's parameters and buffers when the loop keeps them to restore
//! at the end (`best.param.<name>`, `best.buffer.<name>`), and as JSON metadata the finished
//! epoch, the data loader's random generator, the metrics so far, the early-stopping counters
//! and the optimizer's settings (so that resuming with other settings can be warned about).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::module::Module;
use crate::error::{Error, Result};
use crate::io::{load_safetensors, save_safetensors};
use crate::optim::{Optimizer, OptimizerChoice};
use crate::rng::Rng;
use crate::tensor::Tensor;

/// One epoch's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    pub learning_rate: f64,
    /// Wall-clock seconds of the epoch's training steps (not the validation).
    pub seconds: f64,
    pub examples_per_second: f64,
}

/// The state of a run between epochs (what a checkpoint stores besides tensors).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub history: Vec<EpochMetrics>,
    /// The epoch with the best monitored value so far (0 when none).
    pub best_epoch: usize,
    pub best_value: Option<f64>,
    /// Epochs since the best.
    pub bad_epochs: usize,
    pub stopped_early: bool,
    /// The optimizer and its settings, when the run named them (checkpoints written before
    /// this field existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimizer: Option<OptimizerChoice>,
}

/// The values of `model`'s parameters, then of its buffers, in their `state_dict` order.
pub(crate) fn model_state(model: &dyn Module) -> Vec<Tensor> {
    let params = model.parameters().into_iter().map(|(_, p)| p.value());
    params.chain(model.buffers().into_iter().map(|(_, b)| b.value())).collect()
}

/// Sets `model`'s parameters and buffers to `state` (as [`model_state`] gives it).
pub(crate) fn set_model_state(model: &dyn Module, state: &[Tensor]) -> Result<()> {
    let (params, buffers) = (model.parameters(), model.buffers());
    if state.len() != params.len() + buffers.len() {
        return Err(Error::invalid("state", state.len(), "does not match the model's tensors"));
    }
    let (p_state, b_state) = state.split_at(params.len());
    for ((_, p), t) in params.iter().zip(p_state) {
        p.set(t.clone())?;
    }
    for ((_, b), t) in buffers.iter().zip(b_state) {
        b.set(t.clone())?;
    }
    Ok(())
}

/// What a checkpoint restores besides the model's and optimizer's tensors.
pub(crate) struct Resumed {
    pub progress: Progress,
    pub rng: Option<Rng>,
    /// The best epoch's parameters then buffers, when the checkpoint has them.
    pub best: Option<Vec<Tensor>>,
}

/// The names of `model`'s parameters then buffers, with `prefix` (`""` or `"best."`).
fn state_names(model: &dyn Module, prefix: &str) -> Vec<String> {
    let params = model.parameters().into_iter().map(|(n, _)| format!("{prefix}param.{n}"));
    params.chain(model.buffers().into_iter().map(|(n, _)| format!("{prefix}buffer.{n}"))).collect()
}

/// Writes the state after `progress.history.last()` to `path`, atomically: with the loader's
/// generator and the best epoch's model state (as `model_state` gives it), when there are.
pub(crate) fn save_checkpoint(
    path: &Path,
    model: &dyn Module,
    optimizer: &dyn Optimizer,
    (rng, best): (Option<&Rng>, Option<&[Tensor]>),
    progress: &Progress,
) -> Result<()> {
    let mut tensors: Vec<(String, Tensor)> =
        state_names(model, "").into_iter().zip(model_state(model)).collect();
    if let Some(best) = best {
        tensors.extend(state_names(model, "best.").into_iter().zip(best.iter().cloned()));
    }
    for (name, values) in optimizer.state() {
        let len = values.len();
        tensors.push((format!("optim.{name}"), Tensor::from_vec(values, [len])?));
    }
    let json = |e: serde_json::Error| Error::invalid("checkpoint", "metadata", e.to_string());
    let mut metadata = BTreeMap::new();
    metadata.insert("format".to_owned(), "axon-checkpoint".to_owned());
    metadata.insert("progress".to_owned(), serde_json::to_string(progress).map_err(json)?);
    if let Some(rng) = rng {
        metadata.insert("rng".to_owned(), rng.to_state());
    }
    save_safetensors(path, &tensors, &metadata)
}

/// Reads a checkpoint into `model` and `optimizer`; everything is checked before the model
/// changes (names and shapes must match exactly).
pub(crate) fn load_checkpoint(
    path: &Path,
    model: &dyn Module,
    optimizer: &mut dyn Optimizer,
) -> Result<Resumed> {
    let file = load_safetensors(path)?;
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    if file.metadata.get("format").map(String::as_str) != Some("axon-checkpoint") {
        return Err(bad("not an axon checkpoint".into()));
    }
    let mut tensors: BTreeMap<String, Tensor> = file.tensors.into_iter().collect();
    let best_names = state_names(model, "best.");
    let has_best = best_names.first().is_some_and(|n| tensors.contains_key(n));
    let mut take = |name: String, like: &Tensor| -> Result<Tensor> {
        let t = tensors.remove(&name).ok_or_else(|| bad(format!("no tensor `{name}`")))?;
        if t.shape() != like.shape() {
            return Err(bad(format!(
                "`{name}` has shape {}, expected {}",
                t.shape(),
                like.shape()
            )));
        }
        t.to_dtype(like.dtype())
    };
    let mut params = Vec::new();
    for (name, p) in model.parameters() {
        params.push((take(format!("param.{name}"), &p.value())?, p));
    }
    let mut buffers = Vec::new();
    for (name, b) in model.buffers() {
        buffers.push((take(format!("buffer.{name}"), &b.value())?, b));
    }
    let like = model_state(model);
    let best = if has_best {
        let best = best_names.into_iter().zip(&like).map(|(n, t)| take(n, t));
        Some(best.collect::<Result<Vec<_>>>()?)
    } else {
        None
    };
    let state: Vec<(String, Vec<f64>)> = tensors
        .iter()
        .filter_map(|(n, t)| n.strip_prefix("optim.").map(|s| (s.to_owned(), t.to_f64_vec())))
        .collect();
    let progress: Progress = file
        .metadata
        .get("progress")
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| bad("no readable training progress in the metadata".into()))?;
    let rng = file.metadata.get("rng").map(|s| Rng::from_state(s)).transpose()?;
    optimizer.load_state(&state)?;
    for (t, p) in params {
        p.set(t)?;
    }
    for (t, b) in buffers {
        b.set(t)?;
    }
    Ok(Resumed { progress, rng, best })
}

/// The metrics in a checkpoint's progress, for callers that only want to inspect it.
pub fn checkpoint_history(path: impl AsRef<Path>) -> Result<Vec<EpochMetrics>> {
    let path = path.as_ref();
    let file = load_safetensors(path)?;
    let progress: Option<Progress> =
        file.metadata.get("progress").and_then(|s| serde_json::from_str(s).ok());
    let bad = || Error::Io { path: path.display().to_string(), msg: "not a checkpoint".into() };
    Ok(progress.ok_or_else(bad)?.history)
}
