//! The fused `ReLU → max pooling` and the blocked convolution against their unfused definitions:
//!
//! - `x.relu_max_pool2d(..)` gives exactly `x.relu()?.max_pool2d(..)` (NaN included) and the same
//!   gradient, and its gradient matches central finite differences (inputs kept 0.005 away from
//!   the ReLU's kink and 0.01 apart, as in tests/conv.rs);
//! - `x.conv2d_relu_max_pool2d(w, b, args)` gives exactly `x.conv2d(w, b, args)?.relu()?
//!   .max_pool2d(2, 2, 0)` and the same gradients (odd sizes, several blocks and groups, with and
//!   without bias), and its gradients match central finite differences;
//! - a [`Sequential`] fuses `Conv2d, ReLU, MaxPool2d(2)` (the graph records
//!   `conv2d_relu_max_pool2d`), and 50 Adam steps of the CNN of `axon train --model cnn`
//!   (smaller) follow the same loss curve fused and unfused to 1e-6, over a batch of several
//!   convolution blocks;
//! - two runs with the same seed (and the same threads) give bit-identical losses and weights.

use axon::nn::{loss, Architecture, Module, Reduction, Sequential};
use axon::optim::{Adam, AdamConfig, Optimizer};
use axon::{gradcheck, Conv2dArgs, DType, Rng, Shape, Tensor};

/// Distinct values 0.01 apart, half of them negative, none within 0.005 of zero, in random order.
fn distinct(shape: impl Into<Shape>, seed: u64) -> Tensor {
    let shape = shape.into();
    let half = (shape.numel() / 2) as f64;
    let mut values: Vec<f64> =
        (0..shape.numel()).map(|i| (i as f64 - half) * 0.01 + 0.005).collect();
    Rng::seed(seed).shuffle(&mut values);
    Tensor::from_vec(values, shape).unwrap()
}

/// `(input shape, kernel, stride, padding)` of the checked poolings.
const POOLS: [([usize; 4], usize, usize, usize); 4] = [
    ([2, 3, 6, 6], 2, 2, 0),
    ([2, 2, 7, 6], 3, 2, 1),
    ([1, 2, 5, 5], 3, 1, 0),
    ([2, 2, 5, 5], 2, 2, 0),
];

#[test]
fn relu_max_pool2d_equals_relu_then_max_pool2d() {
    let mut zeros = 0;
    for (i, &(shape, k, s, p)) in POOLS.iter().enumerate() {
        for dtype in [DType::F64, DType::F32] {
            let x = distinct(shape, 90 + i as u64).to_dtype(dtype).unwrap().requires_grad();
            let fused = x.relu_max_pool2d(k, s, p).unwrap();
            let plain = x.relu().unwrap().max_pool2d(k, s, p).unwrap();
            assert_eq!(fused.to_f64_vec(), plain.to_f64_vec(), "{shape:?} {k} {s} {p}");
            let values = fused.to_f64_vec();
            assert!(values.iter().any(|&v| v > 0.0));
            zeros += values.iter().filter(|&&v| v == 0.0).count();
            let gy = Tensor::rand(fused.dims().to_vec(), -1.0, 1.0, dtype, &mut Rng::seed(5));
            let gf = fused.backward_with(&gy).unwrap().get(&x).unwrap().to_f64_vec();
            let gp = plain.backward_with(&gy).unwrap().get(&x).unwrap().to_f64_vec();
            assert_eq!(gf, gp, "gradient of {shape:?} {k} {s} {p}");
        }
    }
    assert!(zeros > 0, "no window was cut by the ReLU");
    // NaN stays NaN (ReLU keeps it, max pooling picks it) and passes no gradient.
    let x = Tensor::from_vec(vec![f32::NAN, -1.0, 2.0, 0.5], [1, 1, 2, 2]).unwrap().requires_grad();
    let y = x.relu_max_pool2d(2, 2, 0).unwrap();
    assert!(y.to_vec::<f32>().unwrap()[0].is_nan());
    let g = y.backward_with(&y.ones_like()).unwrap().get(&x).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(g, [0.0; 4]);
}

#[test]
fn relu_max_pool2d_gradients_match_finite_differences() {
    for (i, &(shape, k, s, p)) in POOLS.iter().enumerate() {
        let x = distinct(shape, 100 + i as u64);
        let report = gradcheck(|t| t[0].relu_max_pool2d(k, s, p), &[x], 1e-6).unwrap();
        assert!(report.is_close(1e-7, 1e-5), "{shape:?}: {report}");
        let g = &report.analytic[0];
        assert!(g.iter().any(|&v| v != 0.0), "{shape:?}");
    }
}

/// `(input shape, output channels, kernel, stride, padding)` of the checked fused convolutions:
/// odd and even outputs, a pointwise kernel, a stride, (the first) a batch of several blocks of
/// `BLOCK_COLUMNS` output pixels, split over the threads, and (the last) pooled rows of more
/// than 16 windows, more than one vector of `f32` lanes.
const CONVS: [([usize; 4], usize, usize, usize, usize); 6] = [
    ([40, 2, 9, 9], 3, 3, 1, 1),
    ([3, 3, 6, 7], 4, 3, 1, 0),
    ([2, 2, 8, 8], 3, 1, 1, 0),
    ([2, 1, 11, 10], 2, 3, 2, 1),
    ([1, 2, 4, 4], 2, 3, 1, 1),
    ([1, 2, 4, 37], 3, 3, 1, 1),
];

/// The fused convolution, ReLU and 2×2 max pooling against the three ops, values and
/// gradients bit for bit, with and without bias, in both float types.
#[test]
fn conv2d_relu_max_pool2d_equals_the_three_ops() {
    let (mut positive, mut cut) = (0, 0);
    for (i, &(shape, o, k, s, p)) in CONVS.iter().enumerate() {
        for (dtype, with_bias) in [(DType::F64, true), (DType::F32, true), (DType::F32, false)] {
            let mut rng = Rng::seed(30 + i as u64);
            let x = Tensor::rand(shape.to_vec(), -1.0, 1.0, dtype, &mut rng).requires_grad();
            let w = Tensor::rand([o, shape[1], k, k], -0.5, 0.5, dtype, &mut rng).requires_grad();
            let b = Tensor::rand([o], -0.3, 0.3, dtype, &mut rng).requires_grad();
            let b = with_bias.then_some(&b);
            let args = Conv2dArgs::new(s, p, 1);
            let fused = x.conv2d_relu_max_pool2d(&w, b, args).unwrap();
            let plain = x.conv2d(&w, b, args).unwrap().relu_max_pool2d(2, 2, 0).unwrap();
            let case = format!("{shape:?} O={o} k={k} s={s} p={p} {dtype:?} bias {with_bias}");
            assert_eq!(fused.dims(), plain.dims(), "{case}");
            let values = fused.to_f64_vec();
            assert_eq!(values, plain.to_f64_vec(), "{case}");
            positive += values.iter().filter(|&&v| v > 0.0).count();
            cut += values.iter().filter(|&&v| v == 0.0).count();
            let gy = Tensor::rand(fused.dims().to_vec(), -1.0, 1.0, dtype, &mut rng);
            let (gf, gp) = (fused.backward_with(&gy).unwrap(), plain.backward_with(&gy).unwrap());
            for t in [Some(&x), Some(&w), b].into_iter().flatten() {
                let (a, e) = (gf.get(t).unwrap().to_f64_vec(), gp.get(t).unwrap().to_f64_vec());
                assert!(a.iter().any(|&v| v != 0.0), "{case}: a zero gradient");
                assert_eq!(a, e, "{case}: gradient of {:?}", t.dims());
            }
        }
    }
    assert!(positive > 0 && cut > 0, "{positive} positive windows, {cut} cut by the ReLU");
    // A convolution output under 2×2 cannot be pooled: an error, not a panic.
    let x = Tensor::ones([1, 1, 3, 3], DType::F32);
    let w = Tensor::ones([1, 1, 3, 3], DType::F32);
    let err = x.conv2d_relu_max_pool2d(&w, None, Conv2dArgs::new(1, 0, 1)).unwrap_err();
    assert!(err.to_string().contains("2×2"), "{err}");
}

#[test]
fn conv2d_relu_max_pool2d_gradients_match_finite_differences() {
    for (i, &(shape, o, k, s, p)) in CONVS.iter().enumerate().skip(1) {
        let mut rng = Rng::seed(60 + i as u64);
        let x = Tensor::rand(shape.to_vec(), -1.0, 1.0, DType::F64, &mut rng);
        let w = Tensor::rand([o, shape[1], k, k], -0.5, 0.5, DType::F64, &mut rng);
        let b = Tensor::rand([o], -0.3, 0.3, DType::F64, &mut rng);
        let args = Conv2dArgs::new(s, p, 1);
        let f = |t: &[Tensor]| t[0].conv2d_relu_max_pool2d(&t[1], Some(&t[2]), args);
        let report = gradcheck(f, &[x, w, b], 1e-6).unwrap();
        assert!(report.is_close(1e-7, 1e-5), "{shape:?}: {report}");
        for g in &report.analytic {
            assert!(g.iter().any(|&v| v != 0.0), "{shape:?}: a zero gradient");
        }
    }
}

/// A small `--model cnn` network (12×12 images, 4 and 8 channels, dense 16, 3 classes).
fn cnn(fuse: bool) -> Sequential {
    let arch = Architecture::Cnn { height: 12, width: 12, channels: [4, 8], dense: 16, classes: 3 };
    let mut net = arch.build(&mut Rng::seed(0)).unwrap();
    net.set_fusion(fuse);
    net
}

/// 50 Adam steps on a fixed batch of 64 images (several convolution blocks): the losses and the
/// final parameters, and the graph of the first step in DOT.
fn train(fuse: bool) -> (Vec<f64>, Vec<f64>, String) {
    let net = cnn(fuse);
    let mut rng = Rng::seed(1);
    let x = Tensor::rand([64, 1, 12, 12], 0.0, 1.0, DType::F32, &mut rng);
    let labels: Vec<i64> = (0..64).map(|i| (i * 7 % 3) as i64).collect();
    let y = Tensor::from_vec(labels, [64]).unwrap();
    let mut opt = Adam::new(net.params(), AdamConfig { lr: 1e-3, ..Default::default() }).unwrap();
    let (mut losses, mut dot) = (Vec::new(), String::new());
    for step in 0..50 {
        let logits = net.forward(&x).unwrap();
        let loss = loss::cross_entropy(&logits, &y, None, Reduction::Mean).unwrap();
        if step == 0 {
            dot = loss.to_dot(&[]);
        }
        losses.push(loss.to_f64_vec()[0]);
        opt.step(&loss.backward().unwrap()).unwrap();
    }
    let params = net.params().iter().flat_map(|p| p.value().to_f64_vec()).collect();
    (losses, params, dot)
}

#[test]
fn fused_and_unfused_cnns_train_alike_and_runs_repeat_bit_for_bit() {
    let (fused, fused_params, fused_dot) = train(true);
    let (plain, plain_params, plain_dot) = train(false);
    assert!(fused_dot.contains("conv2d_relu_max_pool2d"), "no fused pooling in\n{fused_dot}");
    assert!(!plain_dot.contains("relu_max_pool2d"), "fused pooling in\n{plain_dot}");
    assert!(fused[49] < fused[0] - 0.01, "the loss went from {} to {}", fused[0], fused[49]);
    for (step, (a, b)) in fused.iter().zip(&plain).enumerate() {
        assert!((a - b).abs() <= 1e-6, "step {step}: fused loss {a}, unfused {b}");
    }
    for (a, b) in fused_params.iter().zip(&plain_params) {
        assert!((a - b).abs() <= 1e-6, "final parameter: fused {a}, unfused {b}");
    }
    let (again, again_params, _) = train(true);
    assert_eq!(fused, again, "a second run with the same seed gave other losses");
    assert_eq!(fused_params, again_params, "a second run with the same seed gave other weights");
}

/// 2×2 max pooling (the unrolled fast path), plain and fused with the ReLU, on values with many
/// ties and odd widths (one of more than 16 windows a row, more than one vector of `f32` lanes):
/// each window's output and gradient go to its first maximum in raster order (none for a fused
/// window whose maximum is not positive), as a direct loop finds it.
#[test]
fn max_pool_2x2_breaks_ties_in_raster_order() {
    for [h, w] in [[6, 7], [4, 37]] {
        pool_2x2_ties(h, w);
    }
}

/// [`max_pool_2x2_breaks_ties_in_raster_order`] on `(2, 3, h, w)`.
fn pool_2x2_ties(h: usize, w: usize) {
    let shape = [2, 3, h, w];
    let mut rng = Rng::seed(11);
    let values: Vec<f64> = (0..2 * 3 * h * w).map(|_| (rng.below(4) as f64) - 1.0).collect();
    let gy_len = 2 * 3 * (h / 2) * (w / 2);
    let gy_values: Vec<f64> = (0..gy_len).map(|i| 1.0 + i as f64).collect();
    for relu in [false, true] {
        let (mut want_y, mut want_g) = (Vec::new(), vec![0.0; values.len()]);
        for plane in 0..6 {
            for i in 0..h / 2 {
                for j in 0..w / 2 {
                    let at = |p: usize, q: usize| plane * h * w + (2 * i + p) * w + 2 * j + q;
                    let mut best = at(0, 0);
                    for k in [at(0, 1), at(1, 0), at(1, 1)] {
                        if values[k] > values[best] {
                            best = k;
                        }
                    }
                    let out = want_y.len();
                    let live = !relu || values[best] > 0.0;
                    want_y.push(if live { values[best] } else { 0.0 });
                    if live {
                        want_g[best] += gy_values[out];
                    }
                }
            }
        }
        for dtype in [DType::F64, DType::F32] {
            let x = Tensor::from_vec(values.clone(), shape).unwrap();
            let x = x.to_dtype(dtype).unwrap().requires_grad();
            let y = if relu { x.relu_max_pool2d(2, 2, 0) } else { x.max_pool2d(2, 2, 0) };
            let y = y.unwrap();
            assert_eq!(y.to_f64_vec(), want_y, "relu {relu} {dtype:?}");
            let gy = Tensor::from_vec(gy_values.clone(), y.dims().to_vec()).unwrap();
            let gy = gy.to_dtype(dtype).unwrap();
            let g = y.backward_with(&gy).unwrap().get(&x).unwrap().to_f64_vec();
            assert_eq!(g, want_g, "gradient, relu {relu} {dtype:?}");
        }
    }
}
