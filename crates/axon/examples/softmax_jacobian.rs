//! The derivatives of the two output functions of the lectures: softmax and the sigmoid.
//!
//! Softmax maps scores `z` to probabilities `s_i = e^{z_i} / Σ_k e^{z_k}`. Its Jacobian is
//! `∂s_i/∂z_j = s_i (δ_ij − s_j)`: `s_i (1 − s_i)` on the diagonal and `−s_i s_j` off it, so it is
//! symmetric and every column sums to 0 (the probabilities always sum to 1).
//!
//! Reverse mode computes vector-Jacobian products `vᵀ J`; seeding the backward pass with the
//! one-hot vector `e_i` (`backward_with`) gives row `i` of `J`, so `n` backward passes give the
//! whole matrix. The same row comes from selecting `s_i` with `narrow` and calling `backward`.
//! Both must equal the closed form to `1e-12`.
//!
//! The sigmoid `σ(z) = 1 / (1 + e^−z)` has `σ'(z) = σ(z)(1 − σ(z))`, checked at several `z`. And
//! softmax over the two scores `[z, 0]` is `e^z / (e^z + 1) = σ(z)`: the sigmoid is two-class
//! softmax, and `z` is the log-odds `log(s_1 / s_2)` (the logistic regression link).
//!
//! Run with `cargo run --release -p axon --example softmax_jacobian`.

use axon::{DType, Tensor};

const SCORES: [f64; 4] = [1.0, 2.0, 0.5, -1.0];
const SIGMOID_AT: [f64; 7] = [-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0];
/// `|autograd − closed form| ≤ TOLERANCE`, all values being probabilities or their products.
const TOLERANCE: f64 = 1e-12;

fn main() -> axon::Result<()> {
    let n = SCORES.len();
    let z = Tensor::from_vec(SCORES.to_vec(), [n])?.requires_grad();
    let s_t = z.softmax(0)?;
    let s = s_t.to_vec::<f64>()?;
    println!("Softmax of z = {SCORES:?}");
    println!("  s = {s:.6?} (sum {:.15})\n", s.iter().sum::<f64>());
    assert!((s.iter().sum::<f64>() - 1.0).abs() <= TOLERANCE, "softmax sums to 1");

    // Row i of the Jacobian: one backward pass seeded with e_i, and one through narrow.
    let mut jacobian = vec![vec![0.0; n]; n];
    let mut max_error = 0.0_f64;
    for (i, row) in jacobian.iter_mut().enumerate() {
        let mut seed = vec![0.0; n];
        seed[i] = 1.0;
        let grads = s_t.backward_with(&Tensor::from_vec(seed, [n])?)?;
        *row = grads.get(&z).expect("z is in the graph").to_vec::<f64>()?;
        let by_narrow = s_t.narrow(0, i, 1)?.sum_all()?.backward()?;
        let by_narrow = by_narrow.get(&z).expect("z is in the graph").to_vec::<f64>()?;
        for j in 0..n {
            let delta = if i == j { 1.0 } else { 0.0 };
            let want = s[i] * (delta - s[j]);
            for (how, got) in [("backward_with(e_i)", row[j]), ("narrow + backward", by_narrow[j])]
            {
                let error = (got - want).abs();
                assert!(error <= TOLERANCE, "∂s{i}/∂z{j} by {how}: {got:e}, closed form {want:e}");
                max_error = max_error.max(error);
            }
        }
    }
    println!("Jacobian ∂s_i/∂z_j by autograd (rows i, columns j):");
    for row in &jacobian {
        println!("  {}", row.iter().map(|v| format!("{v:>10.6}")).collect::<String>());
    }
    println!("closed form s_i(δ_ij − s_j): diagonal s_i(1 − s_i), off-diagonal −s_i s_j");
    for i in 0..n {
        println!(
            "  i = {i}: diagonal s_i(1 − s_i) = {:.6}, autograd {:.6}",
            s[i] * (1.0 - s[i]),
            jacobian[i][i]
        );
    }
    for (j, row_j) in jacobian.iter().enumerate() {
        let column_sum: f64 = jacobian.iter().map(|row| row[j]).sum();
        assert!(column_sum.abs() <= TOLERANCE, "column {j} sums to {column_sum:e}, not 0");
        for (i, row_i) in jacobian.iter().enumerate() {
            assert!((row_i[j] - row_j[i]).abs() <= TOLERANCE, "J is symmetric");
        }
    }
    println!("symmetric, and every column sums to 0 (within {TOLERANCE:.0e})");
    println!("max |autograd − closed form| over 2 × {} entries = {max_error:.2e}\n", n * n);

    // σ'(z) = σ(z)(1 − σ(z)): the sum's gradient is σ' at each point.
    let zs = Tensor::from_vec(SIGMOID_AT.to_vec(), [SIGMOID_AT.len()])?.requires_grad();
    let sigma = zs.sigmoid()?;
    let grads = sigma.sum_all()?.backward()?;
    let derivative = grads.get(&zs).expect("z is in the graph").to_vec::<f64>()?;
    println!(
        "{:>6} {:>12} {:>16} {:>16} {:>9}",
        "z", "σ(z)", "σ(z)(1 − σ(z))", "autograd σ'(z)", "|diff|"
    );
    let mut max_sigmoid_error = 0.0_f64;
    for ((&z, &got), &sig) in SIGMOID_AT.iter().zip(&derivative).zip(&sigma.to_vec::<f64>()?) {
        let exact = 1.0 / (1.0 + (-z).exp());
        let want = exact * (1.0 - exact);
        let error = (got - want).abs();
        println!("{z:>6.2} {sig:>12.9} {want:>16.12} {got:>16.12} {error:>9.1e}");
        assert!((sig - exact).abs() <= TOLERANCE, "σ({z}) = {sig}, want {exact}");
        assert!(error <= TOLERANCE, "σ'({z}): autograd {got:e}, closed form {want:e}");
        max_sigmoid_error = max_sigmoid_error.max(error);
    }
    println!("max |autograd − σ(1 − σ)| = {max_sigmoid_error:.2e}\n");

    // Softmax over [z, 0] is σ(z), values and derivatives: a batch of rows [z_k, 0].
    let k = SIGMOID_AT.len();
    let sigma = sigma.to_vec::<f64>()?;
    let logits = Tensor::from_vec(SIGMOID_AT.to_vec(), [k, 1])?.requires_grad();
    let pairs = Tensor::concat(&[logits.clone(), Tensor::zeros([k, 1], DType::F64)], 1)?;
    let probabilities = pairs.softmax(1)?;
    let grads = probabilities.narrow(1, 0, 1)?.sum_all()?.backward()?;
    let d_first = grads.get(&logits).expect("z is in the graph").to_vec::<f64>()?;
    let probabilities = probabilities.to_vec::<f64>()?;
    let mut max_link_error = 0.0_f64;
    println!("two-class softmax [z, 0] against σ(z):");
    for (i, &z) in SIGMOID_AT.iter().enumerate() {
        let (s1, s2) = (probabilities[2 * i], probabilities[2 * i + 1]);
        let log_odds = (s1 / s2).ln();
        println!(
            "  z = {z:>5.2}: softmax([z, 0]) = ({s1:.12}, {s2:.12}), σ(z) = {:.12}, \
             log(s1/s2) = {log_odds:.12}",
            sigma[i]
        );
        let value_error = (s1 - sigma[i]).abs();
        let slope_error = (d_first[i] - derivative[i]).abs();
        assert!(value_error <= TOLERANCE, "softmax([z, 0])_1 ≠ σ(z) at z = {z}");
        assert!(slope_error <= TOLERANCE, "their derivatives differ at z = {z}");
        assert!((log_odds - z).abs() <= TOLERANCE * z.abs().max(1.0), "log-odds at z = {z}");
        max_link_error = max_link_error.max(value_error).max(slope_error);
    }
    println!("max difference (values and derivatives) = {max_link_error:.2e}");
    println!("\nAll checks passed.");
    Ok(())
}
