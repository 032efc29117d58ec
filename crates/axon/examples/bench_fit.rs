//! Times one binary logistic fit and prints a JSON line, for `scripts/bench_linear.py`, which
//! compares axon's Newton and L-BFGS with scikit-learn and statsmodels on the same data.
//!
//! `cargo run --release -p axon --example bench_fit -- DATA N P SOLVER ALPHA TOL [COEF]` reads
//! `DATA`, raw little-endian f64: the `N × P` design matrix row-major (column 0 the intercept)
//! then the `N` outcomes; fits `F(β) = −ℓ(β) + α/2 ‖β̃‖²` (`α = 1/C`, 0 for maximum likelihood)
//! with `SOLVER` (`newton` or `lbfgs`) and tolerance `TOL` (for L-BFGS scikit-learn's `tol`), and
//! prints `{"solver", "n", "p", "seconds", "log_likelihood", "objective", "iterations", "stop",
//! "converged", "peak_rss_mb"}`; the time covers the fit only (the best of three). With `COEF` it also writes `β̂` there
//! (raw little-endian f64), for the script to compare with scikit-learn's.
//!
//! Without arguments (as CI runs it) it fits a seeded synthetic 20 000 × 50 problem with both
//! solvers and asserts that they reach the same log-likelihood to 1e-10 relative.

#[path = "support/peak_memory.rs"]
mod peak_memory;

use std::error::Error;
use std::time::Instant;

use axon::linear::{fit_binary, BinaryData, BinaryOptions, Link, Penalty, Solver};
use axon::Rng;
use faer::Mat;
use peak_memory::peak_rss_mb;

fn read(path: &str, n: usize, p: usize) -> Result<(Mat<f64>, Vec<f64>), Box<dyn Error>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() != 8 * (n * p + n) {
        return Err(
            format!("{path}: expected {} bytes, found {}", 8 * (n * p + n), bytes.len()).into()
        );
    }
    let v: Vec<f64> =
        bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    Ok((Mat::from_fn(n, p, |i, j| v[i * p + j]), v[n * p..].to_vec()))
}

/// A seeded problem with `P(y = 1) = σ(xᵀβ)`, `β_j = (−1)ʲ / √p`.
fn synthetic(n: usize, p: usize, seed: u64) -> (Mat<f64>, Vec<f64>) {
    let mut rng = Rng::seed(seed);
    let x = Mat::from_fn(n, p, |_, j| if j == 0 { 1.0 } else { rng.normal() });
    let beta: Vec<f64> =
        (0..p).map(|j| if j % 2 == 0 { 1.0 } else { -1.0 } / (p as f64).sqrt()).collect();
    let y = (0..n)
        .map(|i| {
            let eta: f64 = (0..p).map(|j| x[(i, j)] * beta[j]).sum();
            f64::from(rng.uniform() < 1.0 / (1.0 + (-eta).exp()))
        })
        .collect();
    (x, y)
}

/// Fits and returns the JSON line and `β̂`.
fn fit(
    x: &Mat<f64>,
    y: &[f64],
    solver: &str,
    alpha: f64,
    tol: f64,
) -> Result<(String, Vec<f64>), Box<dyn Error>> {
    let names: Vec<String> = (0..x.ncols()).map(|j| format!("x{j}")).collect();
    let data = BinaryData::new(x.as_ref(), y, &names)?;
    let solver = match solver {
        "newton" => Solver::Newton,
        "lbfgs" => Solver::Lbfgs { memory: 10, max_iter: 10_000 },
        other => return Err(format!("unknown solver {other}").into()),
    };
    let penalty = if alpha > 0.0 { Penalty::L2(alpha) } else { Penalty::None };
    let opts = BinaryOptions { penalty, solver, tol, ..BinaryOptions::new(Link::Logit, Some(0)) };
    // The best of three runs: on a shared machine the slowest runs measure the neighbours.
    let mut seconds = f64::INFINITY;
    let mut f = None;
    for _ in 0..3 {
        let start = Instant::now();
        f = Some(fit_binary(&data, &opts)?);
        seconds = seconds.min(start.elapsed().as_secs_f64());
    }
    let f = f.expect("fitted three times");
    let objective = -f.log_likelihood + penalty.value(&f.coefficients, Some(0));
    let stop = f.stop.map_or("newton step".to_string(), |s| format!("{s:?}"));
    let line = format!(
        "{{\"solver\": \"axon {}\", \"n\": {}, \"p\": {}, \"seconds\": {seconds}, \
         \"log_likelihood\": {:.17e}, \"objective\": {objective:.17e}, \"iterations\": {}, \
         \"stop\": \"{stop}\", \"converged\": {}, \"peak_rss_mb\": {:.1}}}",
        f.solver.name(),
        x.nrows(),
        x.ncols(),
        f.log_likelihood,
        f.iterations,
        f.converged,
        peak_rss_mb()
    );
    Ok((line, f.coefficients))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [path, n, p, solver, alpha, tol, rest @ ..] = args.as_slice() {
        let (x, y) = read(path, n.parse()?, p.parse()?)?;
        let (line, beta) = fit(&x, &y, solver, alpha.parse()?, tol.parse()?)?;
        if let Some(out) = rest.first() {
            std::fs::write(out, beta.iter().flat_map(|b| b.to_le_bytes()).collect::<Vec<u8>>())?;
        }
        println!("{line}");
        return Ok(());
    }
    let (x, y) = synthetic(20_000, 50, 42);
    let mut lls = Vec::new();
    for solver in ["newton", "lbfgs"] {
        let (line, _) = fit(&x, &y, solver, 0.0, 1e-10)?;
        println!("{line}");
        let ll: f64 = line
            .split("\"log_likelihood\": ")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()?;
        lls.push(ll);
    }
    let rel = ((lls[0] - lls[1]) / lls[0]).abs();
    println!("relative log-likelihood difference newton vs lbfgs: {rel:.2e}");
    assert!(rel < 1e-10, "Newton and L-BFGS disagree: {lls:?}");
    Ok(())
}
