//! A fitted linear classifier on a sparse design, packaged for prediction on raw rows: the
//! [`SparseEncoder`] that turns a frame's text columns into the design, the target column and its
//! classes, the coefficients `coef` (`m × p` row-major) and `intercept` (`m`), and the record of
//! the fit. Two shapes are read:
//!
//! ```text
//! m = 1  (two classes)   P(second class) = σ(xᵀw + b)           a binary logit
//! m = K                  P(class k) = exp(ηₖ − lse(η)), ηₖ = xᵀwₖ + bₖ   a softmax
//! m = K, one-vs-rest     P(class k) = σ(ηₖ) / Σⱼ σ(ηⱼ)            K binary logits
//! ```
//!
//! Saved in the one model-file format as kind `sparse-linear`: the tensors `coef` `[m, p]`,
//! `intercept` `[m]` and the encoder's `text.{i}.idf`, the encoder (vocabularies, specs), target
//! and classes in the description. A file is checked on load: shapes agree with the encoder and
//! the classes, and every number is finite.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::binary::{sigmoid, softplus};
use super::sparse::SparseLogitFit;
use super::sparse_multi::{SparseMultiFit, SparseMultiKind};
use super::top::{per_class, ClassFeatures};
use crate::error::{Error, Result};
use crate::io::{load_model, save_model_with_bytes, ModelFile, ModelKind};
use crate::sparse::Csr;
use crate::tensor::Tensor;
use crate::text::SparseEncoder;

/// A linear classifier on a sparse design, ready to predict on raw rows.
#[derive(Debug, Clone)]
pub struct SparseLinearModel {
    pub encoder: SparseEncoder,
    /// The class column.
    pub target: String,
    /// The class names, in the order of the probability columns.
    pub classes: Vec<String>,
    /// `m × p` row-major: `m = 1` for a binary logit, `m = K` for a softmax.
    pub coef: Vec<f64>,
    /// `m` intercepts.
    pub intercept: Vec<f64>,
    /// Whether the `K` equations are one-vs-rest logits rather than a softmax.
    pub one_vs_rest: bool,
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
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    one_vs_rest: bool,
}

impl SparseLinearModel {
    /// A model from its parts, checked: at least two distinct classes, `m = 1` with two classes
    /// or `m = K`, `coef` of `m × p` for the encoder's `p` columns, finite numbers.
    pub fn new(
        encoder: SparseEncoder,
        target: String,
        classes: Vec<String>,
        coef: Vec<f64>,
        intercept: Vec<f64>,
        settings: serde_json::Value,
    ) -> Result<SparseLinearModel> {
        let k = classes.len();
        if k < 2 || (1..k).any(|i| classes[..i].contains(&classes[i])) {
            let reason = "a classifier needs at least two distinct classes";
            return Err(Error::invalid("classes", format!("{classes:?}"), reason));
        }
        let (m, p) = (intercept.len(), encoder.n_features());
        if !(m == k || (m == 1 && k == 2)) {
            let reason = format!("{k} classes take 1 (binary logit, 2 classes) or {k} (softmax)");
            return Err(Error::invalid("intercept", format!("{m} equations"), reason));
        }
        if coef.len() != m * p {
            let reason = format!("expected {m} × {p} (the encoder has {p} columns)");
            return Err(Error::invalid("coef", format!("{} values", coef.len()), reason));
        }
        if let Some(v) = coef.iter().chain(&intercept).find(|v| !v.is_finite()) {
            return Err(Error::invalid("coef", v, "a coefficient must be finite"));
        }
        let one_vs_rest = false;
        Ok(SparseLinearModel { encoder, target, classes, coef, intercept, one_vs_rest, settings })
    }

    /// The model of a multi-class sparse fit (a softmax or one-vs-rest logits), one equation per
    /// class in the order of `classes`.
    pub fn from_multi(
        encoder: SparseEncoder,
        target: String,
        classes: Vec<String>,
        fit: &SparseMultiFit,
        settings: serde_json::Value,
    ) -> Result<SparseLinearModel> {
        let (coef, intercept) = (fit.coef.clone(), fit.intercept.clone());
        let model = SparseLinearModel::new(encoder, target, classes, coef, intercept, settings)?;
        Ok(model.with_one_vs_rest(fit.kind == SparseMultiKind::OneVsRest))
    }

    /// The model with its `K` equations read as one-vs-rest logits (`true`) or a softmax.
    fn with_one_vs_rest(mut self, one_vs_rest: bool) -> SparseLinearModel {
        self.one_vs_rest = one_vs_rest && self.n_outputs() > 1;
        self
    }

    /// The model of a binary sparse logit: `classes[1]` is the class coded 1.
    pub fn from_logit(
        encoder: SparseEncoder,
        target: String,
        classes: Vec<String>,
        fit: &SparseLogitFit,
        settings: serde_json::Value,
    ) -> Result<SparseLinearModel> {
        let (coef, intercept) = (fit.coef.clone(), vec![fit.intercept]);
        SparseLinearModel::new(encoder, target, classes, coef, intercept, settings)
    }

    /// The number of equations `m`.
    pub fn n_outputs(&self) -> usize {
        self.intercept.len()
    }

    /// `sparse-logit` (one equation), `sparse-softmax` or `sparse-ovr`.
    pub fn kind_name(&self) -> &'static str {
        if self.n_outputs() == 1 {
            "sparse-logit"
        } else if self.one_vs_rest {
            "sparse-ovr"
        } else {
            "sparse-softmax"
        }
    }

    /// Per class, the `n` features that push most towards it, with their coefficients, largest
    /// first: for a binary logit the largest positive coefficients (towards the second class,
    /// listed first) and the most negative (towards the first); for `K` equations each class's
    /// largest positive coefficients.
    pub fn top_features(&self, n: usize) -> ClassFeatures {
        let p = self.encoder.n_features();
        let name = |j| self.encoder.feature_name(j);
        if self.n_outputs() > 1 {
            return per_class(
                &self.classes,
                p,
                n,
                |c, j| self.coef[c * p + j],
                |_, b| b > 0.0,
                name,
            );
        }
        // Towards the first class a coefficient counts by its size below zero.
        let sign = |c: usize| if c == 1 { 1.0 } else { -1.0 };
        let mut top =
            per_class(&self.classes, p, n, |c, j| sign(c) * self.coef[j], |_, b| b > 0.0, name);
        for (c, (_, features)) in top.iter_mut().enumerate() {
            features.iter_mut().for_each(|(_, b)| *b *= sign(c));
        }
        top.reverse();
        top
    }

    /// The linear predictors `η = X Wᵀ + b`, `n × m` row-major.
    pub fn eta(&self, x: &Csr) -> Result<Vec<f64>> {
        let (m, p) = (self.n_outputs(), self.encoder.n_features());
        if x.n_cols() != p {
            let reason = format!("the model has {p} features");
            return Err(Error::invalid("x", format!("{} columns", x.n_cols()), reason));
        }
        // `mul_dense` takes `p × m` row-major: the transpose of `coef`.
        let w: Vec<f64> = if m == 1 {
            self.coef.clone()
        } else {
            (0..p).flat_map(|j| (0..m).map(move |c| self.coef[c * p + j])).collect()
        };
        let mut eta = x.mul_dense(&w, m);
        for row in eta.chunks_mut(m) {
            row.iter_mut().zip(&self.intercept).for_each(|(e, b)| *e += b);
        }
        Ok(eta)
    }

    /// `P(class | row)`, `n × K` row-major, for the rows of the design `x`.
    pub fn predict_proba_design(&self, x: &Csr) -> Result<Vec<f64>> {
        let eta = self.eta(x)?;
        if self.n_outputs() == 1 {
            return Ok(eta.iter().flat_map(|&z| [sigmoid(-z), sigmoid(z)]).collect());
        }
        let mut proba = eta;
        for row in proba.chunks_mut(self.n_outputs()) {
            if self.one_vs_rest {
                row.iter_mut().for_each(|v| *v = sigmoid(*v));
                let total: f64 = row.iter().sum();
                row.iter_mut().for_each(|v| *v /= total);
                continue;
            }
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            row.iter_mut().for_each(|v| *v = (*v - max).exp());
            let total: f64 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= total);
        }
        Ok(proba)
    }

    /// `log P(second class) − log P(first class)` of a two-class model: `η` of a binary logit,
    /// `η₁ − η₀` of a two-class softmax, `log σ(η₁) − log σ(η₀)` of two one-vs-rest logits.
    pub fn log_odds_design(&self, x: &Csr) -> Result<Vec<f64>> {
        let eta = self.eta(x)?;
        match self.n_outputs() {
            1 => Ok(eta),
            2 if self.one_vs_rest => {
                Ok(eta.chunks(2).map(|e| softplus(-e[0]) - softplus(-e[1])).collect())
            }
            2 => Ok(eta.chunks(2).map(|e| e[1] - e[0]).collect()),
            m => Err(Error::invalid("log_odds", m, "log-odds are defined for two classes")),
        }
    }

    /// Saves the model to `path` (the one model-file format, written atomically).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let (m, p) = (self.n_outputs(), self.encoder.n_features());
        let mut tensors = vec![
            ("coef".to_owned(), Tensor::from_vec(self.coef.clone(), [m, p])?),
            ("intercept".to_owned(), Tensor::from_vec(self.intercept.clone(), [m])?),
        ];
        for (name, idf) in self.encoder.idf_tensors() {
            let n = idf.len();
            tensors.push((name, Tensor::from_vec(idf, [n])?));
        }
        let body = Body {
            encoder: &self.encoder,
            target: self.target.clone(),
            classes: self.classes.clone(),
            one_vs_rest: self.one_vs_rest,
        };
        let blocks = self.encoder.term_blocks()?;
        save_model_with_bytes(
            path,
            ModelKind::SparseLinear,
            &body,
            &self.settings,
            &tensors,
            &blocks,
        )
    }

    /// Loads a model saved by [`SparseLinearModel::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<SparseLinearModel> {
        let path = path.as_ref();
        SparseLinearModel::from_file(&load_model(path)?, path)
    }

    /// The model in `file`, read from `path`, checked.
    pub fn from_file(file: &ModelFile, path: &Path) -> Result<SparseLinearModel> {
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        if file.kind != ModelKind::SparseLinear {
            let kind = serde_json::to_value(file.kind).unwrap_or_default();
            return Err(bad(format!("a {kind} model, not a sparse linear one")));
        }
        let body: Body = file.model_as(path)?;
        let encoder = body
            .encoder
            .with_stored(|name| tensor_values(file, name).ok(), |name| file.tensors.bytes(name))
            .map_err(|e| bad(e.to_string()))?;
        let coef = tensor_values(file, "coef").map_err(bad)?;
        let intercept = tensor_values(file, "intercept").map_err(bad)?;
        let dims = |name: &str| file.tensors.tensor(name).map(|t| t.dims().to_vec());
        let (m, p) = (intercept.len(), encoder.n_features());
        if dims("coef") != Some(vec![m, p]) || dims("intercept") != Some(vec![m]) {
            return Err(bad(format!(
                "tensors coef {:?} and intercept {:?} do not agree with {m} equations over the \
                 encoder's {p} columns",
                dims("coef").unwrap_or_default(),
                dims("intercept").unwrap_or_default()
            )));
        }
        SparseLinearModel::new(
            encoder,
            body.target,
            body.classes,
            coef,
            intercept,
            file.settings.clone(),
        )
        .map(|model| model.with_one_vs_rest(body.one_vs_rest))
        .map_err(|e| bad(format!("inconsistent model: {e}")))
    }
}

/// The values of the f64 tensor `name` of `file`, or a message saying what is wrong.
pub(crate) fn tensor_values(file: &ModelFile, name: &str) -> std::result::Result<Vec<f64>, String> {
    let t = file.tensors.tensor(name).ok_or_else(|| format!("no `{name}` tensor"))?;
    t.to_vec::<f64>().map_err(|e| format!("{name}: {e}"))
}
