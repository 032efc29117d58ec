//! From a [`Frame`] to a model's design matrix `X` (n × p) and target `y`, as R's `model.matrix` and
//! patsy/statsmodels formulas build them, so that fits can be compared with those tools column for
//! column: `low ~ age + lwt + race` gives `Intercept, age, lwt, race[T.other], race[T.white]`.
//!
//! - Categorical features: treatment coding, one 0/1 column per level but the reference level (the
//!   first in sorted order), named `race[T.other]`; a numeric column listed in
//!   [`DesignSpec::categorical`] is coded the same way and named as patsy's `C(ftv)[T.1]`. Without
//!   an intercept the first categorical feature keeps all its levels (`race[black]`), as R and patsy.
//! - Basis expansion: powers `age^2 .. age^d` of numeric features (0/1 columns excepted, whose
//!   powers repeat them) and pairwise products `age:lwt`.
//! - Standardisation: every non-intercept, non-dummy column to mean 0 and population standard
//!   deviation 1 (scikit-learn's `StandardScaler`, computed after the expansion).
//!
//! Column order: `Intercept`, then each feature's columns in feature order (R's order; patsy puts
//! categorical-only terms first, the coefficients are the same), then powers, then interactions.

use faer::Mat;

use super::encoder::Encoder;
use super::frame::Frame;
use super::spec::{preview, DesignSpec, Target};
use crate::error::{Error, Result};

/// A design matrix with its target, column names and the encoder that made it.
#[derive(Debug, Clone)]
pub struct Design {
    /// The design matrix, n × p, column-major.
    pub x: Mat<f64>,
    /// The target: class indices as f64 (0/1 for a binary target).
    pub y: Vec<f64>,
    /// The column names of `x`.
    pub names: Vec<String>,
    /// The target's classes.
    pub target: Target,
    /// The fitted transformation, to apply to new data and to map coefficients back.
    pub encoder: Encoder,
}

impl Design {
    /// Fits an [`Encoder`] to `frame` as `spec` says and applies it.
    pub fn new(frame: &Frame, spec: &DesignSpec) -> Result<Design> {
        let encoder = Encoder::fit(frame, spec)?;
        let x = encoder.transform(frame)?;
        let y = encoder.transform_target(frame)?;
        let names = encoder.names().to_vec();
        let target = encoder.target().clone();
        Ok(Design { x, y, names, target, encoder })
    }

    /// The 0/1 target of a binary model; an error if the target has other than two classes.
    pub fn binary_target(&self) -> Result<&[f64]> {
        match &self.target {
            Target::Binary { .. } => Ok(&self.y),
            Target::Classes(classes) => Err(Error::Encoding {
                column: self.encoder.target_name().to_owned(),
                msg: format!(
                    "a binary model needs two classes, the target has {} ({})",
                    classes.len(),
                    preview(classes)
                ),
            }),
        }
    }

    /// The target as class indices `0..K`.
    pub fn class_indices(&self) -> Vec<usize> {
        self.y.iter().map(|&y| y as usize).collect()
    }

    /// The class names, in code order.
    pub fn classes(&self) -> Vec<String> {
        self.target.classes()
    }

    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.x.ncols()
    }

    /// The design restricted to `rows` (in that order), with the same columns and encoder: one
    /// rank's shard of the data set in a fit over MPI ranks.
    pub fn select_rows(&self, rows: &[usize]) -> Design {
        Design {
            x: Mat::from_fn(rows.len(), self.x.ncols(), |i, j| self.x[(rows[i], j)]),
            y: rows.iter().map(|&i| self.y[i]).collect(),
            names: self.names.clone(),
            target: self.target.clone(),
            encoder: self.encoder.clone(),
        }
    }
}
