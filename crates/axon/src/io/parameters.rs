//! A network's parameters by their PyTorch `state_dict` names (`layers.0.weight`) in a
//! safetensors file, so weights move between axon and PyTorch or Hugging Face unchanged.
//!
//! Loading is strict, like `load_state_dict(strict=True)`: every parameter must be in the file
//! with its exact shape and the file may hold no other tensor; an `f32` file loads into `f64`
//! parameters and back by conversion. Everything is checked before anything changes, so a bad
//! file leaves the model as it was.

use std::collections::BTreeMap;
use std::path::Path;

use super::safetensors::{load_safetensors, save_safetensors};
use crate::error::{Error, Result};
use crate::nn::{Module, Param};
use crate::tensor::Tensor;

/// Saves named parameters (as a module's [`Module::parameters`] gives them) to `path`,
/// atomically, with PyTorch's `format = pt` metadata.
pub fn save_parameters(params: &[(String, Param)], path: impl AsRef<Path>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    if let Some((name, _)) = params.iter().find(|(n, _)| !seen.insert(n.as_str())) {
        return Err(Error::invalid("params", name, "two parameters with one name"));
    }
    let tensors: Vec<(String, Tensor)> =
        params.iter().map(|(n, p)| (n.clone(), p.value())).collect();
    let metadata = BTreeMap::from([("format".to_owned(), "pt".to_owned())]);
    save_safetensors(path, &tensors, &metadata)
}

/// Loads named parameters from `path` (see the module docs for the rules).
pub fn load_parameters(params: &[(String, Param)], path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let mut file: BTreeMap<String, Tensor> = load_safetensors(path)?.tensors.into_iter().collect();
    let mut updates = Vec::with_capacity(params.len());
    for (name, p) in params {
        let t = file.remove(name).ok_or_else(|| bad(format!("no tensor `{name}` in the file")))?;
        let current = p.value();
        if t.shape() != current.shape() {
            let (file_shape, model_shape) = (t.shape(), current.shape());
            return Err(bad(format!(
                "`{name}` has shape {file_shape} in the file, {model_shape} in the model"
            )));
        }
        if !t.dtype().is_float() {
            return Err(bad(format!("`{name}` is {} in the file", t.dtype())));
        }
        updates.push((p, t.to_dtype(current.dtype())?));
    }
    if let Some(extra) = file.keys().next() {
        let msg = format!("unexpected tensor `{extra}` ({} in all not in the model)", file.len());
        return Err(bad(msg));
    }
    for (p, t) in updates {
        p.set(t)?;
    }
    Ok(())
}

/// Saves `module`'s parameters under their `state_dict` names.
pub fn save_module(module: &dyn Module, path: impl AsRef<Path>) -> Result<()> {
    save_parameters(&module.parameters(), path)
}

/// Loads `module`'s parameters from a file written with their `state_dict` names.
pub fn load_module(module: &dyn Module, path: impl AsRef<Path>) -> Result<()> {
    load_parameters(&module.parameters(), path)
}
