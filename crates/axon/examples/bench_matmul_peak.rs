//! The machine's practical `f32` FLOP limit, as `scripts/bench_nn.py` measures it for its "share
//! of peak" column: the best rate of a large square product through `Tensor::matmul` (untracked,
//! output allocation included) on the threads rayon is given (`RAYON_NUM_THREADS`).
//!
//! `cargo run --release -p axon --example bench_matmul_peak -- [N] [REPEATS]` (default 2048 and
//! 5) prints `{"gflops", "n", "threads"}`: `2 N³` FLOPs over the fastest of the repeats.

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use axon::{DType, Rng, Tensor};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    let n = args.first().copied().unwrap_or(2048);
    let repeats = args.get(1).copied().unwrap_or(5).max(1);
    let mut rng = Rng::seed(0);
    let a = Tensor::randn([n, n], 0.0, 1.0, DType::F32, &mut rng);
    let b = Tensor::randn([n, n], 0.0, 1.0, DType::F32, &mut rng);
    black_box(a.matmul(&b)?);
    let mut best = f64::INFINITY;
    for _ in 0..repeats {
        let started = Instant::now();
        black_box(a.matmul(&b)?);
        best = best.min(started.elapsed().as_secs_f64());
    }
    let gflops = 2.0 * (n as f64).powi(3) / best / 1e9;
    println!(
        "{{\"gflops\": {gflops:.2}, \"n\": {n}, \"threads\": {}}}",
        rayon::current_num_threads()
    );
    Ok(())
}
