//! Stopping a long fit from outside: a caller (the Python package on Ctrl-C, a command line
//! later) installs a hook on its thread with [`with_hook`], and the library's iterative loops —
//! Newton, L-BFGS, TRON, coordinate descent, gradient ascent, SGD epochs, network training
//! batches — ask [`check`] once per iteration whether to stop. The hook decides how often it
//! does real work (the Python one looks at signals every ~100 ms); without a hook a check is a
//! thread-local read.
//!
//! Once the hook has said stop, the thread stays stopped until `with_hook` returns: every later
//! check fails at once, so a loop that cannot return an error (it breaks out and reports its
//! outcome) is followed by its entry point's own `check()?`, and the whole fit ends with
//! [`Error::Interrupted`].
//!
//! ```
//! use axon::interrupt;
//!
//! let mut calls = 0;
//! let out = interrupt::with_hook(
//!     move || {
//!         calls += 1;
//!         calls > 3 // stop on the fourth check
//!     },
//!     || (0..).try_for_each(|_| interrupt::check()),
//! );
//! assert!(matches!(out, Err(axon::Error::Interrupted)));
//! assert!(interrupt::check().is_ok()); // the hook is gone with `with_hook`
//! ```

use std::cell::{Cell, RefCell};

use crate::error::{Error, Result};

/// A hook: `true` means stop.
type Hook = Box<dyn FnMut() -> bool>;

thread_local! {
    static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    static STOPPED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with `hook` asked by every [`check`] on this thread; the previous hook (and stop
/// state) is back when `f` returns.
pub fn with_hook<R>(hook: impl FnMut() -> bool + 'static, f: impl FnOnce() -> R) -> R {
    /// Puts the previous hook back, also when `f` panics.
    struct Restore(Option<Hook>, bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            HOOK.with(|h| *h.borrow_mut() = previous);
            STOPPED.with(|s| s.set(self.1));
        }
    }
    let previous = HOOK.with(|h| h.borrow_mut().replace(Box::new(hook)));
    let _restore = Restore(previous, STOPPED.with(|s| s.replace(false)));
    f()
}

/// `Err(`[`Error::Interrupted`]`)` when this thread's hook says stop (or said so before);
/// `Ok(())` without a hook.
pub fn check() -> Result<()> {
    if stopped() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Whether this thread's hook says stop (or said so before), for loops that break out rather
/// than return an error.
pub fn stopped() -> bool {
    if STOPPED.with(Cell::get) {
        return true;
    }
    // A hook that itself reaches a check (it should not) is not asked again from inside.
    let stop = HOOK.with(|h| match h.try_borrow_mut() {
        Ok(mut hook) => hook.as_mut().is_some_and(|f| f()),
        Err(_) => false,
    });
    if stop {
        STOPPED.with(|s| s.set(true));
    }
    stop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_is_sticky_inside_and_gone_outside() {
        let mut asked = 0;
        let seen = with_hook(
            move || {
                asked += 1;
                asked == 2
            },
            || [check(), check(), check(), check()],
        );
        assert_eq!(seen[0], Ok(()));
        assert!(seen[1..].iter().all(|r| *r == Err(Error::Interrupted)));
        assert_eq!(check(), Ok(()));
        // Nested hooks: the inner one's stop ends with it; the outer one is back.
        let outer = with_hook(
            || false,
            || {
                let inner = with_hook(|| true, check);
                (inner, check())
            },
        );
        assert_eq!(outer, (Err(Error::Interrupted), Ok(())));
    }
}
