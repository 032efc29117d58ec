//! The fused fully connected layer `Tensor::linear` (`act(x Wᵀ + b)` in one op): finite-difference
//! gradient checks for every activation it fuses, with and without a bias; its forward values
//! against the unfused ops (product, broadcast add, activation: the same bits); and training
//! curves of a `Sequential` MLP, which fuses each Linear with the activation after it, against
//! the same network written with the unfused ops, to 1e-6 over 50 steps. The same for the fused
//! cross-entropy (`Tensor::cross_entropy_rows`, one op for log-softmax, gather and negation):
//! gradient check, forward bits, errors, and 50-step curves against `nll_loss(log_softmax)`,
//! which must agree bit for bit (the fused kernel repeats the composition's arithmetic).

use axon::nn::loss::{cross_entropy, nll_loss, Reduction};
use axon::nn::{Linear, Module, ReLU, Sequential, Tanh};
use axon::ops::UnaryOp;
use axon::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use axon::{gradcheck, DType, Result, Rng, Tensor};

const ACTIVATIONS: [Option<UnaryOp>; 8] = [
    None,
    Some(UnaryOp::Relu),
    Some(UnaryOp::LeakyRelu(0.1)),
    Some(UnaryOp::Elu(1.0)),
    Some(UnaryOp::Tanh),
    Some(UnaryOp::Sigmoid),
    Some(UnaryOp::Gelu),
    Some(UnaryOp::Softplus),
];

/// `act(z)` with the unfused activation op.
fn activate(z: &Tensor, act: Option<UnaryOp>) -> Result<Tensor> {
    match act {
        Some(a) => z.unary(a),
        None => Ok(z.clone()),
    }
}

#[test]
fn gradients_match_finite_differences() {
    let mut rng = Rng::seed(11);
    let x = Tensor::randn([5, 4], 0.0, 1.0, DType::F64, &mut rng);
    let w = Tensor::randn([3, 4], 0.0, 0.7, DType::F64, &mut rng);
    let b = Tensor::randn([3], 0.0, 0.5, DType::F64, &mut rng);
    for act in ACTIVATIONS {
        let with_bias = |v: &[Tensor]| v[0].linear(&v[1], Some(&v[2]), act);
        let report = gradcheck(with_bias, &[x.clone(), w.clone(), b.clone()], 1e-6).unwrap();
        assert!(report.is_close(1e-7, 1e-5), "{act:?} with bias: {report}");
        let no_bias = |v: &[Tensor]| v[0].linear(&v[1], None, act);
        let report = gradcheck(no_bias, &[x.clone(), w.clone()], 1e-6).unwrap();
        assert!(report.is_close(1e-7, 1e-5), "{act:?} without bias: {report}");
    }
}

#[test]
fn forward_is_the_unfused_ops_bit_for_bit() {
    let mut rng = Rng::seed(12);
    // Large enough for the epilogue to split rows across threads.
    let x = Tensor::randn([300, 70], 0.0, 1.0, DType::F32, &mut rng);
    let w = Tensor::randn([130, 70], 0.0, 0.2, DType::F32, &mut rng);
    let b = Tensor::randn([130], 0.0, 0.5, DType::F32, &mut rng);
    for act in ACTIVATIONS {
        let fused = x.linear(&w, Some(&b), act).unwrap().to_vec::<f32>().unwrap();
        let z = x.matmul(&w.t().unwrap()).unwrap().add(&b).unwrap();
        let unfused = activate(&z, act).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(fused, unfused, "{act:?}");
    }
}

#[test]
fn bad_operands_are_errors() {
    let mut rng = Rng::seed(13);
    let x = Tensor::randn([2, 3], 0.0, 1.0, DType::F32, &mut rng);
    let w = Tensor::randn([4, 5], 0.0, 1.0, DType::F32, &mut rng);
    assert!(x.linear(&w, None, None).is_err());
    let w = Tensor::randn([4, 3], 0.0, 1.0, DType::F32, &mut rng);
    let b = Tensor::randn([3], 0.0, 1.0, DType::F32, &mut rng);
    assert!(x.linear(&w, Some(&b), None).is_err());
    assert!(x.linear(&w, None, Some(UnaryOp::Exp)).is_err());
    assert!(x.to_dtype(DType::F64).unwrap().linear(&w, None, None).is_err());
}

/// The losses of 50 SGD-momentum steps of an MLP 20-32-24-4 with activation `act` between its
/// layers: through a `Sequential` (fused) when `fused`, else the unfused ops on the same layers.
fn curve(act: UnaryOp, fused: bool) -> Vec<f64> {
    let mut rng = Rng::seed(5);
    let f = DType::F32;
    let layers =
        [(20, 32), (32, 24), (24, 4)].map(|(i, o)| Linear::new(i, o, true, f, &mut rng).unwrap());
    let params: Vec<_> = layers.iter().flat_map(|l| l.params()).collect();
    let x = Tensor::randn([64, 20], 0.0, 1.0, f, &mut rng);
    let y = Tensor::from_vec((0..64).map(|i| (i % 4) as i64).collect::<Vec<_>>(), [64]).unwrap();
    let config = SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() };
    let mut opt = Sgd::new(params, config).unwrap();
    let [l0, l1, l2] = layers;
    let activation = |a: UnaryOp| -> Box<dyn Module> {
        match a {
            UnaryOp::Relu => Box::new(ReLU),
            _ => Box::new(Tanh),
        }
    };
    let mut net = Sequential::new();
    for layer in [Box::new(l0) as Box<dyn Module>, activation(act), Box::new(l1), activation(act)] {
        net.push(layer);
    }
    net.push(Box::new(l2));
    let mut losses = Vec::new();
    for _ in 0..50 {
        let logits = if fused { net.forward(&x) } else { unfused_forward(&net, &x, act) };
        let loss = cross_entropy(&logits.unwrap(), &y, None, Reduction::Mean).unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        losses.push(loss.item().unwrap());
    }
    losses
}

/// The network's layers applied with the unfused ops: each Linear as `x Wᵀ + b` through
/// `matmul` and `add`, each activation as its own op.
fn unfused_forward(net: &Sequential, x: &Tensor, act: UnaryOp) -> Result<Tensor> {
    let mut h = x.clone();
    for layer in net.layers() {
        h = match layer.activation() {
            Some(a) => {
                assert_eq!(a, act);
                h.unary(a)?
            }
            None => {
                let params = layer.params();
                h.matmul(&params[0].value().t()?)?.add(&params[1].value())?
            }
        };
    }
    Ok(h)
}

#[test]
fn fused_and_unfused_training_curves_agree() {
    for act in [UnaryOp::Relu, UnaryOp::Tanh] {
        let (fused, unfused) = (curve(act, true), curve(act, false));
        assert!(fused[49] < 0.5 * fused[0], "{act:?}: the network did not learn: {fused:?}");
        for (step, (a, b)) in fused.iter().zip(&unfused).enumerate() {
            assert!((a - b).abs() <= 1e-6, "{act:?} step {step}: fused {a} vs unfused {b}");
        }
    }
}

#[test]
fn cross_entropy_gradient_matches_finite_differences() {
    let mut rng = Rng::seed(21);
    let x = Tensor::randn([6, 5], 0.0, 2.0, DType::F64, &mut rng);
    let y = Tensor::from_vec(vec![0i64, 4, 2, 2, 1, 3], [6]).unwrap();
    let rows = |v: &[Tensor]| v[0].cross_entropy_rows(&y);
    let report = gradcheck(rows, std::slice::from_ref(&x), 1e-6).unwrap();
    assert!(report.is_close(1e-7, 1e-5), "per-sample losses: {report}");
    // Through a mean (a broadcast incoming gradient) and a weighted sum.
    let w = Tensor::from_vec(vec![0.5f64, 2.0, 1.0, 1.5, 3.0], [5]).unwrap();
    for (weight, reduction) in [(None, Reduction::Mean), (Some(&w), Reduction::Sum)] {
        let loss = |v: &[Tensor]| cross_entropy(&v[0], &y, weight, reduction);
        let report = gradcheck(loss, std::slice::from_ref(&x), 1e-6).unwrap();
        assert!(report.is_close(1e-7, 1e-5), "{reduction:?}: {report}");
    }
}

#[test]
fn cross_entropy_is_the_composition_bit_for_bit() {
    let mut rng = Rng::seed(22);
    // 400 x 100 logits: large enough for the rows to be split across threads.
    for (n, c) in [(7, 3), (400, 100)] {
        let x = Tensor::randn([n, c], 0.0, 3.0, DType::F32, &mut rng).requires_grad();
        let y: Vec<i64> = (0..n).map(|i| ((i * 7 + 3) % c) as i64).collect();
        let y = Tensor::from_vec(y, [n]).unwrap();
        let fused = cross_entropy(&x, &y, None, Reduction::Mean).unwrap();
        let composed = nll_loss(&x.log_softmax(1).unwrap(), &y, None, Reduction::Mean).unwrap();
        assert_eq!(fused.to_vec::<f32>().unwrap(), composed.to_vec::<f32>().unwrap());
        let (gf, gc) = (fused.backward().unwrap(), composed.backward().unwrap());
        let grad = |g: &axon::GradStore| g.get(&x).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(grad(&gf), grad(&gc), "{n} x {c}");
    }
}

#[test]
fn cross_entropy_rejects_bad_targets() {
    let x = Tensor::zeros([2, 3], DType::F32);
    let bad = |y: Vec<i64>| x.cross_entropy_rows(&Tensor::from_vec(y, [2]).unwrap()).is_err();
    assert!(bad(vec![0, 3]), "class 3 of 3");
    assert!(bad(vec![-1, 0]), "a negative class");
    assert!(!bad(vec![2, 0]));
    let three = Tensor::from_vec(vec![0i64, 1, 2], [3]).unwrap();
    assert!(x.cross_entropy_rows(&three).is_err(), "3 targets for 2 rows");
    let float = Tensor::zeros([2], DType::F32);
    assert!(x.cross_entropy_rows(&float).is_err(), "float targets");
}

/// The losses of 50 steps of an MLP 20-32-4 (SGD with momentum, or Adam) with the fused
/// cross-entropy when `fused`, else `nll_loss` of `log_softmax`; then the final weights.
fn loss_curve(adam: bool, fused: bool) -> (Vec<f64>, Vec<f32>) {
    let mut rng = Rng::seed(6);
    let f = DType::F32;
    let net = Sequential::new()
        .with(Linear::new(20, 32, true, f, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(32, 4, true, f, &mut rng).unwrap());
    let x = Tensor::randn([64, 20], 0.0, 1.0, f, &mut rng);
    let y = Tensor::from_vec((0..64).map(|i| (i % 4) as i64).collect::<Vec<_>>(), [64]).unwrap();
    let mut opt: Box<dyn Optimizer> = if adam {
        Box::new(Adam::new(net.params(), AdamConfig { lr: 0.01, ..Default::default() }).unwrap())
    } else {
        let config = SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() };
        Box::new(Sgd::new(net.params(), config).unwrap())
    };
    let mut losses = Vec::new();
    for _ in 0..50 {
        let logits = net.forward(&x).unwrap();
        let loss = if fused {
            cross_entropy(&logits, &y, None, Reduction::Mean)
        } else {
            nll_loss(&logits.log_softmax(1).unwrap(), &y, None, Reduction::Mean)
        };
        let loss = loss.unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        losses.push(loss.item().unwrap());
    }
    let weights = net.params().iter().flat_map(|p| p.value().to_vec::<f32>().unwrap()).collect();
    (losses, weights)
}

#[test]
fn fused_and_unfused_loss_curves_agree() {
    for adam in [false, true] {
        let ((fused, wf), (unfused, wu)) = (loss_curve(adam, true), loss_curve(adam, false));
        assert!(fused[49] < 0.5 * fused[0], "adam {adam}: the network did not learn: {fused:?}");
        for (step, (a, b)) in fused.iter().zip(&unfused).enumerate() {
            assert!((a - b).abs() <= 1e-6, "adam {adam} step {step}: fused {a} vs unfused {b}");
        }
        assert_eq!(fused, unfused, "adam {adam}: the curves are not bit-identical");
        assert_eq!(wf, wu, "adam {adam}: the final weights are not bit-identical");
    }
}
