//! A saved model of any kind, so that prediction and evaluation never branch on what made it:
//! [`SavedModel::load`] reads a linear model (`axon fit --out`) or a network (`axon train
//! --out`) from the one model-file format (or an earlier one), [`SavedModel::schema`] says
//! how its data is laid out, [`SavedModel::read`] reads new rows by that schema, and
//! [`SavedModel::scores`] gives the class probabilities `(n, K)` row-major (and, for two
//! classes, the log-odds `log P(y = 1) − log P(y = 0)`).

use std::path::Path;

use crate::data::{read_examples, Examples, Features, Labels, Schema};
use crate::error::{Error, Result};
use crate::io::{load_model, ModelKind};
use crate::linear::{row_major, LinearModel};
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

impl SavedModel {
    /// Loads the model in `path`, whatever its kind.
    pub fn load(path: impl AsRef<Path>) -> Result<SavedModel> {
        let path = path.as_ref();
        let file = load_model(path)?;
        Ok(match file.kind {
            ModelKind::Linear => SavedModel::Linear(LinearModel::from_file(&file, path)?),
            ModelKind::Network => SavedModel::Network(NetworkClassifier::from_file(&file, path)?),
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
    pub fn read(&self, path: &Path, labels: Labels, drop_missing: bool) -> Result<Examples> {
        read_examples(&self.schema(), path, labels, drop_missing)
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
                Ok(Scores { proba, log_odds })
            }
            SavedModel::Network(net) => {
                let (proba, logits) = net.predict_proba(&examples.dense(&net.schema)?)?;
                let log_odds = log_odds.then(|| logits.chunks(2).map(|z| z[1] - z[0]).collect());
                Ok(Scores { proba, log_odds })
            }
        }
    }
}
