//! Ctrl-C during a fit or training run. The library works without the GIL, on the thread that
//! called it — Python's main thread, where signal handlers run — so the GIL-released section
//! installs the library's interrupt hook ([`axon::interrupt`]): every ~100 ms (by the clock, not
//! every iteration) it takes the GIL back for a moment and runs `py.check_signals()`. An
//! exception from a handler (`KeyboardInterrupt` on Ctrl-C) stops the library's loop and is
//! raised from the call. Off the main thread, where no handler runs, no hook is installed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::errors::OrValueError;

/// How often the hook looks at pending signals.
const EVERY: Duration = Duration::from_millis(100);

/// Runs `f` without the GIL, stopping it when a signal handler raises; returns the handler's
/// exception, or `f`'s result with the library's errors as `ValueError`.
pub fn detach_interruptible<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> axon::Result<T> + Send,
    T: Send,
{
    if !on_main_thread(py)? {
        return py.detach(f).or_value_error();
    }
    let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
    let slot = Arc::clone(&raised);
    let out = py.detach(move || {
        let mut last = Instant::now();
        let hook = move || {
            if last.elapsed() < EVERY {
                return false;
            }
            last = Instant::now();
            match Python::attach(|py| py.check_signals()) {
                Ok(()) => false,
                Err(e) => {
                    *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                    true
                }
            }
        };
        axon::interrupt::with_hook(hook, f)
    });
    if let Some(e) = raised.lock().unwrap_or_else(PoisonError::into_inner).take() {
        return Err(e);
    }
    out.or_value_error()
}

/// Whether this is Python's main thread, the one its signal handlers run on.
fn on_main_thread(py: Python<'_>) -> PyResult<bool> {
    let threading = py.import("threading")?;
    let current = threading.call_method0("current_thread")?;
    Ok(current.is(&threading.call_method0("main_thread")?))
}
