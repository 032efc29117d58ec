//! Sentence-transformers pooling: token vectors `(B, L, H)` to one vector per text, reading
//! only the tokens the attention mask keeps. The modes are those of `1_Pooling/config.json`
//! (`pooling_mode_cls_token`, `…_max_tokens`, `…_mean_tokens`, `…_mean_sqrt_len_tokens`); when
//! several are on, their vectors are concatenated in that order, as `sentence_transformers`'
//! `Pooling` does. [`l2_normalize`] is its `Normalize` module (`x / max(‖x‖, 1e-12)`).
//! Sums run in `f64`, so the only rounding is the final `f32`.
//!
//! [`Pooling::pool_tensor`] is the same pooling as tensor operations (a masked sum over the
//! tokens, divided by their count; a masked max), so that gradients flow through it to the
//! encoder when a classifier on the pooled vector is fine-tuned.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// One way of pooling token vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolingMode {
    /// The first token's vector (`[CLS]`).
    Cls,
    /// The largest value of each feature over the kept tokens.
    Max,
    /// The mean over the kept tokens.
    Mean,
    /// The sum over the kept tokens divided by the square root of their number.
    MeanSqrtLen,
}

/// The pooling modes of a sentence encoder, in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct Pooling {
    modes: Vec<PoolingMode>,
}

/// The keys of `1_Pooling/config.json`, in `sentence_transformers`' output order.
const MODE_KEYS: [(&str, PoolingMode); 4] = [
    ("pooling_mode_cls_token", PoolingMode::Cls),
    ("pooling_mode_max_tokens", PoolingMode::Max),
    ("pooling_mode_mean_tokens", PoolingMode::Mean),
    ("pooling_mode_mean_sqrt_len_tokens", PoolingMode::MeanSqrtLen),
];

/// Modes that `sentence_transformers` has and axon does not compute.
const UNSUPPORTED: [&str; 2] = ["pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"];

impl Pooling {
    /// Pooling by the given modes (at least one).
    pub fn new(modes: Vec<PoolingMode>) -> Result<Pooling> {
        if modes.is_empty() {
            return Err(Error::invalid("modes", "[]", "pooling needs at least one mode"));
        }
        Ok(Pooling { modes })
    }

    /// Mean pooling, what `sentence_transformers` uses for a plain Hugging Face model.
    pub fn mean() -> Pooling {
        Pooling { modes: vec![PoolingMode::Mean] }
    }

    /// Reads a `1_Pooling/config.json`; `hidden` is the encoder's width, which its dimension
    /// must equal. Both layouts are read: the one flag per mode of sentence-transformers up to
    /// 5 (`pooling_mode_mean_tokens: true`, `word_embedding_dimension`), and the mode name (or
    /// list of names) of 6 (`pooling_mode: "mean"`, `embedding_dimension`).
    pub fn from_file(path: impl AsRef<Path>, hidden: usize) -> Result<Pooling> {
        let path = path.as_ref();
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let value: Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        for key in ["word_embedding_dimension", "embedding_dimension"] {
            if let Some(d) = value.get(key).filter(|d| d.as_u64() != Some(hidden as u64)) {
                return Err(bad(format!(
                    "{key} {d} differs from the model's hidden_size {hidden}"
                )));
            }
        }
        let modes = match value.get("pooling_mode") {
            Some(named) => named_modes(named).map_err(bad)?,
            None => flagged_modes(&value).map_err(bad)?,
        };
        Pooling::new(modes).map_err(|_| bad("no pooling mode is on".into()))
    }

    /// Pooling by mode names (`cls`, `max`, `mean`, `mean_sqrt_len`), as [`Pooling::names`]
    /// gives them.
    pub fn from_names(names: &[String]) -> Result<Pooling> {
        let value = Value::Array(names.iter().cloned().map(Value::String).collect());
        let modes = named_modes(&value).map_err(|e| Error::invalid("pooling", "names", e))?;
        Pooling::new(modes)
    }

    /// The modes' names, in output order.
    pub fn names(&self) -> Vec<String> {
        let name = |m: &PoolingMode| match m {
            PoolingMode::Cls => "cls",
            PoolingMode::Max => "max",
            PoolingMode::Mean => "mean",
            PoolingMode::MeanSqrtLen => "mean_sqrt_len",
        };
        self.modes.iter().map(|m| name(m).to_owned()).collect()
    }

    pub fn modes(&self) -> &[PoolingMode] {
        &self.modes
    }

    /// The width of a pooled vector for token vectors of `hidden` features.
    pub fn output_dim(&self, hidden: usize) -> usize {
        hidden * self.modes.len()
    }

    /// Pools token vectors `hidden` `(B, L, H)` under `mask` `(B, L)` (non-zero: a token) into
    /// `(B, output_dim)`, as tensor operations that record a graph, so gradients reach `hidden`:
    /// mean `Σ_t m_t h_t / max(Σ_t m_t, 1e-9)`, mean-sqrt-len `Σ_t m_t h_t / √max(Σ_t m_t, 1e-9)`,
    /// CLS `h_0`, max `max_t (m_t h_t − (1 − m_t) 10⁹)` (masked tokens at −10⁹, as
    /// sentence-transformers sets them).
    pub fn pool_tensor(&self, hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let &[b, l, _] = hidden.dims() else {
            return Err(Error::invalid("hidden", hidden.shape(), "token vectors are (B, L, H)"));
        };
        if mask.dims() != [b, l] {
            let why = format!("the mask must be ({b}, {l}) as the token vectors");
            return Err(Error::invalid("mask", mask.shape(), why));
        }
        let m = mask.ne(&Tensor::zeros_like(mask))?.to_dtype(hidden.dtype())?.unsqueeze(2)?;
        let kept = m.sum(1, false)?.clamp(1e-9, f64::INFINITY)?;
        let masked = hidden.mul(&m)?;
        let sum = || masked.sum(1, false);
        let mut parts = Vec::with_capacity(self.modes.len());
        for mode in &self.modes {
            parts.push(match mode {
                PoolingMode::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
                PoolingMode::Mean => sum()?.div(&kept)?,
                PoolingMode::MeanSqrtLen => sum()?.div(&kept.sqrt()?)?,
                PoolingMode::Max => {
                    masked.add(&m.sub_scalar(1.0)?.mul_scalar(1e9)?)?.max(1, false)?
                }
            });
        }
        if parts.len() == 1 {
            return Ok(parts.remove(0));
        }
        Tensor::concat(&parts, 1)
    }

    /// Pools `hidden` (`batch × len × dim`, row-major) under `mask` (`batch × len`, non-zero:
    /// a token): `batch` rows of [`Pooling::output_dim`] values.
    pub fn pool(&self, hidden: &[f32], mask: &[i64], batch: usize, dim: usize) -> Vec<f32> {
        let len = mask.len() / batch.max(1);
        let mut out = Vec::with_capacity(batch * self.output_dim(dim));
        let mut sum = vec![0f64; dim];
        let mut max = vec![0f64; dim];
        for b in 0..batch {
            let rows = &hidden[b * len * dim..(b + 1) * len * dim];
            sum.fill(0.0);
            max.fill(f64::NEG_INFINITY);
            let mut kept = 0usize;
            for (t, row) in rows.chunks_exact(dim).enumerate() {
                if mask[b * len + t] == 0 {
                    continue;
                }
                kept += 1;
                for ((s, m), &x) in sum.iter_mut().zip(max.iter_mut()).zip(row) {
                    *s += f64::from(x);
                    *m = m.max(f64::from(x));
                }
            }
            for mode in &self.modes {
                match mode {
                    PoolingMode::Cls => out.extend_from_slice(&rows[..dim]),
                    // sentence-transformers sets masked tokens to -1e9 before the max.
                    PoolingMode::Max => out.extend(max.iter().map(|&m| m.max(-1e9) as f32)),
                    PoolingMode::Mean => {
                        let n = (kept as f64).max(1e-9);
                        out.extend(sum.iter().map(|&s| (s / n) as f32));
                    }
                    PoolingMode::MeanSqrtLen => {
                        let n = (kept as f64).max(1e-9).sqrt();
                        out.extend(sum.iter().map(|&s| (s / n) as f32));
                    }
                }
            }
        }
        out
    }
}

/// The modes of the flags `pooling_mode_…: true`, in sentence-transformers' order.
fn flagged_modes(config: &Value) -> std::result::Result<Vec<PoolingMode>, String> {
    let flag = |key: &str| match config.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(format!("`{key}` is {v}, not true or false")),
    };
    for key in UNSUPPORTED {
        if flag(key)? {
            return Err(format!("`{key}` is not supported"));
        }
    }
    let mut modes = Vec::new();
    for (key, mode) in MODE_KEYS {
        if flag(key)? {
            modes.push(mode);
        }
    }
    Ok(modes)
}

/// The modes of `pooling_mode`: a name or a list of names, put in sentence-transformers' order.
fn named_modes(named: &Value) -> std::result::Result<Vec<PoolingMode>, String> {
    let names: Vec<&Value> = match named {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let mut modes = Vec::new();
    for name in names {
        let mode = match name.as_str() {
            Some("cls" | "cls_token") => PoolingMode::Cls,
            Some("max" | "max_tokens") => PoolingMode::Max,
            Some("mean" | "mean_tokens") => PoolingMode::Mean,
            Some("mean_sqrt_len" | "mean_sqrt_len_tokens") => PoolingMode::MeanSqrtLen,
            _ => return Err(format!("pooling_mode {name} is not supported")),
        };
        modes.push(mode);
    }
    let order = |m: &PoolingMode| MODE_KEYS.iter().position(|(_, k)| k == m);
    modes.sort_by_key(order);
    modes.dedup();
    Ok(modes)
}

/// Divides each row of `dim` values by its Euclidean norm (at least 1e-12), as
/// `torch.nn.functional.normalize`.
pub fn l2_normalize(rows: &mut [f32], dim: usize) {
    for row in rows.chunks_exact_mut(dim.max(1)) {
        let norm = row.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt().max(1e-12);
        for x in row {
            *x = (f64::from(*x) / norm) as f32;
        }
    }
}
