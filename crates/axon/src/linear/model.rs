//! A fitted linear classifier packaged for prediction: the [`Encoder`] that turns raw CSV columns
//! into the design matrix, the coefficients, the class names and the settings of the fit, saved
//! as one `.axon` file in the one model-file format ([`crate::io::save_model`]): the coefficients
//! are the tensor `coefficients` (f64, `p × m`) and the kind and encoder are the description's
//! body, so the numbers can be read by any safetensors reader and the file is refused cleanly
//! when it is not an axon model.
//!
//! Probabilities, `n × K`, from the scores `η = X B`:
//!
//! ```text
//! logit   (m = 1)      P(y = 1) = σ(η),         P(y = 0) = 1 − σ(η)
//! probit  (m = 1)      P(y = 1) = Φ(η)
//! softmax (m = K − 1)  P(y = k) = exp(ηₖ − lse(0, η₁, …)),  class 0 the reference
//! ovr     (m = K)      P(y = k) = σ(ηₖ) / Σₗ σ(ηₗ)            (scikit-learn's one-vs-rest)
//! ```

use std::path::Path;

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use super::binary::{log_ndtr, sigmoid, Link};
use super::fit::BinaryFit;
use super::multinomial::{probabilities, MultinomialFit};
use super::ovr::OneVsRestFit;
use crate::data::{Encoder, Frame};
use crate::error::{Error, Result};
use crate::io::{load_model, save_model, ModelFile, ModelKind};
use crate::tensor::Tensor;

/// Which linear classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinearKind {
    Logit,
    Probit,
    Softmax,
    Ovr,
}

impl LinearKind {
    /// The number of coefficient columns for `k` classes.
    fn n_outputs(self, k: usize) -> usize {
        match self {
            LinearKind::Logit | LinearKind::Probit => 1,
            LinearKind::Softmax => k - 1,
            LinearKind::Ovr => k,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LinearKind::Logit => "logit",
            LinearKind::Probit => "probit",
            LinearKind::Softmax => "softmax",
            LinearKind::Ovr => "ovr",
        }
    }
}

/// A linear model's coefficients by name: `values[j][k]` is column `names[j]`'s coefficient in
/// the equation of class `equations[k]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoefficientTable {
    pub names: Vec<String>,
    pub equations: Vec<String>,
    pub values: Vec<Vec<f64>>,
}

/// A linear classifier ready to predict on raw data.
#[derive(Debug, Clone)]
pub struct LinearModel {
    pub kind: LinearKind,
    /// The transformation fitted on the training data; its target holds the class names.
    pub encoder: Encoder,
    /// `p × m`: one row per design column, one column per output (see the module docs).
    pub coefficients: Mat<f64>,
    /// The settings of the fit (solver, penalty, tolerances, data file, …), for the record.
    pub settings: serde_json::Value,
}

/// What rebuilds the model besides its coefficients (the body of a version-1 file too, whose
/// description holds these two fields among others).
#[derive(Serialize, Deserialize)]
struct Body {
    kind: LinearKind,
    encoder: Encoder,
}

impl LinearModel {
    /// A model from its parts; the coefficient shape must fit the encoder and the kind.
    pub fn new(
        kind: LinearKind,
        encoder: Encoder,
        coefficients: Mat<f64>,
        settings: serde_json::Value,
    ) -> Result<LinearModel> {
        let k = encoder.target().n_classes();
        if matches!(kind, LinearKind::Logit | LinearKind::Probit) && k != 2 {
            let reason = format!("a {} model needs a binary target", kind.name());
            return Err(Error::invalid("kind", kind.name(), reason));
        }
        let want = (encoder.n_cols(), kind.n_outputs(k));
        if (coefficients.nrows(), coefficients.ncols()) != want {
            let reason = format!("expected {} × {} for {k} classes", want.0, want.1);
            let got = format!("{} × {}", coefficients.nrows(), coefficients.ncols());
            return Err(Error::invalid("coefficients", got, reason));
        }
        Ok(LinearModel { kind, encoder, coefficients, settings })
    }

    /// The model of a binary fit (logit or probit).
    pub fn from_binary(
        fit: &BinaryFit,
        encoder: Encoder,
        settings: serde_json::Value,
    ) -> Result<Self> {
        let kind = match fit.link {
            Link::Logit => LinearKind::Logit,
            Link::Probit => LinearKind::Probit,
        };
        let b = Mat::from_fn(fit.coefficients.len(), 1, |j, _| fit.coefficients[j]);
        LinearModel::new(kind, encoder, b, settings)
    }

    /// The model of a multinomial (softmax) fit.
    pub fn from_multinomial(
        fit: &MultinomialFit,
        encoder: Encoder,
        settings: serde_json::Value,
    ) -> Result<Self> {
        LinearModel::new(LinearKind::Softmax, encoder, fit.coefficients.clone(), settings)
    }

    /// The model of a one-vs-rest fit: column `k` of the `p × K` coefficients is the logit of
    /// class `k` against the rest.
    pub fn from_ovr(
        fit: &OneVsRestFit,
        encoder: Encoder,
        settings: serde_json::Value,
    ) -> Result<Self> {
        let p = fit.fits.first().map_or(0, |f| f.coefficients.len());
        if let Some(f) = fit.fits.iter().find(|f| f.coefficients.len() != p) {
            let reason = format!("every class's fit must have {p} coefficients");
            return Err(Error::invalid("fits", f.coefficients.len(), reason));
        }
        let b = Mat::from_fn(p, fit.fits.len(), |j, k| fit.fits[k].coefficients[j]);
        LinearModel::new(LinearKind::Ovr, encoder, b, settings)
    }

    /// The class names, in the order of the probability columns.
    pub fn classes(&self) -> Vec<String> {
        self.encoder.target().classes()
    }

    /// The coefficients as a table, one row per design column and one column per equation,
    /// named as in the module docs: a binary model's one equation is that of its positive
    /// (last) class, a softmax model's are those of every class but the reference (the first),
    /// one-vs-rest's those of every class.
    pub fn coefficient_table(&self) -> CoefficientTable {
        let classes = self.classes();
        let equations = match self.kind {
            LinearKind::Logit | LinearKind::Probit => classes.last().cloned().into_iter().collect(),
            LinearKind::Softmax => classes.iter().skip(1).cloned().collect(),
            LinearKind::Ovr => classes,
        };
        let b = &self.coefficients;
        CoefficientTable {
            names: self.encoder.names().to_vec(),
            values: (0..b.nrows()).map(|j| (0..b.ncols()).map(|k| b[(j, k)]).collect()).collect(),
            equations,
        }
    }

    /// `P(y = k | xᵢ)`, `n × K`, for every row of the design matrix `x`.
    pub fn predict_proba_design(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let p = self.coefficients.nrows();
        if x.ncols() != p {
            return Err(Error::invalid("x", x.ncols(), format!("the model has {p} columns")));
        }
        let eta = x * &self.coefficients;
        let k = self.encoder.target().n_classes();
        let n = x.nrows();
        Ok(match self.kind {
            LinearKind::Logit | LinearKind::Probit => {
                let link = if self.kind == LinearKind::Logit { Link::Logit } else { Link::Probit };
                let p1: Vec<f64> = (0..n).map(|i| link.cdf(eta[(i, 0)])).collect();
                Mat::from_fn(n, 2, |i, c| if c == 1 { p1[i] } else { 1.0 - p1[i] })
            }
            LinearKind::Softmax => probabilities(&eta).0,
            LinearKind::Ovr => {
                let s = Mat::from_fn(n, k, |i, c| sigmoid(eta[(i, c)]));
                let totals: Vec<f64> = (0..n).map(|i| (0..k).map(|c| s[(i, c)]).sum()).collect();
                Mat::from_fn(n, k, |i, c| s[(i, c)] / totals[i])
            }
        })
    }

    /// The log-odds `log P(y = 1) − log P(y = 0)` of a binary model for every row of the design
    /// matrix `x`: `η = xᵀβ` itself for the logit, `log Φ(η) − log Φ(−η)` for the probit (in
    /// the log domain, so the tails keep their digits).
    pub fn log_odds_design(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        let p = self.coefficients.nrows();
        if x.ncols() != p {
            return Err(Error::invalid("x", x.ncols(), format!("the model has {p} columns")));
        }
        let eta = x * &self.coefficients;
        let n = x.nrows();
        match self.kind {
            LinearKind::Logit => Ok((0..n).map(|i| eta[(i, 0)]).collect()),
            LinearKind::Probit => {
                Ok((0..n).map(|i| log_ndtr(eta[(i, 0)]) - log_ndtr(-eta[(i, 0)])).collect())
            }
            kind => Err(Error::invalid(
                "kind",
                kind.name(),
                "log-odds are defined for binary (logit, probit) models",
            )),
        }
    }

    /// Log-odds for the rows of a raw frame (see [`LinearModel::log_odds_design`]).
    pub fn log_odds(&self, frame: &Frame) -> Result<Vec<f64>> {
        self.log_odds_design(self.encoder.transform(frame)?.as_ref())
    }

    /// Probabilities for the rows of a raw frame, transformed by the model's encoder.
    pub fn predict_proba(&self, frame: &Frame) -> Result<Mat<f64>> {
        self.predict_proba_design(self.encoder.transform(frame)?.as_ref())
    }

    /// Saves the model to `path` (the one model-file format, written atomically).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let (p, m) = (self.coefficients.nrows(), self.coefficients.ncols());
        let b = Tensor::from_vec(row_major(&self.coefficients), [p, m])?;
        let body = Body { kind: self.kind, encoder: self.encoder.clone() };
        let tensors = [("coefficients".to_owned(), b)];
        save_model(path, ModelKind::Linear, &body, &self.settings, &tensors)
    }

    /// Loads a model saved by [`LinearModel::save`] (or by an earlier version); a file that is
    /// not a linear model is a clear error.
    pub fn load(path: impl AsRef<Path>) -> Result<LinearModel> {
        let path = path.as_ref();
        LinearModel::from_file(&load_model(path)?, path)
    }

    /// The model in `file`, read from `path`.
    pub fn from_file(file: &ModelFile, path: &Path) -> Result<LinearModel> {
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        if file.kind != ModelKind::Linear {
            let kind = serde_json::to_value(file.kind).unwrap_or_default();
            return Err(bad(format!("a {kind} model, not a linear one")));
        }
        let body: Body = file.model_as(path)?;
        let coefficients = read_coefficients(file, path)?;
        LinearModel::new(body.kind, body.encoder, coefficients, file.settings.clone())
            .map_err(|e| bad(format!("inconsistent model: {e}")))
    }
}

/// The `p × m` tensor `coefficients` of a linear model's `file`, read from `path`.
pub(crate) fn read_coefficients(file: &ModelFile, path: &Path) -> Result<Mat<f64>> {
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let b = file
        .tensors
        .tensor("coefficients")
        .ok_or_else(|| bad("no `coefficients` tensor".into()))?;
    let values = b.to_vec::<f64>().map_err(|e| bad(format!("coefficients: {e}")))?;
    let [p, m] = b.dims() else {
        return Err(bad(format!("coefficients of shape {} are not 2-D", b.shape())));
    };
    Ok(Mat::from_fn(*p, *m, |j, c| values[j * m + c]))
}

/// The entries of `m` row by row: a `p × m` coefficient matrix as a tensor's data, `n × K`
/// probabilities as the `(n, K)` row-major layout the metrics read.
pub fn row_major(m: &Mat<f64>) -> Vec<f64> {
    (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |c| m[(i, c)])).collect()
}
