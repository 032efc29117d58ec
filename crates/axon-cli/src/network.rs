//! A network saved by `axon train --out`, loaded for `axon predict` and `axon eval`: logits
//! `z = f(x')` `(n, K)` of the scaled rows `x'` `(n, d)` (or `(n, 1, H, W)` for the CNN), and
//! class probabilities `p_k = exp(z_k − logsumexp(z))` in `f64`.
//!
//! The model file (safetensors) holds the parameters and buffers by their `state_dict` names and,
//! as metadata, `axon.kind = "nn-classifier"`, the `axon.architecture` that rebuilds the
//! network, the `axon.scaling` of raw features, the `axon.classes`, the `axon.features` (column
//! names), and `axon.source` / `axon.target`: what kind of data it was trained on (an IDX folder,
//! a CSV file with a header and its class column, a header-less CSV file), which decides how
//! `network_data.rs` reads new rows. The weights are loaded strictly (every tensor, nothing
//! else, exact shapes) by `axon::io::load_module`. Rows go through the network in chunks of
//! [`CHUNK`], as `axon train` evaluates its test rows, so the numbers are the same.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use axon::nn::{Module, Sequential};
use axon::{no_grad, Rng, Tensor};
use serde::de::DeserializeOwned;

use crate::scaling::Scaling;
use crate::train::Architecture;

/// The `axon.kind` of a network file.
pub const KIND: &str = "nn-classifier";

/// Rows per forward pass (the chunk `axon train` evaluates its test rows in).
pub const CHUNK: usize = 1024;

/// The data a network was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An IDX folder (MNIST layout): new rows come from its test files.
    Idx,
    /// A CSV file with a header: features and class by column name.
    Csv,
    /// A CSV file without a header, the label last (the digits layout).
    CsvNoHeader,
}

/// A trained network with what it needs to read raw rows.
pub struct Network {
    pub net: Sequential,
    pub arch: Architecture,
    pub scaling: Option<Scaling>,
    pub classes: Vec<String>,
    pub features: Vec<String>,
    /// The class column of a header CSV file.
    pub target: Option<String>,
    pub source: Source,
}

/// One metadata entry of `path`, parsed as JSON.
fn meta<T: DeserializeOwned>(
    metadata: &BTreeMap<String, String>,
    key: &str,
    path: &Path,
) -> anyhow::Result<T> {
    let text = metadata
        .get(key)
        .with_context(|| format!("{}: no `{key}` in the model file's metadata", path.display()))?;
    serde_json::from_str(text)
        .with_context(|| format!("{}: unreadable `{key}` in the metadata", path.display()))
}

/// The number of input features and of classes of `arch`.
fn arch_sizes(arch: &Architecture) -> (usize, usize) {
    match arch {
        Architecture::Logreg { inputs, classes } | Architecture::Mlp { inputs, classes, .. } => {
            (*inputs, *classes)
        }
        Architecture::Cnn { height, width, classes, .. } => (height * width, *classes),
    }
}

impl Network {
    /// Loads `path` if it is a network file; `None` when it is not one (not a safetensors
    /// file, or another kind of model), so that the caller can try the other kinds.
    pub fn load(path: &Path) -> anyhow::Result<Option<Network>> {
        let Ok(file) = axon::io::load_safetensors(path) else { return Ok(None) };
        let md = &file.metadata;
        if md.get("axon.kind").map(String::as_str) != Some(KIND) {
            return Ok(None);
        }
        let arch: Architecture = meta(md, "axon.architecture", path)?;
        let scaling: Option<Scaling> = meta(md, "axon.scaling", path)?;
        let classes: Vec<String> = meta(md, "axon.classes", path)?;
        let features: Vec<String> = meta(md, "axon.features", path)?;
        let target: Option<String> =
            if md.contains_key("axon.target") { meta(md, "axon.target", path)? } else { None };
        let source = match md.get("axon.source").map(String::as_str) {
            Some("idx") => Source::Idx,
            Some("csv") => Source::Csv,
            Some("csv-no-header") => Source::CsvNoHeader,
            Some(other) => bail!("{}: unknown `axon.source` `{other}`", path.display()),
            // Files written before `axon.source` existed: tell from the scaling and names.
            None if matches!(scaling, Some(Scaling::Divide { .. })) => Source::Idx,
            None if features.first().is_some_and(|f| f == "x0") => Source::CsvNoHeader,
            None => Source::Csv,
        };
        let (d, k) = arch_sizes(&arch);
        if d != features.len() || k != classes.len() {
            let (f, c) = (features.len(), classes.len());
            bail!(
                "{}: the architecture takes {d} features and {k} classes, the metadata names \
                 {f} features and {c} classes",
                path.display()
            );
        }
        if let Some(s) = &scaling {
            s.check(d).with_context(|| format!("{}", path.display()))?;
        }
        // The initial values are overwritten by the file's; the seed does not matter.
        let mut net = arch.build(&mut Rng::seed(0))?;
        axon::io::load_module(&net, path)?;
        net.train(false);
        Ok(Some(Network { net, arch, scaling, classes, features, target, source }))
    }

    /// Features per row.
    pub fn d(&self) -> usize {
        self.features.len()
    }

    /// The logits `(n, K)`, row-major, of the raw rows `x` `(n, d)`, scaled as at training.
    pub fn logits(&self, mut x: Vec<f32>) -> anyhow::Result<Vec<f64>> {
        let (d, k) = (self.d(), self.classes.len());
        if let Some(s) = &self.scaling {
            s.apply(&mut x, d);
        }
        let n = x.len() / d.max(1);
        let row = self.arch.row_shape();
        let mut out = Vec::with_capacity(n * k);
        for start in (0..n).step_by(CHUNK) {
            let len = CHUNK.min(n - start);
            let mut shape = vec![len];
            shape.extend_from_slice(&row);
            let xb = Tensor::from_vec(x[start * d..(start + len) * d].to_vec(), shape)?;
            let z = no_grad(|| self.net.forward(&xb))?;
            if z.dims() != [len, k] {
                bail!("the network gives logits of shape {}, expected ({len}, {k})", z.shape());
            }
            out.extend(z.to_vec::<f32>()?.into_iter().map(f64::from));
        }
        Ok(out)
    }
}

/// Softmax of every row of the `(n, k)` logits, in `f64` with the row maximum subtracted.
pub fn softmax_rows(logits: &[f64], k: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(logits.len());
    for row in logits.chunks(k) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = row.iter().map(|z| (z - max).exp()).sum();
        let log_norm = max + sum.ln();
        out.extend(row.iter().map(|z| (z - log_norm).exp()));
    }
    out
}
