//! A single linear neuron trained on the mean squared error: the lectures' first example of the
//! chain rule in a network.
//!
//! For samples `x_i` (rows of `X`, `d` features) the neuron computes `z_i = w·x_i + b` and outputs
//! `ŷ_i = z_i` (no activation). The loss is `L = (1/n) Σ_i (ŷ_i − y_i)²`. By the chain rule,
//!
//! - `∂L/∂ŷ_i = 2 (ŷ_i − y_i) / n`,
//! - `∂L/∂w_j = Σ_i ∂L/∂ŷ_i · ∂ŷ_i/∂w_j = Σ_i 2 (ŷ_i − y_i) x_ij / n`,
//! - `∂L/∂b  = Σ_i 2 (ŷ_i − y_i) / n`.
//!
//! The example builds `L` from tensor ops for `d = 1, 2, 3` features, keeps `ŷ` (an intermediate
//! node) so its gradient can be read from the [`axon::GradStore`], and asserts that autograd equals
//! these closed forms to `1e-12` in `f64`. Then a few steps of gradient descent,
//! `w ← w − η ∂L/∂w`, `b ← b − η ∂L/∂b`, must lower the loss at every step.
//!
//! Run with `cargo run --release -p axon --example single_neuron`.

use axon::Tensor;

/// Four samples of three features, and their targets.
const X: [[f64; 3]; 4] = [[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-2.0, 0.0, 1.0], [1.5, 1.0, 0.5]];
const Y: [f64; 4] = [1.0, -0.5, 2.0, 0.3];
/// The starting weights and bias.
const W: [f64; 3] = [0.2, -0.1, 0.4];
const B: f64 = 0.1;
/// Autograd against the closed forms: `|autograd − closed| ≤ TOLERANCE · max(1, |closed|)`.
const TOLERANCE: f64 = 1e-12;
const LEARNING_RATE: f64 = 0.05;
const STEPS: usize = 5;

fn main() -> axon::Result<()> {
    let n = X.len();
    println!("Single neuron z = w·x + b, ŷ = z, L = (1/n) Σ (ŷ − y)², n = {n} samples\n");
    let mut max_error = 0.0_f64;
    for d in 1..=3 {
        let x: Vec<Vec<f64>> = X.iter().map(|row| row[..d].to_vec()).collect();
        let w = W[..d].to_vec();
        let forward = Neuron::forward(&x, &w, B)?;
        let grads = forward.loss.backward()?;
        let got_y_hat = grads.get(&forward.y_hat).expect("ŷ is in the graph").to_vec::<f64>()?;
        let got_w = grads.get(&forward.w).expect("w is in the graph").to_vec::<f64>()?;
        let got_b = grads.get(&forward.b).expect("b is in the graph").item()?;

        // The closed forms, in plain f64.
        let y_hat: Vec<f64> = x.iter().map(|xi| dot(&w, xi) + B).collect();
        let dy_hat: Vec<f64> = (0..n).map(|i| 2.0 * (y_hat[i] - Y[i]) / n as f64).collect();
        let dw: Vec<f64> = (0..d).map(|j| (0..n).map(|i| dy_hat[i] * x[i][j]).sum()).collect();
        let db: f64 = dy_hat.iter().sum();
        let loss: f64 = (0..n).map(|i| (y_hat[i] - Y[i]).powi(2)).sum::<f64>() / n as f64;

        println!("d = {d} feature(s): L = {:.12} (closed form {loss:.12})", forward.loss.item()?);
        println!("  {:<10} {:>18} {:>18} {:>10}", "partial", "autograd", "closed form", "|diff|");
        let mut row = |name: String, got: f64, want: f64| {
            let diff = (got - want).abs();
            println!("  {name:<10} {got:>18.12} {want:>18.12} {diff:>10.1e}");
            assert!(
                diff <= TOLERANCE * want.abs().max(1.0),
                "{name} with d = {d}: autograd {got:e}, closed form {want:e}"
            );
            max_error = max_error.max(diff);
        };
        row("L".into(), forward.loss.item()?, loss);
        for i in 0..n {
            row(format!("∂L/∂ŷ{}", i + 1), got_y_hat[i], dy_hat[i]);
        }
        for j in 0..d {
            row(format!("∂L/∂w{}", j + 1), got_w[j], dw[j]);
        }
        row("∂L/∂b".into(), got_b, db);
        println!();
    }
    println!("max |autograd − closed form| = {max_error:.2e} (tolerance {TOLERANCE:.0e})\n");

    // Gradient descent with all three features.
    let x: Vec<Vec<f64>> = X.iter().map(|row| row.to_vec()).collect();
    let (mut w, mut b) = (W.to_vec(), B);
    println!("Gradient descent, η = {LEARNING_RATE}:");
    let mut previous = f64::INFINITY;
    for step in 0..=STEPS {
        let forward = Neuron::forward(&x, &w, b)?;
        let loss = forward.loss.item()?;
        println!("  step {step}: L = {loss:.10}, w = {w:.6?}, b = {b:.6}");
        assert!(loss < previous, "step {step}: the loss rose from {previous} to {loss}");
        previous = loss;
        let grads = forward.loss.backward()?;
        let dw = grads.get(&forward.w).expect("w is in the graph").to_vec::<f64>()?;
        let db = grads.get(&forward.b).expect("b is in the graph").item()?;
        for (wj, g) in w.iter_mut().zip(dw) {
            *wj -= LEARNING_RATE * g;
        }
        b -= LEARNING_RATE * db;
    }
    println!("\nAll checks passed.");
    Ok(())
}

/// The neuron's graph: the leaves `w` and `b`, the output `ŷ` and the loss `L`.
struct Neuron {
    w: Tensor,
    b: Tensor,
    y_hat: Tensor,
    loss: Tensor,
}

impl Neuron {
    fn forward(x: &[Vec<f64>], w: &[f64], b: f64) -> axon::Result<Neuron> {
        let (n, d) = (x.len(), w.len());
        let x = Tensor::from_vec(x.concat(), [n, d])?;
        let y = Tensor::from_vec(Y.to_vec(), [n, 1])?;
        let w = Tensor::from_vec(w.to_vec(), [d, 1])?.requires_grad();
        let b = Tensor::scalar(b).requires_grad();
        let y_hat = x.matmul(&w)?.add(&b)?; // z = Xw + b, and ŷ = z
        let loss = y_hat.sub(&y)?.square()?.mean_all()?;
        Ok(Neuron { w, b, y_hat, loss })
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}
