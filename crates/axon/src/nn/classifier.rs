//! A trained network classifier with everything it needs to take raw rows: the network, its
//! [`Architecture`], the [`Encoder`] of a table's columns (numbers as they are, categorical
//! columns as 0/1 columns, the one mechanism `axon fit` uses), the [`Scaling`] of the encoded
//! features learned at training, and the data [`Schema`] (layout, feature columns with their
//! levels, target column, classes). For raw rows `x` `(n, d)`:
//!
//! ```text
//! x' = scaling(encoder(x))                          as at training
//! z  = f(x')                                        logits (n, K), in chunks of 1024 rows
//!                                                   (a sigmoid output's one logit z read as (0, z))
//! p_k = exp(z_k − logsumexp(z))                     in f64, by ops::reduce::softmax_row
//! ```
//!
//! Networks saved before encoders existed (and those on header-less files or IDX folders) have
//! none: their schema's numeric columns are the network's inputs.
//!
//! Saved in the one model-file format ([`crate::io::save_model`]): the parameters and buffers by
//! their `state_dict` names, and the architecture, scaling and schema as the description's body.
//! Networks saved by the first format (separate `axon.*` keys) load too. A file's architecture is
//! checked against its stored tensor shapes before anything is built.

use std::borrow::Cow;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::architecture::{Architecture, Output};
use super::module::{Module, Sequential};
use crate::data::{Encoder, Examples, Feature, Features, Scaling, Schema, Source};
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
    /// How a table's columns become the network's inputs (`None`: the schema's columns, all
    /// numeric, are the inputs as they are).
    pub encoder: Option<Encoder>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encoder: Option<Encoder>,
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
        Body { architecture: v1.architecture, scaling: v1.scaling, schema, encoder: None }
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
        NetworkClassifier::with_encoder(architecture, scaling, schema, None, rng)
    }

    /// As [`NetworkClassifier::new`], for a table whose columns `encoder` turns into the
    /// network's inputs.
    pub fn with_encoder(
        architecture: Architecture,
        scaling: Option<Scaling>,
        schema: Schema,
        encoder: Option<Encoder>,
        rng: &mut Rng,
    ) -> Result<NetworkClassifier> {
        check(&architecture, scaling.as_ref(), &schema, encoder.as_ref())?;
        let net = architecture.build(rng)?;
        let settings = Value::Null;
        Ok(NetworkClassifier { net, architecture, scaling, schema, encoder, settings })
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
            let kind = serde_json::to_value(file.kind).unwrap_or_default();
            return Err(bad(format!("a {kind} model, not a network")));
        }
        let body: Body = match file.version {
            1 => file.model_as::<BodyV1>(path)?.into(),
            _ => file.model_as(path)?,
        };
        check(&body.architecture, body.scaling.as_ref(), &body.schema, body.encoder.as_ref())
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
            encoder: body.encoder,
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
            encoder: self.encoder.clone(),
        };
        save_model(path, ModelKind::Network, &body, settings, &tensors)
    }

    /// The class names, in the order of the outputs.
    pub fn classes(&self) -> &[String] {
        &self.schema.classes
    }

    /// The network's raw inputs `(n, d)` row-major for `examples`: a table's columns through the
    /// encoder, or the schema's numeric columns as they are.
    pub fn inputs<'a>(&self, examples: &'a Examples) -> Result<Cow<'a, [f32]>> {
        self.inputs_from(examples, 0)
    }

    /// As [`NetworkClassifier::inputs`], for rows whose first is data row `first_row + 1` of
    /// their file (a batch), so that an error names the row in the file.
    pub fn inputs_from<'a>(
        &self,
        examples: &'a Examples,
        first_row: usize,
    ) -> Result<Cow<'a, [f32]>> {
        match (&self.encoder, &examples.features) {
            (Some(encoder), Features::Table(frame)) => {
                let x = encoder.transform_from(frame, first_row)?;
                let (n, d) = (x.nrows(), x.ncols());
                let mut rows = Vec::with_capacity(n * d);
                for i in 0..n {
                    rows.extend((0..d).map(|j| x[(i, j)] as f32));
                }
                Ok(Cow::Owned(rows))
            }
            _ => examples.dense(&self.schema),
        }
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
            let units = self.architecture.output().units(k);
            if z.dims() != [len, units] {
                let reason =
                    format!("gives logits of shape {}, expected ({len}, {units})", z.shape());
                return Err(Error::invalid("network", "logits", reason));
            }
            let z = z.to_vec::<f32>()?.into_iter().map(f64::from);
            match self.architecture.output() {
                Output::Softmax => out.extend(z),
                // σ(z) = softmax(0, z)₁.
                Output::Sigmoid => out.extend(z.flat_map(|z| [0.0, z])),
            }
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
pub(crate) fn check_stored_shapes(architecture: &Architecture, file: &ModelFile) -> Result<()> {
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

/// The architecture, scaling, schema and encoder must agree on the number of features and
/// classes.
fn check(
    architecture: &Architecture,
    scaling: Option<&Scaling>,
    schema: &Schema,
    encoder: Option<&Encoder>,
) -> Result<()> {
    architecture.check_options()?;
    let (d, k) = architecture.sizes();
    let (f, c) = (schema.features.len(), schema.classes.len());
    let columns = encoder.map_or(f, Encoder::n_cols);
    if d != columns || k != c {
        let what = if encoder.is_some() { "encoded columns" } else { "features" };
        let reason = format!(
            "the architecture takes {d} features and {k} classes, the schema names {columns} \
             {what} and {c} classes"
        );
        return Err(Error::invalid("schema", "features", reason));
    }
    if let Some(encoder) = encoder {
        if encoder.inputs().len() != f || encoder.target().n_classes() != c {
            let reason = "the encoder's columns or classes differ from the schema's";
            return Err(Error::invalid("schema", "encoder", reason));
        }
    }
    match scaling {
        Some(s) => s.check(d),
        None => Ok(()),
    }
}
