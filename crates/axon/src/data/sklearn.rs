//! scikit-learn's bundled CSV layout (`iris.csv`, `breast_cancer.csv`, `wine_data.csv`), whose
//! first line is not a header but `n_rows,n_features,class0,class1,...` and whose rows end with
//! the class code. [`read_sklearn_csv`] reads such a file as numbers; the table reader
//! recognises the layout ([`is_sklearn_layout`]) and reads it as a frame with named columns
//! ([`read_sklearn_frame`]), so that every command takes these files as they are shipped.

use std::io::Read;
use std::path::Path;

use csv::StringRecord;

use super::csv::{check_width, line_of, next_record, open_bytes, open_records, parse_number};
use super::frame::{first_duplicate, Column, Frame};
use super::read_options::ReadOptions;
use crate::error::{Error, Result};

/// The name of the class column of a file in scikit-learn's layout read as a table.
pub const SKLEARN_TARGET: &str = "target";

/// How much of a file is looked at to recognise the layout.
const PREFIX_BYTES: u64 = 256 * 1024;

/// The feature names scikit-learn gives its bundled sets (`(cm)` dropped, spaces and `/` as
/// `_`), by number of features and class names.
const KNOWN: [(&[&str], &[&str]); 3] = [
    (
        &["setosa", "versicolor", "virginica"],
        &["sepal_length", "sepal_width", "petal_length", "petal_width"],
    ),
    (
        &["malignant", "benign"],
        &[
            "mean_radius",
            "mean_texture",
            "mean_perimeter",
            "mean_area",
            "mean_smoothness",
            "mean_compactness",
            "mean_concavity",
            "mean_concave_points",
            "mean_symmetry",
            "mean_fractal_dimension",
            "radius_error",
            "texture_error",
            "perimeter_error",
            "area_error",
            "smoothness_error",
            "compactness_error",
            "concavity_error",
            "concave_points_error",
            "symmetry_error",
            "fractal_dimension_error",
            "worst_radius",
            "worst_texture",
            "worst_perimeter",
            "worst_area",
            "worst_smoothness",
            "worst_compactness",
            "worst_concavity",
            "worst_concave_points",
            "worst_symmetry",
            "worst_fractal_dimension",
        ],
    ),
    (
        &["class_0", "class_1", "class_2"],
        &[
            "alcohol",
            "malic_acid",
            "ash",
            "alcalinity_of_ash",
            "magnesium",
            "total_phenols",
            "flavanoids",
            "nonflavanoid_phenols",
            "proanthocyanins",
            "color_intensity",
            "hue",
            "od280_od315_of_diluted_wines",
            "proline",
        ],
    ),
];

/// A data set in scikit-learn's bundled CSV format.
#[derive(Debug, Clone, PartialEq)]
pub struct SklearnData {
    /// The features, `n × p` row-major.
    pub x: Vec<f64>,
    pub n: usize,
    pub p: usize,
    /// The class of every row, an index into `classes`.
    pub labels: Vec<usize>,
    pub classes: Vec<String>,
}

impl SklearnData {
    /// The feature names: scikit-learn's for its three bundled sets (recognised by their class
    /// names and number of features), `feature_0`, `feature_1`, ... otherwise.
    pub fn feature_names(&self) -> Vec<String> {
        let known = KNOWN.iter().find(|(classes, names)| {
            names.len() == self.p
                && classes.iter().copied().eq(self.classes.iter().map(String::as_str))
        });
        match known {
            Some((_, names)) => names.iter().map(|n| (*n).to_owned()).collect(),
            None => (0..self.p).map(|j| format!("feature_{j}")).collect(),
        }
    }
}

/// Reads one of scikit-learn's bundled CSV files (`breast_cancer.csv`, `iris.csv`,
/// `wine_data.csv`; plain or `.gz`): the first line is `n_rows,n_features,class0,class1,...`, every
/// other line `n_features` numbers and an integer class label. The declared sizes are checked
/// against the data, and every label against the class names.
pub fn read_sklearn_csv(path: impl AsRef<Path>) -> Result<SklearnData> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let mut records = open_records(path, b',')?;
    let header = next_record(&mut records, &shown)?.ok_or_else(|| Error::Format {
        path: shown.clone(),
        line: 1,
        msg: "empty file: the first line must be `n_rows,n_features,class names...`".into(),
    })?;
    let (n, p, classes) = sklearn_header(&header, &shown)?;
    let mut x = Vec::with_capacity(n.min(1 << 20) * p.min(1 << 12));
    let mut labels = Vec::with_capacity(n.min(1 << 20));
    while let Some(record) = next_record(&mut records, &shown)? {
        let line = line_of(&record);
        check_width(&record, p.saturating_add(1), line, &shown)?;
        for (j, field) in record.iter().take(p).enumerate() {
            x.push(parse_number(field, line, &format!("feature {j}"), &shown)?);
        }
        labels.push(parse_label(&record[p], classes.len(), line, &shown)?);
    }
    if labels.len() != n {
        let msg = format!("the first line declares {n} rows, the file has {}", labels.len());
        return Err(Error::Format { path: shown, line: line_of(&header), msg });
    }
    Ok(SklearnData { x, n, p, labels, classes })
}

/// Whether `path` looks like a file in scikit-learn's layout: a first line of two whole numbers
/// `n_rows,n_features` (at least one feature) and class names that are not numbers, then a line
/// of `n_features + 1` numbers. Only the file's first bytes are read; a file that cannot be read
/// is not in the layout (the table reader then reports what is wrong with it).
pub(crate) fn is_sklearn_layout(path: &Path) -> bool {
    let Ok(reader) = open_bytes(path) else { return false };
    let mut prefix = Vec::new();
    // A corrupt gzip stream fails here: not the layout.
    if reader.take(PREFIX_BYTES).read_to_end(&mut prefix).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&prefix);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let (Some(first), Some(second)) = (lines.next(), lines.next()) else { return false };
    let header: Vec<&str> = first.split(',').map(str::trim).collect();
    let number = |f: &&str| f.parse::<f64>().is_ok();
    let (Ok(_), Ok(p)) =
        (header[0].parse::<usize>(), header.get(1).map_or(Ok(0), |f| f.parse::<usize>()))
    else {
        return false;
    };
    let names_ok = header.len() > 2 && header[2..].iter().all(|c| !c.is_empty() && !number(c));
    let row: Vec<&str> = second.split(',').map(str::trim).collect();
    names_ok && p > 0 && row.len() == p.saturating_add(1) && row.iter().all(number)
}

/// Reads a file in scikit-learn's layout as a frame: the features (see
/// [`SklearnData::feature_names`]), then [`SKLEARN_TARGET`], a categorical column of the class
/// names. [`ReadOptions::columns`] picks columns as for any table; the other options do not
/// apply (the layout has numbers only, and no missing values).
pub(crate) fn read_sklearn_frame(path: &Path, options: &ReadOptions) -> Result<Frame> {
    let shown = path.display().to_string();
    let data = read_sklearn_csv(path)?;
    let mut names = data.feature_names();
    let mut columns: Vec<Column> = (0..data.p)
        .map(|j| Column::Numeric((0..data.n).map(|r| data.x[r * data.p + j]).collect()))
        .collect();
    let labels: Vec<&str> = data.labels.iter().map(|&k| data.classes[k].as_str()).collect();
    names.push(SKLEARN_TARGET.to_owned());
    columns.push(Column::categorical(&labels));
    let frame = Frame::new(names, columns)?;
    let Some(wanted) = &options.columns else { return Ok(frame) };
    let error = |msg: String| Error::Format { path: shown.clone(), line: 1, msg };
    if let Some(unknown) = wanted.iter().find(|w| !frame.names.contains(w)) {
        let all = frame.names.join(", ");
        return Err(error(format!("no column `{unknown}` in this scikit-learn file ({all})")));
    }
    if let Some(twice) = first_duplicate(wanted) {
        return Err(error(format!("column `{twice}` is asked for twice")));
    }
    let picked = wanted.iter().map(|w| frame.column(w).cloned()).collect::<Result<Vec<_>>>()?;
    Frame::new(wanted.clone(), picked)
}

/// `n_rows, n_features, class names` from the first line of a scikit-learn CSV file.
fn sklearn_header(header: &StringRecord, shown: &str) -> Result<(usize, usize, Vec<String>)> {
    let line = line_of(header);
    let sizes = header.iter().take(2).map(|f| f.parse::<usize>().ok()).collect::<Vec<_>>();
    match (sizes.as_slice(), header.len()) {
        ([Some(n), Some(p)], len) if len > 2 => {
            Ok((*n, *p, header.iter().skip(2).map(str::to_owned).collect()))
        }
        _ => Err(Error::Format {
            path: shown.to_owned(),
            line,
            msg: "the first line must be `n_rows,n_features,class0,class1,...`".into(),
        }),
    }
}

/// A class label in `0..n_classes`, or an error naming the line.
fn parse_label(field: &str, n_classes: usize, line: usize, shown: &str) -> Result<usize> {
    match field.parse::<usize>() {
        Ok(k) if k < n_classes => Ok(k),
        _ => Err(Error::Parse {
            path: shown.to_owned(),
            line,
            column: "label".into(),
            msg: format!("`{field}` is not a class label in 0..{n_classes}"),
        }),
    }
}
