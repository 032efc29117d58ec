//! A saved model of any kind, so that prediction and evaluation never branch on what made it:
//! [`SavedModel::load`] reads a linear model (`axon fit --out`) or a network (`axon train
//! --out`) from the one model-file format (or an earlier one), [`SavedModel::schema`] says
//! how its data is laid out, [`SavedModel::read`] reads new rows by that schema, and
//! [`SavedModel::scores`] gives the class probabilities `(n, K)` row-major (and, for two
//! classes, the log-odds `log P(y = 1) − log P(y = 0)`). [`SavedModel::summary`] is what the
//! file says about the model, for `axon summary`: its kind, schema and parameters (a linear
//! model's coefficients by name, a network's architecture and tensor shapes) and the record of
//! the run that saved it — only what the file stores, so no standard errors or tests. Models on
//! text columns (a sparse linear model, Naive Bayes) read their text columns from a table file
//! and apply their own `SparseEncoder`; a linear model on sentence embeddings reads its text
//! columns and embeds them by its sentence encoder, loaded (and its files checked) on first use.
//!
//! A model file is checked before it is trusted: a network's architecture must name exactly the
//! tensors the file stores, shape for shape, before anything is built from it (so a description
//! that says `hidden: [2147483648]` over small tensors is refused, not allocated), and every
//! number that scales the data must be finite (a deviation also non-zero). A probability that
//! still comes out non-finite is an error, never a predicted class.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::data::{
    read_example_batches, read_examples, read_libsvm_examples, ExampleBatches, Examples, Feature,
    FeatureKind, Features, Labels, ReadOptions, Scaling, Schema, Source,
};
use crate::error::{Error, Result};
use crate::io::{load_model, ModelKind};
use crate::linear::{
    row_major, CoefficientTable, EncodedLinearModel, LinearModel, SparseLinearModel,
};
use crate::naive_bayes::NaiveBayesModel;
use crate::nn::bert::BertClassifier;
use crate::nn::bert::EncoderFeatures;
use crate::nn::Module;
use crate::nn::{Architecture, NetworkClassifier, TextNetwork};
use crate::sparse::Csr;
use crate::text::SparseEncoder;

/// Texts per forward pass when a BERT classifier predicts.
const BERT_BATCH: usize = 32;

/// A model loaded from a file.
pub enum SavedModel {
    Linear(LinearModel),
    Network(NetworkClassifier),
    /// A linear model on the sparse design of text columns.
    SparseLinear(SparseLinearModel),
    /// Naive Bayes on the sparse design of text columns.
    NaiveBayes(NaiveBayesModel),
    /// A network on the sparse design of text columns.
    TextNetwork(TextNetwork),
    /// A classifier on a BERT encoder, reading one text column (boxed: it is large).
    BertClassifier(Box<BertClassifier>),
    /// A linear model on the sentence embeddings of text columns.
    EncodedLinear(Box<EncodedLinearModel>),
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
    /// `logit`, `probit`, `softmax`, `ovr`, `nn-classifier`, `sparse-logit`, `sparse-softmax`,
    /// `sparse-ovr`, `multinomial-nb`, `bernoulli-nb`, `nn-text-classifier`, `bert-classifier` or
    /// an `encoded-` linear kind (`encoded-logit`, ...).
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
    /// A model on sentence embeddings: its text columns and the encoder's directory and files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_encoder: Option<EncoderFeatures>,
}

impl SavedModel {
    /// What the file says about the model: kind, schema, parameters and the settings record.
    pub fn summary(&self) -> Result<ModelSummary> {
        let (kind, schema) = (self.kind(), self.schema());
        Ok(match self {
            SavedModel::Linear(m) => linear_summary(kind, schema, m),
            SavedModel::Network(n) => network_summary(kind, schema, &n.architecture, &n.settings)?,
            SavedModel::SparseLinear(m) => ModelSummary {
                kind,
                schema,
                parameter_count: m.coef.len() + m.intercept.len(),
                coefficients: Some(sparse_coefficients(m)),
                architecture: None,
                parameters: Vec::new(),
                settings: m.settings.clone(),
                text_encoder: None,
            },
            SavedModel::NaiveBayes(m) => ModelSummary {
                kind,
                schema,
                parameter_count: m.nb.feature_log_prob().len() + m.nb.class_log_prior().len(),
                coefficients: None,
                architecture: None,
                parameters: vec![
                    ("class_log_prior".into(), vec![m.classes.len()]),
                    ("feature_log_prob".into(), vec![m.classes.len(), m.nb.n_features()]),
                ],
                settings: m.settings.clone(),
                text_encoder: None,
            },
            SavedModel::TextNetwork(n) => {
                network_summary(kind, schema, &n.architecture, &n.settings)?
            }
            SavedModel::BertClassifier(m) => {
                let parameters: Vec<(String, Vec<usize>)> = (m.parameters().into_iter())
                    .map(|(name, p)| (name, p.value().dims().to_vec()))
                    .collect();
                ModelSummary {
                    kind,
                    schema,
                    parameter_count: parameters
                        .iter()
                        .map(|(_, d)| d.iter().product::<usize>())
                        .sum(),
                    coefficients: None,
                    architecture: None,
                    parameters,
                    settings: m.settings.clone(),
                    text_encoder: None,
                }
            }
            SavedModel::EncodedLinear(m) => ModelSummary {
                text_encoder: Some(m.features.clone()),
                ..linear_summary(kind, schema, &m.linear)
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
            ModelKind::SparseLinear => {
                SavedModel::SparseLinear(SparseLinearModel::from_file(&file, path)?)
            }
            ModelKind::NaiveBayes => {
                SavedModel::NaiveBayes(NaiveBayesModel::from_file(&file, path)?)
            }
            ModelKind::TextNetwork => SavedModel::TextNetwork(TextNetwork::from_file(&file, path)?),
            ModelKind::BertClassifier => {
                SavedModel::BertClassifier(Box::new(BertClassifier::from_file(&file, path)?))
            }
            ModelKind::EncodedLinear => {
                let model = EncodedLinearModel::from_file(&file, path)?;
                let encoder = &model.linear.encoder;
                check_scale("the encoder", encoder.means(), encoder.stds()).map_err(bad)?;
                SavedModel::EncodedLinear(Box::new(model))
            }
        })
    }

    /// The encoder of a model on a sparse design (text, hashed or LibSVM columns).
    pub fn sparse_encoder(&self) -> Option<&SparseEncoder> {
        match self {
            SavedModel::SparseLinear(m) => Some(&m.encoder),
            SavedModel::NaiveBayes(m) => Some(&m.encoder),
            SavedModel::TextNetwork(n) => Some(&n.encoder),
            SavedModel::Linear(_)
            | SavedModel::Network(_)
            | SavedModel::BertClassifier(_)
            | SavedModel::EncodedLinear(_) => None,
        }
    }

    /// For a model on sentence embeddings, loads its sentence encoder from `dir` (whose files
    /// must be those it was fitted with) instead of the directory the file names; other models
    /// have no sentence encoder, and an error says so.
    pub fn set_encoder_dir(&mut self, dir: &Path) -> Result<()> {
        match self {
            SavedModel::EncodedLinear(m) => {
                m.set_encoder_dir(dir);
                Ok(())
            }
            other => {
                let reason = format!("a {} model has no sentence encoder", other.kind());
                Err(Error::invalid("encoder", dir.display(), reason))
            }
        }
    }

    /// Loads and checks a model's sentence encoder now (it is otherwise loaded when the first
    /// rows are scored), so that a changed or missing encoder is reported before any data is
    /// read; nothing for other models.
    pub fn load_encoder(&self) -> Result<()> {
        if let SavedModel::EncodedLinear(m) = self {
            m.load_encoder()?;
        }
        Ok(())
    }

    /// The layout, features, target and classes of the model's data.
    pub fn schema(&self) -> Schema {
        match self {
            SavedModel::Linear(m) => Schema::of_encoder(&m.encoder),
            SavedModel::Network(n) => n.schema.clone(),
            SavedModel::SparseLinear(m) => text_schema(&m.encoder, &m.target, &m.classes),
            SavedModel::NaiveBayes(m) => text_schema(&m.encoder, &m.target, &m.classes),
            SavedModel::TextNetwork(n) => text_schema(&n.encoder, &n.target, &n.classes),
            SavedModel::BertClassifier(m) => Schema {
                source: Source::Table,
                features: vec![Feature { name: m.text_column.clone(), kind: FeatureKind::Text }],
                target: Some(m.target.clone()),
                classes: m.classes().to_vec(),
            },
            SavedModel::EncodedLinear(m) => m.schema(),
        }
    }

    /// The class names, in the order of the probability columns.
    pub fn classes(&self) -> Vec<String> {
        match self {
            SavedModel::Linear(m) => m.classes(),
            SavedModel::Network(n) => n.classes().to_vec(),
            SavedModel::SparseLinear(m) => m.classes.clone(),
            SavedModel::NaiveBayes(m) => m.classes.clone(),
            SavedModel::TextNetwork(n) => n.classes.clone(),
            SavedModel::BertClassifier(m) => m.classes().to_vec(),
            SavedModel::EncodedLinear(m) => m.linear.classes(),
        }
    }

    /// What the model is: `logit`, `probit`, `softmax`, `ovr` or `nn-classifier`.
    pub fn kind(&self) -> &'static str {
        match self {
            SavedModel::Linear(m) => m.kind.name(),
            SavedModel::Network(_) => "nn-classifier",
            SavedModel::SparseLinear(m) => m.kind_name(),
            SavedModel::NaiveBayes(m) => m.kind_name(),
            SavedModel::TextNetwork(_) => "nn-text-classifier",
            SavedModel::BertClassifier(_) => "bert-classifier",
            SavedModel::EncodedLinear(m) => m.kind_name(),
        }
    }

    /// A network's architecture.
    pub fn architecture(&self) -> Option<&Architecture> {
        match self {
            SavedModel::Network(n) => Some(&n.architecture),
            SavedModel::TextNetwork(n) => Some(&n.architecture),
            _ => None,
        }
    }

    /// Reads new rows from `path` in the layout of the model's data (see
    /// [`crate::data::read_examples`]).
    ///
    /// A model on text or hashed columns reads an empty field as an empty document or no
    /// feature, as it was fitted, not as a missing value.
    pub fn read(&self, path: &Path, labels: Labels, options: &ReadOptions) -> Result<Examples> {
        if let Some(layout) = self.sparse_encoder().and_then(|e| e.libsvm) {
            return read_libsvm_examples(&self.schema(), path, labels, Some(layout.zero_based));
        }
        match self {
            SavedModel::SparseLinear(_)
            | SavedModel::NaiveBayes(_)
            | SavedModel::TextNetwork(_)
            | SavedModel::BertClassifier(_)
            | SavedModel::EncodedLinear(_) => {
                let options = ReadOptions { missing: Vec::new(), ..options.clone() };
                read_examples(&self.schema(), path, labels, &options)
            }
            _ => read_examples(&self.schema(), path, labels, options),
        }
    }

    /// The rows of the table file `path` in batches of `rows`, for prediction (no labels), each
    /// with the number of data rows before it: memory holds one batch, whatever the file's
    /// size. Only a model of a table's columns reads batches; an error says so for the others.
    pub fn read_batches(
        &self,
        path: &Path,
        options: &ReadOptions,
        rows: usize,
    ) -> Result<ExampleBatches> {
        let options = match self {
            SavedModel::SparseLinear(_)
            | SavedModel::NaiveBayes(_)
            | SavedModel::TextNetwork(_)
            | SavedModel::BertClassifier(_)
            | SavedModel::EncodedLinear(_) => {
                ReadOptions { missing: Vec::new(), ..options.clone() }
            }
            _ => options.clone(),
        };
        read_example_batches(&self.schema(), path, &options, rows)
    }

    /// The class probabilities of `examples` and, with `log_odds`, a two-class model's log-odds.
    pub fn scores(&self, examples: &Examples, log_odds: bool) -> Result<Scores> {
        self.scores_from(examples, log_odds, 0)
    }

    /// As [`SavedModel::scores`], for rows whose first is data row `first_row + 1` of the file
    /// (a batch of [`SavedModel::read_batches`]), so that an error names the row in the file.
    pub fn scores_from(
        &self,
        examples: &Examples,
        log_odds: bool,
        first_row: usize,
    ) -> Result<Scores> {
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
                let x = model.encoder.transform_from(frame, first_row)?;
                let proba = row_major(&model.predict_proba_design(x.as_ref())?);
                let log_odds =
                    if log_odds { Some(model.log_odds_design(x.as_ref())?) } else { None };
                check_proba(&proba, k, examples, first_row)?;
                Ok(Scores { proba, log_odds })
            }
            SavedModel::Network(net) => {
                let (proba, logits) = net.predict_proba(&net.inputs_from(examples, first_row)?)?;
                let log_odds = log_odds.then(|| logits.chunks(2).map(|z| z[1] - z[0]).collect());
                check_proba(&proba, k, examples, first_row)?;
                Ok(Scores { proba, log_odds })
            }
            SavedModel::SparseLinear(model) => {
                let x = sparse_design(&model.encoder, examples)?;
                let proba = model.predict_proba_design(&x)?;
                let log_odds = if log_odds { Some(model.log_odds_design(&x)?) } else { None };
                check_proba(&proba, k, examples, first_row)?;
                Ok(Scores { proba, log_odds })
            }
            SavedModel::NaiveBayes(model) => {
                let x = sparse_design(&model.encoder, examples)?;
                let proba = model.predict_proba_design(&x)?;
                let log_odds = if log_odds { Some(model.log_odds_design(&x)?) } else { None };
                check_proba(&proba, k, examples, first_row)?;
                Ok(Scores { proba, log_odds })
            }
            SavedModel::EncodedLinear(model) => {
                let Features::Table(frame) = &examples.features else {
                    let msg = "a model on text columns reads a table file with a header".into();
                    return Err(Error::Io { path: examples.path.clone(), msg });
                };
                let x = model.design(frame, first_row)?;
                let proba = row_major(&model.linear.predict_proba_design(x.as_ref())?);
                let log_odds =
                    if log_odds { Some(model.linear.log_odds_design(x.as_ref())?) } else { None };
                check_proba(&proba, k, examples, first_row)?;
                Ok(Scores { proba, log_odds })
            }
            SavedModel::TextNetwork(net) => {
                let x = sparse_design(&net.encoder, examples)?;
                let (proba, logits) = net.predict_proba_design(&x)?;
                let log_odds = log_odds.then(|| logits.chunks(2).map(|z| z[1] - z[0]).collect());
                check_proba(&proba, k, examples, first_row)?;
                Ok(Scores { proba, log_odds })
            }
            SavedModel::BertClassifier(model) => {
                let Features::Table(frame) = &examples.features else {
                    let msg = "a model on a text column reads a table file with a header".into();
                    return Err(Error::Io { path: examples.path.clone(), msg });
                };
                let column = frame.column(&model.text_column)?;
                let texts: Vec<String> =
                    (0..column.len()).map(|i| column.label(i).into_owned()).collect();
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                let (proba, logits) = model.predict_proba(&texts, BERT_BATCH)?;
                let log_odds = log_odds.then(|| logits.chunks(2).map(|z| z[1] - z[0]).collect());
                check_proba(&proba, k, examples, first_row)?;
                Ok(Scores { proba, log_odds })
            }
        }
    }
}

/// The schema of a model on text columns: a table file, the text columns, the class column (or
/// a LibSVM file, its labels).
fn text_schema(encoder: &SparseEncoder, target: &str, classes: &[String]) -> Schema {
    let feature = |name: String| Feature { name, kind: FeatureKind::Text };
    Schema {
        source: if encoder.libsvm.is_some() { Source::Libsvm } else { Source::Table },
        features: encoder.input_columns().into_iter().map(feature).collect(),
        target: Some(target.to_owned()),
        classes: classes.to_vec(),
    }
}

/// The sparse design of a table's rows (or a LibSVM file's), by the model's encoder.
fn sparse_design(encoder: &SparseEncoder, examples: &Examples) -> Result<Csr> {
    match &examples.features {
        Features::Table(frame) => encoder.transform(frame),
        Features::Sparse(x) => encoder.transform_sparse(x.clone()),
        Features::Dense { .. } => {
            let msg = "a model on text columns reads a table file with a header".into();
            Err(Error::Io { path: examples.path.clone(), msg })
        }
    }
}

/// A sparse linear model's intercepts and its non-zero coefficients by name, one column per
/// equation (a binary logit's one equation is that of its second class).
fn sparse_coefficients(m: &SparseLinearModel) -> CoefficientTable {
    let (k, p) = (m.n_outputs(), m.encoder.n_features());
    let equations = if k == 1 { m.classes[1..].to_vec() } else { m.classes.clone() };
    let mut names = vec!["Intercept".to_owned()];
    let mut values = vec![m.intercept.clone()];
    for j in 0..p {
        let row: Vec<f64> = (0..k).map(|c| m.coef[c * p + j]).collect();
        if row.iter().any(|&b| b != 0.0) {
            names.push(m.encoder.feature_name(j));
            values.push(row);
        }
    }
    CoefficientTable { names, equations, values }
}

/// A probability that is not finite (a row of values too large for the model's arithmetic) is an
/// error naming the row, not a class.
fn check_proba(proba: &[f64], k: usize, examples: &Examples, first_row: usize) -> Result<()> {
    match proba.iter().position(|p| !p.is_finite()) {
        None => Ok(()),
        Some(i) => {
            let (row, p) = (first_row + i / k.max(1) + 1, proba[i]);
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

/// What a linear model's file holds: its coefficients by name.
fn linear_summary(kind: &'static str, schema: Schema, m: &LinearModel) -> ModelSummary {
    let table = m.coefficient_table();
    ModelSummary {
        kind,
        schema,
        parameter_count: table.values.iter().map(Vec::len).sum(),
        coefficients: Some(table),
        architecture: None,
        parameters: Vec::new(),
        settings: m.settings.clone(),
        text_encoder: None,
    }
}

/// What a network's file holds: its architecture and the shapes of its parameters.
fn network_summary(
    kind: &'static str,
    schema: Schema,
    architecture: &Architecture,
    settings: &Value,
) -> Result<ModelSummary> {
    Ok(ModelSummary {
        kind,
        schema,
        parameter_count: architecture.parameter_count()?,
        coefficients: None,
        architecture: Some(architecture.clone()),
        parameters: architecture.parameter_shapes()?,
        settings: settings.clone(),
        text_encoder: None,
    })
}
