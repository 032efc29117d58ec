//! A network classifier on the words of text columns: a [`SparseEncoder`] (vocabulary or
//! hashing, counts or tf-idf, as `axon fit --text` learns it) and a `logreg` or `mlp:H1,...`
//! [`Architecture`] whose first `Linear` layer reads the sparse rows through
//! [`Module::forward_sparse`], so a bag of words is never densified, in training or prediction.
//!
//! [`train_text_network`] trains one by mini-batch gradient descent (the optimizer of
//! [`OptimizerChoice`], the loss of [`Objective`], a seeded initialisation and batch order).
//! [`TextNetwork`] saves itself as the model-file kind `text-network`: the network's parameters
//! and buffers by their `state_dict` names, the encoder's idf as `text.{i}.idf`, and the encoder,
//! architecture, target and classes as the description. On load, the architecture must take as
//! many inputs as the encoder makes and name exactly the network tensors the file stores, shape
//! for shape, before anything is built; no other tensor is accepted.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::architecture::{Architecture, LayerOptions, Output};
use super::classifier::{check_stored_shapes, CHUNK};
use super::module::{Module, Sequential};
use super::objective::Objective;
use crate::error::{Error, Result};
use crate::io::{load_model, save_model_with_bytes, ModelFile, ModelKind};
use crate::ops::reduce::softmax_row;
use crate::optim::OptimizerChoice;
use crate::rng::Rng;
use crate::sparse::Csr;
use crate::tensor::{no_grad, Tensor};
use crate::text::SparseEncoder;

/// A trained network on text columns, ready to predict on raw documents.
pub struct TextNetwork {
    pub encoder: SparseEncoder,
    pub net: Sequential,
    pub architecture: Architecture,
    /// The class column of the training data.
    pub target: String,
    /// The class names, in the order of the outputs.
    pub classes: Vec<String>,
    /// The record of the run that saved it (`null` for one built here).
    pub settings: Value,
}

/// What rebuilds the network besides its tensors.
#[derive(Serialize, Deserialize)]
struct Body {
    encoder: SparseEncoder,
    architecture: Architecture,
    target: String,
    classes: Vec<String>,
}

/// How [`train_text_network`] trains.
#[derive(Debug, Clone, PartialEq)]
pub struct TextTrainOptions {
    /// `logreg` or `mlp:H1,H2,...` (see [`Architecture::parse`]; `cnn` takes images).
    pub model: String,
    pub layers: LayerOptions,
    pub optimizer: OptimizerChoice,
    pub batch_size: usize,
    pub epochs: usize,
    /// Seeds the initialisation and the batch order.
    pub seed: u64,
}

/// One epoch of training: the mean training loss and accuracy over its batches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TextEpoch {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
}

/// Trains a network of `options.model` on the sparse rows `x` (made by `encoder`) with class
/// indices `y` into `classes`; `on_epoch` sees each epoch's numbers as it ends.
pub fn train_text_network(
    encoder: SparseEncoder,
    x: &Csr,
    y: &[i64],
    target: &str,
    classes: Vec<String>,
    options: &TextTrainOptions,
    on_epoch: &mut dyn FnMut(&TextEpoch),
) -> Result<TextNetwork> {
    let (n, k) = (x.n_rows(), classes.len());
    if y.len() != n {
        return Err(Error::invalid("y", y.len(), format!("the design has {n} rows")));
    }
    if let Some(bad) = y.iter().find(|&&c| c < 0 || c as usize >= k) {
        return Err(Error::invalid("y", bad, format!("class indices are 0 to {}", k - 1)));
    }
    if options.batch_size == 0 || n == 0 {
        return Err(Error::invalid("batch_size", options.batch_size, "needs rows and a batch ≥ 1"));
    }
    let mut rng = Rng::seed(options.seed);
    let mut model =
        TextNetwork::new(encoder, &options.model, &options.layers, target, classes, &mut rng)?;
    model.net.train(true);
    let mut optimizer = options.optimizer.build(model.net.params())?;
    let objective = Objective { output: model.architecture.output(), class_weights: None };
    let mut order: Vec<usize> = (0..n).collect();
    for epoch in 1..=options.epochs {
        rng.shuffle(&mut order);
        let (mut total, mut hits) = (0.0, 0);
        for rows in order.chunks(options.batch_size) {
            crate::interrupt::check()?;
            let xb = Arc::new(x.take_rows(rows));
            let yb = Tensor::from_vec(rows.iter().map(|&i| y[i]).collect(), [rows.len()])?;
            let logits = model.net.forward_sparse(&xb)?;
            let loss = objective.loss(&logits, &yb)?;
            let value = loss.item()?;
            if !value.is_finite() {
                let reason =
                    format!("the training loss is {value} in epoch {epoch}; lower the rate");
                return Err(Error::invalid("lr", "diverged", reason));
            }
            optimizer.step(&loss.backward()?)?;
            let (_, right) = no_grad(|| objective.score(&logits, &yb))?;
            total += value * rows.len() as f64;
            hits += right;
        }
        let train_loss = total / n as f64;
        on_epoch(&TextEpoch { epoch, train_loss, train_accuracy: hits as f64 / n as f64 });
    }
    model.net.train(false);
    Ok(model)
}

impl TextNetwork {
    /// A freshly initialised network (from `rng`) of `spec` on the encoder's columns.
    pub fn new(
        encoder: SparseEncoder,
        spec: &str,
        layers: &LayerOptions,
        target: &str,
        classes: Vec<String>,
        rng: &mut Rng,
    ) -> Result<TextNetwork> {
        let architecture =
            Architecture::parse(spec, layers, encoder.n_features(), None, classes.len())?;
        check(&architecture, &encoder, &classes)?;
        let net = architecture.build(rng)?;
        let (target, settings) = (target.to_owned(), Value::Null);
        Ok(TextNetwork { encoder, net, architecture, target, classes, settings })
    }

    /// The logits `(n, K)`, row-major, of the sparse rows `x` (a sigmoid output's one logit `z`
    /// read as `(0, z)`), in chunks of [`CHUNK`] rows.
    pub fn logits_design(&self, x: &Csr) -> Result<Vec<f64>> {
        let (n, k) = (x.n_rows(), self.classes.len());
        let units = self.architecture.output().units(k);
        let mut out = Vec::with_capacity(n * k);
        for start in (0..n).step_by(CHUNK) {
            let rows: Vec<usize> = (start..(start + CHUNK).min(n)).collect();
            let xb = Arc::new(x.take_rows(&rows));
            let z = no_grad(|| self.net.forward_sparse(&xb))?;
            if z.dims() != [rows.len(), units] {
                let reason = format!(
                    "gives logits of shape {}, expected ({}, {units})",
                    z.shape(),
                    rows.len()
                );
                return Err(Error::invalid("network", "logits", reason));
            }
            let z = z.to_vec::<f32>()?.into_iter().map(f64::from);
            match self.architecture.output() {
                Output::Softmax => out.extend(z),
                Output::Sigmoid => out.extend(z.flat_map(|z| [0.0, z])),
            }
        }
        Ok(out)
    }

    /// Class probabilities `(n, K)` row-major of the sparse rows `x`, and their logits.
    pub fn predict_proba_design(&self, x: &Csr) -> Result<(Vec<f64>, Vec<f64>)> {
        let logits = self.logits_design(x)?;
        let k = self.classes.len().max(1);
        let mut proba = vec![0.0; logits.len()];
        for (z, p) in logits.chunks(k).zip(proba.chunks_mut(k)) {
            softmax_row(z, p);
        }
        Ok((proba, logits))
    }

    /// Saves the network, its encoder and `settings` to `path`, atomically.
    pub fn save(&self, path: impl AsRef<std::path::Path>, settings: &Value) -> Result<()> {
        let mut tensors: Vec<(String, Tensor)> =
            self.net.parameters().into_iter().map(|(n, p)| (n, p.value())).collect();
        tensors.extend(self.net.buffers().into_iter().map(|(n, b)| (n, b.value())));
        for (name, idf) in self.encoder.idf_tensors() {
            let n = idf.len();
            tensors.push((name, Tensor::from_vec(idf, [n])?));
        }
        let body = Body {
            encoder: self.encoder.clone(),
            architecture: self.architecture.clone(),
            target: self.target.clone(),
            classes: self.classes.clone(),
        };
        let blocks = self.encoder.term_blocks()?;
        save_model_with_bytes(path, ModelKind::TextNetwork, &body, settings, &tensors, &blocks)
    }

    /// Loads a network saved by [`TextNetwork::save`].
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<TextNetwork> {
        let path = path.as_ref();
        TextNetwork::from_file(&load_model(path)?, path)
    }

    /// The network in `file`, read from `path`, checked before it is built.
    pub fn from_file(file: &ModelFile, path: &std::path::Path) -> Result<TextNetwork> {
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        if file.kind != ModelKind::TextNetwork {
            let kind = serde_json::to_value(file.kind).unwrap_or_default();
            return Err(bad(format!("a {kind} model, not a network on text columns")));
        }
        let body: Body = file.model_as(path)?;
        let values = |name: &str| file.tensors.tensor(name).and_then(|t| t.to_vec::<f64>().ok());
        let encoder = (body.encoder)
            .with_stored(values, |name| file.tensors.bytes(name))
            .map_err(|e| bad(e.to_string()))?;
        if body.architecture.row_shape().len() != 1 {
            return Err(bad("a network on text columns is logreg or an MLP, not a CNN".into()));
        }
        check(&body.architecture, &encoder, &body.classes).map_err(|e| bad(e.to_string()))?;
        check_stored_shapes(&body.architecture, file).map_err(|e| bad(e.to_string()))?;
        let idf: Vec<String> = encoder.idf_tensors().into_iter().map(|(n, _)| n).collect();
        let mut net = body.architecture.build(&mut Rng::seed(0))?;
        let params = net.parameters();
        let buffers = net.buffers();
        let names: Vec<&str> = (params.iter().map(|(n, _)| n.as_str()))
            .chain(buffers.iter().map(|(n, _)| n.as_str()))
            .collect();
        if let Some((extra, _)) = (file.tensors.tensors.iter())
            .find(|(n, _)| !names.contains(&n.as_str()) && !idf.contains(n))
        {
            return Err(bad(format!("unexpected tensor `{extra}`: not in the network or encoder")));
        }
        let stored = |name: &str| {
            let t = file.tensors.tensor(name).ok_or_else(|| bad(format!("no tensor `{name}`")))?;
            t.to_dtype(crate::tensor::DType::F32)
        };
        for (name, p) in &params {
            let t = stored(name)?;
            if t.dims() != p.value().dims() {
                return Err(bad(format!(
                    "`{name}` is {:?} in the file, {:?} in the network",
                    t.dims(),
                    p.value().dims()
                )));
            }
            p.set(t)?;
        }
        for (name, b) in &buffers {
            let t = stored(name)?;
            if t.dims() != b.value().dims() {
                return Err(bad(format!(
                    "`{name}` is {:?} in the file, {:?} in the network",
                    t.dims(),
                    b.value().dims()
                )));
            }
            b.set(t)?;
        }
        net.train(false);
        Ok(TextNetwork {
            encoder,
            net,
            architecture: body.architecture,
            target: body.target,
            classes: body.classes,
            settings: file.settings.clone(),
        })
    }
}

/// The architecture takes the encoder's columns and gives one output per class (or one sigmoid
/// unit for two).
fn check(architecture: &Architecture, encoder: &SparseEncoder, classes: &[String]) -> Result<()> {
    architecture.check_options()?;
    let (d, k) = architecture.sizes();
    let (p, c) = (encoder.n_features(), classes.len());
    if d != p || k != c || c < 2 {
        let reason = format!(
            "the architecture takes {d} features and {k} classes, the encoder makes {p} columns \
             and the model names {c} classes"
        );
        return Err(Error::invalid("architecture", "sizes", reason));
    }
    Ok(())
}
