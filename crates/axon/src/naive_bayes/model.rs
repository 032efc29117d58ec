//! A fitted Naive Bayes classifier on a sparse design, packaged for prediction on raw rows: the
//! [`SparseEncoder`] of the text columns, the target column, the class names and the fitted
//! [`NaiveBayes`]. Saved in the one model-file format as kind `naive-bayes`: the tensors
//! `class_log_prior` `[K]`, `feature_log_prob` `[K, p]` and the encoder's `text.{i}.idf`; the
//! encoder, target, classes, event model and smoothing in the description. A file is checked on
//! load: shapes agree with the encoder and the classes, and every log-probability is finite.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{NaiveBayes, NbKind};
use crate::error::{Error, Result};
use crate::io::{load_model, save_model_with_bytes, ModelFile, ModelKind};
use crate::linear::{per_class, ClassFeatures};
use crate::sparse::Csr;
use crate::tensor::Tensor;
use crate::text::SparseEncoder;

/// A Naive Bayes classifier on text columns, ready to predict on raw rows.
#[derive(Debug, Clone)]
pub struct NaiveBayesModel {
    pub encoder: SparseEncoder,
    /// The class column.
    pub target: String,
    /// The class names; the classifier's class `c` is `classes[c]`.
    pub classes: Vec<String>,
    pub nb: NaiveBayes,
    /// The settings of the fit, for the record.
    pub settings: serde_json::Value,
}

/// What rebuilds the model besides its tensors (written from a borrowed encoder, `E =
/// &SparseEncoder`, so that saving copies no vocabulary).
#[derive(Serialize, Deserialize)]
struct Body<E = SparseEncoder> {
    encoder: E,
    target: String,
    classes: Vec<String>,
    kind: NbKind,
    alpha: f64,
}

impl NaiveBayesModel {
    /// A model from its parts, checked: the classifier's classes are `0..K` for the `K` names
    /// and it reads the encoder's columns.
    pub fn new(
        encoder: SparseEncoder,
        target: String,
        classes: Vec<String>,
        nb: NaiveBayes,
        settings: serde_json::Value,
    ) -> Result<NaiveBayesModel> {
        let k = classes.len();
        if nb.classes().iter().enumerate().any(|(i, &c)| c as usize != i) || nb.classes().len() != k
        {
            let reason = format!("the classifier's classes must be 0..{k}, one per class name");
            return Err(Error::invalid("classes", format!("{:?}", nb.classes()), reason));
        }
        if nb.n_features() != encoder.n_features() {
            let reason = format!("the encoder has {} columns", encoder.n_features());
            return Err(Error::invalid("features", nb.n_features(), reason));
        }
        Ok(NaiveBayesModel { encoder, target, classes, nb, settings })
    }

    /// `multinomial-nb` or `bernoulli-nb`.
    pub fn kind_name(&self) -> &'static str {
        match self.nb.kind {
            NbKind::Multinomial => "multinomial-nb",
            NbKind::Bernoulli { .. } => "bernoulli-nb",
        }
    }

    /// Per class, the `n` features most indicative of it: the largest lifts of the feature's
    /// log-probability in the class over its mean log-probability in the other classes,
    /// `log P(j | c) − mean_{o ≠ c} log P(j | o)`, largest first (with a single class, the
    /// log-probability itself).
    pub fn top_features(&self, n: usize) -> ClassFeatures {
        let (k, p) = (self.classes.len(), self.nb.n_features());
        let lp = self.nb.feature_log_prob();
        let lift = |c: usize, j: usize| {
            let others = (0..k).filter(|&o| o != c).map(|o| lp[o * p + j]).sum::<f64>();
            lp[c * p + j] - if k > 1 { others / (k - 1) as f64 } else { 0.0 }
        };
        per_class(&self.classes, p, n, lift, |_, _| true, |j| self.encoder.feature_name(j))
    }

    /// `P(class | row)`, `n × K` row-major, for the rows of the design `x`.
    pub fn predict_proba_design(&self, x: &Csr) -> Result<Vec<f64>> {
        self.nb.predict_proba(x)
    }

    /// `log P(second class) − log P(first class)` of a two-class model.
    pub fn log_odds_design(&self, x: &Csr) -> Result<Vec<f64>> {
        let k = self.classes.len();
        if k != 2 {
            return Err(Error::invalid("log_odds", k, "log-odds are defined for two classes"));
        }
        Ok(self.nb.joint_log_likelihood(x)?.chunks(2).map(|j| j[1] - j[0]).collect())
    }

    /// Saves the model to `path` (the one model-file format, written atomically).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let (k, p) = (self.classes.len(), self.nb.n_features());
        let mut tensors = vec![
            (
                "class_log_prior".to_owned(),
                Tensor::from_vec(self.nb.class_log_prior().to_vec(), [k])?,
            ),
            (
                "feature_log_prob".to_owned(),
                Tensor::from_vec(self.nb.feature_log_prob().to_vec(), [k, p])?,
            ),
        ];
        for (name, idf) in self.encoder.idf_tensors() {
            let n = idf.len();
            tensors.push((name, Tensor::from_vec(idf, [n])?));
        }
        let body = Body {
            encoder: &self.encoder,
            target: self.target.clone(),
            classes: self.classes.clone(),
            kind: self.nb.kind,
            alpha: self.nb.alpha,
        };
        let blocks = self.encoder.term_blocks()?;
        save_model_with_bytes(path, ModelKind::NaiveBayes, &body, &self.settings, &tensors, &blocks)
    }

    /// Loads a model saved by [`NaiveBayesModel::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<NaiveBayesModel> {
        let path = path.as_ref();
        NaiveBayesModel::from_file(&load_model(path)?, path)
    }

    /// The model in `file`, read from `path`, checked.
    pub fn from_file(file: &ModelFile, path: &Path) -> Result<NaiveBayesModel> {
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        if file.kind != ModelKind::NaiveBayes {
            let kind = serde_json::to_value(file.kind).unwrap_or_default();
            return Err(bad(format!("a {kind} model, not a Naive Bayes one")));
        }
        let body: Body = file.model_as(path)?;
        let values = |name: &str| -> std::result::Result<(Vec<f64>, Vec<usize>), String> {
            let t = file.tensors.tensor(name).ok_or_else(|| format!("no `{name}` tensor"))?;
            Ok((t.to_vec::<f64>().map_err(|e| format!("{name}: {e}"))?, t.dims().to_vec()))
        };
        let encoder = body
            .encoder
            .with_stored(|name| values(name).ok().map(|v| v.0), |name| file.tensors.bytes(name))
            .map_err(|e| bad(e.to_string()))?;
        let (prior, prior_dims) = values("class_log_prior").map_err(bad)?;
        let (log_prob, log_prob_dims) = values("feature_log_prob").map_err(bad)?;
        let (k, p) = (body.classes.len(), encoder.n_features());
        if prior_dims != [k] || log_prob_dims != [k, p] {
            return Err(bad(format!(
                "tensors class_log_prior {prior_dims:?} and feature_log_prob {log_prob_dims:?} \
                 do not agree with {k} classes over the encoder's {p} columns"
            )));
        }
        let classes = (0..k as u32).collect();
        let nb = NaiveBayes::from_parts(body.kind, body.alpha, classes, prior, log_prob, p)
            .map_err(|e| bad(format!("inconsistent model: {e}")))?;
        NaiveBayesModel::new(encoder, body.target, body.classes, nb, file.settings.clone())
            .map_err(|e| bad(format!("inconsistent model: {e}")))
    }
}
