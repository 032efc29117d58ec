//! `axon._axon`, the native half of the Python package `axon`: the library's fits and models
//! on NumPy arrays. The Python half (`python/axon/`) holds the scikit-learn estimators and the
//! statsmodels-style results built on these functions; users import `axon`, not this module.
//!
//! Files: `arrays` (NumPy in and out, without copies where the layout allows), `errors` (the
//! library's errors as `ValueError`), `interrupt` (Ctrl-C raises `KeyboardInterrupt` from a
//! running fit), `logistic` (scikit-learn's `LogisticRegression` fits and linear scores),
//! `sparse` (the same on `scipy.sparse` input), `inference` (statsmodels' `Logit`, `Probit`,
//! `MNLogit`), `network` (`MLPClassifier` on the engine), `saved` (`axon.load` of any model
//! file), `tensor` (`axon.Tensor` on the engine, with `backward()`).

mod arrays;
mod errors;
mod inference;
mod interrupt;
mod logistic;
mod network;
mod saved;
mod sparse;
mod tensor;

use pyo3::prelude::*;

#[pymodule]
fn _axon(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(logistic::fit_logistic, m)?)?;
    m.add_function(wrap_pyfunction!(logistic::linear_scores, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::fit_logistic_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(sparse::linear_scores_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(inference::fit_binary_mle, m)?)?;
    m.add_function(wrap_pyfunction!(inference::fit_mnlogit, m)?)?;
    m.add_function(wrap_pyfunction!(network::fit_mlp, m)?)?;
    m.add_function(wrap_pyfunction!(saved::load, m)?)?;
    m.add_class::<network::Network>()?;
    m.add_class::<saved::Saved>()?;
    m.add_class::<tensor::Tensor>()?;
    m.add_class::<tensor::Gradients>()?;
    Ok(())
}
