//! Times one SGD training step of a tiny 4-16-16-3 ReLU MLP at batch size 1 (forward,
//! cross-entropy, backward, update) and prints a JSON line, for `scripts/bench_nn.py`, which
//! compares it with the same step in PyTorch: at this size the step is all per-operation
//! overhead (graph recording, dispatch, allocation), not arithmetic.
//!
//! `cargo run --release -p axon --example bench_nn_step -- STEPS` warms up for 1000 steps, then
//! prints `{"step_microseconds", "steps", "peak_rss_mb"}`. Without arguments (as CI runs it) it
//! takes 200 steps on one example and asserts that the loss falls below a tenth of its start.

#[path = "support/peak_memory.rs"]
mod peak_memory;

use std::error::Error;
use std::time::Instant;

use axon::nn::loss::{cross_entropy, Reduction};
use axon::nn::{Linear, Module, ReLU, Sequential};
use axon::optim::{Optimizer, Sgd, SgdConfig};
use axon::{DType, Rng, Tensor};
use peak_memory::peak_rss_mb;

/// One step; the loss before the update.
fn step(net: &Sequential, opt: &mut Sgd, x: &Tensor, y: &Tensor) -> Result<f64, Box<dyn Error>> {
    let loss = cross_entropy(&net.forward(x)?, y, None, Reduction::Mean)?;
    opt.step(&loss.backward()?)?;
    Ok(loss.item()?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = Rng::seed(0);
    let f = DType::F32;
    let net = Sequential::new()
        .with(Linear::new(4, 16, true, f, &mut rng)?)
        .with(ReLU)
        .with(Linear::new(16, 16, true, f, &mut rng)?)
        .with(ReLU)
        .with(Linear::new(16, 3, true, f, &mut rng)?);
    let mut opt = Sgd::new(net.params(), SgdConfig { lr: 0.01, ..Default::default() })?;
    let x = Tensor::randn([1, 4], 0.0, 1.0, f, &mut rng);
    let y = Tensor::from_vec(vec![1i64], [1])?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [steps] = args.as_slice() {
        let steps: usize = steps.parse()?;
        for _ in 0..1000 {
            step(&net, &mut opt, &x, &y)?;
        }
        let started = Instant::now();
        for _ in 0..steps {
            step(&net, &mut opt, &x, &y)?;
        }
        let micros = 1e6 * started.elapsed().as_secs_f64() / steps as f64;
        println!(
            "{{\"step_microseconds\": {micros}, \"steps\": {steps}, \"peak_rss_mb\": {:.1}}}",
            peak_rss_mb()
        );
        return Ok(());
    }
    let first = step(&net, &mut opt, &x, &y)?;
    let mut last = first;
    for _ in 0..200 {
        last = step(&net, &mut opt, &x, &y)?;
    }
    println!("tiny MLP, one example: loss {first:.4} -> {last:.4} after 200 SGD steps");
    assert!(last < first / 10.0, "SGD did not fit one example: {first} -> {last}");
    Ok(())
}
