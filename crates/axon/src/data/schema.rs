//! What a model knows of the data it was trained on, so that new rows are read the same way: the
//! [`Source`] layout (a table file with named columns, a header-less CSV file, an IDX folder, a
//! LibSVM file), the feature columns with their types, the target column and the classes in the
//! order of the model's outputs. Every saved model has one ([`crate::model::SavedModel::schema`]); the data
//! module reads new rows by it ([`super::read_examples`]), whatever the model is.

use serde::{Deserialize, Serialize};

use super::encoder::{Encoder, Input};

/// The layout of a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// A table file with a header (CSV, TSV or Parquet; see [`super::Format`]): features and
    /// target by column name. Stored as `csv`, its name before other formats were read.
    #[serde(rename = "csv")]
    Table,
    /// A CSV file without a header: numeric features, then (optionally) the class index last,
    /// as scikit-learn's digits in `data/digits.csv.gz`.
    #[serde(rename = "csv-no-header")]
    CsvNoHeader,
    /// An IDX folder (MNIST, Fashion-MNIST): training and test images and labels.
    #[serde(rename = "idx")]
    Idx,
    /// A LibSVM / SVMlight file: a label, then `index:value` pairs (a sparse model's own
    /// numbered columns).
    #[serde(rename = "libsvm")]
    Libsvm,
}

impl Source {
    /// The name stored in model files: `csv`, `csv-no-header`, `idx`, `libsvm`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Table => "csv",
            Source::CsvNoHeader => "csv-no-header",
            Source::Idx => "idx",
            Source::Libsvm => "libsvm",
        }
    }
}

/// The type of a feature column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FeatureKind {
    Numeric,
    /// Text (or numbers used as categories) with the levels seen in training.
    Categorical {
        levels: Vec<String>,
    },
    /// Documents, read as text whatever they hold (a sparse model's text columns).
    Text,
}

/// One feature column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    #[serde(flatten)]
    pub kind: FeatureKind,
}

impl Feature {
    /// A numeric feature.
    pub fn numeric(name: impl Into<String>) -> Feature {
        Feature { name: name.into(), kind: FeatureKind::Numeric }
    }
}

/// The layout, features, target and classes of a model's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub source: Source,
    /// The feature columns, in the order the model takes them.
    pub features: Vec<Feature>,
    /// The class column of a CSV file with a header.
    pub target: Option<String>,
    /// The classes, in the order of the model's probability columns.
    pub classes: Vec<String>,
}

impl Schema {
    /// The schema of a linear model's encoder: a CSV file with a header, the encoder's inputs.
    pub fn of_encoder(encoder: &Encoder) -> Schema {
        let feature = |input: &Input| match input {
            Input::Numeric { name } => Feature::numeric(name),
            Input::Categorical { name, levels, .. } => Feature {
                name: name.clone(),
                kind: FeatureKind::Categorical { levels: levels.clone() },
            },
        };
        Schema {
            source: Source::Table,
            features: encoder.inputs().iter().map(feature).collect(),
            target: Some(encoder.target_name().to_owned()),
            classes: encoder.target().classes(),
        }
    }

    /// The feature names.
    pub fn feature_names(&self) -> Vec<String> {
        self.features.iter().map(|f| f.name.clone()).collect()
    }
}
