//! A network's parameters by their PyTorch `state_dict` names (`layers.0.weight`) in a
//! safetensors file, so weights move between axon and PyTorch or Hugging Face unchanged.
//!
//! Loading is strict, like `load_state_dict(strict=True)`: every parameter must be in the file
//! with its exact shape and the file may hold no other tensor; an `f32` file loads into `f64`
//! parameters and back by conversion. Everything is checked before anything changes, so a bad
//! file leaves the model as it was. A module's buffers (batch norm's `running_mean`,
//! `running_var` and the `i64` `num_batches_tracked`) are saved and loaded with its parameters by
//! their `state_dict` names, exactly as PyTorch's `state_dict` holds them. A float tensor loads
//! into a float slot of either precision; an integer one only into an integer slot.

use std::collections::BTreeMap;
use std::path::Path;

use super::safetensors::{load_safetensors, save_safetensors};
use crate::error::{Error, Result};
use crate::nn::{Buffer, Module, Param};
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
    load_state(params, &[], path.as_ref())
}

/// Loads parameters and buffers from `path`, strictly: every one must be there, nothing else.
fn load_state(params: &[(String, Param)], buffers: &[(String, Buffer)], path: &Path) -> Result<()> {
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let mut file: BTreeMap<String, Tensor> = load_safetensors(path)?.tensors.into_iter().collect();
    let mut updates = Vec::with_capacity(params.len());
    let values = params.iter().map(|(n, p)| (n, p.value()));
    let buffer_values = buffers.iter().map(|(n, b)| (n, b.value()));
    for (name, current) in values.chain(buffer_values) {
        let t = file.remove(name).ok_or_else(|| bad(format!("no tensor `{name}` in the file")))?;
        if t.shape() != current.shape() {
            let (file_shape, model_shape) = (t.shape(), current.shape());
            return Err(bad(format!(
                "`{name}` has shape {file_shape} in the file, {model_shape} in the model"
            )));
        }
        if t.dtype().is_float() != current.dtype().is_float() {
            let (file_dtype, model_dtype) = (t.dtype(), current.dtype());
            return Err(bad(format!(
                "`{name}` is {file_dtype} in the file, {model_dtype} in the model"
            )));
        }
        updates.push(t.to_dtype(current.dtype())?);
    }
    if let Some(extra) = file.keys().next() {
        let msg = format!("unexpected tensor `{extra}` ({} in all not in the model)", file.len());
        return Err(bad(msg));
    }
    let (param_values, buffer_values) = updates.split_at(params.len());
    for ((_, p), t) in params.iter().zip(param_values) {
        p.set(t.clone())?;
    }
    for ((_, b), t) in buffers.iter().zip(buffer_values) {
        b.set(t.clone())?;
    }
    Ok(())
}

/// Saves `module`'s parameters and buffers under their `state_dict` names.
pub fn save_module(module: &dyn Module, path: impl AsRef<Path>) -> Result<()> {
    let buffers = module.buffers().into_iter().map(|(n, b)| (n, Param::new("buffer", b.value())));
    let mut all = module.parameters();
    all.extend(buffers);
    save_parameters(&all, path)
}

/// Loads `module`'s parameters and buffers from a file written with their `state_dict` names.
pub fn load_module(module: &dyn Module, path: impl AsRef<Path>) -> Result<()> {
    load_state(&module.parameters(), &module.buffers(), path.as_ref())
}
