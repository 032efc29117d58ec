//! `axon fit` and `axon train` as one of `K` MPI ranks (`mpirun -n K axon ...`, a build with the
//! cargo feature `mpi`): which rows this rank fits, which fits can run over row shards, and who
//! speaks. Every rank reads the whole data file and builds the same design (so categorical
//! levels, standardisation and a text vocabulary are those of the whole data set: the dense
//! design, or the sparse one of a LibSVM file or of text and hashed columns), then keeps the rows
//! `i ≡ rank (mod K)`; the library completes the fit's sums across the ranks. Only rank 0
//! prints and writes files; a rank that fails ends the whole job with its error
//! ([`axon::distributed::Communicator::abort`]). With one process all of this is a no-op.

use axon::data::Design;
use axon::distributed::rows::RowShards;
use axon::distributed::{shard_rows, world};
use axon::linear::{LinearOptions, Solver};
use axon::sparse::Csr;

/// Whether this process is the one that prints and writes (rank 0, or the only process).
pub fn is_root() -> bool {
    world().rank() == 0
}

/// Whether the run is spread over several ranks.
pub fn is_parallel() -> bool {
    world().size() > 1
}

/// Refuses the fits that have no row-sharded form: the exact logit, probit, softmax and
/// one-vs-rest fits (Newton, L-BFGS, or coordinate descent for an L1 or elastic-net penalty)
/// sum their work over rows in the places the ranks reduce; gradient ascent and SGD do not.
pub fn check_fit(options: &LinearOptions) -> anyhow::Result<()> {
    match options.solver {
        Solver::Auto | Solver::Newton | Solver::Lbfgs { .. } | Solver::CoordinateDescent { .. } => {
            Ok(())
        }
        _ => anyhow::bail!(
            "--solver {:?} cannot run over {} MPI ranks: use newton, lbfgs or cd",
            options.solver,
            world().size()
        ),
    }
}

/// The indices of this rank's rows among `n`; an error on a rank left without rows (fewer rows
/// than ranks).
pub fn shard_indices(n: usize) -> anyhow::Result<Vec<usize>> {
    let comm = world();
    let rows = shard_rows(n, comm);
    if rows.is_empty() {
        anyhow::bail!(
            "MPI rank {} of {} has no rows: the data has {n} rows for {} ranks",
            comm.rank(),
            comm.size(),
            comm.size()
        );
    }
    Ok(rows)
}

/// `fit` of this rank's rows of the sparse design `x` and labels `y`, inside a
/// [`RowShards`] scope, over several ranks (every rank then holds the fit of all the rows); of
/// all of them with one process.
pub fn fit_sparse_rows<Y: Copy, T>(
    x: &Csr,
    y: &[Y],
    fit: impl FnOnce(&Csr, &[Y]) -> axon::Result<T>,
) -> anyhow::Result<T> {
    if !is_parallel() {
        return Ok(fit(x, y)?);
    }
    let rows = shard_indices(x.n_rows())?;
    let y: Vec<Y> = rows.iter().map(|&i| y[i]).collect();
    let x = x.take_rows(&rows);
    let _scope = RowShards::enter();
    Ok(fit(&x, &y)?)
}

/// This rank's rows of `design` and of the frequency `weights` (see [`shard_indices`]).
pub fn shard(
    design: &Design,
    weights: Option<&[f64]>,
) -> anyhow::Result<(Design, Option<Vec<f64>>)> {
    let rows = shard_indices(design.n_rows())?;
    Ok((design.select_rows(&rows), weights.map(|w| rows.iter().map(|&i| w[i]).collect())))
}
