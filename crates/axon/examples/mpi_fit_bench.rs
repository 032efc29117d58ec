//! Times the exact logistic fit of a seeded synthetic `n × p` problem (default 200 000 × 100 plus
//! the intercept, Gaussian columns, `P(y = 1) = σ(xᵀb)`) over the ranks of `mpirun -n K` (a
//! build with the feature `mpi`): every rank draws the same data, keeps the rows
//! `i ≡ rank (mod K)` and fits them inside a `RowShards` scope, so that the Newton iterations'
//! sums are completed by one allreduce each. Rank 0 prints one JSON line: `ranks`, `n`, `p`,
//! `solver`, `seconds` (the fit alone, best of three), `iterations`, `log_likelihood` and the
//! first coefficients, for `scripts/bench_mpi.sh` to compare across `K`.
//!
//! ```text
//! cargo build --release --features mpi --example mpi_fit_bench
//! mpirun --oversubscribe -n 2 target/release/examples/mpi_fit_bench [N P newton|lbfgs]
//! ```

use std::time::Instant;

use axon::distributed::rows::RowShards;
use axon::distributed::{finalize, shard_rows, world};
use axon::linear::{fit_binary, BinaryData, BinaryOptions, Solver};
use axon::Rng;
use faer::Mat;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(Ok(200_000), |s| s.parse())?;
    let p: usize = args.get(1).map_or(Ok(100), |s| s.parse())?;
    let solver = match args.get(2).map_or("newton", String::as_str) {
        "newton" => Solver::Newton,
        "lbfgs" => Solver::Lbfgs { memory: 10, max_iter: 1000 },
        other => return Err(format!("solver {other}: newton or lbfgs").into()),
    };
    let comm = world();
    let mut rng = Rng::seed(0);
    let b: Vec<f64> = (0..=p).map(|_| 0.3 * rng.normal()).collect();
    let mut x = Mat::<f64>::zeros(n, p + 1);
    let mut y = vec![0.0; n];
    for i in 0..n {
        x[(i, 0)] = 1.0;
        let mut eta = b[0];
        for j in 1..=p {
            let v = rng.normal();
            x[(i, j)] = v;
            eta += v * b[j];
        }
        y[i] = f64::from(rng.uniform() < 1.0 / (1.0 + (-eta).exp()));
    }
    let rows = shard_rows(n, comm);
    let xs = Mat::from_fn(rows.len(), p + 1, |i, j| x[(rows[i], j)]);
    let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    drop(x);
    let names: Vec<String> = (0..=p).map(|j| format!("x{j}")).collect();
    let data = BinaryData::new(xs.as_ref(), &ys, &names)?;
    let opts = BinaryOptions { solver, intercept: Some(0), ..BinaryOptions::default() };
    let mut best = f64::INFINITY;
    let mut fit = None;
    for _ in 0..3 {
        comm.barrier();
        let started = Instant::now();
        let _scope = RowShards::enter();
        fit = Some(fit_binary(&data, &opts)?);
        best = best.min(started.elapsed().as_secs_f64());
    }
    let fit = fit.expect("three fits");
    if comm.rank() == 0 {
        let head: Vec<String> =
            fit.coefficients.iter().take(3).map(|c| format!("{c:.17e}")).collect();
        println!(
            "{{\"ranks\": {}, \"n\": {n}, \"p\": {}, \"solver\": \"{}\", \"seconds\": {best:.4}, \
             \"iterations\": {}, \"log_likelihood\": {:.17e}, \"coef\": [{}]}}",
            comm.size(),
            p + 1,
            args.get(2).map_or("newton", String::as_str),
            fit.iterations,
            fit.log_likelihood,
            head.join(", ")
        );
    }
    finalize();
    Ok(())
}
