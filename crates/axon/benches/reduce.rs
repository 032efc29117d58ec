//! Reductions and softmax over one million `f32` elements (a `(1000, 1000)` tensor), untracked:
//! `sum_all`; `sum` over axis 0 (a bias gradient: whole rows added together) and over axis 1 (one
//! total per row); `max_all`; `logsumexp`, `softmax` and `argmax` along the last axis. Throughput
//! is the bytes read plus the bytes written, so criterion prints an effective bandwidth; the
//! 4 MB input does not fit in cache, so a reduction that keeps up with memory reads at the
//! machine's bandwidth.

use std::hint::black_box;

use axon::{DType, Rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROWS: usize = 1000;
const COLS: usize = 1000;
const N: u64 = (ROWS * COLS) as u64;
const F32: u64 = std::mem::size_of::<f32>() as u64;

fn reduce(c: &mut Criterion) {
    let mut rng = Rng::seed(13);
    let x = Tensor::rand([ROWS, COLS], -4.0, 4.0, DType::F32, &mut rng);

    let mut g = c.benchmark_group("reduce");

    g.throughput(Throughput::Bytes((N + 1) * F32));
    g.bench_function("sum_all", |bench| bench.iter(|| black_box(&x).sum_all().unwrap()));
    g.bench_function("max_all", |bench| bench.iter(|| black_box(&x).max_all().unwrap()));

    g.throughput(Throughput::Bytes((N + COLS as u64) * F32));
    g.bench_function("sum_axis0", |bench| bench.iter(|| black_box(&x).sum(0, false).unwrap()));

    g.throughput(Throughput::Bytes((N + ROWS as u64) * F32));
    g.bench_function("sum_axis1", |bench| bench.iter(|| black_box(&x).sum(1, false).unwrap()));
    g.bench_function("logsumexp_axis1", |bench| {
        bench.iter(|| black_box(&x).logsumexp(1, false).unwrap())
    });

    // argmax writes one i64 per row.
    g.throughput(Throughput::Bytes(N * F32 + ROWS as u64 * 8));
    g.bench_function("argmax_axis1", |bench| {
        bench.iter(|| black_box(&x).argmax(1, false).unwrap())
    });

    g.throughput(Throughput::Bytes(2 * N * F32));
    g.bench_function("softmax_axis1", |bench| bench.iter(|| black_box(&x).softmax(1).unwrap()));
    g.finish();
}

criterion_group!(benches, reduce);
criterion_main!(benches);
