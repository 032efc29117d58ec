//! `axon.load(path)`: any model file the command line writes (`axon fit --out`, `axon train
//! --out`, text and Naive Bayes models), through the library's `SavedModel`, predicting on a
//! table file read by the model's schema, on named columns (a pandas DataFrame's), or on a 2-D
//! array whose columns are the model's features in order.

use axon::data::{Column, Examples, Features, Frame, Labels, ReadOptions};
use axon::model::SavedModel;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;

use crate::arrays::{rows_to_numpy, Floats};
use crate::errors::{value_error, OrValueError};

/// A model loaded from a file.
#[pyclass(module = "axon._axon", name = "SavedModel", unsendable)]
pub struct Saved {
    model: SavedModel,
    path: String,
}

/// Loads the model file at `path`, whatever its kind.
#[pyfunction]
pub fn load(path: std::path::PathBuf) -> PyResult<Saved> {
    let model = SavedModel::load(&path).or_value_error()?;
    Ok(Saved { model, path: path.display().to_string() })
}

impl Saved {
    fn proba<'py>(
        &self,
        py: Python<'py>,
        examples: &Examples,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        let scores = self.model.scores(examples, false).or_value_error()?;
        rows_to_numpy(py, scores.proba, self.model.classes().len())
    }

    fn table(&self, frame: Frame, source: &str) -> Examples {
        Examples {
            path: source.to_owned(),
            features: Features::Table(frame),
            labels: None,
            target: String::new(),
            dropped_rows: 0,
        }
    }
}

/// A column from Python: a 1-D float64 array (numbers) or a list of strings (categories/text).
fn column(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Column> {
    if let Ok(a) = obj.cast::<PyArray1<f64>>() {
        let values = a.try_readonly().map_err(|e| value_error(format!("column {name}: {e}")))?;
        let values: Vec<f64> = values.as_array().to_vec();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(value_error(format!("column `{name}`, row {i}: not a finite number")));
        }
        return Ok(Column::Numeric(values));
    }
    let strings: Vec<String> = obj.extract().map_err(|_| {
        value_error(format!("column `{name}` must be a float64 array or a list of strings"))
    })?;
    Ok(Column::categorical(&strings))
}

#[pymethods]
impl Saved {
    /// `logit`, `probit`, `softmax`, `ovr`, `nn-classifier`, `sparse-logit`, ...
    #[getter]
    fn kind(&self) -> &'static str {
        self.model.kind()
    }

    /// The class names, in the order of the probability columns.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.model.classes()
    }

    /// The input columns the model reads, in order.
    #[getter]
    fn features(&self) -> Vec<String> {
        self.model.schema().features.into_iter().map(|f| f.name).collect()
    }

    /// The file the model came from.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// What the file says about the model, as JSON (`axon summary --json`).
    fn summary_json(&self) -> PyResult<String> {
        let summary = self.model.summary().or_value_error()?;
        serde_json::to_string(&summary).map_err(|e| value_error(e.to_string()))
    }

    /// Class probabilities `(n, K)` of the rows of the table file `path`.
    fn proba_file<'py>(
        &self,
        py: Python<'py>,
        path: std::path::PathBuf,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        let examples =
            self.model.read(&path, Labels::Optional, &ReadOptions::default()).or_value_error()?;
        self.proba(py, &examples)
    }

    /// Class probabilities of named columns (each a float64 array or a list of strings).
    fn proba_columns<'py>(
        &self,
        py: Python<'py>,
        names: Vec<String>,
        columns: Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        let columns =
            names.iter().zip(&columns).map(|(n, c)| column(c, n)).collect::<PyResult<Vec<_>>>()?;
        let frame = Frame::new(names, columns).or_value_error()?;
        self.proba(py, &self.table(frame, "<columns>"))
    }

    /// Class probabilities of a 2-D array whose columns are [`Saved::features`] in order.
    fn proba_array<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        let x = Floats::extract(x, "X")?;
        let names = self.features();
        let (_, d) = x.shape();
        if d != names.len() {
            return Err(value_error(format!(
                "X has {d} columns, but the model reads {} features ({})",
                names.len(),
                names.join(", ")
            )));
        }
        let design = x.design(false);
        let m = design.as_ref();
        for j in 0..d {
            if let Some(i) = m.col(j).iter().position(|v| !v.is_finite()) {
                return Err(value_error(format!("X row {i}, column {j}: not a finite number")));
            }
        }
        let columns = (0..d).map(|j| Column::Numeric(m.col(j).iter().copied().collect())).collect();
        let frame = Frame::new(names, columns).or_value_error()?;
        self.proba(py, &self.table(frame, "<array>"))
    }
}
