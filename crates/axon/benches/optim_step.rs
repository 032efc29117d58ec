//! The optimizer step alone, on the 101 770 parameters of a 784-128-10 MLP in `f32` (weights,
//! biases), with fixed gradients: the per-step cost of each update rule outside the graph (read
//! value and gradient, update the state, write a fresh leaf).

use std::hint::black_box;

use axon::nn::{Linear, Module, ReLU, Sequential};
use axon::optim::{Adam, AdamConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig};
use axon::{DType, GradStore, Rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};

/// Gradients keyed by the parameters' current leaves (a step replaces the leaves).
fn grads(net: &Sequential, values: &[Tensor]) -> GradStore {
    let mut store = GradStore::default();
    for ((_, p), g) in net.parameters().iter().zip(values) {
        store.insert(&p.value(), g.clone());
    }
    store
}

fn optim_step(c: &mut Criterion) {
    let mut rng = Rng::seed(1);
    let net = Sequential::new()
        .with(Linear::new(784, 128, true, DType::F32, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(128, 10, true, DType::F32, &mut rng).unwrap());
    let values: Vec<Tensor> = net
        .parameters()
        .iter()
        .map(|(_, p)| Tensor::rand(p.value().shape(), -0.01, 0.01, DType::F32, &mut rng))
        .collect();
    let mut optimizers: Vec<(&str, Box<dyn Optimizer>)> = vec![
        ("sgd", Box::new(Sgd::new(net.params(), SgdConfig::default()).unwrap())),
        (
            "sgd_momentum",
            Box::new(
                Sgd::new(net.params(), SgdConfig { momentum: 0.9, ..Default::default() }).unwrap(),
            ),
        ),
        ("adam", Box::new(Adam::new(net.params(), AdamConfig::default()).unwrap())),
        ("rmsprop", Box::new(RmsProp::new(net.params(), RmsPropConfig::default()).unwrap())),
    ];
    let mut g = c.benchmark_group("optim_step");
    for (name, opt) in &mut optimizers {
        g.bench_function(*name, |b| {
            b.iter(|| {
                let store = grads(&net, &values);
                opt.step(black_box(&store)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, optim_step);
criterion_main!(benches);
