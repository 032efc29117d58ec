//! One training step of a 784-128-10 MLP in `f32` at batch sizes 1 and 128: the forward pass
//! (`relu(x W1 + b1) W2 + b2`), the cross-entropy from the logits written as `log_softmax`,
//! `gather` of the labels' entries (an `i64` index of shape `(B, 1)`) and `mean`, the backward
//! pass, and a plain SGD update `w ← w − η g` made under `no_grad` into new leaf tensors. Inputs,
//! labels and the initial weights come from a seeded generator. `forward` times the forward pass
//! and loss alone, so `step − forward` is the cost of backward and the update.

use std::hint::black_box;

use axon::{no_grad, DType, Rng, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [usize; 3] = [784, 128, 10];
const LR: f64 = 0.01;

struct Mlp {
    /// `[w1 (784, 128), b1 (128), w2 (128, 10), b2 (10)]`, all leaves that require a gradient.
    params: Vec<Tensor>,
}

impl Mlp {
    fn new(rng: &mut Rng) -> Mlp {
        let mut params = Vec::new();
        for pair in SIZES.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let bound = (6.0 / fan_in as f64).sqrt();
            params.push(Tensor::rand([fan_in, fan_out], -bound, bound, DType::F32, rng));
            params.push(Tensor::zeros([fan_out], DType::F32));
        }
        Mlp { params: params.into_iter().map(Tensor::requires_grad).collect() }
    }

    /// The mean cross-entropy of the batch `x` (B, 784) against `labels` (B, 1).
    fn loss(&self, x: &Tensor, labels: &Tensor) -> Tensor {
        let [w1, b1, w2, b2] = &self.params[..] else { unreachable!("four parameters") };
        let h = x.matmul(w1).unwrap().add(b1).unwrap().relu().unwrap();
        let logits = h.matmul(w2).unwrap().add(b2).unwrap();
        let picked = logits.log_softmax(1).unwrap().gather(1, labels).unwrap();
        picked.mean_all().unwrap().neg().unwrap()
    }

    /// Forward, backward and an SGD update; returns the loss before the update.
    fn step(&mut self, x: &Tensor, labels: &Tensor) -> f64 {
        let loss = self.loss(x, labels);
        let grads = loss.backward().unwrap();
        no_grad(|| {
            for p in &mut self.params {
                let g = grads.get(p).expect("every parameter takes part");
                *p = p.sub(&g.mul_scalar(LR).unwrap()).unwrap().requires_grad();
            }
        });
        loss.item().unwrap()
    }
}

fn batch(size: usize, rng: &mut Rng) -> (Tensor, Tensor) {
    let x = Tensor::rand([size, SIZES[0]], 0.0, 1.0, DType::F32, rng);
    let labels: Vec<i64> = (0..size).map(|_| rng.below(SIZES[2]) as i64).collect();
    (x, Tensor::from_vec(labels, [size, 1]).unwrap())
}

fn mlp_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("mlp_step");
    for size in [1, 128] {
        let mut rng = Rng::seed(23);
        let mut mlp = Mlp::new(&mut rng);
        let (x, labels) = batch(size, &mut rng);
        let first = mlp.step(&x, &labels);
        assert!(first.is_finite() && mlp.step(&x, &labels) < first, "SGD lowers the loss");

        g.bench_with_input(BenchmarkId::new("forward", size), &size, |bench, _| {
            bench.iter(|| mlp.loss(black_box(&x), black_box(&labels)))
        });
        g.bench_with_input(BenchmarkId::new("step", size), &size, |bench, _| {
            bench.iter(|| mlp.step(black_box(&x), black_box(&labels)))
        });
    }
    g.finish();
}

criterion_group!(benches, mlp_step);
criterion_main!(benches);
