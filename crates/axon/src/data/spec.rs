//! What a user asks of a design matrix ([`DesignSpec`]: target, features, categorical columns,
//! intercept, basis expansion, standardisation) and how the target's classes are coded
//! ([`Target`]): the plain data that both the [`super::Encoder`] (which learns the encoding) and
//! [`super::Design`] (which applies it) start from.

use serde::{Deserialize, Serialize};

use super::frame::Column;
use crate::error::{Error, Result};

/// What design matrix to build from a frame. Start from [`DesignSpec::new`] and change fields with
/// struct update syntax: `DesignSpec { standardize: true, ..DesignSpec::new("low") }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignSpec {
    /// The target column.
    pub target: String,
    /// The feature columns, in this order; `None`: every column but the target, in file order.
    pub features: Option<Vec<String>>,
    /// Numeric feature columns to treat as categorical (their distinct values become levels).
    pub categorical: Vec<String>,
    /// Whether to add the `Intercept` column of ones, first. Default true.
    pub intercept: bool,
    /// Whether to standardise the numeric columns to mean 0, standard deviation 1. Default false.
    pub standardize: bool,
    /// The highest power of each numeric feature; 1 (the default) adds none.
    pub poly_degree: usize,
    /// Whether to add the products `a:b` of every pair of numeric features. Default false.
    pub interactions: bool,
    /// For a two-class target, the class that is coded 1 (default: the second in sorted order).
    pub positive: Option<String>,
}

impl DesignSpec {
    /// A design for `target` on every other column: intercept, no expansion, no standardisation.
    pub fn new(target: impl Into<String>) -> DesignSpec {
        DesignSpec {
            target: target.into(),
            features: None,
            categorical: Vec::new(),
            intercept: true,
            standardize: false,
            poly_degree: 1,
            interactions: false,
            positive: None,
        }
    }

    /// The same design on these feature columns, in this order.
    pub fn with_features<S: AsRef<str>>(mut self, features: &[S]) -> DesignSpec {
        self.features = Some(features.iter().map(|f| f.as_ref().to_owned()).collect());
        self
    }
}

/// The classes of the target column and how they are coded in `y`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Two classes: `negative` is coded 0, `positive` 1. A numeric 0/1 column is `"0"`/`"1"`; two
    /// other values or levels code the second in sorted order as 1 unless
    /// [`DesignSpec::positive`] says otherwise.
    Binary { negative: String, positive: String },
    /// Classes coded 0..K−1 in this order (sorted levels, or sorted numbers).
    Classes(Vec<String>),
}

impl Target {
    /// The class names in code order.
    pub fn classes(&self) -> Vec<String> {
        match self {
            Target::Binary { negative, positive } => vec![negative.clone(), positive.clone()],
            Target::Classes(c) => c.clone(),
        }
    }

    /// The number of classes.
    pub fn n_classes(&self) -> usize {
        match self {
            Target::Binary { .. } => 2,
            Target::Classes(c) => c.len(),
        }
    }
}

/// The classes of a target column: see [`Target`].
pub(super) fn fit_target(column: &Column, name: &str, positive: Option<&str>) -> Result<Target> {
    let error = |msg: String| Error::Encoding { column: name.to_owned(), msg };
    if let Some(x) = column.as_numeric() {
        if let Some(v) = x.iter().find(|v| v.fract() != 0.0) {
            return Err(error(format!("a class label must be an integer or text, found {v}")));
        }
    }
    let labels = column.distinct_labels();
    let binary_01 = column.as_numeric().is_some_and(|x| x.iter().all(|&v| v == 0.0 || v == 1.0));
    let two = if binary_01 { vec!["0".to_owned(), "1".to_owned()] } else { labels.clone() };
    let Some(positive) = positive else {
        return Ok(match <[String; 2]>::try_from(two) {
            Ok([negative, positive]) => Target::Binary { negative, positive },
            Err(_) => Target::Classes(labels),
        });
    };
    if !two.iter().any(|l| l == positive) {
        return Err(error(format!("no class `{positive}`; the classes are {}", preview(&two))));
    }
    match <[String; 2]>::try_from(two) {
        Ok([a, b]) => {
            let negative = if a == positive { b } else { a };
            Ok(Target::Binary { negative, positive: positive.to_owned() })
        }
        Err(c) => Err(error(format!("`positive` needs two classes, found {}", c.len()))),
    }
}

/// At most ten names, comma-separated.
pub(super) fn preview(names: &[String]) -> String {
    let shown = names.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 10 {
        format!("{shown}, ...")
    } else {
        shown
    }
}
