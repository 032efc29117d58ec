//! Named tensors in the safetensors format: an 8-byte little-endian header length, a JSON header
//! (dtype, shape and byte range of every tensor, plus a string-to-string `__metadata__` map), then
//! the raw little-endian, row-major data. The `safetensors` crate parses and writes the header;
//! this file converts between its byte views and [`Tensor`]s, and turns every defect of a file
//! (not safetensors, truncated, an unsupported dtype) into an error that names the file. A file
//! may also hold one-dimensional `U8` tensors, kept as plain bytes ([`TensorFile::bytes`]): a
//! model's vocabulary is one such block of text, read without any JSON parsing.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::atomic::write_atomic;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// The contents of a safetensors file: its tensors sorted by name (the format keeps no order:
/// writers sort by dtype and name) and its metadata.
#[derive(Debug, Clone)]
pub struct TensorFile {
    pub tensors: Vec<(String, Tensor)>,
    /// The one-dimensional `U8` tensors, as bytes, sorted by name.
    pub bytes: Vec<(String, Vec<u8>)>,
    pub metadata: BTreeMap<String, String>,
}

impl TensorFile {
    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// The bytes of the `U8` tensor called `name`.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.bytes.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
    }
}

/// Writes `tensors` (f32, f64 or i64, any layout) and `metadata` to `path`, atomically.
pub fn save_safetensors(
    path: impl AsRef<Path>,
    tensors: &[(String, Tensor)],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    save_safetensors_with_bytes(path, tensors, &[], metadata)
}

/// Writes `tensors`, the byte blocks `bytes` (as one-dimensional `U8` tensors) and `metadata`
/// to `path`, atomically.
pub fn save_safetensors_with_bytes(
    path: impl AsRef<Path>,
    tensors: &[(String, Tensor)],
    bytes: &[(String, Vec<u8>)],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let encoded: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| (name.as_str(), dtype_of(t.dtype()), t.dims().to_vec(), le_bytes(t)))
        .collect();
    let tensor_views = encoded.iter().map(|(name, dtype, shape, data)| {
        TensorView::new(*dtype, shape.clone(), data).map(|v| (*name, v))
    });
    let byte_views = (bytes.iter())
        .map(|(name, b)| TensorView::new(Dtype::U8, vec![b.len()], b).map(|v| (name.as_str(), v)));
    let views = tensor_views
        .chain(byte_views)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    let meta: HashMap<String, String> = metadata.clone().into_iter().collect();
    let mut buffer = safetensors::serialize(views, Some(meta)).map_err(|e| file_error(path, e))?;
    sort_header(&mut buffer);
    write_atomic(path, &buffer)
}

/// Rewrites the JSON header of a serialised file with its keys sorted. `safetensors` builds it
/// from hash maps, so two saves of the same tensors would otherwise differ in the order of the
/// header's keys; sorted, the same model always gives the same bytes (and the same checksum).
/// The sorted header has the same length, so the data offsets and padding stay valid.
fn sort_header(buffer: &mut [u8]) {
    let Some(len) = buffer.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    else {
        return;
    };
    let Some(header) = usize::try_from(len).ok().and_then(|n| buffer.get_mut(8..8 + n)) else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(header) else { return };
    let Ok(sorted) = serde_json::to_vec(&sorted_keys(value)) else { return };
    if sorted.len() <= header.len() {
        header[..sorted.len()].copy_from_slice(&sorted);
        header[sorted.len()..].fill(b' ');
    }
}

/// `value` with every object's keys in sorted order (whatever map serde_json was built with).
fn sorted_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, sorted_keys(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        other => other,
    }
}

/// Reads a safetensors file. Errors name the file: it cannot be read, it is not a safetensors
/// file, or it holds a dtype other than F32, F64, I64 and (one-dimensional) U8.
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<TensorFile> {
    let path = path.as_ref();
    let buffer = std::fs::read(path)
        .map_err(|e| Error::Io { path: path.display().to_string(), msg: e.to_string() })?;
    let file = SafeTensors::deserialize(&buffer).map_err(|e| file_error(path, e))?;
    let (_, header) = SafeTensors::read_metadata(&buffer).map_err(|e| file_error(path, e))?;
    let metadata = header.metadata().clone().unwrap_or_default().into_iter().collect();
    let (mut tensors, mut bytes) = (Vec::new(), Vec::new());
    for (name, view) in file.iter() {
        if view.dtype() == Dtype::U8 && view.shape().len() == 1 {
            bytes.push((name.to_owned(), view.data().to_vec()));
        } else {
            tensors.push((name.to_owned(), to_tensor(path, name, &view)?));
        }
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    bytes.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(TensorFile { tensors, bytes, metadata })
}

fn dtype_of(dtype: DType) -> Dtype {
    match dtype {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::I64 => Dtype::I64,
    }
}

/// The elements of `t` in row-major order as little-endian bytes.
fn le_bytes(t: &Tensor) -> Vec<u8> {
    fn bytes<T: crate::tensor::Element, const N: usize>(
        t: &Tensor,
        f: impl Fn(T) -> [u8; N],
    ) -> Vec<u8> {
        let values = t.to_vec::<T>().expect("dtype checked by the caller");
        values.into_iter().flat_map(f).collect()
    }
    match t.dtype() {
        DType::F32 => bytes::<f32, 4>(t, f32::to_le_bytes),
        DType::F64 => bytes::<f64, 8>(t, f64::to_le_bytes),
        DType::I64 => bytes::<i64, 8>(t, i64::to_le_bytes),
    }
}

fn to_tensor(path: &Path, name: &str, view: &TensorView<'_>) -> Result<Tensor> {
    let shape = view.shape().to_vec();
    let data = view.data();
    let tensor = match view.dtype() {
        Dtype::F32 => Tensor::from_vec(decode(data, f32::from_le_bytes), shape),
        Dtype::F64 => Tensor::from_vec(decode(data, f64::from_le_bytes), shape),
        Dtype::I64 => Tensor::from_vec(decode(data, i64::from_le_bytes), shape),
        other => {
            let msg = format!(
                "tensor `{name}` has dtype {other:?}; axon reads F32, F64, I64 and \
                 one-dimensional U8"
            );
            return Err(Error::Io { path: path.display().to_string(), msg });
        }
    };
    tensor.map_err(|e| Error::Io {
        path: path.display().to_string(),
        msg: format!("tensor `{name}`: {e}"),
    })
}

fn decode<T, const N: usize>(data: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    data.chunks_exact(N).map(|c| f(c.try_into().expect("chunks of N bytes"))).collect()
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.display().to_string(),
        msg: format!("not a valid safetensors file: {e}"),
    }
}
