//! Data parallelism across processes: the one communication layer that the exact fits and the
//! network training use when `K` copies of a program run side by side (`mpirun -n K axon ...`),
//! each holding a shard of the rows. A [`Communicator`] says who this process is (`rank` of
//! `size`) and sums buffers across all of them (`allreduce`); [`world`] is the process-wide one.
//!
//! Without the cargo feature `mpi`, or with it but not started by `mpirun`, the world is
//! [`Single`]: one process, every collective a no-op, so a program written for `K` ranks runs
//! unchanged as one. With the feature and `mpirun`, [`world`] initialises MPI once (through
//! rsmpi) and [`finalize`] must be called before the process exits (Open MPI reports a process
//! that exits without `MPI_Finalize` as failed).
//!
//! Collectives are called from one thread at a time (the thread that runs the fit or the
//! training loop; rayon's workers never call them), and every rank must make the same calls in
//! the same order. The exact fits never call them directly: [`rows`] holds the reductions of
//! per-row sums that `linear/` applies inside a [`rows::RowShards`] scope.

#[cfg(feature = "mpi")]
mod mpi_world;
pub mod rows;

use std::sync::OnceLock;

use crate::error::Result;

/// The work of [`Communicator::allreduce_sum_f64_overlapped`]: it hands each bucket's values,
/// in order, to the function it is given.
pub type BucketWork<'a> = dyn FnMut(&mut dyn FnMut(&[f64])) -> Result<()> + 'a;

/// Runs `work`, copying the buckets it hands over into `out` one after another: the values of
/// an allreduce over one process.
pub(crate) fn collect_buckets(out: &mut [f64], work: &mut BucketWork<'_>) -> Result<()> {
    let mut at = 0;
    work(&mut |values| {
        out[at..at + values.len()].copy_from_slice(values);
        at += values.len();
    })
}

/// A group of processes that reduce and broadcast buffers together.
pub trait Communicator: Send + Sync {
    /// This process's index, `0..size`.
    fn rank(&self) -> usize;
    /// The number of processes.
    fn size(&self) -> usize;
    /// Replaces `buf` by its element-wise sum over all processes (the same bits on every rank).
    fn allreduce_sum_f64(&self, buf: &mut [f64]);
    /// `allreduce_sum_f64` for `f32` buffers (network gradients).
    fn allreduce_sum_f32(&self, buf: &mut [f32]);
    /// Replaces `buf` by its element-wise minimum over all processes.
    fn allreduce_min_f64(&self, buf: &mut [f64]);
    /// The sum of `out` across processes, as [`Communicator::allreduce_sum_f64`] of each bucket
    /// `lens` cuts it into (in order), each bucket's sum started as soon as `work` hands over
    /// its values (`work` calls its argument once per bucket, in order, with `lens[i]` values;
    /// every process the same buckets in the same order) and all finished before this returns,
    /// so the sums overlap the rest of `work`. Without non-blocking collectives (one process,
    /// the default) `work` runs first and the buckets are summed after it.
    fn allreduce_sum_f64_overlapped(
        &self,
        lens: &[usize],
        out: &mut [f64],
        work: &mut BucketWork<'_>,
    ) -> Result<()> {
        collect_buckets(out, work)?;
        let mut rest = &mut out[..];
        for &len in lens {
            let (bucket, tail) = rest.split_at_mut(len);
            self.allreduce_sum_f64(bucket);
            rest = tail;
        }
        Ok(())
    }
    /// Copies `root`'s `buf` into every other process's `buf` (same length everywhere).
    fn broadcast_f32(&self, buf: &mut [f32], root: usize);
    /// Waits until every process has called it.
    fn barrier(&self);
    /// Prints `message` to stderr (prefixed with the rank when there are several) and ends every
    /// process of the group with exit status `code`: a rank that fails must not leave the
    /// others waiting in a collective forever.
    fn abort(&self, message: &str, code: i32) -> !;
}

/// One process on its own: rank 0 of 1, every collective the identity.
#[derive(Debug, Clone, Copy, Default)]
pub struct Single;

impl Communicator for Single {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn allreduce_sum_f64(&self, _: &mut [f64]) {}
    fn allreduce_sum_f32(&self, _: &mut [f32]) {}
    fn allreduce_min_f64(&self, _: &mut [f64]) {}
    fn broadcast_f32(&self, _: &mut [f32], _: usize) {}
    fn barrier(&self) {}
    fn abort(&self, message: &str, code: i32) -> ! {
        eprintln!("{message}");
        std::process::exit(code)
    }
}

static WORLD: OnceLock<Box<dyn Communicator>> = OnceLock::new();

/// The process-wide communicator: MPI's world when this build has the `mpi` feature and the
/// process was started by an MPI launcher (Open MPI's `mpirun` sets `OMPI_COMM_WORLD_SIZE`,
/// PMI-based ones `PMI_SIZE`), else [`Single`]. The first call initialises MPI.
pub fn world() -> &'static dyn Communicator {
    WORLD.get_or_init(|| make_world()).as_ref()
}

#[cfg(feature = "mpi")]
fn make_world() -> Box<dyn Communicator> {
    let launched = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    match launched.then(mpi_world::MpiWorld::initialize).flatten() {
        Some(w) => Box::new(w),
        None => Box::new(Single),
    }
}

#[cfg(not(feature = "mpi"))]
fn make_world() -> Box<dyn Communicator> {
    Box::new(Single)
}

/// Whether this build can run over MPI (the cargo feature `mpi`).
pub const MPI_BUILD: bool = cfg!(feature = "mpi");

/// Ends MPI (`MPI_Finalize`) if [`world`] started it; a no-op otherwise. Call it once, after the
/// last collective, before the process exits.
pub fn finalize() {
    #[cfg(feature = "mpi")]
    if WORLD.get().is_some() {
        mpi_world::finalize();
    }
}

/// The rows `0..n` this rank keeps when rows are dealt round-robin: `i ≡ rank (mod size)`.
pub fn shard_rows(n: usize, comm: &dyn Communicator) -> Vec<usize> {
    (comm.rank()..n).step_by(comm.size().max(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_process_keeps_every_row_and_reduces_to_itself() {
        let comm = Single;
        assert_eq!(shard_rows(5, &comm), vec![0, 1, 2, 3, 4]);
        let mut v = [1.5, -2.0];
        comm.allreduce_sum_f64(&mut v);
        assert_eq!(v, [1.5, -2.0]);
        assert_eq!((comm.rank(), comm.size()), (0, 1));
    }
}
