//! The fast paths of a training step give the same numbers as the plain formulas they replace:
//!
//! - the gradient of `Linear`'s weight (taken through the transposed view `Wᵀ` of `x Wᵀ`) is
//!   computed as `(Gᵀ X)` in `W`'s own layout: contiguous, and equal to `Gᵀ X` computed directly;
//! - a convolution whose weight is tracked keeps its im2col matrices for the weight gradient,
//!   which must equal the kernel that rebuilds them, for padded, strided and dilated cases;
//! - Adam and SGD keep `f32` state for `f32` parameters (the exported state is exactly `f32`
//!   values) and reuse the previous value buffer: many steps in a row, with the old graphs
//!   dropped or still alive, give the same iterates as an `f64` run rounded to `f32` tolerance;
//! - matrix products large enough to be split across threads (by rows or by columns) equal the
//!   textbook triple loop.

use axon::nn::{Linear, Module, Param};
use axon::ops::conv::{self, ConvGeometry};
use axon::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use axon::{Conv2dArgs, DType, Rng, Tensor};

#[test]
fn linear_weight_gradient_is_contiguous_and_exact() {
    let mut rng = Rng::seed(3);
    let layer = Linear::new(5, 4, true, DType::F64, &mut rng).unwrap();
    let x = Tensor::rand([6, 5], -1.0, 1.0, DType::F64, &mut rng);
    let target = Tensor::rand([6, 4], -1.0, 1.0, DType::F64, &mut rng);
    let y = layer.forward(&x).unwrap();
    let grads = y.mul(&target).unwrap().sum_all().unwrap().backward().unwrap();
    let gw = layer.weight().grad(&grads).unwrap();
    assert!(gw.is_contiguous(), "the weight gradient needs no copy in the optimizer");
    // ∂/∂W Σ (x Wᵀ + b) ∘ T = Tᵀ x.
    let expected = target.t().unwrap().matmul(&x).unwrap().to_vec::<f64>().unwrap();
    for (a, b) in gw.to_vec::<f64>().unwrap().iter().zip(&expected) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

fn conv_case(x: [usize; 4], o: usize, k: usize, args: Conv2dArgs) {
    let mut rng = Rng::seed(7);
    let input = Tensor::rand(x, -1.0, 1.0, DType::F64, &mut rng);
    let w = Tensor::rand([o, x[1], k, k], -1.0, 1.0, DType::F64, &mut rng).requires_grad();
    let y = input.conv2d(&w, None, args).unwrap();
    let gy = Tensor::rand(y.dims().to_vec(), -1.0, 1.0, DType::F64, &mut rng);
    let kept = y.backward_with(&gy).unwrap().get(&w).unwrap().to_vec::<f64>().unwrap();
    let d = y.dims();
    let g = ConvGeometry {
        batch: x[0],
        in_channels: x[1],
        input: [x[2], x[3]],
        out_channels: o,
        kernel: [k, k],
        stride: args.stride,
        padding: args.padding,
        dilation: args.dilation,
        output: [d[2], d[3]],
    };
    let (xs, gys) = (input.to_vec::<f64>().unwrap(), gy.to_vec::<f64>().unwrap());
    let rebuilt = conv::conv2d_backward_weight(&g, &gys, &xs, None);
    assert_eq!(kept.len(), rebuilt.len());
    for (a, b) in kept.iter().zip(&rebuilt) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b} for {x:?} {args:?}");
    }
}

#[test]
fn conv_weight_gradient_from_kept_columns_matches_rebuilt_columns() {
    conv_case([3, 2, 6, 5], 4, 3, Conv2dArgs::new(1, 1, 1));
    conv_case([2, 3, 7, 7], 2, 3, Conv2dArgs::new(2, 0, 1));
    conv_case([2, 1, 9, 8], 3, 2, Conv2dArgs::new(1, 2, 2));
    conv_case([4, 3, 4, 4], 5, 1, Conv2dArgs::new(1, 0, 1)); // pointwise: no columns kept
    conv_case([25, 2, 12, 12], 3, 3, Conv2dArgs::new(1, 1, 1)); // blocks of 11, 11 and 3
}

/// Five updates of `w` under `L = ½ Σ a_i w_i²` with a large parameter (rayon-split), in
/// `dtype`; `keep` holds every step's loss and value, which must never change (tensors are
/// immutable, so a recycled buffer must be one nothing else references).
fn run(
    dtype: DType,
    opt: &mut dyn FnMut(Vec<Param>) -> Box<dyn Optimizer>,
    keep: bool,
) -> Vec<f64> {
    let n = 70_000;
    let w0: Vec<f64> = (0..n).map(|i| ((i % 97) as f64 - 48.0) / 50.0).collect();
    let a: Vec<f64> = (0..n).map(|i| 0.5 + (i % 13) as f64 / 10.0).collect();
    let p = Param::new("w", Tensor::from_vec(w0, [n]).unwrap().to_dtype(dtype).unwrap());
    let a = Tensor::from_vec(a, [n]).unwrap().to_dtype(dtype).unwrap();
    let mut o = opt(vec![p.clone()]);
    let mut graphs = Vec::new();
    for _ in 0..5 {
        let w = p.value();
        let loss = w.square().unwrap().mul(&a).unwrap().sum_all().unwrap().mul_scalar(0.5).unwrap();
        o.step(&loss.backward().unwrap()).unwrap();
        if keep {
            let snapshot = w.to_f64_vec();
            graphs.push((loss, w, snapshot));
        }
    }
    for (_, w, snapshot) in &graphs {
        assert_eq!(&w.to_f64_vec(), snapshot, "an old value still referenced was overwritten");
    }
    if dtype == DType::F32 {
        for (name, values) in o.state() {
            let exact = values.iter().all(|&v| f64::from(v as f32) == v);
            assert!(exact, "state {name} of an f32 parameter holds f32 values");
        }
    }
    p.value().to_f64_vec()
}

#[test]
fn f32_optimizers_follow_the_f64_iterates() {
    type Make = Box<dyn FnMut(Vec<Param>) -> Box<dyn Optimizer>>;
    let makers: Vec<Make> = vec![
        Box::new(|p| {
            Box::new(Adam::new(p, AdamConfig { lr: 0.05, ..Default::default() }).unwrap())
        }),
        Box::new(|p| {
            let config = SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..Default::default() };
            Box::new(Sgd::new(p, config).unwrap())
        }),
        Box::new(|p| Box::new(Sgd::new(p, SgdConfig { lr: 0.1, ..Default::default() }).unwrap())),
    ];
    for mut make in makers {
        let exact = run(DType::F64, &mut make, false);
        for keep in [false, true] {
            let single = run(DType::F32, &mut make, keep);
            for (a, b) in single.iter().zip(&exact) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b} (graphs kept: {keep})");
            }
        }
    }
}

/// `a (m × k) · b (k × n)` by the definition, in `f64`.
fn naive(a: &[f64], b: &[f64], [m, n, k]: [usize; 3]) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
        }
    }
    c
}

#[test]
fn large_products_split_across_threads_match_the_definition() {
    let mut rng = Rng::seed(11);
    // Wide (split by columns), tall (split by rows), and tall with a transposed operand.
    for (m, n, k, transposed) in
        [(64, 300, 200, false), (300, 70, 160, false), (250, 64, 150, true)]
    {
        let a = Tensor::rand([m, k], -1.0, 1.0, DType::F64, &mut rng);
        let b = match transposed {
            true => Tensor::rand([n, k], -1.0, 1.0, DType::F64, &mut rng).t().unwrap(),
            false => Tensor::rand([k, n], -1.0, 1.0, DType::F64, &mut rng),
        };
        let c = a.matmul(&b).unwrap().to_vec::<f64>().unwrap();
        let (av, bv) = (a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
        for (x, y) in c.iter().zip(naive(&av, &bv, [m, n, k])) {
            assert!((x - y).abs() < 1e-10, "{x} vs {y} at {m}x{n}x{k}");
        }
    }
}
