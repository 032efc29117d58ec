//! A classification data set for training a network, read from any of the three layouts of
//! [`Source`], split and scaled:
//!
//! - an IDX folder (MNIST, Fashion-MNIST): its own training and test files; pixels `/ 255`;
//! - a table with a header (CSV, TSV, Parquet) and a target column ([`Columns`]): the feature
//!   columns (every other column, `features`, less `drop`) encoded by an [`Encoder`] as `axon
//!   fit` encodes them (numbers as they are; a text column, or one named `categorical`, as one
//!   0/1 column per level, without an intercept so the first such column keeps every level);
//!   rows split 80/20 by [`crate::cv::train_test_split`] with the seed; the encoded columns
//!   standardised with the training rows' mean and standard deviation ([`Scaling::standardize`]);
//! - a CSV file without a header: numeric features and the integer class last (the digits
//!   layout); split and standardised as above;
//! - a file in scikit-learn's layout (`data/iris.csv`): read as a table whose class column is
//!   `target` when no target is given.
//!
//! The validation rows (`val_fraction`) are then drawn, seeded, from the training rows, and the
//! scaling statistics come from the rows that remain for training. One [`Rng`] seeded once
//! makes every draw, so the same seed gives the same split.

use std::path::{Path, PathBuf};

use super::csv::read_numeric_csv;
use super::encoder::Encoder;
use super::idx::MnistFiles;
use super::read_options::{Format, ReadOptions};
use super::scaling::Scaling;
use super::schema::{Feature, Schema, Source};
use super::sklearn::{is_sklearn_layout, SKLEARN_TARGET};
use super::spec::DesignSpec;
use super::table::read_table;
use crate::cv::train_test_split;
use crate::error::{Error, Result};
use crate::rng::Rng;

/// Features `(n, d)` row-major in `f32` and class indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub x: Vec<f32>,
    pub y: Vec<i64>,
}

impl Split {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The rows `rows` of this split, of `d` features each.
    fn rows(&self, rows: &[usize], d: usize) -> Split {
        let mut x = Vec::with_capacity(rows.len() * d);
        for &r in rows {
            x.extend_from_slice(&self.x[r * d..(r + 1) * d]);
        }
        Split { x, y: rows.iter().map(|&r| self.y[r]).collect() }
    }
}

/// How [`Dataset::load`] splits the rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitOptions {
    /// Seeds every draw.
    pub seed: u64,
    /// The share of a CSV file's rows held out for testing (an IDX folder has its own).
    pub test_fraction: f64,
    /// The share of the training rows held out for validation, in `[0, 0.5)`.
    pub val_fraction: f64,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions { seed: 0, test_fraction: 0.2, val_fraction: 0.1 }
    }
}

/// Training, validation and test rows with what a model must remember about them.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub train: Split,
    pub val: Option<Split>,
    pub test: Split,
    /// Features per row.
    pub d: usize,
    /// `(height, width)` of IDX images, or of square rows of a CSV file (`d` a square number).
    pub image: Option<(usize, usize)>,
    pub schema: Schema,
    /// How the raw features were scaled (a model stores it to scale new rows the same way).
    pub scaling: Scaling,
    /// The files read, for the run record's digests.
    pub files: Vec<PathBuf>,
    /// How a table's columns became the `d` features (a model stores it to encode new rows).
    pub encoder: Option<Encoder>,
}

/// Which columns of a table with a header a network trains on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    /// The class column.
    pub target: String,
    /// The feature columns, in this order (default: every column but the target).
    pub features: Option<Vec<String>>,
    /// Columns left out of the features.
    pub drop: Vec<String>,
    /// Numeric columns to treat as categorical (text columns always are).
    pub categorical: Vec<String>,
    /// The file format (default: from the file name or its first bytes).
    pub format: Option<Format>,
}

impl Columns {
    /// Every column but `target` is a feature.
    pub fn new(target: impl Into<String>) -> Columns {
        Columns { target: target.into(), ..Columns::default() }
    }
}

impl Dataset {
    /// Reads `path` (a folder is an IDX folder; a file is a table with a header when `columns`
    /// names its class column, or in scikit-learn's layout, whose class column `target` is the
    /// default, else a CSV file without a header), splits off the test and validation rows and
    /// scales.
    pub fn load(path: &Path, columns: Option<&Columns>, options: &SplitOptions) -> Result<Dataset> {
        let target = columns.map(|c| c.target.as_str());
        let val_fraction = options.val_fraction;
        if !(0.0..0.5).contains(&val_fraction) {
            return Err(Error::invalid("val_fraction", val_fraction, "must lie in [0, 0.5)"));
        }
        if !path.exists() {
            let path = path.display().to_string();
            return Err(Error::Io { path, msg: "no such file or folder".into() });
        }
        let mut rng = Rng::seed(options.seed);
        let mut ds = match (path.is_dir(), target) {
            (true, Some(_)) => {
                let reason = format!("is for CSV files; {} is an IDX folder", path.display());
                return Err(Error::invalid("target", target.unwrap_or_default(), reason));
            }
            (true, None) => read_idx(path)?,
            (false, _) => {
                let table = match columns {
                    Some(c) => read_with_header(path, c)?,
                    None if is_sklearn_layout(path) => {
                        read_with_header(path, &Columns::new(SKLEARN_TARGET))?
                    }
                    None => read_headerless(path)?,
                };
                table.split(path, options.test_fraction, &mut rng)?
            }
        };
        if ds.n_classes() < 2 {
            let msg = format!("needs at least 2 classes, found {}", ds.n_classes());
            return Err(Error::Io { path: path.display().to_string(), msg });
        }
        if val_fraction > 0.0 {
            let fold = train_test_split(ds.train.len(), val_fraction, Some(&mut rng))?;
            ds.val = Some(ds.train.rows(&fold.test, ds.d));
            ds.train = ds.train.rows(&fold.train, ds.d);
        }
        if ds.schema.source != Source::Idx {
            ds.scaling = Scaling::standardize(&ds.train.x, ds.d);
            let splits = [Some(&mut ds.train), ds.val.as_mut(), Some(&mut ds.test)];
            for split in splits.into_iter().flatten() {
                ds.scaling.apply(&mut split.x, ds.d);
            }
        }
        Ok(ds)
    }

    /// The number of classes.
    pub fn n_classes(&self) -> usize {
        self.schema.classes.len()
    }

    /// The names of the `d` features the network takes (the encoded columns of a table).
    pub fn feature_names(&self) -> Vec<String> {
        match &self.encoder {
            Some(encoder) => encoder.names().to_vec(),
            None => self.schema.feature_names(),
        }
    }
}

fn read_idx(dir: &Path) -> Result<Dataset> {
    let files = MnistFiles::find(dir)?;
    let m = files.load()?;
    let (h, w) = (m.train_images.rows, m.train_images.cols);
    if (m.test_images.rows, m.test_images.cols) != (h, w) {
        let msg = "training and test images differ in size".into();
        return Err(Error::Io { path: dir.display().to_string(), msg });
    }
    let scaling = Scaling::Divide { by: 255.0 };
    let scale = |p: &[u8]| {
        let mut x: Vec<f32> = p.iter().map(|&v| f32::from(v)).collect();
        scaling.apply(&mut x, h * w);
        x
    };
    let labels = |l: &[usize]| l.iter().map(|&v| v as i64).collect::<Vec<i64>>();
    let schema = Schema {
        source: Source::Idx,
        features: (0..h * w).map(|i| Feature::numeric(format!("pixel{i}"))).collect(),
        target: None,
        classes: (0..10).map(|c| c.to_string()).collect(),
    };
    Ok(Dataset {
        train: Split { x: scale(&m.train_images.pixels), y: labels(&m.train_labels) },
        val: None,
        test: Split { x: scale(&m.test_images.pixels), y: labels(&m.test_labels) },
        d: h * w,
        image: Some((h, w)),
        schema,
        scaling,
        files: vec![files.train_images, files.train_labels, files.test_images, files.test_labels],
        encoder: None,
    })
}

/// All rows of a CSV file, before the split.
struct Table {
    all: Split,
    d: usize,
    schema: Schema,
    encoder: Option<Encoder>,
}

impl Table {
    /// The seeded test split of the rows.
    fn split(self, path: &Path, test_fraction: f64, rng: &mut Rng) -> Result<Dataset> {
        let fold = train_test_split(self.all.len(), test_fraction, Some(rng))?;
        let (d, side) = (self.d, (self.d as f64).sqrt().round() as usize);
        Ok(Dataset {
            train: self.all.rows(&fold.train, d),
            val: None,
            test: self.all.rows(&fold.test, d),
            d,
            image: (side * side == d).then_some((side, side)),
            schema: self.schema,
            scaling: Scaling::Divide { by: 1.0 },
            files: vec![path.to_path_buf()],
            encoder: self.encoder,
        })
    }
}

/// A table with a header: the class column and the feature columns `columns` names, encoded.
fn read_with_header(path: &Path, columns: &Columns) -> Result<Table> {
    let options = ReadOptions {
        categorical: columns.categorical.clone(),
        format: columns.format,
        ..Default::default()
    };
    let frame = read_table(path, &options)?;
    frame.column_index(&columns.target)?;
    for name in &columns.drop {
        if frame.column_index(name).is_err() {
            return Err(Error::invalid("drop", name, "no such column"));
        }
    }
    let features: Vec<String> = match &columns.features {
        Some(f) => f.clone(),
        None => frame.names.iter().filter(|n| **n != columns.target).cloned().collect(),
    };
    let features: Vec<String> =
        features.into_iter().filter(|f| !columns.drop.contains(f)).collect();
    if features.is_empty() {
        let msg = format!("no feature columns besides `{}`", columns.target);
        return Err(Error::Io { path: path.display().to_string(), msg });
    }
    let spec = DesignSpec {
        features: Some(features),
        categorical: columns.categorical.clone(),
        intercept: false,
        ..DesignSpec::new(columns.target.clone())
    };
    let encoder = Encoder::fit(&frame, &spec)?;
    let design = encoder.transform(&frame)?;
    let (n, d) = (design.nrows(), design.ncols());
    let mut x = Vec::with_capacity(n * d);
    for r in 0..n {
        x.extend((0..d).map(|j| design[(r, j)] as f32));
    }
    let y = encoder.transform_target(&frame)?.into_iter().map(|c| c as i64).collect();
    let schema = Schema::of_encoder(&encoder);
    Ok(Table { all: Split { x, y }, d, schema, encoder: Some(encoder) })
}

/// A CSV file without a header: numeric features, the integer label last (digits layout).
fn read_headerless(path: &Path) -> Result<Table> {
    let hint = " (a file with a header row needs the target option)";
    let table = read_numeric_csv(path, hint)?;
    if table.width < 2 {
        let msg = "1 field per row, expected features and a label".into();
        return Err(Error::Io { path: path.display().to_string(), msg });
    }
    let d = table.width - 1;
    let (mut x, mut labels) = (Vec::with_capacity(table.rows * d), Vec::new());
    for r in 0..table.rows {
        let row = table.row(r);
        x.extend(row[..d].iter().map(|&v| v as f32));
        labels.push(class_index(row[d], path, table.lines[r])? as i64);
    }
    let k = *labels.iter().max().unwrap_or(&0) as usize + 1;
    let schema = Schema {
        source: Source::CsvNoHeader,
        features: (0..d).map(|i| Feature::numeric(format!("x{i}"))).collect(),
        target: None,
        classes: (0..k).map(|c| c.to_string()).collect(),
    };
    Ok(Table { all: Split { x, y: labels }, d, schema, encoder: None })
}

/// A class label read as a number: a class index `0, 1, ...`.
pub(super) fn class_index(v: f64, path: &Path, line: usize) -> Result<usize> {
    if v.fract() != 0.0 || !(0.0..=1e9).contains(&v) {
        let msg = format!("label `{v}` is not a class index 0, 1, ...");
        return Err(Error::Format { path: path.display().to_string(), line, msg });
    }
    Ok(v as usize)
}
