//! Parameters in the safetensors format: an 8-byte little-endian header length, a JSON header
//! mapping each name to its dtype, shape and byte range, then the raw little-endian data.
//!
//! Names are PyTorch's `state_dict` names (`layers.0.weight`); `f32` and `f64` tensors are
//! supported. Loading is strict, like `load_state_dict(strict=True)`: every parameter must be in
//! the file with its exact shape, and the file may hold no other tensor; an `f32` file loads into
//! `f64` parameters and back by conversion. Writing goes to a temporary file in the destination's
//! folder, which is then renamed over the destination, so an interrupted save never leaves a
//! half-written file.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::Path;

use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::error::{Error, Result};
use crate::nn::{Module, Param};
use crate::tensor::{DType, Storage, Tensor};

fn io_error(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Io { path: path.display().to_string(), msg: msg.to_string() }
}

fn format_error(path: &Path, msg: impl Into<String>) -> Error {
    Error::Format { path: path.display().to_string(), line: 0, msg: msg.into() }
}

/// The little-endian bytes of a tensor's elements.
fn to_bytes(t: &Tensor) -> Result<(Dtype, Vec<u8>)> {
    Ok(match t.dtype() {
        DType::F32 => {
            (Dtype::F32, t.to_vec::<f32>()?.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
        DType::F64 => {
            (Dtype::F64, t.to_vec::<f64>()?.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
        DType::I64 => {
            (Dtype::I64, t.to_vec::<i64>()?.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
    })
}

/// A tensor from a safetensors view (`F32`, `F64` or `I64`).
fn from_view(name: &str, view: &TensorView<'_>, path: &Path) -> Result<Tensor> {
    let data = view.data();
    let storage = match view.dtype() {
        Dtype::F32 => Storage::F32(
            data.chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                .collect(),
        ),
        Dtype::F64 => Storage::F64(
            data.chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        ),
        Dtype::I64 => Storage::I64(
            data.chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        ),
        other => {
            return Err(format_error(
                path,
                format!("tensor `{name}` has dtype {other:?}; axon reads F32, F64 and I64"),
            ))
        }
    };
    match storage {
        Storage::F32(v) => Tensor::from_vec(v, view.shape()),
        Storage::F64(v) => Tensor::from_vec(v, view.shape()),
        Storage::I64(v) => Tensor::from_vec(v, view.shape()),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().ok_or_else(|| io_error(path, "not a file name"))?;
    let tmp = folder.join(format!(".{}.tmp-{}", file_name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
        file.write_all(bytes).map_err(|e| io_error(&tmp, e))?;
        file.sync_all().map_err(|e| io_error(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| io_error(path, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes named tensors to a safetensors file at `path` (atomically), with optional metadata.
pub fn write_tensors(
    tensors: &[(String, Tensor)],
    metadata: Option<HashMap<String, String>>,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let mut encoded = BTreeMap::new();
    for (name, t) in tensors {
        if encoded.insert(name.clone(), (t.dims().to_vec(), to_bytes(t)?)).is_some() {
            return Err(Error::invalid("tensors", name, "two tensors with one name"));
        }
    }
    let mut views = Vec::with_capacity(encoded.len());
    for (name, (shape, (dtype, bytes))) in &encoded {
        let view = TensorView::new(*dtype, shape.clone(), bytes).map_err(|e| io_error(path, e))?;
        views.push((name.as_str(), view));
    }
    let bytes = ::safetensors::serialize(views, metadata).map_err(|e| io_error(path, e))?;
    write_atomic(path, &bytes)
}

/// Reads every tensor of a safetensors file, sorted by name.
pub fn read_tensors(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| io_error(path, e))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| format_error(path, e.to_string()))?;
    let mut out = Vec::new();
    for (name, view) in file.tensors() {
        let t = from_view(&name, &view, path)?;
        out.push((name, t));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Saves named parameters (as a module's [`Module::parameters`] gives them) to `path`.
pub fn save_parameters(params: &[(String, Param)], path: impl AsRef<Path>) -> Result<()> {
    let tensors: Vec<(String, Tensor)> =
        params.iter().map(|(n, p)| (n.clone(), p.value())).collect();
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    write_tensors(&tensors, Some(metadata), path)
}

/// Loads named parameters from `path`: every name must be in the file with the parameter's
/// shape (an `f32`/`f64` difference is converted), and the file must hold nothing else.
pub fn load_parameters(params: &[(String, Param)], path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let mut file: BTreeMap<String, Tensor> = read_tensors(path)?.into_iter().collect();
    let mut updates = Vec::with_capacity(params.len());
    for (name, p) in params {
        let t = file
            .remove(name)
            .ok_or_else(|| format_error(path, format!("no tensor `{name}` in the file")))?;
        let current = p.value();
        if t.shape() != current.shape() {
            let msg = format!(
                "`{name}` has shape {} in the file, {} in the model",
                t.shape(),
                current.shape()
            );
            return Err(format_error(path, msg));
        }
        if !t.dtype().is_float() {
            return Err(format_error(path, format!("`{name}` is {} in the file", t.dtype())));
        }
        updates.push((p, t.to_dtype(current.dtype())?));
    }
    if let Some(extra) = file.keys().next() {
        let msg = format!("unexpected tensor `{extra}` ({} in all not in the model)", file.len());
        return Err(format_error(path, msg));
    }
    // Checked in full before anything changes: a bad file leaves the model as it was.
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
