//! Forward semantics of the tensor type, checked against values computed by hand.
//!
//! Gradients are tested in `gradcheck.rs`; this file pins down what the ops *compute*: creation
//! and seeded randomness, views that share storage and copies that do not, broadcasting and its
//! error messages, comparison masks, reductions (with and without kept axes), numerically stable
//! softmax / sigmoid / softplus / logsumexp at extreme inputs, NaN and infinity propagation,
//! indexing and its range errors, joining, matrix products (including a larger `f32` product
//! against a naive triple loop), integer tensors, printing and the DOT drawing of a graph.

use axon::{CmpOp, DType, Error, Rng, Shape, Tensor};

fn f64s(values: &[f64], shape: impl Into<Shape>) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

fn f32s(values: &[f32], shape: impl Into<Shape>) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

fn i64s(values: &[i64], shape: impl Into<Shape>) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

fn v64(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "[{i}]: got {g}, want {w}\n{got:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Creation
// ---------------------------------------------------------------------------------------------

#[test]
fn from_vec_checks_the_length() {
    let err = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], [2, 2]).unwrap_err();
    assert_eq!(
        err,
        Error::LengthMismatch { op: "from_vec", len: 3, shape: Shape::from([2, 2]), expected: 4 }
    );
    assert!(err.to_string().contains("[2, 2]"), "{err}");
    let t = Tensor::from_vec(vec![1i64, 2, 3, 4, 5, 6], [2, 3]).unwrap();
    assert_eq!(t.dims(), [2, 3]);
    assert_eq!(t.dtype(), DType::I64);
    assert!(t.is_contiguous());
    let s = Tensor::scalar(2.5f32);
    assert_eq!((s.rank(), s.numel(), s.item().unwrap()), (0, 1, 2.5));
    assert_eq!(s.to_scalar::<f32>().unwrap(), 2.5);
    assert!(t.item().is_err(), "item needs one element");
    assert!(matches!(t.to_vec::<f64>(), Err(Error::DTypeMismatch { .. })));
}

#[test]
fn constant_tensors() {
    assert_eq!(v64(&Tensor::zeros([2, 2], DType::F64)), [0.0; 4]);
    assert_eq!(Tensor::ones([3], DType::F32).to_vec::<f32>().unwrap(), [1.0; 3]);
    assert_eq!(Tensor::full(7.0, [2], DType::I64).to_vec::<i64>().unwrap(), [7, 7]);
    let like = f32s(&[1.0, 2.0], [2, 1]);
    let z = like.full_like(-3.0);
    assert_eq!((z.dims(), z.dtype()), (&[2usize, 1][..], DType::F32));
    assert_eq!(z.to_vec::<f32>().unwrap(), [-3.0, -3.0]);
    assert_eq!(like.zeros_like().to_vec::<f32>().unwrap(), [0.0, 0.0]);
    assert_eq!(like.ones_like().to_vec::<f32>().unwrap(), [1.0, 1.0]);
    assert_eq!(Tensor::zeros((), DType::F64).rank(), 0);
}

#[test]
fn ranges_and_identity() {
    assert_eq!(v64(&Tensor::arange(0.0, 5.0, 1.0, DType::F64).unwrap()), [0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(v64(&Tensor::arange(0.0, 1.0, 0.25, DType::F64).unwrap()), [0.0, 0.25, 0.5, 0.75]);
    assert_eq!(v64(&Tensor::arange(5.0, 0.0, -2.0, DType::F64).unwrap()), [5.0, 3.0, 1.0]);
    assert_eq!(Tensor::arange(3.0, 1.0, 1.0, DType::F64).unwrap().numel(), 0);
    assert_eq!(
        Tensor::arange(0.0, 3.0, 1.0, DType::I64).unwrap().to_vec::<i64>().unwrap(),
        [0, 1, 2]
    );
    assert!(matches!(
        Tensor::arange(0.0, 1.0, 0.0, DType::F64),
        Err(Error::InvalidArgument { name: "step", .. })
    ));
    assert_eq!(v64(&Tensor::linspace(0.0, 1.0, 5, DType::F64)), [0.0, 0.25, 0.5, 0.75, 1.0]);
    assert_eq!(v64(&Tensor::linspace(-1.0, 1.0, 3, DType::F64)), [-1.0, 0.0, 1.0]);
    assert_eq!(v64(&Tensor::linspace(2.0, 9.0, 1, DType::F64)), [2.0]);
    assert_eq!(Tensor::linspace(0.0, 1.0, 0, DType::F64).numel(), 0);
    // The last point is exactly `end`, even where accumulated steps would round.
    assert_eq!(*v64(&Tensor::linspace(0.0, 0.3, 4, DType::F64)).last().unwrap(), 0.3);
    let eye = Tensor::eye(3, DType::F64);
    assert_eq!(eye.dims(), [3, 3]);
    assert_eq!(v64(&eye), [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn seeded_random_tensors() {
    let draw = |seed| Tensor::rand([4, 5], -2.0, 3.0, DType::F64, &mut Rng::seed(seed));
    assert_eq!(v64(&draw(42)), v64(&draw(42)), "same seed, same values");
    assert_ne!(v64(&draw(42)), v64(&draw(43)), "different seed, different values");
    assert!(v64(&draw(42)).iter().all(|&v| (-2.0..3.0).contains(&v)));
    let normal = |seed| Tensor::randn([100], 1.0, 2.0, DType::F32, &mut Rng::seed(seed));
    assert_eq!(normal(7).to_vec::<f32>().unwrap(), normal(7).to_vec::<f32>().unwrap());
    assert_ne!(normal(7).to_vec::<f32>().unwrap(), normal(8).to_vec::<f32>().unwrap());
    // One generator keeps drawing new values.
    let mut rng = Rng::seed(1);
    let a = Tensor::rand([10], 0.0, 1.0, DType::F64, &mut rng);
    let b = Tensor::rand([10], 0.0, 1.0, DType::F64, &mut rng);
    assert_ne!(v64(&a), v64(&b));
}

#[test]
fn randn_moments_on_100k_draws() {
    let (mean, std) = (3.0, 0.5);
    let x = Tensor::randn([100_000], mean, std, DType::F64, &mut Rng::seed(2024));
    let m = x.mean_all().unwrap().item().unwrap();
    let s = x.var(0, false).unwrap().item().unwrap().sqrt();
    // Standard errors: std/√n = 0.0016 for the mean, std/√(2n) = 0.0011 for the std.
    assert!((m - mean).abs() < 0.01, "mean {m}");
    assert!((s - std).abs() < 0.01, "std {s}");
    // Roughly 68% within one standard deviation.
    let within = v64(&x).iter().filter(|&&v| (v - mean).abs() < std).count() as f64 / 1e5;
    assert!((within - 0.6827).abs() < 0.01, "{within}");
    let u = Tensor::rand([100_000], 0.0, 1.0, DType::F64, &mut Rng::seed(5));
    assert!((u.mean_all().unwrap().item().unwrap() - 0.5).abs() < 0.005);
}

// ---------------------------------------------------------------------------------------------
// Views and copies
// ---------------------------------------------------------------------------------------------

/// `[[0, 1, 2], [3, 4, 5]]`.
fn m23() -> Tensor {
    f64s(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [2, 3])
}

#[test]
fn views_share_storage_and_read_the_right_values() {
    let x = m23();
    let t = x.t().unwrap();
    assert!(t.shares_storage(&x) && !t.is_contiguous());
    assert_eq!((t.dims(), v64(&t)), (&[3usize, 2][..], vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]));
    let tr = x.transpose(1, 0).unwrap();
    assert_eq!(v64(&tr), v64(&t));

    let y = Tensor::arange(0.0, 24.0, 1.0, DType::F64).unwrap().reshape([2, 3, 4]).unwrap();
    let p = y.permute(&[2, 0, 1]).unwrap();
    assert!(p.shares_storage(&y));
    assert_eq!(p.dims(), [4, 2, 3]);
    // p[i][j][k] = y[j][k][i] = 12 j + 4 k + i.
    let want: Vec<f64> = (0..4)
        .flat_map(|i| (0..2).flat_map(move |j| (0..3).map(move |k| (12 * j + 4 * k + i) as f64)))
        .collect();
    assert_eq!(v64(&p), want);

    let n = y.narrow(2, 1, 2).unwrap();
    assert!(n.shares_storage(&y));
    assert_eq!(n.dims(), [2, 3, 2]);
    assert_eq!(v64(&n.narrow(0, 1, 1).unwrap().narrow(1, 2, 1).unwrap()), [21.0, 22.0]);
    assert!(matches!(y.narrow(2, 3, 2), Err(Error::InvalidArgument { .. })));
    assert!(matches!(y.narrow(3, 0, 1), Err(Error::AxisOutOfRange { .. })));

    let row = f64s(&[1.0, 2.0, 3.0], [3]);
    let b = row.broadcast_to([2, 3]).unwrap();
    assert!(b.shares_storage(&row));
    assert_eq!(v64(&b), [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    let col = f64s(&[1.0, 2.0], [2, 1]).expand([2, 3]).unwrap();
    assert_eq!(v64(&col), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    assert!(matches!(
        row.broadcast_to([2, 4]),
        Err(Error::ShapeMismatch { op: "broadcast_to", .. })
    ));
    assert!(row.broadcast_to([3]).unwrap().shares_storage(&row));

    let u = x.unsqueeze(1).unwrap();
    assert!(u.shares_storage(&x));
    assert_eq!((u.dims(), v64(&u)), (&[2usize, 1, 3][..], v64(&x)));
    assert_eq!(x.unsqueeze(2).unwrap().dims(), [2, 3, 1]);
    assert!(matches!(x.unsqueeze(3), Err(Error::AxisOutOfRange { .. })));
    let s = u.squeeze(1).unwrap();
    assert!(s.shares_storage(&x));
    assert_eq!((s.dims(), v64(&s)), (&[2usize, 3][..], v64(&x)));
    assert!(matches!(x.squeeze(0), Err(Error::InvalidArgument { .. })));
    // Unsqueeze of a transposed view keeps reading the right elements.
    let tu = t.unsqueeze(1).unwrap().contiguous();
    assert_eq!((tu.dims(), v64(&tu)), (&[3usize, 1, 2][..], v64(&t)));

    assert_eq!(y.flatten_from(1).unwrap().dims(), [2, 12]);
    assert!(y.flatten_from(1).unwrap().shares_storage(&y));
}

#[test]
fn reshape_views_when_contiguous_and_copies_otherwise() {
    let x = m23();
    let r = x.reshape([3, 2]).unwrap();
    assert!(r.shares_storage(&x));
    assert_eq!(v64(&r), v64(&x));
    let t = x.t().unwrap();
    let rt = t.reshape([6]).unwrap();
    assert!(!rt.shares_storage(&x), "a non-contiguous tensor is copied");
    assert!(rt.is_contiguous());
    assert_eq!(v64(&rt), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert!(matches!(x.reshape([4]), Err(Error::ShapeMismatch { op: "reshape", .. })));
    assert_eq!(
        x.reshape(()).err().map(|e| e.to_string()).unwrap(),
        "reshape: shape mismatch between [2, 3] and []"
    );
    // A contiguous narrow (whole rows) reshapes as a view with an offset.
    let y = Tensor::arange(0.0, 12.0, 1.0, DType::F64).unwrap().reshape([4, 3]).unwrap();
    let rows = y.narrow(0, 1, 2).unwrap();
    assert!(rows.is_contiguous());
    let flat = rows.reshape([6]).unwrap();
    assert!(flat.shares_storage(&y));
    assert_eq!(v64(&flat), [3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
}

#[test]
fn contiguous_copies_only_when_needed() {
    let x = m23();
    let c = x.contiguous();
    assert!(c.shares_storage(&x) && c.id() == x.id());
    let t = x.t().unwrap();
    let tc = t.contiguous();
    assert!(!tc.shares_storage(&x) && tc.is_contiguous());
    assert_eq!(tc.dims(), [3, 2]);
    assert_eq!(tc.layout().strides(), [2, 1]);
    assert_eq!(v64(&tc), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    // The copy of a narrowed transposed view.
    let ntc = t.narrow(0, 1, 2).unwrap().contiguous();
    assert_eq!(v64(&ntc), [1.0, 4.0, 2.0, 5.0]);
    // A broadcast view becomes a real buffer.
    let b = f64s(&[1.0, 2.0], [2, 1]).broadcast_to([2, 3]).unwrap().contiguous();
    assert_eq!(b.storage().len(), 6);
    assert_eq!(v64(&b), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
}

// ---------------------------------------------------------------------------------------------
// Elementwise ops and broadcasting
// ---------------------------------------------------------------------------------------------

#[test]
fn broadcasting_rules() {
    let col = f64s(&[10.0, 20.0, 30.0], [3, 1]);
    let row = f64s(&[1.0, 2.0, 3.0, 4.0], [1, 4]);
    let s = col.add(&row).unwrap();
    assert_eq!(s.dims(), [3, 4]);
    assert_eq!(v64(&s), [11.0, 12.0, 13.0, 14.0, 21.0, 22.0, 23.0, 24.0, 31.0, 32.0, 33.0, 34.0]);
    let cube = Tensor::arange(0.0, 24.0, 1.0, DType::F64).unwrap().reshape([2, 3, 4]).unwrap();
    let v = f64s(&[100.0, 200.0, 300.0, 400.0], [4]);
    let r = cube.add(&v).unwrap();
    assert_eq!(r.dims(), [2, 3, 4]);
    let want: Vec<f64> = (0..24).map(|i| i as f64 + 100.0 * (i % 4 + 1) as f64).collect();
    assert_eq!(v64(&r), want);
    // Broadcasting commutes.
    assert_eq!(v64(&v.add(&cube).unwrap()), want);
    let scalar = Tensor::scalar(2.0f64);
    assert_eq!(v64(&scalar.mul(&m23()).unwrap()), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    assert_eq!(v64(&m23().sub(&scalar).unwrap()), [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
    assert_eq!(v64(&scalar.div(&f64s(&[4.0, -8.0], [2])).unwrap()), [0.5, -0.25]);
    assert_eq!(v64(&f64s(&[2.0, 9.0], [2]).pow(&f64s(&[3.0, 0.5], [2])).unwrap()), [8.0, 3.0]);
    // (2,1,3) with (4,1) gives (2,4,3).
    let a = Tensor::ones([2, 1, 3], DType::F32);
    let b = Tensor::ones([4, 1], DType::F32);
    assert_eq!(a.mul(&b).unwrap().dims(), [2, 4, 3]);
    // Non-contiguous operands broadcast as well.
    let t = m23().t().unwrap(); // [[0,3],[1,4],[2,5]]
    assert_eq!(v64(&t.add(&f64s(&[1.0, 10.0], [2])).unwrap()), [1.0, 13.0, 2.0, 14.0, 3.0, 15.0]);
}

#[test]
fn shape_mismatch_errors_name_the_op_and_both_shapes() {
    let a = Tensor::zeros([2, 3], DType::F64);
    let b = Tensor::zeros([4], DType::F64);
    for (op, result) in [
        ("add", a.add(&b)),
        ("sub", a.sub(&b)),
        ("mul", a.mul(&b)),
        ("div", a.div(&b)),
        ("pow", a.pow(&b)),
        ("maximum", a.maximum(&b)),
        ("minimum", a.minimum(&b)),
    ] {
        let err = result.unwrap_err();
        assert_eq!(
            err,
            Error::ShapeMismatch { op, lhs: Shape::from([2, 3]), rhs: Shape::from([4]) }
        );
        assert_eq!(err.to_string(), format!("{op}: shape mismatch between [2, 3] and [4]"));
    }
    let err =
        Tensor::zeros([3, 2], DType::F64).add(&Tensor::zeros([2, 3], DType::F64)).unwrap_err();
    assert_eq!(err.to_string(), "add: shape mismatch between [3, 2] and [2, 3]");
    let err = a.lt(&b).unwrap_err();
    assert!(err.to_string().starts_with("compare: shape mismatch between [2, 3] and [4]"), "{err}");
    // Mixed dtypes are a dtype error.
    let err = a.add(&Tensor::zeros([2, 3], DType::F32)).unwrap_err();
    assert!(matches!(err, Error::DTypeMismatch { op: "add", .. }), "{err}");
}

#[test]
fn comparisons_give_masks() {
    let a = f64s(&[1.0, 2.0, 3.0, 4.0], [4]);
    let b = f64s(&[4.0, 2.0, 1.0, 4.0], [4]);
    assert_eq!(v64(&a.eq(&b).unwrap()), [0.0, 1.0, 0.0, 1.0]);
    assert_eq!(v64(&a.ne(&b).unwrap()), [1.0, 0.0, 1.0, 0.0]);
    assert_eq!(v64(&a.lt(&b).unwrap()), [1.0, 0.0, 0.0, 0.0]);
    assert_eq!(v64(&a.le(&b).unwrap()), [1.0, 1.0, 0.0, 1.0]);
    assert_eq!(v64(&a.gt(&b).unwrap()), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(v64(&a.ge(&b).unwrap()), [0.0, 1.0, 1.0, 1.0]);
    assert_eq!(v64(&a.compare(&b, CmpOp::Gt).unwrap()), v64(&a.gt(&b).unwrap()));
    // Broadcast against a scalar, in f32 and i64; the mask has the operands' dtype.
    let m = f32s(&[0.5, 1.5, 2.5], [3]).gt(&Tensor::scalar(1.0f32)).unwrap();
    assert_eq!((m.dtype(), m.to_vec::<f32>().unwrap()), (DType::F32, vec![0.0, 1.0, 1.0]));
    let mi = i64s(&[1, 5, 3], [3]).ge(&i64s(&[3], [1])).unwrap();
    assert_eq!((mi.dtype(), mi.to_vec::<i64>().unwrap()), (DType::I64, vec![0, 1, 1]));
    // NaN compares unequal to everything.
    let n = f64s(&[f64::NAN], [1]);
    assert_eq!(v64(&n.eq(&n).unwrap()), [0.0]);
    assert_eq!(v64(&n.ne(&n).unwrap()), [1.0]);
    let mut masks = a.lt(&b.reshape([4, 1]).unwrap()).unwrap();
    assert_eq!(masks.dims(), [4, 4]);
    masks = masks.sum_all().unwrap();
    assert_eq!(masks.item().unwrap(), 3.0 + 1.0 + 0.0 + 3.0);
}

#[test]
fn unary_values() {
    let x = f64s(&[-2.0, -0.5, 0.0, 0.5, 2.0], [5]);
    let map = |f: fn(f64) -> f64| x.to_vec::<f64>().unwrap().into_iter().map(f).collect::<Vec<_>>();
    assert_close(&v64(&x.neg().unwrap()), &map(|v| -v), 0.0);
    assert_close(&v64(&x.exp().unwrap()), &map(f64::exp), 1e-15);
    assert_close(&v64(&x.abs().unwrap()), &map(f64::abs), 0.0);
    assert_close(&v64(&x.tanh().unwrap()), &map(f64::tanh), 1e-15);
    assert_close(&v64(&x.sigmoid().unwrap()), &map(|v| 1.0 / (1.0 + (-v).exp())), 1e-15);
    assert_close(&v64(&x.softplus().unwrap()), &map(|v| v.exp().ln_1p()), 1e-15);
    assert_close(&v64(&x.relu().unwrap()), &[0.0, 0.0, 0.0, 0.5, 2.0], 0.0);
    assert_close(&v64(&x.leaky_relu(0.1).unwrap()), &[-0.2, -0.05, 0.0, 0.5, 2.0], 1e-16);
    assert_close(&v64(&x.elu(1.0).unwrap()), &map(|v| if v > 0.0 { v } else { v.exp_m1() }), 1e-15);
    // GELU(x) = x Φ(x); Φ(0.5) = 0.6914624612740131, Φ(2) = 0.9772498680518208.
    assert_close(
        &v64(&x.gelu().unwrap()),
        &[
            -2.0 * (1.0 - 0.977_249_868_051_820_8),
            -0.5 * (1.0 - 0.691_462_461_274_013_1),
            0.0,
            0.5 * 0.691_462_461_274_013_1,
            2.0 * 0.977_249_868_051_820_8,
        ],
        1e-15,
    );
    assert_close(&v64(&x.clamp(-1.0, 1.0).unwrap()), &[-1.0, -0.5, 0.0, 0.5, 1.0], 0.0);
    assert!(matches!(x.clamp(1.0, -1.0), Err(Error::InvalidArgument { .. })));
    assert_close(&v64(&x.affine(2.0, 1.0).unwrap()), &map(|v| 2.0 * v + 1.0), 0.0);
    assert_close(&v64(&x.div_scalar(4.0).unwrap()), &map(|v| v / 4.0), 0.0);
    assert_close(&v64(&x.powf(2.0).unwrap()), &map(|v| v * v), 1e-15);
    let p = f64s(&[0.25, 4.0, 9.0], [3]);
    assert_close(&v64(&p.sqrt().unwrap()), &[0.5, 2.0, 3.0], 0.0);
    assert_close(&v64(&p.log().unwrap()), &[0.25f64.ln(), 4f64.ln(), 9f64.ln()], 1e-15);
    assert_close(&v64(&p.square().unwrap()), &[0.0625, 16.0, 81.0], 0.0);
    // Maximum / minimum.
    let (a, b) = (f64s(&[1.0, 5.0, -3.0], [3]), f64s(&[2.0, 4.0, -3.0], [3]));
    assert_eq!(v64(&a.maximum(&b).unwrap()), [2.0, 5.0, -3.0]);
    assert_eq!(v64(&a.minimum(&b).unwrap()), [1.0, 4.0, -3.0]);
}

#[test]
fn f32_exp_is_accurate() {
    // The vectorised f32 exp against the f64 one, over the range where e^x is a normal f32.
    let x = Tensor::linspace(-87.0, 88.0, 100_001, DType::F32);
    let got = x.exp().unwrap().to_vec::<f32>().unwrap();
    for (v, g) in x.to_vec::<f32>().unwrap().iter().zip(got) {
        let want = (*v as f64).exp();
        assert!(((g as f64) - want).abs() <= 3.0 * f32::EPSILON as f64 * want, "exp({v}) = {g}");
    }
}

#[test]
fn extreme_inputs_of_sigmoid_and_softplus() {
    let x64 = f64s(&[-1000.0, -50.0, 0.0, 50.0, 1000.0], [5]);
    let s = v64(&x64.sigmoid().unwrap());
    assert!(s.iter().all(|v| v.is_finite()));
    assert_eq!(s[0], 0.0);
    assert_close(&s[1..2], &[(-50f64).exp()], 1e-12);
    assert_eq!((s[2], s[3], s[4]), (0.5, 1.0, 1.0));
    let sp = v64(&x64.softplus().unwrap());
    assert!(sp.iter().all(|v| v.is_finite()));
    assert_eq!(sp[0], 0.0);
    assert_close(&sp[1..], &[(-50f64).exp(), 2f64.ln(), 50.0, 1000.0], 1e-15);

    let x32 = f32s(&[-1000.0, -20.0, 0.0, 20.0, 1000.0], [5]);
    let s = x32.sigmoid().unwrap().to_vec::<f32>().unwrap();
    assert!(s.iter().all(|v| v.is_finite()));
    assert_eq!((s[0], s[2], s[4]), (0.0, 0.5, 1.0));
    assert!(((s[1] as f64) - (-20f64).exp()).abs() < 1e-6 * (-20f64).exp());
    let sp = x32.softplus().unwrap().to_vec::<f32>().unwrap();
    assert!(sp.iter().all(|v| v.is_finite()));
    assert_eq!((sp[0], sp[4]), (0.0, 1000.0));
    assert!(((sp[3] as f64) - 20.0).abs() < 1e-5);
    // The gradients there are finite too.
    let w = x64.clone().requires_grad();
    let g = w.sigmoid().unwrap().add(&w.softplus().unwrap()).unwrap().sum_all().unwrap();
    let g = g.backward().unwrap();
    assert!(v64(g.get(&w).unwrap()).iter().all(|v| v.is_finite()));
}

#[test]
fn nan_propagates_without_panicking() {
    let x = f64s(&[1.0, f64::NAN, 3.0], [3]);
    assert!(v64(&x.exp().unwrap())[1].is_nan());
    assert!(!v64(&x.exp().unwrap())[0].is_nan());
    assert!(v64(&x.add(&Tensor::scalar(1.0f64)).unwrap())[1].is_nan());
    assert!(x.sum_all().unwrap().item().unwrap().is_nan());
    assert!(x.mean_all().unwrap().item().unwrap().is_nan());
    assert!(x.max_all().unwrap().item().unwrap().is_nan());
    assert!(x.min_all().unwrap().item().unwrap().is_nan());
    assert!(x.logsumexp(0, false).unwrap().item().unwrap().is_nan());
    assert!(v64(&x.softmax(0).unwrap()).iter().all(|v| v.is_nan()));
    assert!(v64(&x.relu().unwrap())[1].is_nan());
    assert!(v64(&x.sigmoid().unwrap())[1].is_nan());
    assert!(v64(&x.clamp(0.0, 2.0).unwrap())[1].is_nan());
    // maximum / minimum: NaN wins from either side, as torch.maximum.
    let y = f64s(&[f64::NAN, 0.0, 5.0], [3]);
    let mx = v64(&x.maximum(&y).unwrap());
    assert!(mx[0].is_nan() && mx[1].is_nan() && mx[2] == 5.0);
    let mn = v64(&x.minimum(&y).unwrap());
    assert!(mn[0].is_nan() && mn[1].is_nan() && mn[2] == 3.0);
    // Reductions per axis: only the row with the NaN is NaN.
    let m = f64s(&[1.0, f64::NAN, 2.0, 3.0], [2, 2]);
    let r = v64(&m.max(1, false).unwrap());
    assert!(r[0].is_nan() && r[1] == 3.0);
    // argmax treats NaN as the largest.
    assert_eq!(x.argmax(0, false).unwrap().to_vec::<i64>().unwrap(), [1]);
    // f32 too.
    let x32 = f32s(&[f32::NAN, -1.0], [2]);
    assert!(x32.exp().unwrap().to_vec::<f32>().unwrap()[0].is_nan());
    assert!(x32.sum_all().unwrap().item().unwrap().is_nan());
    assert!(x32.max_all().unwrap().item().unwrap().is_nan());
}

// ---------------------------------------------------------------------------------------------
// Reductions and softmax
// ---------------------------------------------------------------------------------------------

#[test]
fn reduction_values_and_shapes() {
    // [[[0,1,2,3],[4,5,6,7],[8,9,10,11]], [[12,..,15],[16,..,19],[20,..,23]]]
    let x = Tensor::arange(0.0, 24.0, 1.0, DType::F64).unwrap().reshape([2, 3, 4]).unwrap();
    let s1 = x.sum(1, false).unwrap();
    assert_eq!(s1.dims(), [2, 4]);
    assert_eq!(v64(&s1), [12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0]);
    assert_eq!(x.sum(1, true).unwrap().dims(), [2, 1, 4]);
    let s02 = x.sum([0, 2], false).unwrap();
    assert_eq!((s02.dims(), v64(&s02)), (&[3usize][..], vec![60.0, 92.0, 124.0]));
    assert_eq!(x.sum([2, 0], true).unwrap().dims(), [1, 3, 1]);
    assert_eq!(x.sum(vec![0, 1, 2], true).unwrap().dims(), [1, 1, 1]);
    let total = x.sum_all().unwrap();
    assert_eq!((total.rank(), total.item().unwrap()), (0, 276.0));
    assert_eq!(v64(&x.sum(0, false).unwrap())[..2], [12.0, 14.0]);
    assert!(matches!(x.sum(3, false), Err(Error::AxisOutOfRange { op: "sum", axis: 3, rank: 3 })));

    let mean2 = x.mean(2, true).unwrap();
    assert_eq!(mean2.dims(), [2, 3, 1]);
    assert_eq!(v64(&mean2), [1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
    assert_eq!(x.mean_all().unwrap().item().unwrap(), 11.5);
    assert_eq!(v64(&x.mean([0, 1], false).unwrap()), [10.0, 11.0, 12.0, 13.0]);

    // Unbiased variance: of 0..4 it is 5/3; of {0, 12} it is 72.
    assert_close(&v64(&x.var(2, false).unwrap()), &[5.0 / 3.0; 6], 1e-15);
    assert_close(&v64(&x.var(0, false).unwrap()), &[72.0; 12], 1e-15);
    assert_eq!(x.var([1, 2], true).unwrap().dims(), [2, 1, 1]);
    // var of 0..24 = n(n+1)/12 with n = 24 → 50.
    assert_close(&[x.var(vec![0, 1, 2], false).unwrap().item().unwrap()], &[50.0], 1e-14);

    let y = f64s(&[3.0, -1.0, 7.0, 7.0, 0.0, -5.0], [2, 3]);
    assert_eq!(v64(&y.max(1, false).unwrap()), [7.0, 7.0]);
    assert_eq!(v64(&y.min(1, false).unwrap()), [-1.0, -5.0]);
    assert_eq!(v64(&y.max(0, true).unwrap()), [7.0, 0.0, 7.0]);
    assert_eq!(y.max(0, true).unwrap().dims(), [1, 3]);
    assert_eq!(v64(&y.min(0, false).unwrap()), [3.0, -1.0, -5.0]);
    assert_eq!(y.max_all().unwrap().item().unwrap(), 7.0);
    assert_eq!(y.min_all().unwrap().item().unwrap(), -5.0);
    assert_eq!(v64(&y.max([0, 1], false).unwrap()), [7.0]);

    let am = y.argmax(1, false).unwrap();
    assert_eq!(am.dtype(), DType::I64);
    assert_eq!(am.to_vec::<i64>().unwrap(), [2, 0]);
    assert_eq!(y.argmin(1, false).unwrap().to_vec::<i64>().unwrap(), [1, 2]);
    assert_eq!(y.argmax(0, true).unwrap().dims(), [1, 3]);
    // Ties: the first index.
    assert_eq!(y.argmax(0, true).unwrap().to_vec::<i64>().unwrap(), [1, 1, 0]);
    assert_eq!(
        f64s(&[2.0, 2.0, 1.0, 1.0], [4]).argmin(0, false).unwrap().to_vec::<i64>().unwrap(),
        [2]
    );
    // On a transposed view.
    assert_eq!(y.t().unwrap().argmax(0, false).unwrap().to_vec::<i64>().unwrap(), [2, 0]);

    // logsumexp by hand.
    let l = f64s(&[0.0, 1.0, 2.0, -1.0, -1.0, -1.0], [2, 3]);
    let want = [(1.0 + 1f64.exp() + 2f64.exp()).ln(), -1.0 + 3f64.ln()];
    assert_close(&v64(&l.logsumexp(1, false).unwrap()), &want, 1e-15);
    assert_eq!(l.logsumexp(1, true).unwrap().dims(), [2, 1]);
    let all = (1.0 + 1f64.exp() + 2f64.exp() + 3.0 * (-1f64).exp()).ln();
    assert_close(&[l.logsumexp([0, 1], false).unwrap().item().unwrap()], &[all], 1e-15);

    // f32 reductions.
    let z = Tensor::ones([1000, 3], DType::F32);
    assert_eq!(z.sum(0, false).unwrap().to_vec::<f32>().unwrap(), [1000.0; 3]);
    assert_eq!(z.sum_all().unwrap().item().unwrap(), 3000.0);
}

#[test]
fn large_reductions_are_accurate() {
    // Big enough for the parallel and chunked paths; values are exact in f64.
    let n: usize = 200_000;
    let x = Tensor::arange(0.0, n as f64, 1.0, DType::F64).unwrap().reshape([400, 500]).unwrap();
    assert_eq!(x.sum_all().unwrap().item().unwrap(), (n * (n - 1) / 2) as f64);
    let rows = v64(&x.sum(1, false).unwrap());
    assert_eq!(rows[3], (1500..2000).sum::<usize>() as f64);
    let cols = v64(&x.sum(0, false).unwrap());
    assert_eq!(cols[7], (0..400).map(|r| (r * 500 + 7) as f64).sum::<f64>());
    let tcols = v64(&x.t().unwrap().sum(1, false).unwrap());
    assert_eq!(tcols, cols);
    assert_eq!(v64(&x.max(1, false).unwrap())[399], (n - 1) as f64);
    assert_eq!(x.argmax(0, false).unwrap().to_vec::<i64>().unwrap()[0], 399);
}

#[test]
fn softmax_values_and_stability() {
    let base = [(0f64).exp(), 1f64.exp(), 2f64.exp()];
    let z: f64 = base.iter().sum();
    let want: Vec<f64> = base.iter().map(|e| e / z).collect();
    for shift in [0.0, 1000.0, -1000.0] {
        let x = f64s(&[shift, shift + 1.0, shift + 2.0], [1, 3]);
        let s = v64(&x.softmax(1).unwrap());
        assert_close(&s, &want, 1e-14);
        let x32 = f32s(&[shift as f32, shift as f32 + 1.0, shift as f32 + 2.0], [3]);
        let s32 = x32.softmax(0).unwrap().to_f64_vec();
        assert_close(&s32, &want, 1e-6);
        let ls = v64(&x.log_softmax(1).unwrap());
        let lwant: Vec<f64> = want.iter().map(|p| p.ln()).collect();
        assert_close(&ls, &lwant, 1e-13);
        let ls32 = x32.log_softmax(0).unwrap().to_f64_vec();
        assert!(ls32.iter().all(|v| v.is_finite()), "{ls32:?}");
        assert_close(&ls32, &lwant, 1e-5);
    }
    // Rows sum to 1, along the last axis and along axis 0.
    let x = Tensor::randn([4, 3, 5], 0.0, 3.0, DType::F64, &mut Rng::seed(3));
    let rows = x.softmax(2).unwrap().sum(2, false).unwrap();
    assert_close(&v64(&rows), &[1.0; 12], 1e-15);
    let cols = x.softmax(0).unwrap();
    assert_eq!(cols.dims(), [4, 3, 5]);
    assert_close(&v64(&cols.sum(0, false).unwrap()), &[1.0; 15], 1e-15);
    // softmax along axis 0 equals softmax of the transpose along the last axis, transposed back.
    let via_t = x.transpose(0, 2).unwrap().softmax(2).unwrap().transpose(0, 2).unwrap();
    assert_close(&v64(&cols), &v64(&via_t), 1e-15);
    // log_softmax = log(softmax).
    let ls = v64(&x.log_softmax(1).unwrap());
    let l_of_s: Vec<f64> = v64(&x.softmax(1).unwrap()).iter().map(|p| p.ln()).collect();
    assert_close(&ls, &l_of_s, 1e-13);
    // A very spread row: the small probabilities underflow to 0, log_softmax stays finite.
    let wide = f64s(&[0.0, 1000.0], [2]);
    assert_eq!(v64(&wide.softmax(0).unwrap()), [0.0, 1.0]);
    assert_eq!(v64(&wide.log_softmax(0).unwrap()), [-1000.0, 0.0]);
    assert!(matches!(x.softmax(3), Err(Error::AxisOutOfRange { .. })));
}

#[test]
fn logsumexp_stability_and_infinities() {
    let big = f64s(&[1000.0, 1000.0], [2]);
    assert_close(&[big.logsumexp(0, false).unwrap().item().unwrap()], &[1000.0 + 2f64.ln()], 1e-15);
    let small = f64s(&[-1000.0, -1000.0], [2]);
    assert_close(
        &[small.logsumexp(0, false).unwrap().item().unwrap()],
        &[-1000.0 + 2f64.ln()],
        1e-15,
    );
    let f32big = f32s(&[100.0, 100.0], [2]);
    assert!((f32big.logsumexp(0, false).unwrap().item().unwrap() - 100.0 - 2f64.ln()).abs() < 1e-4);

    let inf = f64::INFINITY;
    let lse = |v: &[f64]| f64s(v, [v.len()]).logsumexp(0, false).unwrap().item().unwrap();
    assert_eq!(lse(&[-inf, -inf]), -inf, "all −∞ gives −∞");
    assert_eq!(lse(&[-inf, 0.0]), 0.0, "−∞ adds nothing");
    assert_eq!(lse(&[-inf, 1.0, 1.0]), 1.0 + 2f64.ln());
    assert_eq!(lse(&[1.0, inf]), inf, "a +∞ element gives +∞");
    assert_eq!(lse(&[inf, -inf]), inf);
    assert!(lse(&[inf, f64::NAN]).is_nan());
    let lse32 = |v: &[f32]| f32s(v, [v.len()]).logsumexp(0, false).unwrap().item().unwrap();
    assert_eq!(lse32(&[1.0, f32::INFINITY]), inf);
    assert_eq!(lse32(&[f32::NEG_INFINITY, 0.0]), 0.0);
    // Per row.
    let m = f64s(&[0.0, inf, -inf, -inf, 1.0, 2.0], [3, 2]);
    let r = v64(&m.logsumexp(1, false).unwrap());
    assert_eq!(r[0], inf);
    assert_eq!(r[1], -inf);
    assert_close(&r[2..], &[(1f64.exp() + 2f64.exp()).ln()], 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Indexing and joining
// ---------------------------------------------------------------------------------------------

#[test]
fn index_select_values_and_errors() {
    let x = m23();
    let rows = x.index_select(0, &i64s(&[1, 1, 0], [3])).unwrap();
    assert_eq!(
        (rows.dims(), v64(&rows)),
        (&[3usize, 3][..], vec![3.0, 4.0, 5.0, 3.0, 4.0, 5.0, 0.0, 1.0, 2.0])
    );
    let cols = x.index_select(1, &i64s(&[2, 0], [2])).unwrap();
    assert_eq!(v64(&cols), [2.0, 0.0, 5.0, 3.0]);
    // From a transposed view.
    let tcols = x.t().unwrap().index_select(1, &i64s(&[1], [1])).unwrap();
    assert_eq!(v64(&tcols), [3.0, 4.0, 5.0]);
    let empty = x.index_select(0, &Tensor::from_vec(Vec::<i64>::new(), [0]).unwrap()).unwrap();
    assert_eq!(empty.dims(), [0, 3]);
    // i64 data.
    let xi = i64s(&[10, 20, 30], [3]);
    assert_eq!(xi.index_select(0, &i64s(&[2, 0], [2])).unwrap().to_vec::<i64>().unwrap(), [30, 10]);

    assert_eq!(
        x.index_select(1, &i64s(&[0, 3], [2])).unwrap_err(),
        Error::IndexOutOfRange { op: "index_select", index: 3, size: 3 }
    );
    assert_eq!(
        x.index_select(0, &i64s(&[-1], [1])).unwrap_err(),
        Error::IndexOutOfRange { op: "index_select", index: -1, size: 2 }
    );
    assert!(matches!(x.index_select(2, &i64s(&[0], [1])), Err(Error::AxisOutOfRange { .. })));
    assert!(matches!(x.index_select(0, &f64s(&[0.0], [1])), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(
        x.index_select(0, &i64s(&[0, 1], [1, 2])),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn gather_values_and_errors() {
    let x = m23(); // [[0,1,2],[3,4,5]]
    let g1 = x.gather(1, &i64s(&[2, 2, 0, 1], [2, 2])).unwrap();
    assert_eq!((g1.dims(), v64(&g1)), (&[2usize, 2][..], vec![2.0, 2.0, 3.0, 4.0]));
    let g0 = x.gather(0, &i64s(&[1, 0, 1], [1, 3])).unwrap();
    assert_eq!(v64(&g0), [3.0, 1.0, 5.0]);
    // Picking one class per row, as cross-entropy does.
    let picked = x.gather(1, &i64s(&[1, 2], [2, 1])).unwrap();
    assert_eq!((picked.dims(), v64(&picked)), (&[2usize, 1][..], vec![1.0, 5.0]));
    // From a transposed view: t = [[0,3],[1,4],[2,5]].
    let gt = x.t().unwrap().gather(1, &i64s(&[1, 0, 1], [3, 1])).unwrap();
    assert_eq!(v64(&gt), [3.0, 1.0, 5.0]);
    // A non-contiguous index.
    let idx_t = i64s(&[0, 1, 2, 2, 1, 0], [3, 2]).t().unwrap(); // [[0,2,1],[1,2,0]]
    assert_eq!(v64(&x.gather(1, &idx_t).unwrap()), [0.0, 2.0, 1.0, 4.0, 5.0, 3.0]);

    assert_eq!(
        x.gather(1, &i64s(&[0, 3], [2, 1])).unwrap_err(),
        Error::IndexOutOfRange { op: "gather", index: 3, size: 3 }
    );
    assert_eq!(
        x.gather(0, &i64s(&[-2], [1, 1])).unwrap_err(),
        Error::IndexOutOfRange { op: "gather", index: -2, size: 2 }
    );
    assert!(matches!(
        x.gather(1, &i64s(&[0, 0, 0], [3, 1])),
        Err(Error::ShapeMismatch { op: "gather", .. })
    ));
    assert!(matches!(
        x.gather(1, &i64s(&[0, 0], [2])),
        Err(Error::ShapeMismatch { op: "gather", .. })
    ));
}

#[test]
fn where_cond_values() {
    let mask = f64s(&[1.0, 0.0, 1.0], [3]);
    let a = m23();
    let b = Tensor::scalar(-1.0f64);
    let w = Tensor::where_cond(&mask, &a, &b).unwrap();
    assert_eq!((w.dims(), v64(&w)), (&[2usize, 3][..], vec![0.0, -1.0, 2.0, 3.0, -1.0, 5.0]));
    // An i64 column mask broadcast against rows.
    let col = i64s(&[0, 5], [2, 1]);
    let w2 = Tensor::where_cond(&col, &a, &a.neg().unwrap()).unwrap();
    assert_eq!(v64(&w2), [0.0, -1.0, -2.0, 3.0, 4.0, 5.0]);
    // A comparison mask: relu by hand.
    let x = f64s(&[-1.0, 2.0, -3.0], [3]);
    let zero = Tensor::scalar(0.0f64);
    let r = Tensor::where_cond(&x.gt(&zero).unwrap(), &x, &zero).unwrap();
    assert_eq!(v64(&r), [0.0, 2.0, 0.0]);
    // All three broadcast: (2,1) mask, (3) and (2,3) → (2,3).
    let w3 = Tensor::where_cond(&col, &f64s(&[7.0, 8.0, 9.0], [3]), &a).unwrap();
    assert_eq!(v64(&w3), [0.0, 1.0, 2.0, 7.0, 8.0, 9.0]);
    assert!(matches!(
        Tensor::where_cond(&f64s(&[1.0, 0.0], [2]), &a, &b),
        Err(Error::ShapeMismatch { op: "where", .. })
    ));
    assert!(matches!(
        Tensor::where_cond(&mask, &a, &Tensor::scalar(1.0f32)),
        Err(Error::DTypeMismatch { op: "where", .. })
    ));
}

#[test]
fn concat_and_stack_values_and_errors() {
    let a = m23();
    let b = f64s(&[6.0, 7.0, 8.0], [1, 3]);
    let c0 = Tensor::concat(&[a.clone(), b.clone()], 0).unwrap();
    assert_eq!(c0.dims(), [3, 3]);
    assert_eq!(v64(&c0), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    let c1 = Tensor::concat(&[a.clone(), f64s(&[9.0, 9.5], [2, 1]), a.clone()], 1).unwrap();
    assert_eq!(c1.dims(), [2, 7]);
    assert_eq!(v64(&c1), [0.0, 1.0, 2.0, 9.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 9.5, 3.0, 4.0, 5.0]);
    // Non-contiguous parts.
    let ct = Tensor::concat(&[a.t().unwrap(), a.t().unwrap()], 1).unwrap();
    assert_eq!(v64(&ct), [0.0, 3.0, 0.0, 3.0, 1.0, 4.0, 1.0, 4.0, 2.0, 5.0, 2.0, 5.0]);

    let s0 = Tensor::stack(&[a.clone(), a.neg().unwrap()], 0).unwrap();
    assert_eq!(s0.dims(), [2, 2, 3]);
    assert_eq!(v64(&s0)[6..], [-0.0, -1.0, -2.0, -3.0, -4.0, -5.0]);
    let s2 = Tensor::stack(&[a.clone(), a.add_scalar(10.0).unwrap()], 2).unwrap();
    assert_eq!(s2.dims(), [2, 3, 2]);
    assert_eq!(v64(&s2)[..4], [0.0, 10.0, 1.0, 11.0]);
    let v = Tensor::stack(&[Tensor::scalar(1.0f64), Tensor::scalar(2.0f64)], 0).unwrap();
    assert_eq!((v.dims(), v64(&v)), (&[2usize][..], vec![1.0, 2.0]));

    // Errors.
    assert_eq!(
        Tensor::concat(&[a.clone(), b.clone()], 1).unwrap_err(),
        Error::ShapeMismatch { op: "concat", lhs: Shape::from([2, 3]), rhs: Shape::from([1, 3]) }
    );
    assert!(matches!(
        Tensor::concat(&[a.clone(), f64s(&[1.0, 2.0, 3.0], [3])], 0),
        Err(Error::ShapeMismatch { op: "concat", .. })
    ));
    assert!(matches!(
        Tensor::concat(&[a.clone(), a.to_dtype(DType::F32).unwrap()], 0),
        Err(Error::ShapeMismatch { op: "concat", .. } | Error::DTypeMismatch { .. })
    ));
    assert!(matches!(Tensor::concat(&[], 0), Err(Error::InvalidArgument { .. })));
    assert!(matches!(
        Tensor::concat(std::slice::from_ref(&a), 2),
        Err(Error::AxisOutOfRange { .. })
    ));
    let err = Tensor::stack(&[a.clone(), b.clone()], 0).unwrap_err();
    assert_eq!(
        err,
        Error::ShapeMismatch { op: "stack", lhs: Shape::from([2, 3]), rhs: Shape::from([1, 3]) }
    );
    assert!(matches!(Tensor::stack(&[], 0), Err(Error::InvalidArgument { .. })));
    assert!(matches!(
        Tensor::stack(std::slice::from_ref(&a), 3),
        Err(Error::AxisOutOfRange { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Matrix products
// ---------------------------------------------------------------------------------------------

#[test]
fn matmul_known_values() {
    let a = f64s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
    let b = f64s(&[7.0, 8.0, 9.0, 10.0, 11.0, 12.0], [3, 2]);
    let c = a.matmul(&b).unwrap();
    assert_eq!((c.dims(), v64(&c)), (&[2usize, 2][..], vec![58.0, 64.0, 139.0, 154.0]));
    // Transposed operands: aᵀ aᵀᵀ... (3,2)×(2,3).
    let at = a.t().unwrap();
    let d = at.matmul(&a).unwrap();
    assert_eq!(v64(&d), [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
    assert_eq!(v64(&b.t().unwrap().matmul(&at).unwrap()), [58.0, 139.0, 64.0, 154.0]);
    // Vectors.
    let v = f64s(&[1.0, 0.0, -1.0], [3]);
    let av = a.matmul(&v).unwrap();
    assert_eq!((av.dims(), v64(&av)), (&[2usize][..], vec![-2.0, -2.0]));
    let w = f64s(&[1.0, -1.0], [2]);
    let wa = w.matmul(&a).unwrap();
    assert_eq!((wa.dims(), v64(&wa)), (&[3usize][..], vec![-3.0, -3.0, -3.0]));
    let vv = v.matmul(&f64s(&[4.0, 5.0, 6.0], [3])).unwrap();
    assert_eq!((vv.rank(), vv.item().unwrap()), (0, -2.0));
    // Batches: (2,2,3) × (3,2), and a batch-1 left operand broadcast over (2,3,2).
    let batch = Tensor::stack(&[a.clone(), a.neg().unwrap()], 0).unwrap();
    let bb = batch.matmul(&b).unwrap();
    assert_eq!(bb.dims(), [2, 2, 2]);
    assert_eq!(v64(&bb), [58.0, 64.0, 139.0, 154.0, -58.0, -64.0, -139.0, -154.0]);
    let b2 = Tensor::stack(&[b.clone(), Tensor::zeros([3, 2], DType::F64)], 0).unwrap();
    let one = a.unsqueeze(0).unwrap().matmul(&b2).unwrap();
    assert_eq!(v64(&one), [58.0, 64.0, 139.0, 154.0, 0.0, 0.0, 0.0, 0.0]);
    let left2d = a.matmul(&b2).unwrap();
    assert_eq!(left2d.dims(), [2, 2, 2]);
    assert_eq!(v64(&batch.matmul(&v).unwrap()), [-2.0, -2.0, 2.0, 2.0]);
    assert_eq!(w.matmul(&b2.t().unwrap()).unwrap().dims(), [2, 3]);
    // f32 and the identity.
    let a32 = a.to_dtype(DType::F32).unwrap();
    assert_eq!(
        a32.matmul(&Tensor::eye(3, DType::F32)).unwrap().to_vec::<f32>().unwrap(),
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
    // Empty inner dimension gives zeros.
    let e = Tensor::zeros([2, 0], DType::F64).matmul(&Tensor::zeros([0, 3], DType::F64)).unwrap();
    assert_eq!(v64(&e), [0.0; 6]);
}

#[test]
fn matmul_shape_errors() {
    let a = Tensor::zeros([2, 3], DType::F64);
    let mismatch = |l: &[usize], r: &[usize]| Error::ShapeMismatch {
        op: "matmul",
        lhs: Shape::from(l),
        rhs: Shape::from(r),
    };
    assert_eq!(
        a.matmul(&Tensor::zeros([2, 3], DType::F64)).unwrap_err(),
        mismatch(&[2, 3], &[2, 3])
    );
    assert_eq!(
        Tensor::zeros([2, 2, 3], DType::F64)
            .matmul(&Tensor::zeros([3, 3, 4], DType::F64))
            .unwrap_err(),
        mismatch(&[2, 2, 3], &[3, 3, 4])
    );
    // Vector operands: the error names the shapes the caller passed.
    assert_eq!(a.matmul(&Tensor::zeros([4], DType::F64)).unwrap_err(), mismatch(&[2, 3], &[4]));
    assert_eq!(Tensor::zeros([4], DType::F64).matmul(&a).unwrap_err(), mismatch(&[4], &[2, 3]));
    assert_eq!(
        Tensor::zeros([3], DType::F64).matmul(&Tensor::zeros([4], DType::F64)).unwrap_err(),
        mismatch(&[3], &[4])
    );
    let r4 = Tensor::zeros([1, 2, 3, 4], DType::F64);
    assert!(matches!(
        r4.matmul(&Tensor::zeros([4, 2], DType::F64)),
        Err(Error::ShapeMismatch { op: "matmul", .. })
    ));
    assert!(matches!(
        Tensor::scalar(1.0f64).matmul(&a),
        Err(Error::ShapeMismatch { op: "matmul", .. })
    ));
    assert!(matches!(
        a.matmul(&Tensor::zeros([3, 2], DType::F32)),
        Err(Error::DTypeMismatch { op: "matmul", .. })
    ));
    assert!(matches!(
        i64s(&[1, 2], [1, 2]).matmul(&i64s(&[1, 2], [2, 1])),
        Err(Error::DTypeMismatch { .. })
    ));
}

#[test]
fn f32_matmul_matches_a_naive_triple_loop() {
    let (m, k, n) = (32, 48, 32); // 1024 outputs
    let mut rng = Rng::seed(99);
    let a = Tensor::randn([m, k], 0.0, 1.0, DType::F32, &mut rng);
    let b = Tensor::randn([k, n], 0.0, 1.0, DType::F32, &mut rng);
    let (av, bv) = (a.to_vec::<f32>().unwrap(), b.to_vec::<f32>().unwrap());
    let naive = |av: &[f32], bv: &[f32]| -> Vec<f64> {
        let mut out = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| av[i * k + p] as f64 * bv[p * n + j] as f64).sum();
            }
        }
        out
    };
    let want = naive(&av, &bv);
    // f32 accumulation of 48 products of N(0,1) values: error ≲ k · 2⁻²⁴ · Σ|a b|.
    let check = |c: &Tensor| {
        assert_eq!(c.dims(), [m, n]);
        let got = c.to_vec::<f32>().unwrap();
        for (idx, (g, w)) in got.iter().zip(&want).enumerate() {
            let (i, j) = (idx / n, idx % n);
            let scale: f64 = (0..k).map(|p| (av[i * k + p] * bv[p * n + j]).abs() as f64).sum();
            assert!((*g as f64 - w).abs() <= 1e-5 * scale, "[{i},{j}]: {g} vs {w}");
        }
    };
    check(&a.matmul(&b).unwrap());
    // The same product from transposed storage: (bᵀ aᵀ)ᵀ.
    let bt = b.t().unwrap().contiguous();
    let at = a.t().unwrap().contiguous();
    check(&bt.matmul(&at).unwrap().t().unwrap().contiguous());
    check(&at.t().unwrap().matmul(&bt.t().unwrap()).unwrap());
    // And as a batch of one.
    let batched = a.unsqueeze(0).unwrap().matmul(&b.unsqueeze(0).unwrap()).unwrap();
    check(&batched.squeeze(0).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Integers, printing, drawing
// ---------------------------------------------------------------------------------------------

#[test]
fn i64_tensors() {
    let t = i64s(&[3, -1, 4, 1, -5, 9], [2, 3]);
    assert_eq!(t.dtype(), DType::I64);
    assert_eq!(t.dtype().size_in_bytes(), 8);
    assert!(!t.dtype().is_float());
    let am = t.argmax(1, false).unwrap();
    assert_eq!((am.dtype(), am.to_vec::<i64>().unwrap()), (DType::I64, vec![2, 2]));
    assert_eq!(t.argmin(1, true).unwrap().to_vec::<i64>().unwrap(), [1, 1]);
    assert_eq!(t.argmin(1, true).unwrap().dims(), [2, 1]);
    assert_eq!(t.t().unwrap().to_vec::<i64>().unwrap(), [3, 1, -1, -5, 4, 9]);
    assert_eq!(t.reshape([3, 2]).unwrap().to_vec::<i64>().unwrap(), [3, -1, 4, 1, -5, 9]);
    assert_eq!(t.to_f64_vec(), [3.0, -1.0, 4.0, 1.0, -5.0, 9.0]);
    // Casts: to float and back (truncating toward zero).
    let f = t.to_dtype(DType::F32).unwrap();
    assert_eq!(f.to_vec::<f32>().unwrap(), [3.0, -1.0, 4.0, 1.0, -5.0, 9.0]);
    let back = f64s(&[1.9, -1.9, 2.0], [3]).to_dtype(DType::I64).unwrap();
    assert_eq!(back.to_vec::<i64>().unwrap(), [1, -1, 2]);
    // Floating-point ops refuse integers with a dtype error rather than a panic.
    assert!(matches!(t.exp(), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(t.sum_all(), Err(Error::DTypeMismatch { op: "sum", .. })));
    assert!(matches!(t.add(&t), Err(Error::DTypeMismatch { op: "add", .. })));
    assert!(matches!(t.softmax(1), Err(Error::DTypeMismatch { .. })));
}

#[test]
fn display_of_small_tensors() {
    let t = f32s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
    assert_eq!(
        t.to_string(),
        "Tensor[2, 3] f32\n[[1.0000, 2.0000, 3.0000],\n [4.0000, 5.0000, 6.0000]]"
    );
    let n = f64s(&[-1.5, 2.0, 3.25, 0.0], [2, 2]);
    assert_eq!(n.to_string(), "Tensor[2, 2] f64\n[[-1.5000,  2.0000],\n [ 3.2500,  0.0000]]");
    let i = i64s(&[1, 20, -3], [3]);
    assert_eq!(i.to_string(), "Tensor[3] i64\n[ 1, 20, -3]");
    assert_eq!(Tensor::scalar(2.5f64).to_string(), "Tensor[] f64\n2.5000");
    let cube = i64s(&[0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]);
    assert_eq!(
        cube.to_string(),
        "Tensor[2, 2, 2] i64\n[[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]]"
    );
    // A view prints its logical values; Debug prints the same as Display.
    assert_eq!(
        t.t().unwrap().to_string(),
        "Tensor[3, 2] f32\n[[1.0000, 4.0000],\n [2.0000, 5.0000],\n [3.0000, 6.0000]]"
    );
    assert_eq!(format!("{t:?}"), t.to_string());
}

#[test]
fn dot_drawing_of_a_graph() {
    let x = f64s(&[1.0, 2.0], [2]);
    let w = f64s(&[0.5, -0.25], [2]).requires_grad();
    let b = Tensor::scalar(0.1f64).requires_grad();
    let z = w.mul(&x).unwrap();
    let s = z.sum_all().unwrap();
    let sb = s.add(&b).unwrap();
    let p = sb.sigmoid().unwrap();
    let dot = p.to_dot(&[(&w, "w"), (&p, "y_hat")]);
    assert!(dot.starts_with("digraph axon {"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    for name in ["mul", "sum[0]", "add", "sigmoid", "leaf", "const", "w leaf", "y_hat sigmoid"] {
        assert!(dot.contains(name), "missing {name:?} in\n{dot}");
    }
    let edge =
        |from: &Tensor, to: &Tensor| format!("t{} -> t{};", from.id().value(), to.id().value());
    for (from, to) in [(&w, &z), (&x, &z), (&z, &s), (&s, &sb), (&b, &sb), (&sb, &p)] {
        assert!(dot.contains(&edge(from, to)), "missing edge {} in\n{dot}", edge(from, to));
    }
    // 7 tensors (x, w, z, s, b, s + b, p): 7 nodes and 6 edges.
    assert_eq!(dot.matches(" -> ").count(), 6, "{dot}");
    assert_eq!(dot.matches("[label=").count(), 7, "{dot}");
    assert!(dot.contains("lightblue") && dot.contains("lightgrey"));
    // An untracked tensor draws as a single constant.
    let c = x.to_dot(&[]);
    assert_eq!(c.matches("[label=").count(), 1);
    assert!(c.contains("const") && !c.contains("->"));
}
