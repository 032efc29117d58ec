//! The reductions of the exact fits over row shards. Inside a [`RowShards`] scope, the rows a
//! fit sees on this process are its shard of the whole data set, and every per-row sum the fit
//! makes (log-likelihood, gradient, information matrix, counts) or per-row extreme (margins,
//! column ranges of the separation checks) is completed across the ranks by the functions here,
//! right where the fit forms it. Outside a scope (the default, and always with one process)
//! they return their argument: a single-process fit is unchanged, bit for bit.
//!
//! Each rank folds its own rows in the fixed block order of `linear/blocks.rs` first; the ranks'
//! partial sums are then added by MPI's allreduce, which gives every rank the same bits. With
//! `K > 1` ranks the association of the sum differs from the single-process one (the rows are
//! dealt round-robin), so results agree with `K = 1` to rounding (about 1e-13 relative on the
//! coefficients, see docs/distributed.md), not bit for bit.

use std::sync::atomic::{AtomicBool, Ordering};

use super::{world, Communicator};

static SHARDED: AtomicBool = AtomicBool::new(false);

/// While alive, the exact fits treat their rows as this rank's shard of [`world`]'s data and
/// reduce their per-row sums across the ranks. Every rank must enter the scope and run the same
/// fits in it; fits inside it must run one at a time (not in parallel threads).
#[derive(Debug)]
pub struct RowShards {
    _private: (),
}

impl RowShards {
    /// Enters the scope (a no-op when the world has one process).
    pub fn enter() -> RowShards {
        SHARDED.store(world().size() > 1, Ordering::SeqCst);
        RowShards { _private: () }
    }
}

impl Drop for RowShards {
    fn drop(&mut self) {
        SHARDED.store(false, Ordering::SeqCst);
    }
}

/// The communicator to reduce over, inside a scope with several ranks.
fn active() -> Option<&'static dyn Communicator> {
    SHARDED.load(Ordering::SeqCst).then(world)
}

/// Whether per-row quantities are being reduced across ranks.
pub fn is_sharded() -> bool {
    active().is_some()
}

/// Completes per-row sums, element-wise, across the ranks.
pub fn sum_slice(buf: &mut [f64]) {
    if let Some(comm) = active() {
        comm.allreduce_sum_f64(buf);
    }
}

/// Completes one per-row sum across the ranks.
pub fn sum(value: f64) -> f64 {
    let mut buf = [value];
    sum_slice(&mut buf);
    buf[0]
}

/// A count over rows, summed across the ranks (exact below 2⁵³).
pub fn count(value: usize) -> usize {
    sum(value as f64) as usize
}

/// Completes per-row minima, element-wise, across the ranks.
pub fn min_slice(buf: &mut [f64]) {
    if let Some(comm) = active() {
        comm.allreduce_min_f64(buf);
    }
}

/// Completes per-row maxima, element-wise, across the ranks (as minima of the negatives).
pub fn max_slice(buf: &mut [f64]) {
    if let Some(comm) = active() {
        buf.iter_mut().for_each(|v| *v = -*v);
        comm.allreduce_min_f64(buf);
        buf.iter_mut().for_each(|v| *v = -*v);
    }
}

/// The minimum of one per-row quantity across the ranks.
pub fn min(value: f64) -> f64 {
    let mut buf = [value];
    min_slice(&mut buf);
    buf[0]
}

/// The maximum of one per-row quantity across the ranks.
pub fn max(value: f64) -> f64 {
    let mut buf = [value];
    max_slice(&mut buf);
    buf[0]
}

/// `(max, min)` across the ranks in one reduction.
pub fn max_min(max: f64, min: f64) -> (f64, f64) {
    let mut buf = [-max, min];
    min_slice(&mut buf);
    (-buf[0], buf[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_scope_the_reductions_are_the_identity() {
        assert!(!is_sharded());
        assert_eq!(sum(2.5), 2.5);
        assert_eq!(count(7), 7);
        assert_eq!(max_min(3.0, -1.0), (3.0, -1.0));
        let _scope = RowShards::enter();
        // One process: entering the scope changes nothing.
        assert!(!is_sharded());
        assert_eq!(min(-4.0), -4.0);
    }
}
