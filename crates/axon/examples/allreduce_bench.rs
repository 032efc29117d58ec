//! The cost of one allreduce of `n` doubles over the ranks of `mpirun -n K` (a build with the
//! feature `mpi`), the only communication of the data-parallel fits and training: for each size
//! from 8 bytes to 8 MB, the median time of 50 allreduces after 5 warm-up ones, printed by rank 0
//! as `K bytes seconds`. `scripts/bench_mpi.sh` fits `t = α + β · bytes` to these lines
//! (docs/distributed.md).
//!
//! ```text
//! cargo build --release --features mpi --example allreduce_bench
//! mpirun --oversubscribe -n 2 target/release/examples/allreduce_bench
//! ```

use std::time::Instant;

use axon::distributed::{finalize, world};

fn main() {
    let comm = world();
    let mut n = 1usize;
    while n <= 1 << 20 {
        let mut buf = vec![1.0f64; n];
        for _ in 0..5 {
            comm.allreduce_sum_f64(&mut buf);
        }
        let mut times = Vec::with_capacity(50);
        for _ in 0..50 {
            comm.barrier();
            let started = Instant::now();
            comm.allreduce_sum_f64(&mut buf);
            times.push(started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        if comm.rank() == 0 {
            println!("{} {} {:.3e}", comm.size(), n * 8, times[times.len() / 2]);
        }
        n *= 4;
    }
    finalize();
}
