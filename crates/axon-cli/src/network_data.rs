//! New rows for a trained network (`axon predict`, `axon eval`), read in the layout the network
//! was trained on, as raw `(n, d)` features (the network scales them) and, when the file has
//! them, class indices:
//!
//! - an IDX folder: its *test* files (`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`), pixel
//!   values as they are;
//! - a CSV file with a header (network trained with `--target`): the model's feature columns by
//!   name, in any order among other columns; the class column is optional for `predict` and
//!   required for `eval`, and its values must be classes the model knows;
//! - a CSV file without a header (network trained on the digits layout, or on IDX images as
//!   pixel columns): `d` numbers per row, or `d + 1` with the class index last.
//!
//! Every error names the file, and the row and column of a bad value.

use std::path::Path;

use anyhow::{bail, Context};
use axon::data::{read_idx_images, read_idx_labels, Frame, MnistFiles};

use crate::common::read_frame;
use crate::network::{Network, Source};
use crate::train_data::{class_index, read_numeric_rows};

/// Raw rows for a network.
pub struct Rows {
    /// `(n, d)` row-major, unscaled.
    pub x: Vec<f32>,
    /// Class indices, when the data has them.
    pub labels: Option<Vec<usize>>,
    /// What the labels are (a column name, or where they come from).
    pub target: String,
    /// Rows dropped for missing values (header CSV with `--drop-missing`).
    pub dropped_rows: usize,
}

/// Reads `path` for `model` (see the module docs); `need_labels` for `eval`.
pub fn read_rows(
    model: &Network,
    path: &Path,
    need_labels: bool,
    drop_missing: bool,
) -> anyhow::Result<Rows> {
    if path.is_dir() {
        return read_idx_test(model, path);
    }
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    match model.source {
        Source::Csv => read_header_csv(model, path, need_labels, drop_missing),
        Source::Idx | Source::CsvNoHeader => read_plain(model, path, need_labels),
    }
}

/// The test images and labels of an IDX folder.
fn read_idx_test(model: &Network, dir: &Path) -> anyhow::Result<Rows> {
    let files = MnistFiles::find(dir)?;
    let images = read_idx_images(&files.test_images)?;
    let labels = read_idx_labels(&files.test_labels)?;
    let (d, k) = (model.d(), model.classes.len());
    let (h, w) = (images.rows, images.cols);
    if h * w != d {
        let path = files.test_images.display();
        bail!("{path}: {h}x{w} images ({} pixels), but the model takes {d} features", h * w);
    }
    if labels.len() != images.count {
        let path = files.test_labels.display();
        bail!("{path}: {} labels for {} images", labels.len(), images.count);
    }
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, &l)| l >= k) {
        let path = files.test_labels.display();
        bail!("{path}: label {l} of item {i} is not one of the model's {k} classes");
    }
    Ok(Rows {
        x: images.pixels.iter().map(|&v| f32::from(v)).collect(),
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

/// A CSV file with a header: the model's feature columns by name, the class column by name.
fn read_header_csv(
    model: &Network,
    path: &Path,
    need_labels: bool,
    drop_missing: bool,
) -> anyhow::Result<Rows> {
    let frame = read_frame(path, drop_missing)?;
    let (n, d) = (frame.n_rows, model.d());
    let mut columns = Vec::with_capacity(d);
    for name in &model.features {
        let col = frame.column(name).with_context(|| {
            format!("{}: the model's feature column `{name}` is missing", path.display())
        })?;
        let Some(values) = col.as_numeric() else {
            let r = (0..n).find(|&r| col.label(r).trim().parse::<f64>().is_err()).unwrap_or(0);
            let (p, at, v) = (path.display(), row_name(&frame, r), col.label(r));
            bail!("{p}: {at}, column `{name}`: `{v}` is not a number");
        };
        columns.push(values);
    }
    let mut x = Vec::with_capacity(n * d);
    for r in 0..n {
        x.extend(columns.iter().map(|c| c[r] as f32));
    }
    let target = model.target.clone().unwrap_or_default();
    let labels = match (&model.target, frame.column_index(&target)) {
        // For predict, a class column with values the model does not know is simply ignored.
        (Some(_), Ok(t)) => match csv_labels(model, &frame, t, path) {
            Ok(labels) => Some(labels),
            Err(e) if need_labels => return Err(e),
            Err(_) => None,
        },
        (None, _) if need_labels => {
            bail!("{}: the model file does not name its class column", path.display())
        }
        (Some(_), Err(_)) if need_labels => {
            bail!("{}: no class column `{target}` (eval needs the true classes)", path.display())
        }
        _ => None,
    };
    Ok(Rows { x, labels, target, dropped_rows: frame.dropped_rows })
}

/// The class index of every row of column `t`.
fn csv_labels(model: &Network, frame: &Frame, t: usize, path: &Path) -> anyhow::Result<Vec<usize>> {
    let col = &frame.columns[t];
    (0..frame.n_rows)
        .map(|r| {
            let label = col.label(r);
            model.classes.iter().position(|c| *c == label).with_context(|| {
                let (p, at, name) = (path.display(), row_name(frame, r), &frame.names[t]);
                let known = model.classes.join(", ");
                format!(
                    "{p}: {at}, column `{name}`: `{label}` is not a class of the model ({known})"
                )
            })
        })
        .collect()
}

/// A header-less CSV file: `d` features per row, or `d + 1` with the class index last.
fn read_plain(model: &Network, path: &Path, need_labels: bool) -> anyhow::Result<Rows> {
    let hint = match model.source {
        Source::Idx => {
            " (the model was trained on IDX images: give the IDX folder, or a CSV file \
                        of pixel values without a header row)"
        }
        _ => " (the model was trained on a file without a header row)",
    };
    let table = read_numeric_rows(path, hint)?;
    let (d, k) = (model.d(), model.classes.len());
    let with_label = table.width == d + 1;
    if table.width != d && !with_label {
        let (p, w) = (path.display(), table.width);
        bail!("{p}: {w} fields per row, but the model takes {d} features (and the label last)");
    }
    if need_labels && !with_label {
        let p = path.display();
        bail!("{p}: {d} fields per row and no label; eval needs the class index last ({d} + 1)");
    }
    let mut x = Vec::with_capacity(table.rows * d);
    let mut labels = Vec::with_capacity(if with_label { table.rows } else { 0 });
    for r in 0..table.rows {
        let row = table.row(r);
        x.extend(row[..d].iter().map(|&v| v as f32));
        if with_label {
            let label = class_index(row[d], path, r + 1)?;
            if label >= k {
                bail!(
                    "{}:{}: label {label} is not one of the model's {k} classes",
                    path.display(),
                    r + 1
                );
            }
            labels.push(label);
        }
    }
    let labels = with_label.then_some(labels);
    Ok(Rows { x, labels, target: "label (last column)".into(), dropped_rows: 0 })
}
