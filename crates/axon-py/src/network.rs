//! scikit-learn's `MLPClassifier` on the engine: an MLP (`Architecture::mlp`, or a softmax
//! regression without hidden layers) trained by the library's loop (`fit_classifier`) with Adam
//! or SGD with Nesterov momentum, L2 weight decay, shuffled mini-batches, and early
//! stopping on a held-out share of the rows; then `NetworkClassifier` predicts. A trained
//! network pickles as the bytes of its model file. Training runs without the GIL.

use axon::data::{DataLoader, Feature, Schema, Source};
use axon::nn::{
    fit_classifier, Activation, Architecture, Module, Monitor, NetworkClassifier, TrainConfig,
};
use axon::optim::OptimizerChoice;
use axon::{Rng, Tensor};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::arrays::{labels, rows_to_numpy, Floats};
use crate::errors::{value_error, OrValueError};
use crate::interrupt::detach_interruptible;

/// A trained classifier network (`NetworkClassifier`).
#[pyclass(module = "axon._axon", unsendable)]
pub struct Network {
    classifier: NetworkClassifier,
    /// Training loss of every epoch.
    #[pyo3(get)]
    loss_curve: Vec<f64>,
    /// Validation accuracy of every epoch, with early stopping.
    #[pyo3(get)]
    validation_scores: Vec<f64>,
    /// Epochs run.
    #[pyo3(get)]
    n_iter: usize,
}

/// The rows of `x` as f32, row-major (the engine's layout; one copy whatever the input).
fn rows_f32(x: &Floats<'_>) -> Vec<f32> {
    match x {
        Floats::F64(a) => a.as_array().iter().map(|&v| v as f32).collect(),
        Floats::F32(a) => a.as_array().iter().copied().collect(),
    }
}

fn activation(name: &str) -> PyResult<Activation> {
    match name {
        "relu" => Ok(Activation::Relu),
        "tanh" => Ok(Activation::Tanh),
        "logistic" | "sigmoid" => Ok(Activation::Sigmoid),
        other => Err(value_error(format!(
            "activation = {other:?}: expected 'relu', 'tanh' or 'logistic'"
        ))),
    }
}

/// Row `order[i]` of `x` (`d` wide) and `y` for each `i`.
fn gather(x: &[f32], y: &[usize], d: usize, order: &[usize]) -> axon::Result<(Tensor, Tensor)> {
    let xs: Vec<f32> = order.iter().flat_map(|&i| x[i * d..(i + 1) * d].iter().copied()).collect();
    let ys: Vec<i64> = order.iter().map(|&i| y[i] as i64).collect();
    Ok((Tensor::from_vec(xs, [order.len(), d])?, Tensor::from_vec(ys, [order.len()])?))
}

/// How `fit_mlp` trains.
struct Plan {
    hidden: Vec<usize>,
    activation: Activation,
    optimizer: OptimizerChoice,
    batch_size: usize,
    epochs: usize,
    /// `(validation share, patience)` with early stopping.
    early_stopping: Option<(f64, usize)>,
    seed: u64,
}

fn train(
    x: &[f32],
    y: &[usize],
    d: usize,
    classes: Vec<String>,
    plan: &Plan,
) -> axon::Result<Network> {
    let (n, k) = (y.len(), classes.len());
    let architecture = if plan.hidden.is_empty() {
        Architecture::Logreg { inputs: d, classes: k, output: Default::default() }
    } else {
        Architecture::mlp(d, plan.hidden.clone(), plan.activation, k)
    };
    let features = (0..d).map(|j| Feature::numeric(format!("x{j}"))).collect();
    let schema = Schema { source: Source::CsvNoHeader, features, target: None, classes };
    let mut rng = Rng::seed(plan.seed);
    let mut classifier = NetworkClassifier::new(architecture, None, schema, &mut rng)?;
    let mut optimizer = plan.optimizer.build(classifier.net.params())?;
    let mut order: Vec<usize> = (0..n).collect();
    let mut config =
        TrainConfig { epochs: plan.epochs, optimizer: Some(plan.optimizer), ..Default::default() };
    let (train_rows, val) = match plan.early_stopping {
        Some((share, patience)) => {
            rng.shuffle(&mut order);
            let n_val = ((n as f64 * share).ceil() as usize).clamp(1, n.saturating_sub(1).max(1));
            if n_val >= n {
                let reason = format!("{n} rows leave none to train on after the validation share");
                return Err(axon::Error::invalid("early_stopping", share, reason));
            }
            config.patience = Some(patience);
            config.monitor = Monitor::ValAccuracy;
            (order[n_val..].to_vec(), Some(gather(x, y, d, &order[..n_val])?))
        }
        None => (order, None),
    };
    let (x_train, y_train) = gather(x, y, d, &train_rows)?;
    let batch = plan.batch_size.clamp(1, train_rows.len());
    let mut loader = DataLoader::new(x_train, y_train, batch)?.shuffle(rng.split());
    let val_ref = val.as_ref().map(|(a, b)| (a, b));
    let report = fit_classifier(
        &mut classifier.net,
        optimizer.as_mut(),
        &mut loader,
        val_ref,
        &config,
        &mut |_| {},
    )?;
    let history = &report.progress.history;
    Ok(Network {
        classifier,
        loss_curve: history.iter().map(|e| e.train_loss).collect(),
        validation_scores: history.iter().filter_map(|e| e.val_accuracy).collect(),
        n_iter: history.len(),
    })
}

/// Trains an MLP classifier on `x` `(n, d)` and class indices `y` (`0..K`, named `classes`).
#[pyfunction]
#[pyo3(signature = (
    x, y, classes, *, hidden_layer_sizes, activation, solver, weight_decay, batch_size,
    learning_rate_init, max_iter, early_stopping, validation_fraction, n_iter_no_change, seed
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_mlp(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    classes: Vec<String>,
    hidden_layer_sizes: Vec<usize>,
    activation: &str,
    solver: &str,
    weight_decay: f64,
    batch_size: usize,
    learning_rate_init: f64,
    max_iter: usize,
    early_stopping: bool,
    validation_fraction: f64,
    n_iter_no_change: usize,
    seed: u64,
) -> PyResult<Network> {
    let x = Floats::extract(x, "X")?;
    let y = labels(y, "y")?;
    let (n, d) = x.shape();
    if y.len() != n {
        return Err(value_error(format!("y has {} values for {n} rows of X", y.len())));
    }
    if let Some(&bad) = y.iter().find(|&&c| c >= classes.len()) {
        return Err(value_error(format!("y holds class {bad} of {} classes", classes.len())));
    }
    if classes.len() < 2 {
        return Err(value_error("the outcome needs at least two classes"));
    }
    if !(learning_rate_init.is_finite() && learning_rate_init > 0.0) {
        return Err(value_error(format!("learning_rate_init = {learning_rate_init}: must be > 0")));
    }
    if !(weight_decay.is_finite() && weight_decay >= 0.0) {
        let msg = format!("alpha (weight decay {weight_decay}): must be finite and >= 0");
        return Err(value_error(msg));
    }
    if max_iter == 0 {
        return Err(value_error("max_iter must be at least 1"));
    }
    if early_stopping && !(validation_fraction > 0.0 && validation_fraction < 1.0) {
        let msg = format!("validation_fraction = {validation_fraction}: must lie in (0, 1)");
        return Err(value_error(msg));
    }
    let optimizer = match solver {
        "adam" => OptimizerChoice::Adam { lr: learning_rate_init, weight_decay },
        "sgd" => OptimizerChoice::Sgd {
            lr: learning_rate_init,
            momentum: 0.9,
            weight_decay,
            nesterov: true,
        },
        other => return Err(value_error(format!("solver = {other:?}: expected 'adam' or 'sgd'"))),
    };
    let rows = rows_f32(&x);
    if let Some(i) = rows.iter().position(|v| !v.is_finite()) {
        return Err(value_error(format!(
            "X row {}, column {} is not finite (or overflows float32)",
            i / d.max(1),
            i % d.max(1)
        )));
    }
    let plan = Plan {
        hidden: hidden_layer_sizes,
        activation: self::activation(activation)?,
        optimizer,
        batch_size,
        epochs: max_iter,
        early_stopping: early_stopping.then_some((validation_fraction, n_iter_no_change.max(1))),
        seed,
    };
    detach_interruptible(py, || train(&rows, &y, d, classes, &plan))
}

#[pymethods]
impl Network {
    /// Class probabilities `(n, K)` of the rows of `x` `(n, d)`.
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        let x = Floats::extract(x, "X")?;
        let (d, k) = self.classifier.architecture.sizes();
        let (_, width) = x.shape();
        if width != d {
            return Err(value_error(format!(
                "X has {width} features, but the network was trained with {d} features"
            )));
        }
        let (proba, _) = self.classifier.predict_proba(&rows_f32(&x)).or_value_error()?;
        rows_to_numpy(py, proba, k)
    }

    /// The model file's bytes (for pickling).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let path = scratch_path("save");
        let saved = self.classifier.save(&path, &serde_json_null()).or_value_error();
        let bytes = saved.and_then(|()| {
            std::fs::read(&path)
                .map_err(|e| value_error(format!("reading {}: {e}", path.display())))
        });
        let _ = std::fs::remove_file(&path);
        Ok(PyBytes::new(py, &bytes?))
    }

    /// A network from the bytes of [`Network::to_bytes`].
    #[staticmethod]
    fn from_bytes(
        data: &[u8],
        loss_curve: Vec<f64>,
        validation_scores: Vec<f64>,
    ) -> PyResult<Network> {
        let path = scratch_path("load");
        std::fs::write(&path, data)
            .map_err(|e| value_error(format!("writing {}: {e}", path.display())))?;
        let loaded = NetworkClassifier::load(&path).or_value_error();
        let _ = std::fs::remove_file(&path);
        let n_iter = loss_curve.len();
        Ok(Network { classifier: loaded?, loss_curve, validation_scores, n_iter })
    }
}

/// The JSON `null`, the run record of a network saved from Python.
fn serde_json_null() -> serde_json::Value {
    serde_json::Value::Null
}

/// A file name in the temporary folder unique to this process and call.
fn scratch_path(what: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let id = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("axon-py-{}-{what}-{id}.axon", std::process::id()))
}
