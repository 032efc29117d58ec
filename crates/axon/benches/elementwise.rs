//! Elementwise kernels on one million `f32` elements (a `(1000, 1000)` tensor), untracked, so
//! only the kernel, the output allocation and the tensor bookkeeping are timed: `add`, `mul` (two
//! operands of one shape), `add_row` (a `(1000)` row broadcast over the rows, the bias add of a
//! dense layer), and the unary `exp`, `sigmoid`, `relu` and `tanh`. Throughput is the bytes read
//! plus the bytes written (8 MB for a unary op, 12 MB for a binary one, 8 MB + 4 KB for the
//! broadcast add), so criterion prints an effective memory bandwidth to set against the
//! machine's. A `memcpy` of the same 4 MB into a fresh buffer is the reference point.

use std::hint::black_box;

use axon::{DType, Rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROWS: usize = 1000;
const COLS: usize = 1000;
const N: usize = ROWS * COLS;
const F32: u64 = std::mem::size_of::<f32>() as u64;

fn elementwise(c: &mut Criterion) {
    let mut rng = Rng::seed(11);
    let a = Tensor::rand([ROWS, COLS], -4.0, 4.0, DType::F32, &mut rng);
    let b = Tensor::rand([ROWS, COLS], -4.0, 4.0, DType::F32, &mut rng);
    let row = Tensor::rand([COLS], -4.0, 4.0, DType::F32, &mut rng);
    let a_vec = a.to_vec::<f32>().unwrap();

    let mut g = c.benchmark_group("elementwise");

    g.throughput(Throughput::Bytes(2 * N as u64 * F32));
    g.bench_function("memcpy_ref", |bench| bench.iter(|| black_box(&a_vec).clone()));

    g.throughput(Throughput::Bytes(3 * N as u64 * F32));
    g.bench_function("add", |bench| bench.iter(|| black_box(&a).add(black_box(&b)).unwrap()));
    g.bench_function("mul", |bench| bench.iter(|| black_box(&a).mul(black_box(&b)).unwrap()));

    g.throughput(Throughput::Bytes((2 * N + COLS) as u64 * F32));
    g.bench_function("add_row", |bench| bench.iter(|| black_box(&a).add(black_box(&row)).unwrap()));

    g.throughput(Throughput::Bytes(2 * N as u64 * F32));
    g.bench_function("exp", |bench| bench.iter(|| black_box(&a).exp().unwrap()));
    g.bench_function("sigmoid", |bench| bench.iter(|| black_box(&a).sigmoid().unwrap()));
    g.bench_function("relu", |bench| bench.iter(|| black_box(&a).relu().unwrap()));
    g.bench_function("tanh", |bench| bench.iter(|| black_box(&a).tanh().unwrap()));
    g.finish();
}

criterion_group!(benches, elementwise);
criterion_main!(benches);
