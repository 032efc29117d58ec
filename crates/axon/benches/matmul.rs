//! Matrix products in `f32`: square `n × n @ n × n` at n = 64, 256 and 1024, the first layer of a
//! 784-128-10 MLP at batch 128 (`128 × 784 @ 784 × 256`), and at n = 256 the product with a
//! transposed operand (`a.t()` on the left or `b.t()` on the right, strided views that go to
//! `gemm` without a copy). Each shape is measured three ways in one group: `axon` is
//! `Tensor::matmul` on untracked tensors (shape checks, the output allocation and the `gemm`
//! call); `gemm_alloc` is the exact call `ops::matmul` makes, zeroed output buffer included; and
//! `gemm` is the same call into a buffer allocated once, the kernel alone. Throughput is set to
//! `2·m·n·k` "elements", so criterion's `Gelem/s` reads as GFLOP/s; `axon / gemm` time is the
//! overhead of the library around the kernel.

use std::hint::black_box;

use axon::{DType, Rng, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gemm::Parallelism;

/// Row and column strides of an operand, in elements, as `gemm` takes them.
#[derive(Clone, Copy)]
struct Strides {
    rs: isize,
    cs: isize,
}

/// `dst (m × n, row-major) = lhs (m × k) · rhs (k × n)`, the call `axon::ops::matmul` makes.
fn gemm_into(dst: &mut [f32], lhs: &[f32], ls: Strides, rhs: &[f32], rs: Strides, mnk: [usize; 3]) {
    let [m, n, k] = mnk;
    assert_eq!(dst.len(), m * n);
    assert!((m - 1) as isize * ls.rs + (k - 1) as isize * ls.cs < lhs.len() as isize);
    assert!((k - 1) as isize * rs.rs + (n - 1) as isize * rs.cs < rhs.len() as isize);
    // SAFETY: the asserts above keep every element gemm reads inside `lhs` and `rhs`, and `dst`
    // holds exactly m × n elements with row stride n.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            ls.cs,
            ls.rs,
            rhs.as_ptr(),
            rs.cs,
            rs.rs,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::Rayon(0),
        );
    }
}

fn random(dims: [usize; 2], rng: &mut Rng) -> Tensor {
    Tensor::rand(dims, -1.0, 1.0, DType::F32, rng)
}

/// One bench group comparing axon with gemm on `lhs @ rhs`, where `lhs`/`rhs` may be transposed
/// views (`ta`/`tb`: the stored matrix is the transpose of the operand).
fn bench_case(c: &mut Criterion, group: &str, label: &str, mnk: [usize; 3], ta: bool, tb: bool) {
    let [m, n, k] = mnk;
    let mut rng = Rng::seed(7);
    let a_store = if ta { random([k, m], &mut rng) } else { random([m, k], &mut rng) };
    let b_store = if tb { random([n, k], &mut rng) } else { random([k, n], &mut rng) };
    let a = if ta { a_store.t().unwrap() } else { a_store.clone() };
    let b = if tb { b_store.t().unwrap() } else { b_store.clone() };
    assert_eq!(a.dims(), &[m, k]);
    assert_eq!(b.dims(), &[k, n]);
    let a_vec = a_store.to_vec::<f32>().unwrap();
    let b_vec = b_store.to_vec::<f32>().unwrap();
    // Strides of the operand as read from its storage.
    let ls = if ta { Strides { rs: 1, cs: m as isize } } else { Strides { rs: k as isize, cs: 1 } };
    let rs = if tb { Strides { rs: 1, cs: k as isize } } else { Strides { rs: n as isize, cs: 1 } };

    // The three ways agree.
    let mut dst = vec![0.0f32; m * n];
    gemm_into(&mut dst, &a_vec, ls, &b_vec, rs, mnk);
    let ours = a.matmul(&b).unwrap().to_vec::<f32>().unwrap();
    let worst = ours.iter().zip(&dst).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-3 * (k as f32).sqrt(), "axon and gemm differ by {worst}");

    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements((2 * m * n * k) as u64));
    if m * n * k >= 1 << 28 {
        g.sample_size(10);
    }
    g.bench_function(BenchmarkId::new("axon", label), |bench| {
        bench.iter(|| black_box(&a).matmul(black_box(&b)).unwrap())
    });
    g.bench_function(BenchmarkId::new("gemm_alloc", label), |bench| {
        bench.iter(|| {
            let mut out = vec![0.0f32; m * n];
            gemm_into(&mut out, black_box(&a_vec), ls, black_box(&b_vec), rs, mnk);
            out
        })
    });
    g.bench_function(BenchmarkId::new("gemm", label), |bench| {
        bench.iter(|| gemm_into(&mut dst, black_box(&a_vec), ls, black_box(&b_vec), rs, mnk))
    });
    g.finish();
}

fn square(c: &mut Criterion) {
    for n in [64, 256, 1024] {
        bench_case(c, "matmul", &format!("{n}x{n}x{n}"), [n, n, n], false, false);
    }
}

fn mlp_layer(c: &mut Criterion) {
    // (batch 128, 784) @ (784, 256): m = 128, n = 256, k = 784.
    bench_case(c, "matmul", "128x784@784x256", [128, 256, 784], false, false);
}

fn transposed(c: &mut Criterion) {
    bench_case(c, "matmul", "256_at_b", [256, 256, 256], true, false);
    bench_case(c, "matmul", "256_a_bt", [256, 256, 256], false, true);
}

criterion_group!(benches, square, mlp_layer, transposed);
criterion_main!(benches);
