//! The one file format of every saved model, linear or network: a safetensors file whose tensors
//! are the model's numbers (a linear model's `coefficients`, a network's parameters and buffers
//! by their PyTorch `state_dict` names) and whose metadata holds one key, `axon`, with a JSON
//! description:
//!
//! ```text
//! {"format": "axon-model", "version": 3, "axon_version": "0.1.0",
//!  "kind": "linear" | "network" | "sparse-linear" | "naive-bayes",
//!  "model": { what rebuilds the model: a linear model's kind and encoder, a network's
//!             architecture, scaling and data schema },
//!  "settings": { the record of the run that made it }}
//! ```
//!
//! Besides the numbers, a file may hold blocks of bytes (one-dimensional `U8` tensors): a text
//! model's vocabulary is one, its terms one per line (`text.{i}.terms`), read at load without
//! any JSON parsing; version 2 wrote the terms as a JSON array in the description, and those
//! files still load (version 3 is the first with byte blocks, so an older axon refuses such a
//! file by its version rather than by an unknown dtype).
//!
//! Files of the first formats still load: a linear model of `{"format": "axon-linear",
//! "version": 1}` (same key, its description is the model body) and a network with separate
//! `axon.kind = "nn-classifier"`, `axon.architecture`, ... keys and no version. [`load_model`]
//! reports those as version 1, with their description or keys as the body, and each model's
//! loader reads its version-1 body. A file of a newer version is refused with a clear error, and
//! so is a file with a non-finite number (NaN, ±∞) in a tensor: no model is saved with one, and
//! it would only turn into NaN probabilities.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::safetensors::{load_safetensors, save_safetensors_with_bytes, TensorFile};
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// The metadata key of the description.
const KEY: &str = "axon";
/// The name of the format, in the description.
pub const MODEL_FORMAT: &str = "axon-model";
/// The version this axon writes; it reads this one and every earlier one.
pub const MODEL_VERSION: u32 = 3;
/// The format name of version-1 linear model files.
const LINEAR_V1: &str = "axon-linear";
/// The `axon.kind` of version-1 network files.
const NETWORK_V1: &str = "nn-classifier";

/// What a model file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Linear,
    Network,
    /// A linear model on a sparse design of text columns (`SparseLinearModel`).
    #[serde(rename = "sparse-linear")]
    SparseLinear,
    /// Naive Bayes on a sparse design of text columns (`NaiveBayesModel`).
    #[serde(rename = "naive-bayes")]
    NaiveBayes,
    /// A network on the sparse design of text columns (`TextNetwork`).
    #[serde(rename = "text-network")]
    TextNetwork,
    /// A classifier on a BERT encoder, fine-tuned or not (`nn::bert::BertClassifier`).
    #[serde(rename = "bert-classifier")]
    BertClassifier,
    /// A linear model on the sentence embeddings of text columns (`EncodedLinearModel`).
    #[serde(rename = "encoded-linear")]
    EncodedLinear,
}

/// The description in the metadata, as read (`S = String`, `M = Value`) or written (borrowed).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Description<S = String, M = Value, V = Value> {
    format: S,
    version: u32,
    axon_version: S,
    kind: ModelKind,
    model: M,
    settings: V,
}

/// A model file as read: what it is, the body that rebuilds the model, and the tensors.
#[derive(Debug, Clone)]
pub struct ModelFile {
    pub kind: ModelKind,
    /// The format version the file was written in (1 for the first formats).
    pub version: u32,
    /// The kind-specific description (for version 1, the linear description or the network's
    /// `axon.*` keys, each parsed as JSON where it is JSON).
    pub model: Value,
    /// The record of the run that made the model.
    pub settings: Value,
    pub tensors: TensorFile,
}

/// Writes a model of `kind` to `path` (atomically): its `tensors` and the description.
pub fn save_model(
    path: impl AsRef<Path>,
    kind: ModelKind,
    model: &impl Serialize,
    settings: &Value,
    tensors: &[(String, Tensor)],
) -> Result<()> {
    save_model_with_bytes(path, kind, model, settings, tensors, &[])
}

/// Writes a model of `kind` to `path` (atomically): its `tensors`, its blocks of `bytes` and the
/// description.
pub fn save_model_with_bytes(
    path: impl AsRef<Path>,
    kind: ModelKind,
    model: &impl Serialize,
    settings: &Value,
    tensors: &[(String, Tensor)],
    bytes: &[(String, Vec<u8>)],
) -> Result<()> {
    // Written straight to text: a JSON value of a vocabulary would copy every term.
    let description = Description {
        format: MODEL_FORMAT,
        version: MODEL_VERSION,
        axon_version: env!("CARGO_PKG_VERSION"),
        kind,
        model,
        settings,
    };
    let json = serde_json::to_string(&description)
        .map_err(|e| Error::invalid("model", "description", e.to_string()))?;
    // `format = pt` lets PyTorch's and Hugging Face's safetensors loaders take the weights.
    let metadata = BTreeMap::from([(KEY.to_owned(), json), ("format".to_owned(), "pt".into())]);
    save_safetensors_with_bytes(path, tensors, bytes, &metadata)
}

/// Reads a model file of any version; a file that is not one is an error naming it.
pub fn load_model(path: impl AsRef<Path>) -> Result<ModelFile> {
    let path = path.as_ref();
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let tensors = load_safetensors(path)?;
    check_finite(&tensors).map_err(bad)?;
    let md = &tensors.metadata;
    if md.get("axon.kind").map(String::as_str) == Some(NETWORK_V1) {
        let model = network_v1(md);
        return Ok(ModelFile {
            kind: ModelKind::Network,
            version: 1,
            model,
            settings: Value::Null,
            tensors,
        });
    }
    let json = md.get(KEY).ok_or_else(|| {
        bad("a safetensors file, but not an axon model (no `axon` metadata)".into())
    })?;
    let value: Value = serde_json::from_str(json)
        .map_err(|e| bad(format!("the model description is corrupt: {e}")))?;
    let format = value["format"].as_str().unwrap_or_default().to_owned();
    let version = value["version"].as_u64().unwrap_or(0);
    match (format.as_str(), version) {
        (LINEAR_V1, 1) => {
            let settings = value["settings"].clone();
            Ok(ModelFile { kind: ModelKind::Linear, version: 1, model: value, settings, tensors })
        }
        (MODEL_FORMAT, v) if (2..=u64::from(MODEL_VERSION)).contains(&v) => {
            let d: Description = serde_json::from_value(value)
                .map_err(|e| bad(format!("the model description is corrupt: {e}")))?;
            Ok(ModelFile {
                kind: d.kind,
                version: d.version,
                model: d.model,
                settings: d.settings,
                tensors,
            })
        }
        _ => Err(bad(format!(
            "a `{format}` file of version {version}; this axon reads `{MODEL_FORMAT}` up to \
             version {MODEL_VERSION}"
        ))),
    }
}

/// Every number of every floating-point tensor is finite; otherwise the message names the tensor,
/// the value and where it is.
fn check_finite(file: &TensorFile) -> std::result::Result<(), String> {
    fn first<T: Copy + Into<f64>>(values: &[T]) -> Option<(usize, f64)> {
        values.iter().map(|&v| v.into()).enumerate().find(|(_, v)| !v.is_finite())
    }
    for (name, t) in &file.tensors {
        let found = match t.dtype() {
            DType::F32 => t.to_vec::<f32>().ok().and_then(|v| first(&v)),
            DType::F64 => t.to_vec::<f64>().ok().and_then(|v| first(&v)),
            DType::I64 => None,
        };
        if let Some((i, v)) = found {
            return Err(format!(
                "tensor `{name}` holds {v} (element {i} of {}); a model's numbers must be finite",
                t.numel()
            ));
        }
    }
    Ok(())
}

/// The `axon.*` keys of a version-1 network file as one JSON object, each value parsed as JSON
/// where it is JSON (`axon.source` is a plain string).
fn network_v1(metadata: &BTreeMap<String, String>) -> Value {
    let fields = metadata.iter().filter_map(|(key, text)| {
        let name = key.strip_prefix("axon.")?;
        let value = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()));
        Some((name.to_owned(), value))
    });
    Value::Object(fields.collect())
}

impl ModelFile {
    /// The body as `T`, or an error naming the file.
    pub fn model_as<T: for<'de> Deserialize<'de>>(&self, path: &Path) -> Result<T> {
        T::deserialize(&self.model).map_err(|e| Error::Io {
            path: path.display().to_string(),
            msg: format!("the model description is corrupt: {e}"),
        })
    }
}
