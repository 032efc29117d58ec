//! The lectures' worked examples as tests: the core assertions of the examples `single_neuron`,
//! `backprop_two_layer`, `softmax_jacobian` and (for a few gradient-ascent steps) `logistic_chd`,
//! so that `cargo test` catches a regression without running the examples. The examples explain
//! the formulas and print the numbers.

use axon::{DType, Tensor};

/// Autograd against a closed form: `|got − want| ≤ TOL · max(1, |want|)`.
const TOL: f64 = 1e-12;

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOL * want.abs().max(1.0),
        "{what}: autograd {got:e}, closed form {want:e}"
    );
}

fn grad(grads: &axon::GradStore, t: &Tensor) -> Vec<f64> {
    grads.get(t).expect("tensor is in the graph").to_vec::<f64>().unwrap()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `z = Xw + b`, `ŷ = z`, `L = (1/n) Σ (ŷ − y)²`: `∂L/∂ŷ = 2(ŷ − y)/n`, `∂L/∂w = Σ 2(ŷ − y)x/n`,
/// `∂L/∂b = Σ 2(ŷ − y)/n`; gradient descent lowers `L`.
#[test]
fn single_neuron_mse_gradients_match_closed_form() {
    let x = [[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-2.0, 0.0, 1.0], [1.5, 1.0, 0.5]];
    let y = [1.0, -0.5, 2.0, 0.3];
    let n = x.len() as f64;
    let x_t = Tensor::from_vec(x.concat(), [4, 3]).unwrap();
    let y_t = Tensor::from_vec(y.to_vec(), [4, 1]).unwrap();
    let (mut w, mut b) = (vec![0.2, -0.1, 0.4], 0.1);
    let mut previous = f64::INFINITY;
    for step in 0..4 {
        let w_t = Tensor::from_vec(w.clone(), [3, 1]).unwrap().requires_grad();
        let b_t = Tensor::scalar(b).requires_grad();
        let y_hat = x_t.matmul(&w_t).unwrap().add(&b_t).unwrap();
        let loss = y_hat.sub(&y_t).unwrap().square().unwrap().mean_all().unwrap();
        let grads = loss.backward().unwrap();

        let residual: Vec<f64> =
            (0..4).map(|i| (0..3).map(|j| w[j] * x[i][j]).sum::<f64>() + b - y[i]).collect();
        close("L", loss.item().unwrap(), residual.iter().map(|r| r * r).sum::<f64>() / n);
        for (i, g) in grad(&grads, &y_hat).into_iter().enumerate() {
            close(&format!("∂L/∂ŷ{i}"), g, 2.0 * residual[i] / n);
        }
        let dw = grad(&grads, &w_t);
        for j in 0..3 {
            let want: f64 = (0..4).map(|i| 2.0 * residual[i] * x[i][j] / n).sum();
            close(&format!("∂L/∂w{j}"), dw[j], want);
        }
        let db = grad(&grads, &b_t)[0];
        close("∂L/∂b", db, residual.iter().map(|r| 2.0 * r / n).sum());

        let loss = loss.item().unwrap();
        assert!(loss < previous, "step {step}: the loss rose from {previous} to {loss}");
        previous = loss;
        for (wj, g) in w.iter_mut().zip(dw) {
            *wj -= 0.05 * g;
        }
        b -= 0.05 * db;
    }
}

/// The slides' 2-2-1 sigmoid network with binary cross-entropy; every weight a scalar leaf.
fn two_layer(w: &[Tensor], x1: f64, x2: f64, y: f64) -> axon::Result<[Tensor; 6]> {
    let [w11, w21, b1, w12, w22, b2, w13, w23, b3] = w else { panic!("9 weights") };
    let (x1, x2, y) = (Tensor::scalar(x1), Tensor::scalar(x2), Tensor::scalar(y));
    let z1 = w11.mul(&x1)?.add(&w21.mul(&x2)?)?.add(b1)?;
    let a1 = z1.sigmoid()?;
    let z2 = w12.mul(&x1)?.add(&w22.mul(&x2)?)?.add(b2)?;
    let a2 = z2.sigmoid()?;
    let z3 = w13.mul(&a1)?.add(&w23.mul(&a2)?)?.add(b3)?;
    let y_hat = z3.sigmoid()?;
    let loss = y
        .mul(&y_hat.log()?)?
        .add(&y.affine(-1.0, 1.0)?.mul(&y_hat.affine(-1.0, 1.0)?.log()?)?)?
        .neg()?;
    Ok([z1, a1, z2, a2, z3, loss])
}

#[test]
fn two_layer_backprop_partials_match_closed_form() {
    let values = [0.15, -0.25, 0.35, 0.45, 0.2, -0.1, 0.8, -0.6, 0.05];
    for (x1, x2, y) in [(0.6, -0.4, 1.0), (-1.2, 0.7, 0.0)] {
        let w: Vec<Tensor> = values.iter().map(|&v| Tensor::scalar(v).requires_grad()).collect();
        let [z1, a1, z2, a2, z3, loss] = two_layer(&w, x1, x2, y).unwrap();
        let grads = loss.backward().unwrap();
        let g = |t: &Tensor| grad(&grads, t)[0];
        let (a1v, a2v) = (a1.item().unwrap(), a2.item().unwrap());
        let y_hat = sigmoid(z3.item().unwrap());
        let dz3 = y_hat - y;
        let (da1, da2) = (dz3 * values[6], dz3 * values[7]);
        let (dz1, dz2) = (da1 * a1v * (1.0 - a1v), da2 * a2v * (1.0 - a2v));
        close("∂L/∂z3", g(&z3), dz3);
        close("∂L/∂w13", g(&w[6]), dz3 * a1v);
        close("∂L/∂w23", g(&w[7]), dz3 * a2v);
        close("∂L/∂b3", g(&w[8]), dz3);
        close("∂L/∂a1", g(&a1), da1);
        close("∂L/∂a2", g(&a2), da2);
        close("∂L/∂z1", g(&z1), dz1);
        close("∂L/∂z2", g(&z2), dz2);
        close("∂L/∂w11", g(&w[0]), dz1 * x1);
        close("∂L/∂w21", g(&w[1]), dz1 * x2);
        close("∂L/∂b1", g(&w[2]), dz1);
        close("∂L/∂w12", g(&w[3]), dz2 * x1);
        close("∂L/∂w22", g(&w[4]), dz2 * x2);
        close("∂L/∂b2", g(&w[5]), dz2);

        let check =
            axon::gradcheck(|w| two_layer(w, x1, x2, y).map(|[.., loss]| loss), &w, 1e-6).unwrap();
        assert!(check.is_close(1e-9, 1e-6), "gradcheck of the network: {check}");
    }
}

/// `∂s_i/∂z_j = s_i(δ_ij − s_j)`, row by row through one-hot seeds and through `narrow`.
#[test]
fn softmax_jacobian_matches_closed_form() {
    let scores = [1.0, 2.0, 0.5, -1.0];
    let n = scores.len();
    let z = Tensor::from_vec(scores.to_vec(), [n]).unwrap().requires_grad();
    let s_t = z.softmax(0).unwrap();
    let s = s_t.to_vec::<f64>().unwrap();
    for i in 0..n {
        let mut seed = vec![0.0; n];
        seed[i] = 1.0;
        let by_seed = grad(&s_t.backward_with(&Tensor::from_vec(seed, [n]).unwrap()).unwrap(), &z);
        let by_narrow =
            grad(&s_t.narrow(0, i, 1).unwrap().sum_all().unwrap().backward().unwrap(), &z);
        for j in 0..n {
            let want = s[i] * (f64::from(u8::from(i == j)) - s[j]);
            close(&format!("∂s{i}/∂z{j} (one-hot seed)"), by_seed[j], want);
            close(&format!("∂s{i}/∂z{j} (narrow)"), by_narrow[j], want);
        }
    }
}

/// `σ'(z) = σ(z)(1 − σ(z))`, and softmax over `[z, 0]` is `σ(z)` with the same derivative.
#[test]
fn sigmoid_derivative_and_two_class_softmax() {
    let at = [-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0];
    let k = at.len();
    let z = Tensor::from_vec(at.to_vec(), [k]).unwrap().requires_grad();
    let sigma = z.sigmoid().unwrap();
    let derivative = grad(&sigma.sum_all().unwrap().backward().unwrap(), &z);
    let sigma = sigma.to_vec::<f64>().unwrap();

    let logits = Tensor::from_vec(at.to_vec(), [k, 1]).unwrap().requires_grad();
    let pairs = Tensor::concat(&[logits.clone(), Tensor::zeros([k, 1], DType::F64)], 1).unwrap();
    let first = pairs.softmax(1).unwrap().narrow(1, 0, 1).unwrap();
    let d_first = grad(&first.sum_all().unwrap().backward().unwrap(), &logits);
    let first = first.to_vec::<f64>().unwrap();
    for i in 0..k {
        let exact = sigmoid(at[i]);
        close(&format!("σ({})", at[i]), sigma[i], exact);
        close(&format!("σ'({})", at[i]), derivative[i], exact * (1.0 - exact));
        close(&format!("softmax([{}, 0])_1", at[i]), first[i], exact);
        close(&format!("d softmax([{}, 0])_1 / dz", at[i]), d_first[i], exact * (1.0 - exact));
    }
}

/// `data/chd_age.csv` as rows `(1, age)` and labels.
fn chd_data() -> (Vec<[f64; 2]>, Vec<f64>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/chd_age.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("age,chd"));
    let parse = |line: &str| -> ([f64; 2], f64) {
        let (age, chd) = line.split_once(',').expect("age,chd");
        ([1.0, age.parse().unwrap()], chd.parse().unwrap())
    };
    lines.filter(|l| !l.trim().is_empty()).map(parse).unzip()
}

/// `∇ℓ(θ)` of the logistic log-likelihood by autograd through `−Σ[y log p + (1 − y) log(1 − p)]`.
fn chd_autograd_gradient(rows: &[[f64; 2]], y: &[f64], theta: [f64; 2]) -> [f64; 2] {
    let x = Tensor::from_vec(rows.concat(), [rows.len(), 2]).unwrap();
    let y = Tensor::from_vec(y.to_vec(), [rows.len(), 1]).unwrap();
    let theta = Tensor::from_vec(theta.to_vec(), [2, 1]).unwrap().requires_grad();
    let p = x.matmul(&theta).unwrap().sigmoid().unwrap();
    let ll = y
        .mul(&p.log().unwrap())
        .unwrap()
        .add(
            &y.affine(-1.0, 1.0)
                .unwrap()
                .mul(&p.affine(-1.0, 1.0).unwrap().log().unwrap())
                .unwrap(),
        )
        .unwrap();
    let g = grad(&ll.sum_all().unwrap().neg().unwrap().backward().unwrap(), &theta);
    [-g[0], -g[1]]
}

/// The first steps of the lectures' gradient ascent `θ ← θ + η Σ (y_i − σ(θᵀx_i)) x_i` on raw
/// age: autograd's gradient equals the closed form to 1e-10, relative to `Σ_i |(y_i − p_i) x_ij|`.
#[test]
fn chd_autograd_gradient_matches_closed_form() {
    let (rows, y) = chd_data();
    assert_eq!((rows.len(), y.iter().sum::<f64>()), (33, 14.0));
    let mut theta = [0.0, 0.0];
    for step in 0..20 {
        let (mut closed, mut scale) = ([0.0; 2], [0.0; 2]);
        for (x, &y) in rows.iter().zip(&y) {
            let r = y - sigmoid(theta[0] * x[0] + theta[1] * x[1]);
            for j in [0, 1] {
                closed[j] += r * x[j];
                scale[j] += (r * x[j]).abs();
            }
        }
        let auto = chd_autograd_gradient(&rows, &y, theta);
        for j in [0, 1] {
            let error = (auto[j] - closed[j]).abs() / scale[j];
            assert!(
                error <= 1e-10,
                "step {step}, θ{j}: autograd {}, closed {}",
                auto[j],
                closed[j]
            );
        }
        for j in [0, 1] {
            theta[j] += 1e-4 * closed[j];
        }
    }
}

/// The statsmodels fit stored in the fixture is a stationary point of ℓ by autograd.
#[test]
fn chd_fixture_is_the_maximum_likelihood_fit() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/chd_logit.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let params: Vec<f64> =
        json["params"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (rows, y) = chd_data();
    let g = chd_autograd_gradient(&rows, &y, [params[0], params[1]]);
    assert!(g[0].hypot(g[1]) < 1e-8, "‖∇ℓ‖ at the statsmodels fit = {:e}", g[0].hypot(g[1]));
}
