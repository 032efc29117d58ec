//! [`EncodedLinearModel`]: a linear classifier (`axon fit --text COL --encoder DIR`) on the
//! frozen sentence embeddings of text columns, with any numeric or categorical columns beside
//! them. It is a [`LinearModel`] whose encoder reads the embedding columns `COL:emb0 …` (and the
//! other feature columns) plus the [`EncoderFeatures`] that make those columns from the raw
//! text, so it predicts on a table with the text itself.
//!
//! The file holds the coefficients and the linear model's encoder as a linear model file does,
//! and the sentence encoder's directory with the digests of its files (not its weights). The
//! sentence encoder is loaded, its files checked, the first time rows are scored (or when
//! [`EncodedLinearModel::load_encoder`] asks for it), from the stored directory or the one given
//! to [`EncodedLinearModel::set_encoder_dir`].

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::model::{read_coefficients, row_major, LinearKind, LinearModel};
use crate::data::{Encoder, Feature, FeatureKind, Frame, Input, Schema};
use crate::error::{Error, Result};
use crate::io::{save_model, ModelFile, ModelKind};
use crate::nn::bert::{EncoderFeatures, SentenceEncoder};
use crate::tensor::Tensor;

/// A linear classifier on sentence embeddings of text columns (and other columns).
pub struct EncodedLinearModel {
    /// The text columns and the encoder that embeds them.
    pub features: EncoderFeatures,
    /// The classifier on the embedding columns and the other feature columns.
    pub linear: LinearModel,
    /// Where to load the sentence encoder from instead of `features.dir`.
    encoder_dir: Option<PathBuf>,
    /// The sentence encoder, once loaded and checked.
    sentence: OnceCell<SentenceEncoder>,
}

/// The description in the model file.
#[derive(Serialize, Deserialize)]
struct Body {
    kind: LinearKind,
    encoder: Encoder,
    text_encoder: EncoderFeatures,
}

impl EncodedLinearModel {
    /// The model of `linear`, whose encoder must read every embedding column of `features` as a
    /// number and no text column directly.
    pub fn new(features: EncoderFeatures, linear: LinearModel) -> Result<EncodedLinearModel> {
        let inputs = linear.encoder.inputs();
        for name in features.feature_names() {
            if !inputs.iter().any(|i| matches!(i, Input::Numeric { name: n } if *n == name)) {
                let reason = "the linear model does not read this embedding column as a number";
                return Err(Error::invalid("linear", name, reason));
            }
        }
        if let Some(c) = features.columns.iter().find(|c| inputs.iter().any(|i| i.name() == *c)) {
            let reason = "a text column is embedded, not a feature of the linear model itself";
            return Err(Error::invalid("linear", c, reason));
        }
        Ok(EncodedLinearModel { features, linear, encoder_dir: None, sentence: OnceCell::new() })
    }

    /// Loads the sentence encoder from `dir` instead of the stored directory (its files must
    /// still be those the model was fitted with).
    pub fn set_encoder_dir(&mut self, dir: impl Into<PathBuf>) {
        self.encoder_dir = Some(dir.into());
        self.sentence = OnceCell::new();
    }

    /// The sentence encoder, loaded and checked on first use.
    pub fn load_encoder(&self) -> Result<&SentenceEncoder> {
        if let Some(encoder) = self.sentence.get() {
            return Ok(encoder);
        }
        let encoder = self.features.load_encoder(self.encoder_dir.as_deref())?;
        Ok(self.sentence.get_or_init(|| encoder))
    }

    /// `logit`, `probit`, `softmax` or `ovr`, prefixed `encoded-`.
    pub fn kind_name(&self) -> &'static str {
        match self.linear.kind {
            LinearKind::Logit => "encoded-logit",
            LinearKind::Probit => "encoded-probit",
            LinearKind::Softmax => "encoded-softmax",
            LinearKind::Ovr => "encoded-ovr",
        }
    }

    /// The data's layout: a table with the text columns, then the other feature columns.
    pub fn schema(&self) -> Schema {
        let embedded = self.features.feature_names();
        let mut schema = Schema::of_encoder(&self.linear.encoder);
        schema.features.retain(|f| !embedded.contains(&f.name));
        let text = |name: &String| Feature { name: name.clone(), kind: FeatureKind::Text };
        let mut features: Vec<Feature> = self.features.columns.iter().map(text).collect();
        features.append(&mut schema.features);
        schema.features = features;
        schema
    }

    /// The design matrix of a raw frame (text and other feature columns) whose first row is
    /// data row `first_row + 1` of its file.
    pub fn design(&self, frame: &Frame, first_row: usize) -> Result<Mat<f64>> {
        let encoder = self.load_encoder()?;
        let frame = self.features.append(encoder, frame)?;
        self.linear.encoder.transform_from(&frame, first_row)
    }

    /// `P(y = k | row)`, `n × K`, for the rows of a raw frame.
    pub fn predict_proba(&self, frame: &Frame) -> Result<Mat<f64>> {
        self.linear.predict_proba_design(self.design(frame, 0)?.as_ref())
    }

    /// Saves the model to `path` (the one model-file format, written atomically).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let b = &self.linear.coefficients;
        let (p, m) = (b.nrows(), b.ncols());
        let tensor = Tensor::from_vec(row_major(b), [p, m])?;
        let body = Body {
            kind: self.linear.kind,
            encoder: self.linear.encoder.clone(),
            text_encoder: self.features.clone(),
        };
        let tensors = [("coefficients".to_owned(), tensor)];
        save_model(path, ModelKind::EncodedLinear, &body, &self.linear.settings, &tensors)
    }

    /// The model in `file`, read from `path`.
    pub fn from_file(file: &ModelFile, path: &Path) -> Result<EncodedLinearModel> {
        let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
        if file.kind != ModelKind::EncodedLinear {
            let kind = serde_json::to_value(file.kind).unwrap_or_default();
            return Err(bad(format!("a {kind} model, not a linear model on sentence embeddings")));
        }
        let body: Body = file.model_as(path)?;
        let coefficients = read_coefficients(file, path)?;
        let linear = LinearModel::new(body.kind, body.encoder, coefficients, file.settings.clone())
            .map_err(|e| bad(format!("inconsistent model: {e}")))?;
        EncodedLinearModel::new(body.text_encoder, linear)
            .map_err(|e| bad(format!("inconsistent model: {e}")))
    }
}
