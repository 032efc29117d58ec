//! Convolution and pooling: forward values against direct loops written here (the definitions, no
//! im2col), gradients against central finite differences through [`axon::gradcheck`] in `f64`
//! for stride 2, padding 1, dilation 2, non-square kernels and strides, batches above one, with
//! and without bias, and the shape and argument errors.
//!
//! Tolerances as in tests/gradcheck.rs: `ε = 1e-6`, `|analytic − numeric| ≤ 1e-7 + 1e-5 |numeric|`.
//! Max pooling is checked at inputs whose values are at least 0.01 apart, so no finite-difference
//! step changes which element is the maximum.

use axon::{gradcheck, Conv2dArgs, DType, Error, Result, Rng, Shape, Tensor};

const EPS: f64 = 1e-6;
const ATOL: f64 = 1e-7;
const RTOL: f64 = 1e-5;

fn rand(shape: impl Into<Shape>, seed: u64) -> Tensor {
    Tensor::rand(shape, -1.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

/// Distinct values, at least 0.01 apart, in random order: no ties for max pooling.
fn distinct(shape: impl Into<Shape>, seed: u64) -> Tensor {
    let shape = shape.into();
    let mut values: Vec<f64> = (0..shape.numel()).map(|i| i as f64 * 0.01 - 0.3).collect();
    Rng::seed(seed).shuffle(&mut values);
    Tensor::from_vec(values, shape).unwrap()
}

fn check(name: &str, f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Tensor]) {
    let report = gradcheck(f, inputs, EPS).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!("gradcheck {name}: {report}");
    assert!(report.is_close(ATOL, RTOL), "{name}: {report}");
    assert!(report.analytic.iter().map(Vec::len).sum::<usize>() > 0, "{name}: nothing checked");
    // A gradient that is zero everywhere would pass trivially against a constant function.
    assert!(report.analytic.iter().all(|g| g.iter().any(|v| v.abs() > 1e-3)), "{name}: zero grad");
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

/// The definition: `y[n,o,i,j] = b[o] + Σ w[o,c,p,q] x[n,c,i·s+p·d−pad, j·s+q·d−pad]`, zero
/// outside the input. Returns the values and the output shape.
fn naive_conv(x: &Tensor, w: &Tensor, b: Option<&Tensor>, a: Conv2dArgs) -> (Vec<f64>, [usize; 4]) {
    let (xv, wv) = (x.to_f64_vec(), w.to_f64_vec());
    let bv = b.map(|b| b.to_f64_vec());
    let (xd, wd) = (x.dims(), w.dims());
    let (n, c, h, wi, o, kh, kw) = (xd[0], xd[1], xd[2], xd[3], wd[0], wd[2], wd[3]);
    let out = |size: usize, k: usize, ax: usize| {
        (size + 2 * a.padding[ax] - a.dilation[ax] * (k - 1) - 1) / a.stride[ax] + 1
    };
    let (ho, wo) = (out(h, kh, 0), out(wi, kw, 1));
    let mut y = Vec::with_capacity(n * o * ho * wo);
    for (ni, oi, i, j) in itertools(n, o, ho, wo) {
        let mut acc = bv.as_ref().map_or(0.0, |b| b[oi]);
        for ci in 0..c {
            for p in 0..kh {
                for q in 0..kw {
                    let r = (i * a.stride[0] + p * a.dilation[0]) as isize - a.padding[0] as isize;
                    let s = (j * a.stride[1] + q * a.dilation[1]) as isize - a.padding[1] as isize;
                    if r < 0 || s < 0 || r >= h as isize || s >= wi as isize {
                        continue;
                    }
                    let xi = ((ni * c + ci) * h + r as usize) * wi + s as usize;
                    acc += wv[((oi * c + ci) * kh + p) * kw + q] * xv[xi];
                }
            }
        }
        y.push(acc);
    }
    (y, [n, o, ho, wo])
}

/// All `(a, b, c, d)` in row-major order.
fn itertools(a: usize, b: usize, c: usize, d: usize) -> Vec<(usize, usize, usize, usize)> {
    let mut v = Vec::new();
    for i in 0..a {
        for j in 0..b {
            for k in 0..c {
                for l in 0..d {
                    v.push((i, j, k, l));
                }
            }
        }
    }
    v
}

/// Max or average over each window (padding excluded from the max, counted in the average).
fn naive_pool(x: &Tensor, k: [usize; 2], s: [usize; 2], p: [usize; 2], max: bool) -> Vec<f64> {
    let xv = x.to_f64_vec();
    let d = x.dims();
    let (h, w) = (d[2], d[3]);
    let (ho, wo) = ((h + 2 * p[0] - k[0]) / s[0] + 1, (w + 2 * p[1] - k[1]) / s[1] + 1);
    let mut y = Vec::new();
    for (n, c, i, j) in itertools(d[0], d[1], ho, wo) {
        let mut window = Vec::new();
        for r in 0..k[0] {
            for q in 0..k[1] {
                let (rr, qq) = ((i * s[0] + r) as isize - p[0] as isize, (j * s[1] + q) as isize);
                let qq = qq - p[1] as isize;
                if rr >= 0 && qq >= 0 && rr < h as isize && qq < w as isize {
                    window.push(xv[((n * d[1] + c) * h + rr as usize) * w + qq as usize]);
                }
            }
        }
        y.push(if max {
            window.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        } else {
            window.iter().sum::<f64>() / (k[0] * k[1]) as f64
        });
    }
    y
}

/// `(name, input shape, weight shape, args, bias)` of a checked convolution.
type ConvCase = (&'static str, [usize; 4], [usize; 4], Conv2dArgs, bool);

fn conv_cases() -> Vec<ConvCase> {
    vec![
        ("plain 3x3, bias", [2, 2, 5, 6], [3, 2, 3, 3], Conv2dArgs::default(), true),
        ("stride 2, no bias", [2, 2, 7, 6], [3, 2, 3, 3], Conv2dArgs::new(2, 0, 1), false),
        ("padding 1, bias", [2, 3, 5, 5], [2, 3, 3, 3], Conv2dArgs::new(1, 1, 1), true),
        ("dilation 2, bias", [2, 2, 7, 7], [2, 2, 3, 3], Conv2dArgs::new(1, 1, 2), true),
        // Same-width outputs at stride 1: im2col and col2im take each row as one run.
        ("5x5 padding 2, same width", [2, 2, 6, 7], [2, 2, 5, 5], Conv2dArgs::new(1, 2, 1), true),
        (
            "dilation 2 padding 2, same width",
            [2, 2, 6, 6],
            [2, 2, 3, 3],
            Conv2dArgs::new(1, 2, 2),
            false,
        ),
        ("non-square 2x3 kernel", [3, 2, 6, 5], [2, 2, 2, 3], Conv2dArgs::new(1, [1, 0], 1), true),
        (
            "per-axis stride, padding, dilation",
            [2, 2, 8, 7],
            [3, 2, 3, 2],
            Conv2dArgs::new([2, 1], [1, 2], [1, 2]),
            false,
        ),
        ("1x1 pointwise", [2, 4, 3, 5], [3, 4, 1, 1], Conv2dArgs::default(), true),
        ("batch 1, stride 2 padding 2", [1, 2, 6, 6], [2, 2, 3, 3], Conv2dArgs::new(2, 2, 1), true),
        ("kernel = input, padding 0", [2, 1, 3, 4], [2, 1, 3, 4], Conv2dArgs::default(), true),
    ]
}

#[test]
fn conv2d_forward_matches_direct_loops() {
    for (i, (name, xs, ws, args, bias)) in conv_cases().into_iter().enumerate() {
        let (x, w) = (rand(xs, 10 + i as u64), rand(ws, 20 + i as u64));
        let b = bias.then(|| rand(ws[0], 30 + i as u64));
        let (want, shape) = naive_conv(&x, &w, b.as_ref(), args);
        let y = x.conv2d(&w, b.as_ref(), args).unwrap();
        assert_eq!(y.dims(), shape, "{name}");
        assert_close(&y.to_f64_vec(), &want, 1e-12, name);
        // The same in f32.
        let f = |t: &Tensor| t.to_dtype(DType::F32).unwrap();
        let y32 = f(&x).conv2d(&f(&w), b.as_ref().map(f).as_ref(), args).unwrap();
        assert_eq!(y32.dtype(), DType::F32);
        assert_close(&y32.to_f64_vec(), &want, 1e-5, name);
    }
}

#[test]
fn conv2d_output_size_is_pytorchs() {
    // H_out = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1: (28 + 2 − 2 − 1)/1 + 1 = 28; (28 + 0 − 4 − 1)/2 + 1 = 12.
    let x = Tensor::zeros([1, 1, 28, 28], DType::F32);
    let y = x.conv2d(&Tensor::zeros([4, 1, 3, 3], DType::F32), None, Conv2dArgs::new(1, 1, 1));
    assert_eq!(y.unwrap().dims(), [1, 4, 28, 28]);
    let y = x.conv2d(&Tensor::zeros([4, 1, 3, 3], DType::F32), None, Conv2dArgs::new(2, 0, 2));
    assert_eq!(y.unwrap().dims(), [1, 4, 12, 12]);
}

#[test]
fn conv2d_gradients_match_finite_differences() {
    for (i, (name, xs, ws, args, bias)) in conv_cases().into_iter().enumerate() {
        let mut inputs = vec![rand(xs, 40 + i as u64), rand(ws, 50 + i as u64)];
        if bias {
            inputs.push(rand(ws[0], 60 + i as u64));
        }
        check(name, |t| t[0].conv2d(&t[1], t.get(2), args), &inputs);
    }
}

#[test]
fn conv2d_of_a_strided_view_equals_conv2d_of_its_copy() {
    // (N, H, W, C) permuted to (N, C, H, W): not contiguous.
    let nhwc = rand([2, 5, 6, 3], 1);
    let x = nhwc.permute(&[0, 3, 1, 2]).unwrap();
    assert!(!x.is_contiguous());
    let w = rand([4, 3, 3, 3], 2);
    let args = Conv2dArgs::new(1, 1, 1);
    let y = x.conv2d(&w, None, args).unwrap();
    let (want, _) = naive_conv(&x.contiguous(), &w, None, args);
    assert_close(&y.to_f64_vec(), &want, 1e-12, "permuted input");
    check(
        "conv2d of a permuted view",
        |t| t[0].permute(&[0, 3, 1, 2])?.conv2d(&t[1], None, args),
        &[nhwc, w],
    );
}

#[test]
fn conv2d_f32_gradients_agree_with_f64_on_a_larger_batch() {
    // Batch 16 takes the threaded path; f32 and f64 gradients agree to f32 precision.
    let (x, w, b) = (rand([16, 3, 12, 10], 3), rand([8, 3, 3, 3], 4), rand(8, 5));
    let args = Conv2dArgs::new(2, 1, 1);
    let grads = |dt: DType| {
        let leaf = |t: &Tensor| t.to_dtype(dt).unwrap().requires_grad();
        let (x, w, b) = (leaf(&x), leaf(&w), leaf(&b));
        let y = x.conv2d(&w, Some(&b), args).unwrap();
        let weights = rand(y.shape(), 6).to_dtype(dt).unwrap();
        let g = y.mul(&weights).unwrap().sum_all().unwrap().backward().unwrap();
        [&x, &w, &b].map(|t| g.get(t).unwrap().to_f64_vec())
    };
    let (g32, g64) = (grads(DType::F32), grads(DType::F64));
    for (what, (a, b)) in ["input", "weight", "bias"].iter().zip(g32.iter().zip(&g64)) {
        assert_close(a, b, 1e-4, what);
    }
}

#[test]
fn conv2d_over_several_blocks_matches_direct_loops_and_finite_differences() {
    // 12×12 outputs: blocks of ⌈1536 / 144⌉ = 11 samples, so batch 25 is blocks of 11, 11 and 3
    // spread over the threads' groups; the 1×1 case takes blocks of one sample.
    let cases: [ConvCase; 4] = [
        ("blocks, padding 1", [25, 1, 12, 12], [2, 1, 3, 3], Conv2dArgs::new(1, 1, 1), true),
        (
            "blocks, padding 1, 2 channels",
            [25, 2, 12, 12],
            [2, 2, 3, 3],
            Conv2dArgs::new(1, 1, 1),
            true,
        ),
        ("blocks, stride 2", [25, 2, 23, 24], [3, 2, 3, 3], Conv2dArgs::new(2, 0, 1), false),
        ("blocks, 1x1", [25, 3, 12, 12], [2, 3, 1, 1], Conv2dArgs::default(), true),
    ];
    for (i, (name, xs, ws, args, bias)) in cases.into_iter().enumerate() {
        let (x, w) = (rand(xs, 110 + i as u64), rand(ws, 120 + i as u64));
        let b = bias.then(|| rand(ws[0], 130 + i as u64));
        let (want, shape) = naive_conv(&x, &w, b.as_ref(), args);
        let y = x.conv2d(&w, b.as_ref(), args).unwrap();
        assert_eq!(y.dims(), shape, "{name}");
        assert_close(&y.to_f64_vec(), &want, 1e-12, name);
        // Training keeps the columns: the same values.
        let tracked = x.conv2d(&w.clone().requires_grad(), b.as_ref(), args).unwrap();
        assert_close(&tracked.to_f64_vec(), &want, 1e-12, name);
    }
    let (name, xs, ws, args, _) = cases[0];
    let inputs = [rand(xs, 140), rand(ws, 141), rand(ws[0], 142)];
    check(name, |t| t[0].conv2d(&t[1], Some(&t[2]), args), &inputs);
    let (name, xs, ws, args, _) = cases[2];
    check(name, |t| t[0].conv2d(&t[1], None, args), &[rand(xs, 143), rand(ws, 144)]);
}

#[test]
fn conv2d_with_untracked_input_gives_only_parameter_gradients() {
    let x = rand([2, 1, 6, 6], 7); // data: no gradient wanted
    let w = rand([2, 1, 3, 3], 8).requires_grad();
    let b = rand(2, 9).requires_grad();
    let loss = x.conv2d(&w, Some(&b), Conv2dArgs::default()).unwrap().sum_all().unwrap();
    let g = loss.backward().unwrap();
    assert!(g.get(&x).is_none());
    // ∂Σy/∂b[o] = number of output pixels per channel and batch: 2 · 4 · 4.
    assert_eq!(g.get(&b).unwrap().to_vec::<f64>().unwrap(), [32.0, 32.0]);
    assert_eq!(g.get(&w).unwrap().dims(), [2, 1, 3, 3]);
}

#[test]
fn conv2d_errors_name_the_op_and_the_shapes() {
    let x = Tensor::zeros([2, 3, 5, 5], DType::F64);
    let w = Tensor::zeros([4, 2, 3, 3], DType::F64);
    let e = x.conv2d(&w, None, Conv2dArgs::default()).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "conv2d", .. }), "{e}");
    assert!(e.to_string().contains("[2, 3, 5, 5]") && e.to_string().contains("[4, 2, 3, 3]"));

    let big = Tensor::zeros([1, 3, 7, 3], DType::F64);
    let e = x.conv2d(&big, None, Conv2dArgs::new(1, 0, 1)).unwrap_err().to_string();
    assert!(
        e.contains("conv2d") && e.contains("[1, 3, 7, 3]") && e.contains("[2, 3, 5, 5]"),
        "{e}"
    );
    // Padding 1 makes the 7-tall kernel fit: no error.
    assert!(x.conv2d(&big, None, Conv2dArgs::new(1, 1, 1)).is_ok());
    // Dilation 3 stretches a 3×3 kernel to 7×7.
    let w3 = Tensor::zeros([1, 3, 3, 3], DType::F64);
    let e = x.conv2d(&w3, None, Conv2dArgs::new(1, 0, 3)).unwrap_err().to_string();
    assert!(e.contains("dilation 3") && e.contains("[2, 3, 5, 5]"), "{e}");

    let e = x.conv2d(&w3, None, Conv2dArgs::new(0, 0, 1)).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "stride", .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("conv2d") && msg.contains("[2, 3, 5, 5]") && msg.contains("[1, 3, 3, 3]"));
    let e = x.conv2d(&w3, None, Conv2dArgs::new(1, 0, [1, 0])).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "dilation", .. }), "{e}");
    let e = x.conv2d(&w3, Some(&Tensor::zeros(2, DType::F64)), Conv2dArgs::default());
    assert!(matches!(e.unwrap_err(), Error::ShapeMismatch { .. }));
    let e = x.reshape([6, 5, 5]).unwrap().conv2d(&w3, None, Conv2dArgs::default()).unwrap_err();
    assert!(e.to_string().contains("4-D"), "{e}");
    let e = x.conv2d(&w3.to_dtype(DType::F32).unwrap(), None, Conv2dArgs::default()).unwrap_err();
    assert!(matches!(e, Error::DTypeMismatch { .. }), "{e}");
    let ints = Tensor::zeros([1, 3, 5, 5], DType::I64);
    assert!(ints.conv2d(&w3, None, Conv2dArgs::default()).is_err());
}

/// `(name, input shape, kernel, stride, padding)` of the checked poolings.
type PoolCase = (&'static str, [usize; 4], [usize; 2], [usize; 2], [usize; 2]);

fn pool_cases() -> Vec<PoolCase> {
    vec![
        ("2x2 stride 2", [2, 3, 6, 6], [2, 2], [2, 2], [0, 0]),
        ("3x3 stride 2 padding 1", [2, 2, 7, 6], [3, 3], [2, 2], [1, 1]),
        ("overlapping 3x3 stride 1", [1, 2, 5, 5], [3, 3], [1, 1], [0, 0]),
        ("non-square 2x3, stride (1, 2), padding (1, 1)", [2, 1, 5, 7], [2, 3], [1, 2], [1, 1]),
        ("odd size, 2x2 stride 2 drops the last row", [2, 2, 5, 5], [2, 2], [2, 2], [0, 0]),
    ]
}

#[test]
fn pooling_forward_matches_direct_loops() {
    for (i, (name, shape, k, s, p)) in pool_cases().into_iter().enumerate() {
        let x = distinct(shape, 70 + i as u64);
        let max = x.max_pool2d(k, s, p).unwrap();
        let avg = x.avg_pool2d(k, s, p).unwrap();
        assert_eq!(max.dims(), avg.dims());
        assert_close(&max.to_f64_vec(), &naive_pool(&x, k, s, p, true), 0.0, name);
        assert_close(&avg.to_f64_vec(), &naive_pool(&x, k, s, p, false), 1e-14, name);
        let x32 = x.to_dtype(DType::F32).unwrap();
        let max32 = x32.max_pool2d(k, s, p).unwrap().to_f64_vec();
        assert_close(&max32, &naive_pool(&x, k, s, p, true), 1e-7, name);
    }
}

#[test]
fn pooling_gradients_match_finite_differences() {
    for (i, (name, shape, k, s, p)) in pool_cases().into_iter().enumerate() {
        let x = distinct(shape, 80 + i as u64);
        check(&format!("max_pool2d {name}"), |t| t[0].max_pool2d(k, s, p), from_ref(&x));
        check(&format!("avg_pool2d {name}"), |t| t[0].avg_pool2d(k, s, p), &[x]);
    }
}

fn from_ref(t: &Tensor) -> &[Tensor] {
    std::slice::from_ref(t)
}

#[test]
fn max_pool2d_sends_each_gradient_to_its_maximum() {
    // One 4×4 plane, 2×2 windows: the maxima are 9, 8, 7, 6 at known places.
    #[rustfmt::skip]
    let x = Tensor::from_vec(vec![
        9.0, 1.0, 0.0, 8.0,
        2.0, 3.0, 1.0, 0.0,
        0.0, 0.0, 5.0, 1.0,
        7.0, 0.0, 6.0, 2.0f64,
    ], [1, 1, 4, 4]).unwrap().requires_grad();
    let y = x.max_pool2d(2, 2, 0).unwrap();
    assert_eq!(y.to_vec::<f64>().unwrap(), [9.0, 8.0, 7.0, 6.0]);
    let g = y.mul(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [1, 1, 2, 2]).unwrap()).unwrap();
    let grads = g.sum_all().unwrap().backward().unwrap();
    #[rustfmt::skip]
    assert_eq!(grads.get(&x).unwrap().to_vec::<f64>().unwrap(), [
        1.0, 0.0, 0.0, 2.0,
        0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0,
        3.0, 0.0, 4.0, 0.0,
    ]);
}

#[test]
fn max_pool2d_propagates_nan_and_treats_padding_as_minus_infinity() {
    let x = Tensor::from_vec(vec![-5.0f32, f32::NAN, -3.0, -4.0], [1, 1, 2, 2]).unwrap();
    assert!(x.max_pool2d(2, 2, 0).unwrap().to_vec::<f32>().unwrap()[0].is_nan());
    // All-negative input with padding 1: the padded zeros must not win.
    let x = Tensor::full(-2.0, [1, 1, 2, 2], DType::F64);
    assert_eq!(x.max_pool2d(2, 2, 1).unwrap().to_vec::<f64>().unwrap(), [-2.0; 4]);
    // Average pooling counts the padding: a corner window holds one element of four.
    assert_eq!(x.avg_pool2d(2, 2, 1).unwrap().to_vec::<f64>().unwrap(), [-0.5; 4]);
}

#[test]
fn pooling_errors_name_the_argument() {
    let x = Tensor::zeros([1, 1, 4, 4], DType::F64);
    let e = x.max_pool2d(2, 2, 2).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "padding", .. }), "{e}");
    let e = x.avg_pool2d(5, 1, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "kernel", .. }), "{e}");
    assert!(e.to_string().contains("avg_pool2d") && e.to_string().contains("[1, 1, 4, 4]"));
    let e = x.max_pool2d(2, 0, 0).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { name: "stride", .. }), "{e}");
    assert!(x.reshape([4, 4]).unwrap().max_pool2d(2, 2, 0).is_err());
}

#[test]
fn a_small_cnn_backpropagates_end_to_end() {
    // conv → relu → max pool → conv → avg pool → sum, gradients for input, weights and biases.
    let inputs =
        [rand([2, 1, 8, 8], 11), rand([3, 1, 3, 3], 12), rand(3, 13), rand([2, 3, 2, 2], 14)];
    let f = |t: &[Tensor]| {
        let h = t[0].conv2d(&t[1], Some(&t[2]), Conv2dArgs::new(1, 1, 1))?.tanh()?;
        let h = h.max_pool2d(2, 2, 0)?;
        h.conv2d(&t[3], None, Conv2dArgs::new(2, 0, 1))?.avg_pool2d(2, 1, 0)
    };
    check("small cnn", f, &inputs);
    let leaves: Vec<Tensor> = inputs.iter().map(|t| t.clone().requires_grad()).collect();
    let dot = f(&leaves).unwrap().to_dot(&[]);
    for name in ["conv2d(stride [1, 1], padding [1, 1]", "max_pool2d(kernel [2, 2]", "avg_pool2d("]
    {
        assert!(dot.contains(name), "{name} missing from\n{dot}");
    }
}
