//! A saved model of any kind, so that prediction and evaluation never branch on what made it:
//! [`SavedModel::load`] reads a linear model (`axon fit --out`) or a network (`axon train
//! --out`) from the one model-file format (or an earlier one), [`SavedModel::schema`] says
//! how its data is laid out, [`SavedModel::read`] reads new rows by that schema, and
//! [`SavedModel::scores`] gives the class probabilities `(n, K)` row-major (and, for two
//! classes, the log-odds `log P(y = 1) − log P(y = 0)`). [`SavedModel::summary`] is what the
//! file says about the model, for `axon summary`: its kind, schema and parameters (a linear
//! model's coefficients by name, a network's architecture and tensor shapes) and the record of
//! the run that saved it — only what the file stores, so no standard errors or tests.
//!
//! A model file is checked before it is trusted: a network's architecture must name exactly the
//! tensors the file stores, shape for shape, before anything is built from it (so a description
//! that says `hidden: [2147483648]` over small tensors is refused, not allocated), and every
//! number that scales the data must be finite (a deviation also non-zero). A probability that
//! still comes out non-finite is an error, never a predicted class.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::data::{read_examples, Examples, Features, Labels, ReadOptions, Scaling, Schema};
use crate::error::{Error, Result};
use crate::io::{load_model, ModelKind};
use crate::linear::{row_major, CoefficientTable, LinearModel};
use crate::nn::{Architecture, NetworkClassifier};

/// A model loaded from a file.
pub enum SavedModel {
    Linear(LinearModel),
    Network(NetworkClassifier),
}

/// What a model says about every row.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// `(n, K)` row-major, in the order of the schema's classes.
    pub proba: Vec<f64>,
    /// `log P(y = 1) − log P(y = 0)` of a two-class model, when asked for: a logit's linear
    /// predictor, a probit's `log Φ(η) − log Φ(−η)`, a network's logit difference `z₁ − z₀`.
    pub log_odds: Option<Vec<f64>>,
}

/// What a model file says about its model ([`SavedModel::summary`]).
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// `logit`, `probit`, `softmax`, `ovr` or `nn-classifier`.
    pub kind: &'static str,
    /// The layout, features, target and classes of its data.
    pub schema: Schema,
    /// How many numbers were fitted or trained.
    pub parameter_count: usize,
    /// A linear model's coefficients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coefficients: Option<CoefficientTable>,
    /// A network's architecture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Architecture>,
    /// A network's parameter tensors, name and shape, in the order of its layers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<(String, Vec<usize>)>,
    /// The record of the run that saved it (`null` when the file has none).
    pub settings: Value,
}

impl SavedModel {
    /// What the file says about the model: kind, schema, parameters and the settings record.
    pub fn summary(&self) -> Result<ModelSummary> {
        let (kind, schema) = (self.kind(), self.schema());
        Ok(match self {
            SavedModel::Linear(m) => {
                let table = m.coefficient_table();
                ModelSummary {
                    kind,
                    schema,
                    parameter_count: table.values.iter().map(Vec::len).sum(),
                    coefficients: Some(table),
                    architecture: None,
                    parameters: Vec::new(),
                    settings: m.settings.clone(),
                }
            }
            SavedModel::Network(n) => ModelSummary {
                kind,
                schema,
                parameter_count: n.architecture.parameter_count()?,
                coefficients: None,
                architecture: Some(n.architecture.clone()),
                parameters: n.architecture.parameter_shapes()?,
                settings: n.settings.clone(),
            },
        })
    }

    /// Loads the model in `path`, whatever its kind.
    pub fn load(path: impl AsRef<Path>) -> Result<SavedModel> {
        let path = path.as_ref();
        let file = load_model(path)?;
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        Ok(match file.kind {
            ModelKind::Linear => {
                let model = LinearModel::from_file(&file, path)?;
                check_scale("the encoder", model.encoder.means(), model.encoder.stds())
                    .map_err(bad)?;
                SavedModel::Linear(model)
            }
            ModelKind::Network => {
                let net = NetworkClassifier::from_file(&file, path)?;
                if let Some(Scaling::Standardize { mean, std }) = &net.scaling {
                    check_scale("the scaling", mean, std).map_err(bad)?;
                }
                SavedModel::Network(net)
            }
        })
    }

    /// The layout, features, target and classes of the model's data.
    pub fn schema(&self) -> Schema {
        match self {
            SavedModel::Linear(m) => Schema::of_encoder(&m.encoder),
            SavedModel::Network(n) => n.schema.clone(),
        }
    }

    /// The class names, in the order of the probability columns.
    pub fn classes(&self) -> Vec<String> {
        match self {
            SavedModel::Linear(m) => m.classes(),
            SavedModel::Network(n) => n.classes().to_vec(),
        }
    }

    /// What the model is: `logit`, `probit`, `softmax`, `ovr` or `nn-classifier`.
    pub fn kind(&self) -> &'static str {
        match self {
            SavedModel::Linear(m) => m.kind.name(),
            SavedModel::Network(_) => "nn-classifier",
        }
    }

    /// A network's architecture.
    pub fn architecture(&self) -> Option<&Architecture> {
        match self {
            SavedModel::Linear(_) => None,
            SavedModel::Network(n) => Some(&n.architecture),
        }
    }

    /// Reads new rows from `path` in the layout of the model's data (see
    /// [`crate::data::read_examples`]).
    pub fn read(&self, path: &Path, labels: Labels, options: &ReadOptions) -> Result<Examples> {
        read_examples(&self.schema(), path, labels, options)
    }

    /// The class probabilities of `examples` and, with `log_odds`, a two-class model's log-odds.
    pub fn scores(&self, examples: &Examples, log_odds: bool) -> Result<Scores> {
        let k = self.classes().len();
        if log_odds && k != 2 {
            let reason = format!("the model has {k} classes, not 2");
            return Err(Error::invalid("log_odds", "requested", reason));
        }
        match self {
            SavedModel::Linear(model) => {
                let Features::Table(frame) = &examples.features else {
                    let msg = "a linear model reads a CSV file with a header".into();
                    return Err(Error::Io { path: examples.path.clone(), msg });
                };
                let x = model.encoder.transform(frame)?;
                let proba = row_major(&model.predict_proba_design(x.as_ref())?);
                let log_odds =
                    if log_odds { Some(model.log_odds_design(x.as_ref())?) } else { None };
                check_proba(&proba, k, examples)?;
                Ok(Scores { proba, log_odds })
            }
            SavedModel::Network(net) => {
                let (proba, logits) = net.predict_proba(&net.inputs(examples)?)?;
                let log_odds = log_odds.then(|| logits.chunks(2).map(|z| z[1] - z[0]).collect());
                check_proba(&proba, k, examples)?;
                Ok(Scores { proba, log_odds })
            }
        }
    }
}

/// A probability that is not finite (a row of values too large for the model's arithmetic) is an
/// error naming the row, not a class.
fn check_proba(proba: &[f64], k: usize, examples: &Examples) -> Result<()> {
    match proba.iter().position(|p| !p.is_finite()) {
        None => Ok(()),
        Some(i) => {
            let (row, p) = (i / k.max(1) + 1, proba[i]);
            let msg = format!("the model gives row {row} a probability of {p}; no class predicted");
            Err(Error::Io { path: examples.path.clone(), msg })
        }
    }
}

/// The means and standard deviations that scale a model's data are finite and the deviations
/// positive; `what` names them in the message.
fn check_scale(what: &str, mean: &[f64], std: &[f64]) -> std::result::Result<(), String> {
    if let Some((j, m)) = mean.iter().enumerate().find(|(_, m)| !m.is_finite()) {
        return Err(format!("{what} has a mean of {m} for feature {j}; it must be finite"));
    }
    if let Some((j, s)) = std.iter().enumerate().find(|(_, s)| !(s.is_finite() && **s > 0.0)) {
        let msg = format!("{what} has a standard deviation of {s} for feature {j}");
        return Err(format!("{msg}; it must be finite and positive"));
    }
    Ok(())
}
