//! One training step of the 784-128-10 MLP of `mlp_step`, built from the `nn` modules instead of
//! raw tensors: `Sequential[Linear, ReLU, Linear]` (weights `(out, in)`, `y = x Wᵀ + b`),
//! `loss::cross_entropy`, `backward`, and an optimizer step through `Param` slots, at batch sizes
//! 1 and 128. Comparing `sgd` here with `mlp_step/step` shows what the module and optimizer
//! layers cost on top of the engine; `adam` adds the two moment buffers per parameter.

use std::hint::black_box;

use axon::nn::loss::{cross_entropy, Reduction};
use axon::nn::{Linear, Module, ReLU, Sequential};
use axon::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use axon::{DType, Rng, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn net(rng: &mut Rng) -> Sequential {
    Sequential::new()
        .with(Linear::new(784, 128, true, DType::F32, rng).unwrap())
        .with(ReLU)
        .with(Linear::new(128, 10, true, DType::F32, rng).unwrap())
}

fn step(net: &Sequential, opt: &mut dyn Optimizer, x: &Tensor, y: &Tensor) -> f64 {
    let loss = cross_entropy(&net.forward(x).unwrap(), y, None, Reduction::Mean).unwrap();
    opt.step(&loss.backward().unwrap()).unwrap();
    loss.item().unwrap()
}

fn nn_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("nn_step");
    for size in [1, 128] {
        let mut rng = Rng::seed(23);
        let x = Tensor::rand([size, 784], 0.0, 1.0, DType::F32, &mut rng);
        let labels: Vec<i64> = (0..size).map(|_| rng.below(10) as i64).collect();
        let y = Tensor::from_vec(labels, [size]).unwrap();
        let model = net(&mut rng);
        let mut sgd =
            Sgd::new(model.params(), SgdConfig { lr: 0.01, ..Default::default() }).unwrap();
        let first = step(&model, &mut sgd, &x, &y);
        assert!(first.is_finite() && step(&model, &mut sgd, &x, &y) < first, "SGD lowers the loss");
        g.bench_with_input(BenchmarkId::new("sgd", size), &size, |b, _| {
            b.iter(|| step(&model, &mut sgd, black_box(&x), black_box(&y)))
        });
        let mut adam = Adam::new(model.params(), AdamConfig::default()).unwrap();
        g.bench_with_input(BenchmarkId::new("adam", size), &size, |b, _| {
            b.iter(|| step(&model, &mut adam, black_box(&x), black_box(&y)))
        });
    }
    g.finish();
}

criterion_group!(benches, nn_step);
criterion_main!(benches);
