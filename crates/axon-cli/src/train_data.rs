//! The data side of `axon train`: reading the three accepted sources into one shape, splitting
//! and scaling them, and fingerprinting the files for the run record.
//!
//! - An IDX folder (MNIST, Fashion-MNIST): its own training and test files; pixels `/255`.
//! - A CSV file with a header row and `--target COL`: every other column must be numeric; rows
//!   split 80/20 by `axon::cv::train_test_split` with the seed; features standardised with the
//!   training rows' mean and standard deviation (a constant column gets sd 1).
//! - A CSV file without `--target` is read as the scikit-learn digits layout: no header, numeric
//!   features, the integer class label in the last column (`digits.csv.gz`); split and
//!   standardised as above.
//!
//! The validation rows (`--val-fraction`) are then taken, seeded, from the training rows; the
//! scaling statistics come from the rows that remain for training.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use axon::cv::train_test_split;
use axon::data::{read_csv, CsvOptions, MnistFiles};
use axon::Rng;
use serde::Serialize;

use crate::scaling::Scaling;

/// Features `(n, d)` row-major and class indices, with the class names and, for images, the
/// image side lengths.
pub struct Split {
    pub x: Vec<f32>,
    pub y: Vec<i64>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// The rows `rows` of this split.
    fn rows(&self, rows: &[usize], d: usize) -> Split {
        let mut x = Vec::with_capacity(rows.len() * d);
        for &r in rows {
            x.extend_from_slice(&self.x[r * d..(r + 1) * d]);
        }
        Split { x, y: rows.iter().map(|&r| self.y[r]).collect() }
    }
}

/// Everything `axon train` trains and tests on.
pub struct Dataset {
    pub train: Split,
    pub val: Option<Split>,
    pub test: Split,
    /// Features per row.
    pub d: usize,
    /// `(height, width)` when the rows are square (or IDX) images.
    pub image: Option<(usize, usize)>,
    pub classes: Vec<String>,
    pub feature_names: Vec<String>,
    /// How raw features were scaled (stored in the model so that predictions scale the same).
    pub scaling: Option<Scaling>,
    /// The class column of a CSV file with a header.
    pub target: Option<String>,
    /// Where the data came from (`idx`, `csv`, `csv-no-header`).
    pub source: &'static str,
}

/// A file's fingerprint for the run record.
#[derive(Debug, Serialize)]
pub struct FileDigest {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// SHA-256 of every file that `data` names (the four IDX files for a folder).
pub fn digests(data: &Path) -> anyhow::Result<Vec<FileDigest>> {
    let files = if data.is_dir() {
        let f = MnistFiles::find(data)?;
        vec![f.train_images, f.train_labels, f.test_images, f.test_labels]
    } else {
        vec![data.to_path_buf()]
    };
    files.iter().map(|p| digest(p)).collect()
}

fn digest(path: &Path) -> anyhow::Result<FileDigest> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let (mut hasher, mut buf, mut bytes) = (Sha256::new(), vec![0u8; 1 << 16], 0u64);
    loop {
        let n = file.read(&mut buf).with_context(|| format!("{}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(FileDigest { path: path.display().to_string(), bytes, sha256 })
}

/// Reads `data` (see the module docs), splits off the test and validation rows, and scales.
pub fn load(
    data: &Path,
    target: Option<&str>,
    seed: u64,
    val_fraction: f64,
) -> anyhow::Result<Dataset> {
    if !(0.0..0.5).contains(&val_fraction) {
        bail!("--val-fraction {val_fraction} must lie in [0, 0.5)");
    }
    if !data.exists() {
        bail!("{}: no such file or folder", data.display());
    }
    let mut rng = Rng::seed(seed);
    let mut ds = if data.is_dir() {
        if target.is_some() {
            bail!("--target is for CSV files; {} is an IDX folder", data.display());
        }
        read_idx(data)?
    } else {
        let (all, d, names, classes, source) = match target {
            Some(t) => read_with_header(data, t)?,
            None => read_headerless(data)?,
        };
        let mut ds = split_csv(all, d, names, classes, source, &mut rng)?;
        ds.target = target.map(str::to_owned);
        ds
    };
    if val_fraction > 0.0 {
        let fold = train_test_split(ds.train.len(), val_fraction, Some(&mut rng))?;
        ds.val = Some(ds.train.rows(&fold.test, ds.d));
        ds.train = ds.train.rows(&fold.train, ds.d);
    }
    if ds.source != "idx" {
        standardise(&mut ds);
    }
    Ok(ds)
}

fn read_idx(dir: &Path) -> anyhow::Result<Dataset> {
    let m = MnistFiles::find(dir)?.load()?;
    let (h, w) = (m.train_images.rows, m.train_images.cols);
    let scaling = Scaling::Divide { by: 255.0 };
    let scale = |p: &[u8]| {
        let mut x: Vec<f32> = p.iter().map(|&v| f32::from(v)).collect();
        scaling.apply(&mut x, h * w);
        x
    };
    let labels = |l: &[usize]| l.iter().map(|&v| v as i64).collect::<Vec<i64>>();
    if (m.test_images.rows, m.test_images.cols) != (h, w) {
        bail!("{}: training and test images differ in size", dir.display());
    }
    Ok(Dataset {
        train: Split { x: scale(&m.train_images.pixels), y: labels(&m.train_labels) },
        val: None,
        test: Split { x: scale(&m.test_images.pixels), y: labels(&m.test_labels) },
        d: h * w,
        image: Some((h, w)),
        classes: (0..10).map(|c| c.to_string()).collect(),
        feature_names: (0..h * w).map(|i| format!("pixel{i}")).collect(),
        scaling: Some(scaling),
        target: None,
        source: "idx",
    })
}

type Table = (Split, usize, Vec<String>, Vec<String>, &'static str);

/// A CSV file with a header; `target` names the class column, all others are features.
fn read_with_header(path: &Path, target: &str) -> anyhow::Result<Table> {
    let frame = read_csv(path, &CsvOptions::default())?;
    let t = frame.column_index(target)?;
    let classes = frame.columns[t].distinct_labels();
    let mut features = Vec::new();
    for (i, (name, col)) in frame.names.iter().zip(&frame.columns).enumerate() {
        if i == t {
            continue;
        }
        let values = col.as_numeric().with_context(|| {
            format!("column `{name}` is not numeric (axon train takes numeric features only)")
        })?;
        features.push((name.clone(), values));
    }
    if features.is_empty() {
        bail!("{}: no feature columns besides `{target}`", path.display());
    }
    let d = features.len();
    let mut x = Vec::with_capacity(frame.n_rows * d);
    for r in 0..frame.n_rows {
        x.extend(features.iter().map(|(_, v)| v[r] as f32));
    }
    let col = &frame.columns[t];
    let y = (0..frame.n_rows)
        .map(|r| classes.iter().position(|c| *c == col.label(r)).unwrap_or(0) as i64)
        .collect();
    let names = features.into_iter().map(|(n, _)| n).collect();
    Ok((Split { x, y }, d, names, classes, "csv"))
}

/// A header-less CSV file of numbers (gzipped when it ends in `.gz`): `rows` rows of `width`
/// finite numbers, row-major.
pub struct NumericRows {
    pub values: Vec<f64>,
    pub width: usize,
    pub rows: usize,
}

impl NumericRows {
    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        &self.values[r * self.width..(r + 1) * self.width]
    }
}

/// Reads a header-less numeric CSV file; a field that is not a finite number is an error naming
/// the file, line and field, with `header_hint` added when it is on line 1.
pub fn read_numeric_rows(path: &Path, header_hint: &str) -> anyhow::Result<NumericRows> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut csv = csv::ReaderBuilder::new().has_headers(false).from_reader(reader);
    let (mut values, mut width, mut rows) = (Vec::new(), 0usize, 0usize);
    for (i, record) in csv.records().enumerate() {
        let line = i + 1;
        let record = record.with_context(|| format!("{}:{line}", path.display()))?;
        if width == 0 {
            width = record.len();
        }
        if record.len() != width {
            bail!("{}:{line}: {} fields, expected {width}", path.display(), record.len());
        }
        for (j, field) in record.iter().enumerate() {
            let v =
                field.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                    let hint = if line == 1 { header_hint } else { "" };
                    let (p, f) = (path.display(), j + 1);
                    anyhow::anyhow!("{p}:{line}: field {f} `{field}` is not a finite number{hint}")
                })?;
            values.push(v);
        }
        rows += 1;
    }
    if rows == 0 {
        bail!("{}: no rows", path.display());
    }
    Ok(NumericRows { values, width, rows })
}

/// A class label read as a number: a class index `0, 1, ...`.
pub fn class_index(v: f64, path: &Path, line: usize) -> anyhow::Result<usize> {
    if v.fract() != 0.0 || !(0.0..=1e9).contains(&v) {
        bail!("{}:{line}: label `{v}` is not a class index 0, 1, ...", path.display());
    }
    Ok(v as usize)
}

/// A CSV file without a header: numeric features, the integer label last (digits layout).
fn read_headerless(path: &Path) -> anyhow::Result<Table> {
    let table = read_numeric_rows(path, " (a file with a header row needs --target)")?;
    if table.width < 2 {
        bail!("{}: 1 field per row, expected features and a label", path.display());
    }
    let d = table.width - 1;
    let (mut x, mut labels) = (Vec::with_capacity(table.rows * d), Vec::new());
    for r in 0..table.rows {
        let row = table.row(r);
        x.extend(row[..d].iter().map(|&v| v as f32));
        labels.push(class_index(row[d], path, r + 1)? as i64);
    }
    let k = *labels.iter().max().unwrap_or(&0) as usize + 1;
    let names = (0..d).map(|i| format!("x{i}")).collect();
    let classes = (0..k).map(|c| c.to_string()).collect();
    Ok((Split { x, y: labels }, d, names, classes, "csv-no-header"))
}

/// The seeded 80/20 split of a CSV table.
fn split_csv(
    all: Split,
    d: usize,
    feature_names: Vec<String>,
    classes: Vec<String>,
    source: &'static str,
    rng: &mut Rng,
) -> anyhow::Result<Dataset> {
    let fold = train_test_split(all.len(), 0.2, Some(rng))?;
    let side = (d as f64).sqrt().round() as usize;
    Ok(Dataset {
        train: all.rows(&fold.train, d),
        val: None,
        test: all.rows(&fold.test, d),
        d,
        image: (side * side == d).then_some((side, side)),
        classes,
        feature_names,
        scaling: None,
        target: None,
        source,
    })
}

/// Standardises every split with the training rows' mean and (population) standard deviation.
fn standardise(ds: &mut Dataset) {
    let scaling = Scaling::standardize(&ds.train.x, ds.d);
    let splits = [Some(&mut ds.train), ds.val.as_mut(), Some(&mut ds.test)];
    for split in splits.into_iter().flatten() {
        scaling.apply(&mut split.x, ds.d);
    }
    ds.scaling = Some(scaling);
}
