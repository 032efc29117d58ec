//! The tensors of a Hugging Face `model.safetensors`, taken one by one by their names as the
//! encoder is built. A file written from `BertModel` names them `embeddings.…`, one written from
//! a task model (`BertForSequenceClassification`, `BertForMaskedLM`) `bert.embeddings.…` beside
//! its head (`classifier.…`, `cls.…`); both load, the head left out. Every encoder tensor must be
//! there with the shape the config gives it, and the file may hold no encoder tensor the model
//! does not know: each defect is an error naming the tensor and the file.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::load_safetensors;
use crate::tensor::{DType, Tensor};

/// The prefix of a task model's encoder.
const PREFIX: &str = "bert.";

/// Encoder tensors that the model may ignore: the position-id buffer older checkpoints saved.
const IGNORED: &[&str] = &["embeddings.position_ids"];

/// The encoder tensors of one file, by their names without the `bert.` prefix.
pub(crate) struct Weights {
    tensors: BTreeMap<String, Tensor>,
    /// The prefix the file uses (`""` or `"bert."`), to name tensors as the file does.
    prefix: &'static str,
    source: String,
}

impl Weights {
    /// Reads `path`, keeping the encoder's tensors (as `f32`).
    pub(crate) fn read(path: &Path) -> Result<Weights> {
        let source = path.display().to_string();
        let file = load_safetensors(path)?;
        let prefixed = file.tensors.iter().any(|(n, _)| n.starts_with(PREFIX));
        let (prefix, mut tensors) = (if prefixed { PREFIX } else { "" }, BTreeMap::new());
        for (name, t) in file.tensors {
            let Some(local) = name.strip_prefix(prefix) else { continue };
            if IGNORED.contains(&local) {
                continue;
            }
            tensors.insert(local.to_owned(), t);
        }
        Ok(Weights { tensors, prefix, source })
    }

    fn bad(&self, msg: String) -> Error {
        Error::Io { path: self.source.clone(), msg }
    }

    /// Whether the file holds `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Takes `name`, which must have shape `dims`, as an `f32` tensor.
    pub(crate) fn take(&mut self, name: &str, dims: &[usize]) -> Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        let t = self
            .tensors
            .remove(name)
            .ok_or_else(|| self.bad(format!("no tensor `{full}` in the file")))?;
        if t.dims() != dims {
            return Err(self.bad(format!(
                "tensor `{full}` has shape {} in the file; the config gives {dims:?}",
                t.shape()
            )));
        }
        if !t.dtype().is_float() {
            return Err(self.bad(format!("tensor `{full}` is {}, not a float", t.dtype())));
        }
        t.to_dtype(DType::F32)
    }

    /// Fails if any encoder tensor was not taken.
    pub(crate) fn finish(self) -> Result<()> {
        match self.tensors.keys().next() {
            None => Ok(()),
            Some(name) => Err(self.bad(format!(
                "unexpected tensor `{}{name}` ({} in all that a BERT encoder of this config \
                 does not have)",
                self.prefix,
                self.tensors.len()
            ))),
        }
    }
}
