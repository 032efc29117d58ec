//! Checkpoints of an online fit: the state arrays, the learner, the progress (rows, pass, loss
//! sums) and the caller's own settings text in one safetensors file written atomically, so a
//! stream interrupted at any point resumes from the last checkpoint and ends with the same
//! bits as a run that was never interrupted. A checkpoint of `K` processes sharing a stream
//! (`ranks.rs`) also holds each one's place in its part of the input: the rows of the current
//! pass it had learned, by rank, so that the same `K` processes resume where each stopped.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::learner::{Learner, OnlineModel, Progress};
use crate::error::{Error, Result};
use crate::io::{load_safetensors, save_safetensors};
use crate::tensor::Tensor;

/// The metadata key of a checkpoint.
const KEY: &str = "axon_online";

/// What the metadata holds besides the arrays.
#[derive(Serialize, Deserialize)]
struct Header {
    learner: Learner,
    n_features: usize,
    progress: Progress,
    /// The caller's settings (what was read and how it was featurized), compared on resume.
    settings: String,
    /// With several processes: the rows of the current pass each had learned, by rank (absent
    /// for one process).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    places: Vec<u64>,
}

/// What a checkpoint holds.
#[derive(Debug)]
pub struct Saved {
    pub model: OnlineModel,
    /// The caller's settings text.
    pub settings: String,
    /// The rows of the current pass each process had learned, by rank; empty for one process.
    pub places: Vec<u64>,
}

/// Writes `model`, the caller's `settings` and, with several processes, each one's `places`
/// (empty for one process) to `path` atomically.
pub fn save_checkpoint(
    path: impl AsRef<Path>,
    model: &OnlineModel,
    settings: &str,
    places: &[u64],
) -> Result<()> {
    let (a, b) = model.state();
    let header = Header {
        learner: model.learner(),
        n_features: model.n_features(),
        progress: model.progress,
        settings: settings.to_owned(),
        places: places.to_vec(),
    };
    let json = serde_json::to_string(&header)
        .map_err(|e| Error::invalid("checkpoint", "header", e.to_string()))?;
    let tensors = vec![
        ("a".to_string(), Tensor::from_vec(a.to_vec(), [a.len()])?),
        ("b".to_string(), Tensor::from_vec(b.to_vec(), [b.len()])?),
    ];
    save_safetensors(path, &tensors, &BTreeMap::from([(KEY.to_string(), json)]))
}

/// Reads a checkpoint: the model, the settings text and the places it was saved with.
pub fn load_checkpoint(path: impl AsRef<Path>) -> Result<Saved> {
    let path = path.as_ref();
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let file = load_safetensors(path)?;
    let json = file
        .metadata
        .get(KEY)
        .ok_or_else(|| bad("not a checkpoint of an online fit (no axon_online metadata)".into()))?;
    let header: Header =
        serde_json::from_str(json).map_err(|e| bad(format!("bad checkpoint header: {e}")))?;
    let array = |name: &str| -> Result<Vec<f64>> {
        let t = file.tensor(name).ok_or_else(|| bad(format!("no `{name}` array")))?;
        t.to_vec::<f64>()
    };
    let model = OnlineModel::from_parts(
        header.learner,
        header.n_features,
        array("a")?,
        array("b")?,
        header.progress,
    )?;
    Ok(Saved { model, settings: header.settings, places: header.places })
}
