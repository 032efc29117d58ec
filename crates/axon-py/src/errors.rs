//! The library's errors as Python's: every `axon::Error` becomes a `ValueError` carrying the
//! library's own message (which names the argument, column or row), so that bad input never
//! reaches a panic across the FFI boundary.

use pyo3::exceptions::PyValueError;
use pyo3::PyResult;

/// `Result<T, axon::Error>` → `PyResult<T>`.
pub trait OrValueError<T> {
    fn or_value_error(self) -> PyResult<T>;
}

impl<T> OrValueError<T> for axon::Result<T> {
    fn or_value_error(self) -> PyResult<T> {
        self.map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

/// A `ValueError` with `message`.
pub fn value_error(message: impl Into<String>) -> pyo3::PyErr {
    PyValueError::new_err(message.into())
}
