//! Convolution and pooling in `f32` at the sizes of a small Fashion-MNIST CNN, batch 128:
//!
//! - `conv1`: input `(128, 1, 28, 28)`, 32 filters `3×3`, padding 1 (the first layer: the input is
//!   data, so the backward pass computes the weight and bias gradients only);
//! - `conv2`: input `(128, 32, 14, 14)`, 64 filters `3×3`, padding 1 (a hidden layer: the input
//!   gradient is computed too);
//! - `max_pool2d` `2×2`, stride 2, on `(128, 32, 28, 28)`;
//! - the CNN's fused layers (`axon train --model cnn`): `conv2d_relu_max_pool2d` at `conv1`'s and
//!   `conv2`'s sizes, whose epilogue pools rows of 14 and 7 windows (the 2×2 kernels of
//!   `ops/pool_simd.rs` on AVX-512 or AVX2), and `relu_max_pool2d` alone on their outputs
//!   `(128, 32, 28, 28)` and `(128, 64, 14, 14)`, whose forward pass is that kernel without the
//!   product.
//!
//! `forward` times the op on tracked parameters (the graph is recorded); `forward_backward` adds
//! `backward_with(ones)`, so the difference is the backward pass. Throughput for the convolutions
//! is the forward FLOP count `2·N·O·H_out·W_out·C·kH·kW`, so `Gelem/s` reads as forward GFLOP/s.

use std::hint::black_box;

use axon::{Conv2dArgs, DType, Rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// `conv2d` (or with `fused`, `conv2d_relu_max_pool2d`) of `x` by `out` filters `3×3`, padding 1.
fn conv_case(
    c: &mut Criterion,
    name: &str,
    (x, out): ([usize; 4], usize),
    input_grad: bool,
    fused: bool,
) {
    let mut rng = Rng::seed(1);
    let input = Tensor::rand(x, 0.0, 1.0, DType::F32, &mut rng);
    let input = if input_grad { input.requires_grad() } else { input };
    let bound = 1.0 / ((x[1] * 9) as f64).sqrt();
    let w = Tensor::rand([out, x[1], 3, 3], -bound, bound, DType::F32, &mut rng).requires_grad();
    let b = Tensor::zeros(out, DType::F32).requires_grad();
    let args = Conv2dArgs::new(1, 1, 1);
    let run = |x: &Tensor| match fused {
        true => x.conv2d_relu_max_pool2d(&w, Some(&b), args).unwrap(),
        false => x.conv2d(&w, Some(&b), args).unwrap(),
    };
    let ones = run(&input).ones_like();
    let flops = 2 * x[0] * out * x[2] * x[3] * x[1] * 9;

    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(flops as u64));
    g.sample_size(10);
    g.bench_function("forward", |bench| bench.iter(|| run(black_box(&input))));
    g.bench_function("forward_backward", |bench| {
        bench.iter(|| run(black_box(&input)).backward_with(&ones).unwrap())
    });
    g.finish();
}

fn conv(c: &mut Criterion) {
    conv_case(c, "conv1_128x1x28x28_32x3x3", ([128, 1, 28, 28], 32), false, false);
    conv_case(c, "conv2_128x32x14x14_64x3x3", ([128, 32, 14, 14], 64), true, false);
    conv_case(c, "conv1_relu_max_pool_128x1x28x28_32x3x3", ([128, 1, 28, 28], 32), false, true);
    conv_case(c, "conv2_relu_max_pool_128x32x14x14_64x3x3", ([128, 32, 14, 14], 64), true, true);
}

/// `relu_max_pool2d` `2×2` alone on the CNN's convolution outputs: the fused epilogue's kernel.
fn relu_max_pool(c: &mut Criterion) {
    for shape in [[128, 32, 28, 28], [128, 64, 14, 14]] {
        let x = Tensor::rand(shape, -1.0, 1.0, DType::F32, &mut Rng::seed(3));
        let [n, ch, h, w] = shape;
        let mut g = c.benchmark_group(format!("relu_max_pool2d_{n}x{ch}x{h}x{w}_2x2"));
        g.throughput(Throughput::Elements(x.numel() as u64));
        g.sample_size(20);
        g.bench_function("forward", |bench| {
            bench.iter(|| black_box(&x).relu_max_pool2d(2, 2, 0).unwrap())
        });
        g.finish();
    }
}

fn max_pool(c: &mut Criterion) {
    let x =
        Tensor::rand([128, 32, 28, 28], -1.0, 1.0, DType::F32, &mut Rng::seed(2)).requires_grad();
    let ones = x.max_pool2d(2, 2, 0).unwrap().ones_like();
    let mut g = c.benchmark_group("max_pool2d_128x32x28x28_2x2");
    g.throughput(Throughput::Elements(x.numel() as u64));
    g.sample_size(10);
    g.bench_function("forward", |bench| bench.iter(|| black_box(&x).max_pool2d(2, 2, 0).unwrap()));
    g.bench_function("forward_backward", |bench| {
        bench.iter(|| black_box(&x).max_pool2d(2, 2, 0).unwrap().backward_with(&ones).unwrap())
    });
    g.finish();
}

criterion_group!(benches, conv, max_pool, relu_max_pool);
criterion_main!(benches);
