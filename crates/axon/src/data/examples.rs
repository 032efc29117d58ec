//! New rows for a trained model (prediction, evaluation), read in the layout its [`Schema`]
//! names, as raw values (the model applies its own encoder or scaling) and, when the data has
//! them, the true classes as indices into the schema's classes:
//!
//! - a CSV file with a header: a [`Frame`] holding the model's feature columns by name, in any
//!   order among other columns; the class column is optional unless [`Labels::Required`], and
//!   its values must be classes the model knows;
//! - a CSV file without a header (a model trained on the digits layout, or on IDX images given
//!   as pixel columns): `d` numbers per row, or `d + 1` with the class index last;
//! - an IDX folder: its *test* files, pixel values as they are;
//! - a LibSVM file: its sparse rows as they are ([`read_libsvm_examples`]), the labels matched to
//!   the classes by value.
//!
//! Every error names the file, and the line and column of a bad value.
//!
//! [`read_example_batches`] streams a table file for prediction instead: frames of a fixed
//! number of rows (`read_batches`), each with the number of data rows before it, so that memory
//! holds one batch and an error can name the row in the file.

use std::borrow::Cow;
use std::path::Path;

use super::csv::read_numeric_csv;
use super::dataset::class_index;
use super::frame::Frame;
use super::idx::{read_idx_images, read_idx_labels, MnistFiles};
use super::libsvm::{read_libsvm, LibsvmOptions};
use super::read_options::ReadOptions;
use super::schema::{FeatureKind, Schema, Source};
use super::table::{read_batches, read_table};
use crate::error::{Error, Result};
use crate::sparse::Csr;

/// Whether the rows must come with their true classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// Prediction: read the classes where the data has them (and they are the model's).
    Optional,
    /// Evaluation: a missing or unknown class is an error.
    Required,
}

/// Raw feature values of new rows.
#[derive(Debug, Clone)]
pub enum Features {
    /// The rows of a CSV file with a header.
    Table(Frame),
    /// `(n, d)` numbers row-major.
    Dense { x: Vec<f32>, d: usize },
    /// The sparse rows of a LibSVM file, columns numbered from 0.
    Sparse(Csr),
}

/// New rows for a model.
#[derive(Debug, Clone)]
pub struct Examples {
    /// Where the rows came from, for messages.
    pub path: String,
    pub features: Features,
    /// The class of every row, an index into the schema's classes.
    pub labels: Option<Vec<usize>>,
    /// What the labels are: the class column, or where the layout keeps them.
    pub target: String,
    /// Rows dropped for a missing value (a CSV file with a header, with `drop_missing`).
    pub dropped_rows: usize,
}

impl Examples {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match &self.features {
            Features::Table(frame) => frame.n_rows,
            Features::Dense { x, d } => x.len() / (*d).max(1),
            Features::Sparse(x) => x.n_rows(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The feature columns of `schema` as numbers `(n, d)` row-major: dense rows as they are, a
    /// table's columns by name, each of which must hold numbers.
    pub fn dense(&self, schema: &Schema) -> Result<Cow<'_, [f32]>> {
        let frame = match &self.features {
            Features::Dense { x, .. } => return Ok(Cow::Borrowed(x)),
            Features::Table(frame) => frame,
            Features::Sparse(_) => {
                let msg =
                    "the rows of a LibSVM file are sparse; this model takes dense rows".into();
                return Err(Error::Io { path: self.path.clone(), msg });
            }
        };
        let (n, d) = (frame.n_rows, schema.features.len());
        let mut columns = Vec::with_capacity(d);
        for feature in &schema.features {
            let col = frame.column(&feature.name)?;
            let Some(values) = col.as_numeric() else {
                let r = (0..n).find(|&r| col.label(r).trim().parse::<f64>().is_err()).unwrap_or(0);
                let (at, v) = (row_name(frame, r), col.label(r));
                let msg = format!("{at}, column `{}`: `{v}` is not a number", feature.name);
                return Err(Error::Io { path: self.path.clone(), msg });
            };
            columns.push(values);
        }
        let mut x = Vec::with_capacity(n * d);
        for r in 0..n {
            x.extend(columns.iter().map(|c| c[r] as f32));
        }
        Ok(Cow::Owned(x))
    }
}

/// Reads `path` for a model with `schema` (see the module docs).
pub fn read_examples(
    schema: &Schema,
    path: &Path,
    labels: Labels,
    options: &ReadOptions,
) -> Result<Examples> {
    if path.is_dir() {
        return read_idx_test(schema, path);
    }
    if !path.exists() {
        let path = path.display().to_string();
        return Err(Error::Io { path, msg: "no such file or folder".into() });
    }
    match schema.source {
        Source::Table => read_header_csv(schema, path, labels, options),
        Source::Idx | Source::CsvNoHeader => read_plain(schema, path, labels),
        Source::Libsvm => read_libsvm_examples(schema, path, labels, None),
    }
}

/// The rows of a LibSVM file for a model with `schema`, its indices zero-based or not as
/// `zero_based` says (`None`: zero-based when the file has an index 0). A label must equal one
/// of the schema's classes as a number (`1` and `+1.0` are the class `1`).
pub fn read_libsvm_examples(
    schema: &Schema,
    path: &Path,
    labels: Labels,
    zero_based: Option<bool>,
) -> Result<Examples> {
    let data =
        read_libsvm(path, &LibsvmOptions { zero_based, n_features: None }).map_err(
            |e| match e {
                Error::Parse { path, line, column, msg } => {
                    let msg =
                        format!("{msg} (the model reads LibSVM files: LABEL INDEX:VALUE ...)");
                    Error::Parse { path, line, column, msg }
                }
                e => e,
            },
        )?;
    let classes: Vec<Option<f64>> = schema.classes.iter().map(|c| c.parse::<f64>().ok()).collect();
    let class_of = |(r, &label): (usize, &f64)| {
        classes.iter().position(|&c| c == Some(label)).ok_or_else(|| {
            let known = schema.classes.join(", ");
            let msg = format!("row {}: label {label} is not a class of the model ({known})", r + 1);
            Error::Io { path: path.display().to_string(), msg }
        })
    };
    let classes = match labels {
        Labels::Required => {
            Some(data.labels.iter().enumerate().map(class_of).collect::<Result<_>>()?)
        }
        // Prediction keeps the labels only when every one is a class of the model.
        Labels::Optional => {
            data.labels.iter().enumerate().map(class_of).collect::<Result<_>>().ok()
        }
    };
    Ok(Examples {
        path: path.display().to_string(),
        features: Features::Sparse(data.x),
        labels: classes,
        target: "label (first field)".into(),
        dropped_rows: 0,
    })
}

/// The test images and labels of an IDX folder.
fn read_idx_test(schema: &Schema, dir: &Path) -> Result<Examples> {
    let files = MnistFiles::find(dir)?;
    let images = read_idx_images(&files.test_images)?;
    let labels = read_idx_labels(&files.test_labels)?;
    let (d, k) = (schema.features.len(), schema.classes.len());
    let (h, w) = (images.rows, images.cols);
    let fail = |path: &Path, msg: String| Error::Io { path: path.display().to_string(), msg };
    if h * w != d {
        let msg = format!("{h}x{w} images ({} pixels), but the model takes {d} features", h * w);
        return Err(fail(&files.test_images, msg));
    }
    if labels.len() != images.count {
        let msg = format!("{} labels for {} images", labels.len(), images.count);
        return Err(fail(&files.test_labels, msg));
    }
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, &l)| l >= k) {
        let msg = format!("label {l} of item {i} is not one of the model's {k} classes");
        return Err(fail(&files.test_labels, msg));
    }
    Ok(Examples {
        path: dir.display().to_string(),
        features: Features::Dense { x: images.pixels.iter().map(|&v| f32::from(v)).collect(), d },
        labels: Some(labels),
        target: "label".into(),
        dropped_rows: 0,
    })
}

/// Where row `r` of a frame is in its file, for messages.
fn row_name(frame: &Frame, r: usize) -> String {
    if frame.dropped_rows == 0 {
        format!("line {}", r + 2)
    } else {
        format!("row {} of those kept", r + 1)
    }
}

/// Batches of a table file for prediction, each with the number of data rows before it.
pub type ExampleBatches = Box<dyn Iterator<Item = Result<(usize, Examples)>>>;

/// The rows of the table file `path` for a model of `schema`, in batches of `rows` rows (the
/// last may be shorter) with no labels, each with the number of data rows before it. Only a
/// model of a table's columns reads batches: an IDX folder or a file without a header is an
/// error. Every batch must hold the model's feature columns.
pub fn read_example_batches(
    schema: &Schema,
    path: &Path,
    options: &ReadOptions,
    rows: usize,
) -> Result<ExampleBatches> {
    let shown = path.display().to_string();
    if schema.source != Source::Table || path.is_dir() {
        let msg = "only a table file (CSV, TSV or Parquet with a header) is read in batches".into();
        return Err(Error::Io { path: shown, msg });
    }
    let categorical = (schema.features.iter())
        .filter(|f| matches!(f.kind, FeatureKind::Categorical { .. } | FeatureKind::Text))
        .map(|f| f.name.clone())
        .collect();
    let options = ReadOptions { categorical, ..options.clone() };
    let features: Vec<String> = schema.features.iter().map(|f| f.name.clone()).collect();
    let target = schema.target.clone().unwrap_or_default();
    let mut before = 0;
    let batches = read_batches(path, &options, rows)?.map(move |frame| {
        let frame = frame?;
        if let Some(name) = features.iter().find(|n| frame.column_index(n).is_err()) {
            let msg = format!("the model's feature column `{name}` is missing");
            return Err(Error::Io { path: shown.clone(), msg });
        }
        let first_row = before;
        before += frame.n_rows + frame.dropped_rows;
        let examples = Examples {
            path: shown.clone(),
            dropped_rows: frame.dropped_rows,
            features: Features::Table(frame),
            labels: None,
            target: target.clone(),
        };
        Ok((first_row, examples))
    });
    Ok(Box::new(batches))
}

/// A CSV file with a header: the model's feature columns by name, the class column by name.
fn read_header_csv(
    schema: &Schema,
    path: &Path,
    labels: Labels,
    options: &ReadOptions,
) -> Result<Examples> {
    let categorical = (schema.features.iter())
        .filter(|f| matches!(f.kind, FeatureKind::Categorical { .. } | FeatureKind::Text))
        .map(|f| f.name.clone())
        .collect();
    let options = ReadOptions { categorical, ..options.clone() };
    let frame = read_table(path, &options)?;
    let shown = path.display().to_string();
    for feature in &schema.features {
        if frame.column_index(&feature.name).is_err() {
            let msg = format!("the model's feature column `{}` is missing", feature.name);
            return Err(Error::Io { path: shown, msg });
        }
    }
    let target = schema.target.clone().unwrap_or_default();
    let required = labels == Labels::Required;
    let labels = match (&schema.target, frame.column_index(&target)) {
        // For prediction, a class column with values the model does not know is ignored.
        (Some(_), Ok(t)) => match class_labels(schema, &frame, t, &shown) {
            Ok(labels) => Some(labels),
            Err(e) if required => return Err(e),
            Err(_) => None,
        },
        (None, _) if required => {
            let msg = "the model file does not name its class column".into();
            return Err(Error::Io { path: shown, msg });
        }
        (Some(_), Err(_)) if required => {
            let msg = format!("no class column `{target}` (evaluation needs the true classes)");
            return Err(Error::Io { path: shown, msg });
        }
        _ => None,
    };
    let dropped_rows = frame.dropped_rows;
    let features = Features::Table(frame);
    Ok(Examples { path: shown, features, labels, target, dropped_rows })
}

/// The class index of every row of column `t`.
fn class_labels(schema: &Schema, frame: &Frame, t: usize, shown: &str) -> Result<Vec<usize>> {
    let col = &frame.columns[t];
    (0..frame.n_rows)
        .map(|r| {
            let label = col.label(r);
            schema.classes.iter().position(|c| *c == label).ok_or_else(|| {
                let (at, name, known) =
                    (row_name(frame, r), &frame.names[t], schema.classes.join(", "));
                let msg = format!(
                    "{at}, column `{name}`: `{label}` is not a class of the model ({known})"
                );
                Error::Io { path: shown.to_owned(), msg }
            })
        })
        .collect()
}

/// A header-less CSV file: `d` features per row, or `d + 1` with the class index last.
fn read_plain(schema: &Schema, path: &Path, labels: Labels) -> Result<Examples> {
    let hint = match schema.source {
        Source::Idx => {
            " (the model was trained on IDX images: give the IDX folder, or a CSV file of pixel \
             values without a header row)"
        }
        _ => " (the model was trained on a file without a header row)",
    };
    let table = read_numeric_csv(path, hint)?;
    let (d, k) = (schema.features.len(), schema.classes.len());
    let shown = path.display().to_string();
    let with_label = table.width == d + 1;
    if table.width != d && !with_label {
        let w = table.width;
        let msg =
            format!("{w} fields per row, but the model takes {d} features (and the label last)");
        return Err(Error::Io { path: shown, msg });
    }
    if labels == Labels::Required && !with_label {
        let msg = format!(
            "{d} fields per row and no label; evaluation needs the class index last ({d} + 1)"
        );
        return Err(Error::Io { path: shown, msg });
    }
    let mut x = Vec::with_capacity(table.rows * d);
    let mut classes = Vec::with_capacity(if with_label { table.rows } else { 0 });
    for r in 0..table.rows {
        let row = table.row(r);
        x.extend(row[..d].iter().map(|&v| v as f32));
        if with_label {
            let line = table.lines[r];
            let label = class_index(row[d], path, line)?;
            if label >= k {
                let msg = format!("label {label} is not one of the model's {k} classes");
                return Err(Error::Format { path: shown, line, msg });
            }
            classes.push(label);
        }
    }
    Ok(Examples {
        path: shown,
        features: Features::Dense { x, d },
        labels: with_label.then_some(classes),
        target: "label (last column)".into(),
        dropped_rows: 0,
    })
}
