//! The `nn` module: gradient checks (central differences through `axon::gradcheck`, in `f64`) of
//! every loss and of the layers with parameters, loss values against their closed forms
//! (including PyTorch's clamping and weighted means), module plumbing (parameter names, training
//! mode, PyTorch-style printing, parameter counts), initialiser bounds and spreads, and the
//! `DataLoader` (batch sizes, `drop_last`, seeded shuffling that pairs `x` and `y` rows).

use axon::data::{gather_rows, DataLoader};
use axon::nn::init::{self, FanMode, Nonlinearity};
use axon::nn::loss::{bce_loss, bce_with_logits, cross_entropy, mse_loss, nll_loss, Reduction};
use axon::nn::{
    with_prefix, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, Maxout, Module, Param,
    ReLU, Sequential, Sigmoid, Softmax, Softplus, Step, Tanh, ThresholdNeuron, ELU, GELU,
};
use axon::{gradcheck, DType, Error, Result, Rng, Shape, Tensor};

const EPS: f64 = 1e-6;
const ATOL: f64 = 1e-7;
const RTOL: f64 = 1e-5;

fn check(name: &str, f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Tensor]) {
    let report = gradcheck(f, inputs, EPS).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!("gradcheck {name}: {report}");
    assert!(
        report.is_close(ATOL, RTOL),
        "{name}: {report}\n{:?}\n{:?}",
        report.analytic,
        report.numeric
    );
    assert!(report.analytic.iter().map(Vec::len).sum::<usize>() > 0, "{name}: nothing checked");
}

fn rand(shape: impl Into<Shape>, lo: f64, hi: f64, seed: u64) -> Tensor {
    Tensor::rand(shape, lo, hi, DType::F64, &mut Rng::seed(seed))
}

fn labels(values: &[i64]) -> Tensor {
    Tensor::from_vec(values.to_vec(), [values.len()]).unwrap()
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol * want.abs().max(1.0), "{what}: got {got}, want {want}");
}

// ---------------------------------------------------------------- gradient checks of the losses

#[test]
fn gradcheck_mse() {
    for reduction in [Reduction::Mean, Reduction::Sum] {
        let f = |t: &[Tensor]| mse_loss(&t[0], &t[1], reduction);
        check("mse", f, &[rand([4, 3], -2.0, 2.0, 1), rand([4, 3], -2.0, 2.0, 2)]);
    }
}

#[test]
fn gradcheck_bce() {
    let p = rand([5, 2], 0.05, 0.95, 3);
    let y = rand([5, 2], 0.0, 1.0, 4); // soft targets check the gradient in y as well
    let w = rand([2], 0.5, 2.0, 5);
    for reduction in [Reduction::Mean, Reduction::Sum] {
        check("bce", |t| bce_loss(&t[0], &t[1], None, reduction), &[p.clone(), y.clone()]);
        let f = |t: &[Tensor]| bce_loss(&t[0], &t[1], Some(&t[2]), reduction);
        check("bce weighted", f, &[p.clone(), y.clone(), w.clone()]);
    }
}

#[test]
fn gradcheck_bce_with_logits() {
    let x = rand([6, 2], -6.0, 6.0, 6);
    let y = rand([6, 2], 0.0, 1.0, 7);
    let w = rand([6, 1], 0.5, 2.0, 8);
    for reduction in [Reduction::Mean, Reduction::Sum] {
        let f = |t: &[Tensor]| bce_with_logits(&t[0], &t[1], None, reduction);
        check("bce_with_logits", f, &[x.clone(), y.clone()]);
        let f = |t: &[Tensor]| bce_with_logits(&t[0], &t[1], Some(&t[2]), reduction);
        check("bce_with_logits weighted", f, &[x.clone(), y.clone(), w.clone()]);
    }
}

#[test]
fn gradcheck_cross_entropy_and_nll() {
    let x = rand([5, 4], -3.0, 3.0, 9);
    let y = labels(&[0, 3, 1, 3, 2]);
    let w = rand([4], 0.2, 2.0, 10);
    for reduction in [Reduction::Mean, Reduction::Sum] {
        let f = |t: &[Tensor]| cross_entropy(&t[0], &t[1], None, reduction);
        check("cross_entropy", f, &[x.clone(), y.clone()]);
        let f = |t: &[Tensor]| cross_entropy(&t[0], &t[1], Some(&t[2]), reduction);
        check("cross_entropy weighted", f, &[x.clone(), y.clone(), w.clone()]);
        let f = |t: &[Tensor]| nll_loss(&t[0].log_softmax(1)?, &t[1], Some(&t[2]), reduction);
        check("nll weighted", f, &[x.clone(), y.clone(), w.clone()]);
        let f = |t: &[Tensor]| nll_loss(&t[0], &t[1], None, reduction);
        check("nll", f, &[x.clone(), y.clone()]);
    }
}

// ---------------------------------------------------------------- gradient checks of the layers

#[test]
fn gradcheck_linear_in_input_weight_and_bias() {
    let f = |t: &[Tensor]| Linear::from_tensors(t[1].clone(), Some(t[2].clone()))?.forward(&t[0]);
    check(
        "linear",
        f,
        &[rand([3, 4], -1.0, 1.0, 11), rand([2, 4], -1.0, 1.0, 12), rand([2], -1.0, 1.0, 13)],
    );
    let f = |t: &[Tensor]| Linear::from_tensors(t[1].clone(), None)?.forward(&t[0]);
    check(
        "linear, no bias, 1-D input",
        f,
        &[rand([4], -1.0, 1.0, 14), rand([3, 4], -1.0, 1.0, 15)],
    );
}

#[test]
fn gradcheck_activation_modules() {
    // Values kept clear of the kinks at 0 of relu, leaky relu and elu.
    let x = rand([3, 6], 0.2, 1.5, 16)
        .mul(&Tensor::from_vec(vec![1.0, -1.0, 1.0, -1.0, -1.0, 1.0], [6]).unwrap())
        .unwrap();
    let modules: Vec<Box<dyn Module>> = vec![
        Box::new(Sigmoid),
        Box::new(Tanh),
        Box::new(ReLU),
        Box::new(LeakyReLU::default()),
        Box::new(ELU::new(0.7)),
        Box::new(GELU),
        Box::new(Softplus),
        Box::new(Softmax::new(1)),
        Box::new(LogSoftmax::new(0)),
        Box::new(Maxout::new(3).unwrap()),
        Box::new(Flatten::new()),
        Box::new(Identity),
    ];
    for m in &modules {
        check(&m.describe(), |t| m.forward(&t[0]), std::slice::from_ref(&x));
    }
}

#[test]
fn gradcheck_dropout_with_a_fixed_mask() {
    // A fresh layer with the same seed draws the same mask at every evaluation.
    let f = |t: &[Tensor]| Dropout::new(0.4, Rng::seed(3))?.forward(&t[0]);
    check("dropout", f, &[rand([4, 5], -1.0, 1.0, 17)]);
}

#[test]
fn gradcheck_mlp_through_sequential_parameters() {
    // The gradient of every parameter of a small network, each checked as an input.
    let f = |t: &[Tensor]| {
        let net = Sequential::new()
            .with(Linear::from_tensors(t[1].clone(), Some(t[2].clone()))?)
            .with(Tanh)
            .with(Linear::from_tensors(t[3].clone(), Some(t[4].clone()))?);
        cross_entropy(&net.forward(&t[0])?, &labels(&[0, 2, 1]), None, Reduction::Mean)
    };
    let inputs = [
        rand([3, 4], -1.0, 1.0, 18),
        rand([5, 4], -1.0, 1.0, 19),
        rand([5], -1.0, 1.0, 20),
        rand([3, 5], -1.0, 1.0, 21),
        rand([3], -1.0, 1.0, 22),
    ];
    check("mlp", f, &inputs);
}

// ---------------------------------------------------------------- loss values in closed form

#[test]
fn mse_value() {
    let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2]).unwrap();
    let b = Tensor::from_vec(vec![0.0f64, 2.5, 3.0, 6.0], [2, 2]).unwrap();
    close(
        mse_loss(&a, &b, Reduction::Sum).unwrap().item().unwrap(),
        1.0 + 0.25 + 4.0,
        1e-15,
        "sum",
    );
    close(mse_loss(&a, &b, Reduction::Mean).unwrap().item().unwrap(), 5.25 / 4.0, 1e-15, "mean");
}

#[test]
fn bce_values_and_pytorch_clamp() {
    let p = [0.9f64, 0.2, 0.6, 0.0, 1.0, 0.0];
    let y = [1.0f64, 0.0, 0.0, 1.0, 0.0, 0.0];
    let want: Vec<f64> = vec![-(0.9f64.ln()), -(0.8f64.ln()), -(0.4f64.ln()), 100.0, 100.0, 0.0];
    let pt = Tensor::from_vec(p.to_vec(), [6]).unwrap();
    let yt = Tensor::from_vec(y.to_vec(), [6]).unwrap();
    let sum: f64 = want.iter().sum();
    close(bce_loss(&pt, &yt, None, Reduction::Sum).unwrap().item().unwrap(), sum, 1e-12, "bce sum");
    close(
        bce_loss(&pt, &yt, None, Reduction::Mean).unwrap().item().unwrap(),
        sum / 6.0,
        1e-12,
        "bce mean",
    );
    // The gradient stays finite where the log is clamped.
    let leaf = pt.clone().requires_grad();
    let g = bce_loss(&leaf, &yt, None, Reduction::Sum).unwrap().backward().unwrap();
    assert!(g.get(&leaf).unwrap().to_f64_vec().iter().all(|v| v.is_finite()));
    // Weighted: each term rescaled, the mean still over elements.
    let w = Tensor::from_vec(vec![2.0f64, 1.0, 0.5, 0.0, 0.0, 3.0], [6]).unwrap();
    let wsum: f64 = want.iter().zip([2.0, 1.0, 0.5, 0.0, 0.0, 3.0]).map(|(l, w)| l * w).sum();
    close(
        bce_loss(&pt, &yt, Some(&w), Reduction::Mean).unwrap().item().unwrap(),
        wsum / 6.0,
        1e-12,
        "weighted",
    );
}

#[test]
fn bce_with_logits_is_stable_and_equals_bce_of_sigmoid() {
    let x = Tensor::from_vec(vec![-3.0f64, -0.5, 0.0, 0.7, 4.0], [5]).unwrap();
    let y = Tensor::from_vec(vec![0.0f64, 1.0, 1.0, 0.0, 1.0], [5]).unwrap();
    let a = bce_with_logits(&x, &y, None, Reduction::Sum).unwrap().item().unwrap();
    let b = bce_loss(&x.sigmoid().unwrap(), &y, None, Reduction::Sum).unwrap().item().unwrap();
    close(a, b, 1e-12, "logits vs probabilities");
    // Where σ(x) rounds to 0 or 1, the stable form is still exact: loss = |x| for a wrong sign.
    let x = Tensor::from_vec(vec![800.0f64, -800.0, 40.0], [3]).unwrap();
    let y = Tensor::from_vec(vec![0.0f64, 1.0, 1.0], [3]).unwrap();
    let l = bce_with_logits(&x, &y, None, Reduction::Sum).unwrap().item().unwrap();
    close(l, 1600.0 + (-40f64).exp().ln_1p(), 1e-12, "large logits");
    let x32 = Tensor::from_vec(vec![200.0f32, -200.0], [2]).unwrap();
    let y32 = Tensor::from_vec(vec![0.0f32, 1.0], [2]).unwrap();
    close(
        bce_with_logits(&x32, &y32, None, Reduction::Mean).unwrap().item().unwrap(),
        200.0,
        1e-6,
        "f32",
    );
}

/// `log Σ_j e^{x_j} − x_y` for one row, in plain `f64`.
fn ce_row(row: &[f64], y: usize) -> f64 {
    let m = row.iter().cloned().fold(f64::MIN, f64::max);
    m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln() - row[y]
}

#[test]
fn cross_entropy_values_weighted_mean_and_gradient() {
    let rows = [[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.3, 0.3, -2.0], [500.0, 0.0, -500.0]];
    let y = [1usize, 2, 0, 2];
    let x = Tensor::from_vec(rows.concat(), [4, 3]).unwrap();
    let t = labels(&[1, 2, 0, 2]);
    let per: Vec<f64> = rows.iter().zip(y).map(|(r, y)| ce_row(r, y)).collect();
    assert!((per[3] - 1000.0).abs() < 1e-9, "logits of ±500 do not overflow");
    let sum: f64 = per.iter().sum();
    close(cross_entropy(&x, &t, None, Reduction::Sum).unwrap().item().unwrap(), sum, 1e-12, "sum");
    close(
        cross_entropy(&x, &t, None, Reduction::Mean).unwrap().item().unwrap(),
        sum / 4.0,
        1e-12,
        "mean",
    );
    // Weighted mean: Σ w_{y_i} ℓ_i / Σ w_{y_i}; the weighted sum has no denominator.
    let w = [0.5, 2.0, 3.0];
    let wt = Tensor::from_vec(w.to_vec(), [3]).unwrap();
    let num: f64 = per.iter().zip(y).map(|(l, y)| w[y] * l).sum();
    let den: f64 = y.iter().map(|&y| w[y]).sum();
    close(
        cross_entropy(&x, &t, Some(&wt), Reduction::Mean).unwrap().item().unwrap(),
        num / den,
        1e-12,
        "weighted mean",
    );
    close(
        cross_entropy(&x, &t, Some(&wt), Reduction::Sum).unwrap().item().unwrap(),
        num,
        1e-12,
        "weighted sum",
    );
    // NLL of log_softmax is the same loss.
    let nll = nll_loss(&x.log_softmax(1).unwrap(), &t, Some(&wt), Reduction::Mean).unwrap();
    close(nll.item().unwrap(), num / den, 1e-12, "nll");
    // ∂L/∂x = (softmax(x) − onehot(y)) / N for the plain mean.
    let leaf = x.clone().requires_grad();
    let g = cross_entropy(&leaf, &t, None, Reduction::Mean).unwrap().backward().unwrap();
    let g = g.get(&leaf).unwrap().to_f64_vec();
    let s = x.softmax(1).unwrap().to_f64_vec();
    for i in 0..4 {
        for j in 0..3 {
            let onehot = if y[i] == j { 1.0 } else { 0.0 };
            close(g[i * 3 + j], (s[i * 3 + j] - onehot) / 4.0, 1e-12, "ce gradient");
        }
    }
}

#[test]
fn loss_errors() {
    let x = rand([3, 2], 0.1, 0.9, 1);
    let bad = |r: Result<Tensor>| assert!(r.is_err());
    bad(mse_loss(&x, &rand([2, 3], 0.0, 1.0, 2), Reduction::Mean));
    bad(bce_loss(&x.add_scalar(0.5).unwrap(), &x, None, Reduction::Mean)); // p > 1
    bad(cross_entropy(&x, &labels(&[0, 2, 1]), None, Reduction::Mean)); // class 2 of 2
    bad(cross_entropy(&x, &labels(&[0, 1]), None, Reduction::Mean)); // 2 labels for 3 rows
    bad(cross_entropy(&x, &x, None, Reduction::Mean)); // float labels
    bad(cross_entropy(&x, &labels(&[0, 1, 1]), Some(&rand([3], 0.0, 1.0, 3)), Reduction::Mean));
    match cross_entropy(&x, &labels(&[0, -1, 1]), None, Reduction::Mean) {
        Err(Error::IndexOutOfRange { index: -1, .. }) => {}
        other => panic!("{:?}", other.map(|t| t.to_f64_vec())),
    }
}

// ---------------------------------------------------------------- modules

fn mlp_3_4_2(rng: &mut Rng) -> Sequential {
    Sequential::new()
        .with(Linear::new(3, 4, true, DType::F32, rng).unwrap())
        .with(Sigmoid)
        .with(Linear::new(4, 2, true, DType::F32, rng).unwrap())
}

#[test]
fn sequential_names_counts_and_display() {
    let net = mlp_3_4_2(&mut Rng::seed(1));
    let names: Vec<String> = net.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
    let prefixed = with_prefix("layers", net.parameters());
    assert_eq!(prefixed[2].0, "layers.2.weight");
    assert_eq!(net.num_parameters(), 26);
    assert_eq!(
        net.to_string(),
        "Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n  (1): Sigmoid()\n  \
         (2): Linear(in_features=4, out_features=2, bias=True)\n)\nTrainable parameters: 26"
    );
    let w = &net.parameters()[0].1;
    assert_eq!(w.value().dims(), [4, 3]);
    let y = net.forward(&Tensor::ones([5, 3], DType::F32)).unwrap();
    assert_eq!(y.dims(), [5, 2]);
}

#[test]
fn linear_default_init_is_pytorch_uniform_bound() {
    let layer = Linear::new(50, 30, true, DType::F64, &mut Rng::seed(2)).unwrap();
    let bound = 1.0 / 50f64.sqrt();
    for (_, p) in layer.parameters() {
        let v = p.value().to_f64_vec();
        assert!(v.iter().all(|x| x.abs() <= bound));
        // U(−b, b) has max close to b: the draw is not a narrower distribution.
        assert!(v.iter().cloned().fold(0.0, f64::max) > 0.8 * bound);
    }
    // y = x Wᵀ + b, checked element by element.
    let x = rand([2, 50], -1.0, 1.0, 3);
    let y = layer.forward(&x).unwrap().to_f64_vec();
    let (w, b, xv) = (
        layer.weight().value().to_f64_vec(),
        layer.bias().unwrap().value().to_f64_vec(),
        x.to_f64_vec(),
    );
    for i in 0..2 {
        for o in 0..30 {
            let want: f64 = (0..50).map(|k| xv[i * 50 + k] * w[o * 50 + k]).sum::<f64>() + b[o];
            close(y[i * 30 + o], want, 1e-12, "x Wᵀ + b");
        }
    }
    assert!(layer.forward(&rand([2, 49], 0.0, 1.0, 4)).is_err());
    assert!(Linear::new(0, 3, true, DType::F32, &mut Rng::seed(0)).is_err());
}

#[test]
fn param_slots_are_shared_and_replaced_as_leaves() {
    let p = Param::new("weight", Tensor::zeros([2, 2], DType::F32));
    let q = p.clone();
    assert!(p.value().is_leaf_param());
    p.set(Tensor::ones([2, 2], DType::F32)).unwrap();
    assert_eq!(q.value().to_vec::<f32>().unwrap(), [1.0; 4]);
    assert!(q.value().is_leaf_param() && q.same_slot(&p));
    assert!(p.set(Tensor::ones([4], DType::F32)).is_err());
    assert!(p.set(Tensor::ones([2, 2], DType::F64)).is_err());
    let loss = p.value().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    assert_eq!(p.grad(&grads).unwrap().to_vec::<f32>().unwrap(), [1.0; 4]);
    p.set(Tensor::zeros([2, 2], DType::F32)).unwrap();
    assert!(p.grad(&grads).is_none(), "a new leaf has no gradient in an old store");
}

#[test]
fn dropout_train_and_eval() {
    let mut net = Sequential::new().with(Dropout::new(0.25, Rng::seed(5)).unwrap());
    let x = Tensor::ones([200, 50], DType::F32);
    let y = net.forward(&x).unwrap().to_f64_vec();
    let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / y.len() as f64;
    assert!((zeros - 0.25).abs() < 0.02, "dropped fraction {zeros}");
    assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6), "inverted scaling");
    assert!(net.is_training());
    net.train(false);
    assert!(!net.is_training() && !net.layers()[0].is_training());
    assert_eq!(net.forward(&x).unwrap().to_f64_vec(), x.to_f64_vec(), "identity in eval mode");
    assert!(Dropout::new(1.5, Rng::seed(0)).is_err());
    assert!(Dropout::new(-0.1, Rng::seed(0)).is_err());
}

#[test]
fn activation_modules_match_their_formulas() {
    let xs = [-2.0f64, -0.5, 0.0, 0.5, 3.0];
    let x = Tensor::from_vec(xs.to_vec(), [1, 5]).unwrap();
    type Case = (Box<dyn Module>, fn(f64) -> f64);
    let cases: Vec<Case> = vec![
        (Box::new(Sigmoid), |v| 1.0 / (1.0 + (-v).exp())),
        (Box::new(Tanh), f64::tanh),
        (Box::new(ReLU), |v| v.max(0.0)),
        (Box::new(LeakyReLU::default()), |v| if v > 0.0 { v } else { 0.01 * v }),
        (Box::new(ELU::new(0.5)), |v| if v > 0.0 { v } else { 0.5 * (v.exp() - 1.0) }),
        (Box::new(Softplus), |v| v.exp().ln_1p()),
        (Box::new(GELU), |v| 0.5 * v * (1.0 + libm::erf(v / 2f64.sqrt()))),
        (Box::new(Step::default()), |v| if v >= 0.0 { 1.0 } else { 0.0 }),
    ];
    for (m, f) in cases {
        let y = m.forward(&x).unwrap().to_f64_vec();
        for (v, got) in xs.iter().zip(y) {
            close(got, f(*v), 1e-12, &m.describe());
        }
    }
    let s = Softmax::new(1).forward(&x).unwrap().to_f64_vec();
    close(s.iter().sum(), 1.0, 1e-15, "softmax sums to 1");
    let l = LogSoftmax::new(1).forward(&x).unwrap().to_f64_vec();
    for (a, b) in s.iter().zip(l) {
        close(a.ln(), b, 1e-12, "log softmax");
    }
}

#[test]
fn maxout_threshold_and_flatten() {
    let x = Tensor::from_vec(vec![1.0f64, 5.0, 2.0, -1.0, -3.0, -2.0], [1, 6]).unwrap();
    assert_eq!(Maxout::new(3).unwrap().forward(&x).unwrap().to_f64_vec(), [5.0, -1.0]);
    assert_eq!(Maxout::new(2).unwrap().forward(&x).unwrap().to_f64_vec(), [5.0, 2.0, -2.0]);
    assert!(Maxout::new(4).unwrap().forward(&x).is_err());
    assert!(Maxout::new(0).is_err());
    // The step output records no graph: the threshold neuron is not differentiable.
    let inputs = Tensor::from_vec(vec![0.0f64, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], [4, 2]).unwrap();
    let and = ThresholdNeuron::new(vec![1.0, 1.0], -1.5);
    assert_eq!(and.forward(&inputs).unwrap().to_f64_vec(), [0.0, 0.0, 0.0, 1.0]);
    let tracked = inputs.clone().requires_grad();
    assert!(!and.forward(&tracked).unwrap().is_tracked());
    assert!(and.forward(&Tensor::ones([4, 3], DType::F64)).is_err());
    let img = Tensor::zeros([2, 3, 4, 5], DType::F32);
    assert_eq!(Flatten::new().forward(&img).unwrap().dims(), [2, 60]);
    assert_eq!(Flatten::from_axis(2).forward(&img).unwrap().dims(), [2, 3, 20]);
}

// ---------------------------------------------------------------- init

fn mean_std(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt())
}

#[test]
fn initialisers_follow_pytorch_formulas() {
    let mut rng = Rng::seed(9);
    assert_eq!(init::fans(&Shape::from([16, 3, 5, 5])).unwrap(), (75, 400));
    assert!(init::fans(&Shape::from([7])).is_err());
    close(Nonlinearity::LeakyRelu(0.2).gain(), (2.0f64 / 1.04).sqrt(), 1e-15, "gain");
    close(Nonlinearity::Tanh.gain(), 5.0 / 3.0, 1e-15, "tanh gain");
    // Xavier uniform on (300, 200): bound √(6/500); its std is bound/√3.
    let w = init::xavier_uniform([300, 200], 1.0, DType::F64, &mut rng).unwrap().to_f64_vec();
    let bound = (6.0f64 / 500.0).sqrt();
    assert!(w.iter().all(|v| v.abs() <= bound));
    let (m, s) = mean_std(&w);
    assert!(m.abs() < 0.003 && (s / (bound / 3f64.sqrt()) - 1.0).abs() < 0.01, "{m} {s}");
    let w = init::xavier_normal([300, 200], 2.0, DType::F64, &mut rng).unwrap().to_f64_vec();
    let (_, s) = mean_std(&w);
    assert!((s / (2.0 * (2.0f64 / 500.0).sqrt()) - 1.0).abs() < 0.01, "{s}");
    // Kaiming: std √2/√fan_in for ReLU, fan_out when asked.
    let w =
        init::kaiming_normal([300, 200], FanMode::FanIn, Nonlinearity::Relu, DType::F64, &mut rng)
            .unwrap();
    let (_, s) = mean_std(&w.to_f64_vec());
    assert!((s / (2.0f64 / 200.0).sqrt() - 1.0).abs() < 0.01, "{s}");
    let w = init::kaiming_uniform(
        [300, 200],
        FanMode::FanOut,
        Nonlinearity::Linear,
        DType::F32,
        &mut rng,
    )
    .unwrap();
    let bound = (3.0f64 / 300.0).sqrt();
    assert!(w.to_f64_vec().iter().all(|v| v.abs() <= bound + 1e-7));
    assert_eq!(w.dtype(), DType::F32);
}

// ---------------------------------------------------------------- data loader

#[test]
fn loader_batches_in_order_and_drop_last() {
    let x = Tensor::arange(0.0, 20.0, 1.0, DType::F32).unwrap().reshape([10, 2]).unwrap();
    let y = Tensor::from_vec((0..10).collect::<Vec<i64>>(), [10]).unwrap();
    let mut loader = DataLoader::new(x.clone(), y.clone(), 4).unwrap();
    assert_eq!(loader.len(), 3);
    let batches: Vec<(Tensor, Tensor)> = loader.epoch().map(|b| b.unwrap()).collect();
    let sizes: Vec<usize> = batches.iter().map(|(x, _)| x.dims()[0]).collect();
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(batches[2].1.to_vec::<i64>().unwrap(), [8, 9]);
    assert_eq!(
        batches[1].0.to_vec::<f32>().unwrap(),
        (8..16).map(|v| v as f32).collect::<Vec<_>>()
    );
    let mut loader = DataLoader::new(x.clone(), y.clone(), 4).unwrap().drop_last(true);
    assert_eq!(loader.len(), 2);
    assert_eq!(loader.epoch().count(), 2);
    assert!(DataLoader::new(x.clone(), labels(&[1, 2]), 4).is_err());
    assert!(DataLoader::new(x.clone(), y.clone(), 0).is_err());
    assert!(gather_rows(&x, &[3, 10]).is_err());
}

#[test]
fn loader_shuffles_per_epoch_with_a_seed_and_keeps_pairs() {
    let n = 23;
    let x = Tensor::arange(0.0, (n * 3) as f64, 1.0, DType::F64).unwrap().reshape([n, 3]).unwrap();
    let y = Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), [n]).unwrap();
    let order = |loader: &mut DataLoader| -> Vec<i64> {
        let mut seen = Vec::new();
        for batch in loader.epoch() {
            let (xb, yb) = batch.unwrap();
            let (xv, yv) = (xb.to_f64_vec(), yb.to_vec::<i64>().unwrap());
            for (r, &label) in yv.iter().enumerate() {
                assert_eq!(xv[r * 3], (label * 3) as f64, "x row paired with its label");
                assert_eq!(xv[r * 3 + 2], (label * 3 + 2) as f64);
            }
            seen.extend(yv);
        }
        seen
    };
    let mut a = DataLoader::new(x.clone(), y.clone(), 5).unwrap().shuffle(Rng::seed(4));
    let mut b = DataLoader::new(x, y, 5).unwrap().shuffle(Rng::seed(4));
    let (e1, e2) = (order(&mut a), order(&mut a));
    assert_ne!(e1, e2, "a new order every epoch");
    assert_ne!(e1, (0..n as i64).collect::<Vec<_>>(), "shuffled");
    for e in [&e1, &e2] {
        let mut sorted = e.clone();
        sorted.sort();
        assert_eq!(sorted, (0..n as i64).collect::<Vec<_>>(), "every sample once per epoch");
    }
    assert_eq!(order(&mut b), e1, "same seed, same epochs");
    assert_eq!(order(&mut b), e2);
}
