//! The axon side of `scripts/bench_linear.py`: fits the binary logit to the data sets that script
//! prepares and prints one JSON line per data set with the fit time, the log-likelihood reached
//! and the peak memory, so that the script can put axon beside scikit-learn and statsmodels in
//! one table. Not a criterion bench (a fit is one long call, timed as the best of a few runs);
//! `cargo bench --no-run` keeps it compiling.
//!
//! Usage: `cargo bench -p axon --bench fit_linear -- DIR NAME [REPEATS]` where `DIR/NAME.json`
//! holds `{"n", "p", "alpha", "names"}` and `DIR/NAME.x` / `DIR/NAME.y` the design matrix
//! (row-major, intercept column first) and the 0/1 outcome as little-endian f64.

use std::time::Instant;

use axon::linear::{fit_binary, BinaryData, BinaryOptions, Link};
use faer::Mat;

fn read_f64(path: &str) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

/// Peak resident memory of this process in MiB (`VmHWM`), 0 where /proc is not available.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [dir, name, rest @ ..] = args.as_slice() else {
        eprintln!("usage: fit_linear DIR NAME [REPEATS]");
        std::process::exit(2);
    };
    let repeats: usize = rest.first().map_or(3, |r| r.parse().expect("REPEATS is a number"));
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}.json")).unwrap())
            .unwrap();
    let (n, p) = (meta["n"].as_u64().unwrap() as usize, meta["p"].as_u64().unwrap() as usize);
    let alpha = meta["alpha"].as_f64().unwrap();
    let names: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    let flat = read_f64(&format!("{dir}/{name}.x"));
    let y = read_f64(&format!("{dir}/{name}.y"));
    assert_eq!((flat.len(), y.len()), (n * p, n), "{name}: sizes do not match the JSON");
    let x = Mat::from_fn(n, p, |i, j| flat[i * p + j]);
    drop(flat);
    let data = BinaryData::new(x.as_ref(), &y, &names).unwrap();
    let opts = BinaryOptions { penalty_l2: alpha, ..BinaryOptions::new(Link::Logit, Some(0)) };
    let mut best = f64::INFINITY;
    let mut fit = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let f = fit_binary(&data, &opts).unwrap();
        best = best.min(start.elapsed().as_secs_f64());
        fit = Some(f);
    }
    let fit = fit.unwrap();
    // The penalised objective the tools minimise: −ℓ + α/2 Σ_{j ≥ 1} βⱼ².
    let penalty: f64 = fit.coefficients[1..].iter().map(|b| b * b).sum::<f64>() * alpha / 2.0;
    let line = serde_json::json!({
        "tool": "axon newton",
        "data": name,
        "seconds": best,
        "log_likelihood": fit.log_likelihood,
        "objective": -fit.log_likelihood + penalty,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "peak_mib": peak_rss_mib(),
        "threads": rayon::current_num_threads(),
    });
    println!("{line}");
}
