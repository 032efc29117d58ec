//! The fixed cost of an op, measured on tiny tensors where the arithmetic is free. `tiny` times
//! one op on `(4,)` `f32` tensors: `add` untracked, `add` with a tracked (`requires_grad`)
//! operand, which also records the graph node, the tracked add under `no_grad`, and `exp` both
//! ways; `vec_add_ref` is the same four additions into a fresh `Vec`, the floor any allocating
//! op pays. `chain100` runs a chain of 100 tiny ops (`mul` by a tracked weight, `add` a
//! constant, `tanh`, in turn) and its `sum_all`: untracked, tracked (building the graph), and
//! tracked then `backward` (walking it, accumulating the shared weight's gradient 34 times). Its
//! throughput is 100 elements, one per op, so `time / 100` is the cost per op.

use std::hint::black_box;

use axon::{no_grad, DType, Rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn tiny(c: &mut Criterion) {
    let mut rng = Rng::seed(17);
    let a = Tensor::rand([4], -1.0, 1.0, DType::F32, &mut rng);
    let b = Tensor::rand([4], -1.0, 1.0, DType::F32, &mut rng);
    let tracked = a.clone().requires_grad();
    let (av, bv) = (a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());

    let mut g = c.benchmark_group("tiny");
    g.bench_function("vec_add_ref", |bench| {
        bench.iter(|| {
            let (x, y) = (black_box(&av), black_box(&bv));
            x.iter().zip(y).map(|(p, q)| p + q).collect::<Vec<f32>>()
        })
    });
    g.bench_function("add_untracked", |bench| {
        bench.iter(|| black_box(&a).add(black_box(&b)).unwrap())
    });
    g.bench_function("add_tracked", |bench| {
        bench.iter(|| black_box(&tracked).add(black_box(&b)).unwrap())
    });
    g.bench_function("add_tracked_no_grad", |bench| {
        bench.iter(|| no_grad(|| black_box(&tracked).add(black_box(&b)).unwrap()))
    });
    g.bench_function("exp_untracked", |bench| bench.iter(|| black_box(&a).exp().unwrap()));
    g.bench_function("exp_tracked", |bench| bench.iter(|| black_box(&tracked).exp().unwrap()));
    g.finish();
}

/// 100 ops on `x`, cycling through `* w`, `+ c` and `tanh`, then the sum.
fn chain(x: &Tensor, w: &Tensor, c: &Tensor) -> Tensor {
    let mut x = x.clone();
    for i in 0..100 {
        x = match i % 3 {
            0 => x.mul(w),
            1 => x.add(c),
            _ => x.tanh(),
        }
        .unwrap();
    }
    x.sum_all().unwrap()
}

fn chain100(c: &mut Criterion) {
    let mut rng = Rng::seed(19);
    let x = Tensor::rand([4], -1.0, 1.0, DType::F32, &mut rng);
    let w = Tensor::rand([4], 0.5, 1.5, DType::F32, &mut rng);
    let k = Tensor::rand([4], -0.1, 0.1, DType::F32, &mut rng);
    let (xt, wt) = (x.clone().requires_grad(), w.clone().requires_grad());
    let grads = chain(&xt, &wt, &k).backward().unwrap();
    assert!(grads.get(&wt).is_some() && grads.get(&xt).is_some());

    let mut g = c.benchmark_group("chain100");
    g.throughput(Throughput::Elements(100));
    g.bench_function("forward_untracked", |bench| {
        bench.iter(|| chain(black_box(&x), black_box(&w), &k))
    });
    g.bench_function("forward_tracked", |bench| {
        bench.iter(|| chain(black_box(&xt), black_box(&wt), &k))
    });
    g.bench_function("forward_backward", |bench| {
        bench.iter(|| chain(black_box(&xt), black_box(&wt), &k).backward().unwrap())
    });
    g.finish();
}

criterion_group!(benches, tiny, chain100);
criterion_main!(benches);
