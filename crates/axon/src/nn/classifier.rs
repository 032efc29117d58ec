//! A trained network classifier with everything it needs to take raw rows: the network, its
//! [`Architecture`], the [`Scaling`] of raw features learned at training, and the data
//! [`Schema`] (layout, feature names, target column, classes). For raw rows `x` `(n, d)`:
//!
//! ```text
//! x' = scaling(x)                                   as at training
//! z  = f(x')                                        logits (n, K), in chunks of 1024 rows
//! p_k = exp(z_k − logsumexp(z))                     in f64, by ops::reduce::softmax_row
//! ```
//!
//! Saved in the one model-file format ([`crate::io::save_model`]): the parameters and buffers by
//! their `state_dict` names, and the architecture, scaling and schema as the description's body.
//! Networks saved by the first format (separate `axon.*` keys) load too. A file's architecture is
//! checked against its stored tensor shapes before anything is built.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::architecture::Architecture;
use super::module::{Module, Sequential};
use crate::data::{Feature, Scaling, Schema, Source};
use crate::error::{Error, Result};
use crate::io::{load_model, load_module, save_model, ModelFile, ModelKind};
use crate::ops::reduce::softmax_row;
use crate::rng::Rng;
use crate::tensor::{no_grad, Tensor};

/// Rows per forward pass (the chunk a training run evaluates its test rows in, so that the
/// numbers are the same).
pub const CHUNK: usize = 1024;

/// A network classifier ready to predict on raw rows.
pub struct NetworkClassifier {
    pub net: Sequential,
    pub architecture: Architecture,
    /// How raw features are scaled before the network sees them.
    pub scaling: Option<Scaling>,
    pub schema: Schema,
    /// The record of the run that saved it, as read from its file (`null` for a network built
    /// here, or a file without one).
    pub settings: Value,
}

/// What rebuilds the network besides its weights.
#[derive(Serialize, Deserialize)]
struct Body {
    architecture: Architecture,
    scaling: Option<Scaling>,
    schema: Schema,
}

/// The body of a first-format network file: its `axon.*` keys.
#[derive(Deserialize)]
struct BodyV1 {
    architecture: Architecture,
    scaling: Option<Scaling>,
    classes: Vec<String>,
    features: Vec<String>,
    source: Option<Source>,
    target: Option<String>,
}

impl From<BodyV1> for Body {
    fn from(v1: BodyV1) -> Body {
        let source = v1.source.unwrap_or({
            // Files written before `axon.source` existed: tell from the scaling and names.
            if matches!(v1.scaling, Some(Scaling::Divide { .. })) {
                Source::Idx
            } else if v1.features.first().is_some_and(|f| f == "x0") {
                Source::CsvNoHeader
            } else {
                Source::Table
            }
        });
        let features = v1.features.into_iter().map(Feature::numeric).collect();
        let schema = Schema { source, features, target: v1.target, classes: v1.classes };
        Body { architecture: v1.architecture, scaling: v1.scaling, schema }
    }
}

impl NetworkClassifier {
    /// A freshly initialised network (from `rng`) for data of `schema`, scaled by `scaling`.
    pub fn new(
        architecture: Architecture,
        scaling: Option<Scaling>,
        schema: Schema,
        rng: &mut Rng,
    ) -> Result<NetworkClassifier> {
        check(&architecture, scaling.as_ref(), &schema)?;
        let net = architecture.build(rng)?;
        Ok(NetworkClassifier { net, architecture, scaling, schema, settings: Value::Null })
    }

    /// Loads a network saved by [`NetworkClassifier::save`] (or by an earlier version).
    pub fn load(path: impl AsRef<Path>) -> Result<NetworkClassifier> {
        let path = path.as_ref();
        NetworkClassifier::from_file(&load_model(path)?, path)
    }

    /// The network in `file`, read from `path`: rebuilt from its architecture, the weights
    /// loaded strictly (every tensor, nothing else, exact shapes), in evaluation mode.
    pub fn from_file(file: &ModelFile, path: &Path) -> Result<NetworkClassifier> {
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        if file.kind != ModelKind::Network {
            return Err(bad("a linear model, not a network".into()));
        }
        let body: Body = match file.version {
            1 => file.model_as::<BodyV1>(path)?.into(),
            _ => file.model_as(path)?,
        };
        check(&body.architecture, body.scaling.as_ref(), &body.schema)
            .map_err(|e| bad(e.to_string()))?;
        check_stored_shapes(&body.architecture, file).map_err(|e| bad(e.to_string()))?;
        // The initial values are overwritten by the file's; the seed does not matter.
        let mut net = body.architecture.build(&mut Rng::seed(0))?;
        load_module(&net, path)?;
        net.train(false);
        Ok(NetworkClassifier {
            net,
            architecture: body.architecture,
            scaling: body.scaling,
            schema: body.schema,
            settings: file.settings.clone(),
        })
    }

    /// Saves the weights and the description to `path`, atomically; `settings` is the record
    /// of the run.
    pub fn save(&self, path: impl AsRef<Path>, settings: &Value) -> Result<()> {
        let mut tensors: Vec<(String, Tensor)> =
            self.net.parameters().into_iter().map(|(n, p)| (n, p.value())).collect();
        tensors.extend(self.net.buffers().into_iter().map(|(n, b)| (n, b.value())));
        let body = Body {
            architecture: self.architecture.clone(),
            scaling: self.scaling.clone(),
            schema: self.schema.clone(),
        };
        save_model(path, ModelKind::Network, &body, settings, &tensors)
    }

    /// The class names, in the order of the outputs.
    pub fn classes(&self) -> &[String] {
        &self.schema.classes
    }

    /// The logits `(n, K)`, row-major, of the raw rows `x` `(n, d)`, scaled as at training
    /// (each chunk is copied into its batch and scaled there, so `x` is read once, not copied).
    pub fn logits(&self, x: &[f32]) -> Result<Vec<f64>> {
        let (d, k) = self.architecture.sizes();
        let n = x.len() / d.max(1);
        let row = self.architecture.row_shape();
        let mut out = Vec::with_capacity(n * k);
        for start in (0..n).step_by(CHUNK) {
            let len = CHUNK.min(n - start);
            let mut shape = vec![len];
            shape.extend_from_slice(&row);
            let mut batch = x[start * d..(start + len) * d].to_vec();
            if let Some(s) = &self.scaling {
                s.apply(&mut batch, d);
            }
            let xb = Tensor::from_vec(batch, shape)?;
            let z = no_grad(|| self.net.forward(&xb))?;
            if z.dims() != [len, k] {
                let reason = format!("gives logits of shape {}, expected ({len}, {k})", z.shape());
                return Err(Error::invalid("network", "logits", reason));
            }
            out.extend(z.to_vec::<f32>()?.into_iter().map(f64::from));
        }
        Ok(out)
    }

    /// Class probabilities `(n, K)` row-major of the raw rows `x`, and the logits they came from.
    pub fn predict_proba(&self, x: &[f32]) -> Result<(Vec<f64>, Vec<f64>)> {
        let logits = self.logits(x)?;
        let k = self.schema.classes.len().max(1);
        let mut proba = vec![0.0; logits.len()];
        for (z, p) in logits.chunks(k).zip(proba.chunks_mut(k)) {
            softmax_row(z, p);
        }
        Ok((proba, logits))
    }
}

/// Every parameter the architecture describes must be stored in `file` with its shape, checked
/// before the network is built, so that a description that disagrees with its own weights
/// (`hidden: [2147483648]` beside a 64-wide layer) allocates nothing.
fn check_stored_shapes(architecture: &Architecture, file: &ModelFile) -> Result<()> {
    let mismatch = |what: String| {
        let msg = format!("the architecture does not match the stored tensors: {what}");
        Error::invalid("model", "architecture", msg)
    };
    for (name, shape) in architecture.parameter_shapes()? {
        match file.tensors.tensors.iter().find(|(n, _)| *n == name) {
            Some((_, t)) if t.dims() == shape.as_slice() => {}
            Some((_, t)) => {
                let stored = t.dims();
                let what =
                    format!("`{name}` is {stored:?} in the file, {shape:?} in the architecture");
                return Err(mismatch(what));
            }
            None => return Err(mismatch(format!("`{name}` {shape:?} is not in the file"))),
        }
    }
    Ok(())
}

/// The architecture, scaling and schema must agree on the number of features and classes.
fn check(architecture: &Architecture, scaling: Option<&Scaling>, schema: &Schema) -> Result<()> {
    let (d, k) = architecture.sizes();
    let (f, c) = (schema.features.len(), schema.classes.len());
    if d != f || k != c {
        let reason = format!(
            "the architecture takes {d} features and {k} classes, the schema names {f} \
             features and {c} classes"
        );
        return Err(Error::invalid("schema", "features", reason));
    }
    match scaling {
        Some(s) => s.check(d),
        None => Ok(()),
    }
}
