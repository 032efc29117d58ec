//! Optimizers and schedulers. Each optimizer runs several steps on the quadratic
//! `L(w) = ½ Σ_i a_i (w_i − c_i)²` (gradient `a_i (w_i − c_i)`) through autograd, and its iterates
//! are compared with PyTorch's update rules written out independently here, coordinate by
//! coordinate, in `f64` (to `1e-12`). Each optimizer then minimises a convex problem (a
//! least-squares fit with a known solution). Also: invalid hyper-parameters are errors, parameters
//! without a gradient are left alone, `clip_grad_norm` rescales to the maximum norm, and the
//! schedulers give PyTorch's closed-form rates.

use axon::nn::{Linear, Module, Param};
use axon::optim::{
    clip_grad_norm, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig,
    CosineAnnealingLR, ExponentialLR, LinearWarmup, Optimizer, RmsProp, RmsPropConfig, Schedule,
    Scheduler, Sgd, SgdConfig, StepLR,
};
use axon::{DType, GradStore, Rng, Tensor};

const A: [f64; 3] = [1.0, 3.0, 0.5];
const C: [f64; 3] = [2.0, -1.0, 0.5];
const W0: [f64; 3] = [0.0, 1.0, -2.0];
const STEPS: usize = 6;

fn quadratic_param() -> Param {
    Param::new("w", Tensor::from_vec(W0.to_vec(), [3]).unwrap())
}

/// `∂L/∂w` of the quadratic at `p`, through autograd.
fn grads_of(p: &Param) -> GradStore {
    let a = Tensor::from_vec(A.to_vec(), [3]).unwrap();
    let c = Tensor::from_vec(C.to_vec(), [3]).unwrap();
    let d = p.value().sub(&c).unwrap();
    d.square()
        .unwrap()
        .mul(&a)
        .unwrap()
        .sum_all()
        .unwrap()
        .mul_scalar(0.5)
        .unwrap()
        .backward()
        .unwrap()
}

/// Runs `STEPS` steps of `opt` and returns the iterates.
fn run(opt: &mut dyn Optimizer, p: &Param) -> Vec<Vec<f64>> {
    (0..STEPS)
        .map(|_| {
            let g = grads_of(p);
            opt.step(&g).unwrap();
            p.value().to_f64_vec()
        })
        .collect()
}

/// Runs the reference `update(t, i, w_i, g_i) -> w_i` (t from 1) for `STEPS` steps.
fn reference(mut update: impl FnMut(usize, usize, f64, f64) -> f64) -> Vec<Vec<f64>> {
    let mut w = W0.to_vec();
    let mut out = Vec::new();
    for t in 1..=STEPS {
        let g: Vec<f64> = (0..3).map(|i| A[i] * (w[i] - C[i])).collect();
        w = (0..3).map(|i| update(t, i, w[i], g[i])).collect();
        out.push(w.clone());
    }
    out
}

fn assert_iterates(name: &str, got: &[Vec<f64>], want: &[Vec<f64>]) {
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        for (a, b) in g.iter().zip(w) {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{name} step {}: {g:?} vs {w:?}",
                t + 1
            );
        }
    }
    // The iterates moved: the comparison is not between two copies of W0.
    assert!(got[STEPS - 1].iter().zip(W0).any(|(a, b)| (a - b).abs() > 1e-3), "{name}");
}

#[test]
fn sgd_matches_pytorch_rules() {
    let cases = [
        SgdConfig { lr: 0.1, ..Default::default() },
        SgdConfig { lr: 0.1, weight_decay: 0.05, ..Default::default() },
        SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() },
        SgdConfig { lr: 0.05, momentum: 0.8, dampening: 0.3, weight_decay: 0.1, nesterov: false },
        SgdConfig {
            lr: 0.05,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 0.01,
            ..Default::default()
        },
    ];
    for cfg in cases {
        let p = quadratic_param();
        let got = run(&mut Sgd::new(vec![p.clone()], cfg).unwrap(), &p);
        let mut buf = [0.0; 3];
        let want = reference(|t, i, w, g| {
            let g = g + cfg.weight_decay * w;
            let d = if cfg.momentum > 0.0 {
                buf[i] = if t == 1 { g } else { cfg.momentum * buf[i] + (1.0 - cfg.dampening) * g };
                if cfg.nesterov {
                    g + cfg.momentum * buf[i]
                } else {
                    buf[i]
                }
            } else {
                g
            };
            w - cfg.lr * d
        });
        assert_iterates(&format!("{cfg:?}"), &got, &want);
    }
}

/// PyTorch's Adam/AdamW step for one coordinate, with `lr = 0.1`, `betas = (0.8, 0.95)`,
/// `eps = 1e-6`: `m̂ = m / (1 − β1^t)`, `v̂ = v / (1 − β2^t)`, `w − η m̂ / (√v̂ + ε)`.
struct AdamRef {
    m: [f64; 3],
    v: [f64; 3],
}

const ADAM_LR: f64 = 0.1;
const ADAM_BETAS: (f64, f64) = (0.8, 0.95);
const ADAM_EPS: f64 = 1e-6;

impl AdamRef {
    fn step(&mut self, t: usize, i: usize, w: f64, g: f64) -> f64 {
        let b = ADAM_BETAS;
        self.m[i] = b.0 * self.m[i] + (1.0 - b.0) * g;
        self.v[i] = b.1 * self.v[i] + (1.0 - b.1) * g * g;
        let m_hat = self.m[i] / (1.0 - b.0.powi(t as i32));
        let v_hat = self.v[i] / (1.0 - b.1.powi(t as i32));
        w - ADAM_LR * m_hat / (v_hat.sqrt() + ADAM_EPS)
    }
}

#[test]
fn adam_and_adamw_match_pytorch_rules() {
    let cfg = AdamConfig { lr: ADAM_LR, betas: ADAM_BETAS, eps: ADAM_EPS, weight_decay: 0.2 };
    let p = quadratic_param();
    let got = run(&mut Adam::new(vec![p.clone()], cfg).unwrap(), &p);
    let mut r = AdamRef { m: [0.0; 3], v: [0.0; 3] };
    let want = reference(|t, i, w, g| r.step(t, i, w, g + 0.2 * w));
    assert_iterates("adam", &got, &want);

    let cfg = AdamWConfig { lr: ADAM_LR, betas: ADAM_BETAS, eps: ADAM_EPS, weight_decay: 0.2 };
    let p = quadratic_param();
    let got = run(&mut AdamW::new(vec![p.clone()], cfg).unwrap(), &p);
    let mut r = AdamRef { m: [0.0; 3], v: [0.0; 3] };
    // Decoupled: shrink w first, then the Adam step with the plain gradient.
    let want = reference(|t, i, w, g| r.step(t, i, w * (1.0 - ADAM_LR * 0.2), g));
    assert_iterates("adamw", &got, &want);
}

#[test]
fn rmsprop_matches_pytorch_rules() {
    for (centered, momentum) in [(false, 0.0), (true, 0.0), (false, 0.7), (true, 0.5)] {
        let cfg = RmsPropConfig {
            lr: 0.02,
            alpha: 0.9,
            eps: 1e-8,
            weight_decay: 0.1,
            momentum,
            centered,
        };
        let p = quadratic_param();
        let got = run(&mut RmsProp::new(vec![p.clone()], cfg).unwrap(), &p);
        let (mut v, mut a, mut b) = ([0.0; 3], [0.0; 3], [0.0; 3]);
        let want = reference(|_, i, w, g| {
            let g = g + 0.1 * w;
            v[i] = 0.9 * v[i] + 0.1 * g * g;
            a[i] = 0.9 * a[i] + 0.1 * g;
            let avg = if centered { (v[i] - a[i] * a[i]).sqrt() } else { v[i].sqrt() } + 1e-8;
            if momentum > 0.0 {
                b[i] = momentum * b[i] + g / avg;
                w - 0.02 * b[i]
            } else {
                w - 0.02 * g / avg
            }
        });
        assert_iterates(&format!("{cfg:?}"), &got, &want);
    }
}

#[test]
fn adagrad_matches_pytorch_rules() {
    let cfg = AdagradConfig {
        lr: 0.5,
        lr_decay: 0.1,
        weight_decay: 0.05,
        initial_accumulator_value: 0.3,
        eps: 1e-10,
    };
    let p = quadratic_param();
    let got = run(&mut Adagrad::new(vec![p.clone()], cfg).unwrap(), &p);
    let mut s = [0.3; 3];
    let want = reference(|t, i, w, g| {
        let g = g + 0.05 * w;
        s[i] += g * g;
        w - 0.5 / (1.0 + (t - 1) as f64 * 0.1) * g / (s[i].sqrt() + 1e-10)
    });
    assert_iterates("adagrad", &got, &want);
}

/// Least squares `min_w mean((X w + b − y)²)` for data made from `w* = (1, −2, 0.5)`, `b* = 0.3`
/// without noise, through a `Linear(3, 1)` layer in `f64`.
fn fits_least_squares(
    name: &str,
    make: impl FnOnce(Vec<Param>) -> Box<dyn Optimizer>,
    steps: usize,
) {
    let mut rng = Rng::seed(11);
    let x = Tensor::rand([64, 3], -1.0, 1.0, DType::F64, &mut rng);
    let w_true = Tensor::from_vec(vec![1.0f64, -2.0, 0.5], [3, 1]).unwrap();
    let y = x.matmul(&w_true).unwrap().add_scalar(0.3).unwrap();
    let layer = Linear::new(3, 1, true, DType::F64, &mut rng).unwrap();
    let mut opt = make(layer.params());
    let loss_at = |layer: &Linear| {
        let d = layer.forward(&x).unwrap().sub(&y).unwrap();
        d.square().unwrap().mean_all().unwrap()
    };
    let first = loss_at(&layer).item().unwrap();
    for _ in 0..steps {
        let grads = loss_at(&layer).backward().unwrap();
        opt.step(&grads).unwrap();
    }
    let last = loss_at(&layer).item().unwrap();
    let w = layer.weight().value().to_f64_vec();
    let b = layer.bias().unwrap().value().item().unwrap();
    println!("{name}: loss {first:.3e} -> {last:.3e}, w = {w:?}, b = {b}");
    let err =
        w.iter().zip([1.0, -2.0, 0.5]).map(|(a, b)| (a - b).abs()).fold((b - 0.3).abs(), f64::max);
    assert!(err < 1e-3 && last < 1e-6 * first, "{name}: loss {first} -> {last}, max error {err}");
}

#[test]
fn every_optimizer_minimises_a_convex_problem() {
    fits_least_squares(
        "sgd",
        |p| Box::new(Sgd::new(p, SgdConfig { lr: 0.3, ..Default::default() }).unwrap()),
        600,
    );
    let nesterov = SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..Default::default() };
    fits_least_squares("sgd nesterov", |p| Box::new(Sgd::new(p, nesterov).unwrap()), 400);
    let adam = AdamConfig { lr: 0.05, ..Default::default() };
    fits_least_squares("adam", |p| Box::new(Adam::new(p, adam).unwrap()), 1500);
    let adamw = AdamWConfig { lr: 0.05, weight_decay: 0.0, ..Default::default() };
    fits_least_squares("adamw", |p| Box::new(AdamW::new(p, adamw).unwrap()), 1500);
    let rms = RmsPropConfig { lr: 0.001, ..Default::default() };
    fits_least_squares("rmsprop", |p| Box::new(RmsProp::new(p, rms).unwrap()), 4000);
    let ada = AdagradConfig { lr: 0.5, ..Default::default() };
    fits_least_squares("adagrad", |p| Box::new(Adagrad::new(p, ada).unwrap()), 1500);
}

#[test]
fn invalid_hyper_parameters_are_errors() {
    let p = || vec![quadratic_param()];
    assert!(Sgd::new(p(), SgdConfig { lr: -0.1, ..Default::default() }).is_err());
    assert!(Sgd::new(p(), SgdConfig { momentum: -0.5, ..Default::default() }).is_err());
    assert!(Sgd::new(p(), SgdConfig { nesterov: true, ..Default::default() }).is_err());
    let damped = SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() };
    assert!(Sgd::new(p(), damped).is_err());
    assert!(Sgd::new(p(), SgdConfig { weight_decay: -1.0, ..Default::default() }).is_err());
    assert!(Adam::new(p(), AdamConfig { betas: (1.0, 0.999), ..Default::default() }).is_err());
    assert!(Adam::new(p(), AdamConfig { betas: (0.9, -0.1), ..Default::default() }).is_err());
    assert!(Adam::new(p(), AdamConfig { eps: 0.0, ..Default::default() }).is_err());
    assert!(Adam::new(p(), AdamConfig { lr: f64::NAN, ..Default::default() }).is_err());
    assert!(AdamW::new(p(), AdamWConfig { eps: -1e-8, ..Default::default() }).is_err());
    assert!(AdamW::new(p(), AdamWConfig { weight_decay: -0.01, ..Default::default() }).is_err());
    assert!(RmsProp::new(p(), RmsPropConfig { alpha: 1.0, ..Default::default() }).is_err());
    assert!(RmsProp::new(p(), RmsPropConfig { momentum: -0.1, ..Default::default() }).is_err());
    assert!(Adagrad::new(p(), AdagradConfig { eps: 0.0, ..Default::default() }).is_err());
    assert!(Adagrad::new(p(), AdagradConfig { lr_decay: -1.0, ..Default::default() }).is_err());
    let mut opt = Sgd::new(p(), SgdConfig::default()).unwrap();
    assert!(opt.set_learning_rate(-1.0).is_err());
    assert_eq!(opt.learning_rate(), 0.01);
    opt.set_learning_rate(0.5).unwrap();
    assert_eq!(opt.learning_rate(), 0.5);
}

#[test]
fn parameters_without_gradients_are_skipped_and_f32_works() {
    let used = Param::new("used", Tensor::ones([2], DType::F32));
    let unused = Param::new("unused", Tensor::ones([2], DType::F32));
    let grads = used.value().sum_all().unwrap().backward().unwrap();
    let mut opt = Adam::new(vec![used.clone(), unused.clone()], AdamConfig::default()).unwrap();
    opt.step(&grads).unwrap();
    assert_eq!(unused.value().to_vec::<f32>().unwrap(), [1.0, 1.0]);
    // First Adam step moves every coordinate by lr (m̂ / √v̂ = sign g).
    let v = used.value().to_vec::<f32>().unwrap();
    assert!(v.iter().all(|x| (x - (1.0 - 1e-3)).abs() < 1e-6), "{v:?}");
    assert_eq!(used.value().dtype(), DType::F32);
    assert!(used.value().is_leaf_param());
}

#[test]
fn clip_grad_norm_scales_to_the_maximum() {
    let a = Param::new("a", Tensor::from_vec(vec![1.0f64, 2.0], [2]).unwrap());
    let b = Param::new("b", Tensor::from_vec(vec![3.0f64], [1]).unwrap());
    // L = 3·Σa + 4·Σb... gradients (3, 3) and (4): norm √(9 + 9 + 16) = √34.
    let loss = a
        .value()
        .sum_all()
        .unwrap()
        .mul_scalar(3.0)
        .unwrap()
        .add(&b.value().sum_all().unwrap().mul_scalar(4.0).unwrap())
        .unwrap();
    let mut grads = loss.backward().unwrap();
    let params = [a.clone(), b.clone()];
    let norm = clip_grad_norm(&params, &mut grads, 100.0).unwrap();
    assert!((norm - 34f64.sqrt()).abs() < 1e-12);
    assert_eq!(a.grad(&grads).unwrap().to_f64_vec(), [3.0, 3.0], "below the maximum: unchanged");
    clip_grad_norm(&params, &mut grads, 1.0).unwrap();
    let total: f64 =
        params.iter().flat_map(|p| p.grad(&grads).unwrap().to_f64_vec()).map(|g| g * g).sum();
    assert!((total.sqrt() - 1.0).abs() < 1e-5, "{}", total.sqrt());
    let ga = a.grad(&grads).unwrap().to_f64_vec();
    assert!(
        (ga[0] - 3.0 / (34f64.sqrt() + 1e-6)).abs() < 1e-12,
        "PyTorch's factor max/(norm+1e-6)"
    );
    assert!(clip_grad_norm(&params, &mut grads, -1.0).is_err());
}

#[test]
fn schedulers_give_pytorch_closed_forms() {
    let step = StepLR::new(3, 0.5).unwrap();
    let rates: Vec<f64> = (0..7).map(|e| step.lr_at(0.1, e)).collect();
    assert_eq!(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
    let exp = ExponentialLR::new(0.9).unwrap();
    assert!((exp.lr_at(2.0, 3) - 2.0 * 0.729).abs() < 1e-15);
    let cos = CosineAnnealingLR::new(10, 0.001).unwrap();
    assert!((cos.lr_at(0.1, 0) - 0.1).abs() < 1e-15);
    assert!((cos.lr_at(0.1, 5) - (0.001 + 0.099 / 2.0)).abs() < 1e-15);
    assert!((cos.lr_at(0.1, 10) - 0.001).abs() < 1e-15);
    let warm = LinearWarmup::new(4, 0.25).unwrap().then(CosineAnnealingLR::new(8, 0.0).unwrap());
    let rates: Vec<f64> = (0..5).map(|e| warm.lr_at(1.0, e)).collect();
    assert_eq!(rates, [0.25, 0.4375, 0.625, 0.8125, 1.0]);
    assert!(warm.lr_at(1.0, 12).abs() < 1e-15, "the cosine ends at 0 after 4 + 8 epochs");
    // A Scheduler sets the optimizer's rate epoch by epoch.
    let mut opt =
        Sgd::new(vec![quadratic_param()], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    let mut sched = Scheduler::new(StepLR::new(2, 0.1).unwrap(), &mut opt).unwrap();
    let mut seen = vec![opt.learning_rate()];
    for _ in 0..4 {
        sched.step(&mut opt).unwrap();
        seen.push(opt.learning_rate());
    }
    let want = [0.1, 0.1, 0.01, 0.01, 0.001];
    assert!(seen.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15), "{seen:?}");
    assert!(StepLR::new(0, 0.5).is_err() && ExponentialLR::new(0.0).is_err());
    assert!(CosineAnnealingLR::new(0, 0.0).is_err() && LinearWarmup::new(3, 0.0).is_err());
}
