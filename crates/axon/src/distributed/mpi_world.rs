//! The MPI implementation of [`Communicator`] through rsmpi: `MPI_COMM_WORLD`, initialised once
//! with `MPI_THREAD_FUNNELED` (only the thread that runs the fit or the training loop calls
//! MPI), and the `Universe` kept until [`finalize`] drops it (`MPI_Finalize`).

use std::sync::Mutex;

use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::environment::Universe;
use mpi::topology::{Communicator as _, SimpleCommunicator};
use mpi::Threading;

use super::{collect_buckets, BucketWork, Communicator};
use crate::error::Result;
use crate::tensor::buffers;

/// The universe, held until [`finalize`]; dropping it calls `MPI_Finalize`.
struct Held {
    _universe: Universe,
}

// SAFETY: the universe is only moved between threads to be dropped once, by `finalize`, after
// the last collective; MPI itself is only called from the thread that initialised it.
unsafe impl Send for Held {}

static UNIVERSE: Mutex<Option<Held>> = Mutex::new(None);

/// `MPI_COMM_WORLD` with its rank and size.
pub(super) struct MpiWorld {
    comm: SimpleCommunicator,
    rank: usize,
    size: usize,
}

// SAFETY: the world communicator is a predefined handle, never freed; the collectives are called
// from one thread at a time (see the module docs of `distributed`), as MPI_THREAD_FUNNELED asks.
unsafe impl Send for MpiWorld {}
unsafe impl Sync for MpiWorld {}

impl MpiWorld {
    /// `MPI_Init_thread`, or `None` if MPI was already initialised elsewhere.
    pub(super) fn initialize() -> Option<MpiWorld> {
        let (universe, _) = mpi::initialize_with_threading(Threading::Funneled)?;
        let comm = universe.world();
        let (rank, size) = (comm.rank() as usize, comm.size() as usize);
        *UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Held { _universe: universe });
        Some(MpiWorld { comm, rank, size })
    }
}

/// Drops the universe (`MPI_Finalize`) if it is still held.
pub(super) fn finalize() {
    let held = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()).take();
    drop(held);
}

impl Communicator for MpiWorld {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn allreduce_sum_f64(&self, buf: &mut [f64]) {
        if self.size > 1 && !buf.is_empty() {
            let send = buf.to_vec();
            self.comm.all_reduce_into(&send[..], buf, SystemOperation::sum());
        }
    }

    fn allreduce_sum_f32(&self, buf: &mut [f32]) {
        if self.size > 1 && !buf.is_empty() {
            let send = buf.to_vec();
            self.comm.all_reduce_into(&send[..], buf, SystemOperation::sum());
        }
    }

    fn allreduce_min_f64(&self, buf: &mut [f64]) {
        if self.size > 1 && !buf.is_empty() {
            let send = buf.to_vec();
            self.comm.all_reduce_into(&send[..], buf, SystemOperation::min());
        }
    }

    /// One `MPI_Iallreduce` per bucket as `work` hands it over (each into its own slice of
    /// `out`, from its own copy of the values), all waited for before returning, even when
    /// `work` fails: MPI must not be left writing into freed buffers.
    fn allreduce_sum_f64_overlapped(
        &self,
        lens: &[usize],
        out: &mut [f64],
        work: &mut BucketWork<'_>,
    ) -> Result<()> {
        if self.size == 1 {
            return collect_buckets(out, work);
        }
        // Every bucket is copied in before its allreduce starts; pooled, so no fresh pages.
        let mut send = buffers::take_stale::<f64>(out.len());
        let mut pairs = Vec::with_capacity(lens.len());
        let (mut send_rest, mut out_rest) = (&mut send[..], &mut out[..]);
        for &len in lens {
            let (s, s_tail) = send_rest.split_at_mut(len);
            let (o, o_tail) = out_rest.split_at_mut(len);
            pairs.push((s, o));
            (send_rest, out_rest) = (s_tail, o_tail);
        }
        let result = mpi::request::scope(|scope| {
            let mut pairs = pairs.into_iter();
            let mut started = Vec::with_capacity(lens.len());
            let result = work(&mut |values| {
                let (s, o) = pairs.next().expect("no more buckets than `lens`");
                s.copy_from_slice(values);
                let s: &[f64] = s;
                let op = SystemOperation::sum();
                started.push(self.comm.immediate_all_reduce_into(scope, s, o, op));
            });
            for request in started {
                request.wait_without_status();
            }
            result
        });
        buffers::give(send);
        result
    }

    fn broadcast_f32(&self, buf: &mut [f32], root: usize) {
        if self.size > 1 && !buf.is_empty() {
            self.comm.process_at_rank(root as i32).broadcast_into(buf);
        }
    }

    fn barrier(&self) {
        self.comm.barrier();
    }

    fn abort(&self, message: &str, code: i32) -> ! {
        if self.size > 1 {
            eprintln!("[rank {}] {message}", self.rank);
        } else {
            eprintln!("{message}");
        }
        self.comm.abort(code)
    }
}
