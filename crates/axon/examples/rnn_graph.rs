//! The lectures' "dynamic computational graph" slide: one step of a recurrent cell, built on the
//! fly, drawn, and differentiated.
//!
//! The slide (PyTorch's own README animation) writes, with `W_h` 20×20, `W_x` 20×10, `x` 1×10 and
//! `prev_h` 1×20:
//!
//! ```text
//! h2h = W_h · prev_hᵀ;  i2h = W_x · xᵀ;  next_h = tanh(h2h + i2h);  loss = Σ next_h
//! ```
//!
//! The example records exactly those ops, prints the graph in Graphviz DOT (two `matmul`s on
//! transposed views, an `add`, a `tanh`, the `sum`), checks the gradients in `W_h` and `W_x` by
//! the chain rule (`∂loss/∂W_h = (1 − next_h²) prev_h`, an outer product) and by central
//! differences, and shows that `nn::RNNCell` without bias computes the same step. Then the cell
//! is unrolled over sequences of length 1 to 4: the graph is recorded anew on every call and grows
//! by the same number of nodes per step, and backpropagation through time reaches `W_h` through
//! every step.
//!
//! Run with `cargo run --release -p axon --example rnn_graph [-- --out FILE.dot]`.

#[path = "support/dot_output.rs"]
mod dot_output;

use axon::nn::{RNNCell, RnnNonlinearity};
use axon::{gradcheck, DType, Rng, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = dot_output::dot_path("rnn_graph")?;
    let mut rng = Rng::seed(0);
    let w_h = Tensor::randn([20, 20], 0.0, 1.0, DType::F64, &mut rng).requires_grad();
    let w_x = Tensor::randn([20, 10], 0.0, 1.0, DType::F64, &mut rng).requires_grad();
    let x = Tensor::randn([1, 10], 0.0, 1.0, DType::F64, &mut rng);
    let prev_h = Tensor::randn([1, 20], 0.0, 1.0, DType::F64, &mut rng);

    // The slide, line by line.
    let h2h = w_h.matmul(&prev_h.t()?)?;
    let i2h = w_x.matmul(&x.t()?)?;
    let next_h = h2h.add(&i2h)?.tanh()?;
    let loss = next_h.sum_all()?;

    let dot = loss.to_dot(&[
        (&w_h, "W_h"),
        (&w_x, "W_x"),
        (&x, "x"),
        (&prev_h, "prev_h"),
        (&h2h, "h2h"),
        (&i2h, "i2h"),
        (&next_h, "next_h"),
        (&loss, "loss"),
    ]);
    println!("{dot}");
    let nodes = dot.lines().filter(|l| l.contains("[label=")).count();
    let edges = dot.lines().filter(|l| l.contains("->")).count();
    println!("{nodes} nodes, {edges} edges");
    assert_eq!(nodes, 9, "W_h, prev_hᵀ, matmul, W_x, xᵀ, matmul, add, tanh, sum");
    assert_eq!(edges, 8, "2 (each matmul) × 2 + 2 (add) + 1 (tanh) + 1 (sum)");
    for op in ["h2h matmul", "i2h matmul", "next_h tanh", "loss sum"] {
        assert!(dot.contains(op), "the graph names {op:?}");
    }
    assert_eq!(dot.matches("fillcolor=lightblue").count(), 2, "W_h and W_x require gradients");
    std::fs::write(&path, &dot)?;
    println!("graph written to {}\n", path.display());

    // The backward pass against the chain rule: ∂loss/∂W_h[i, j] = (1 − next_h[i]²) prev_h[j],
    // ∂loss/∂W_x[i, j] = (1 − next_h[i]²) x[j].
    let grads = loss.backward()?;
    let (h, p, xv) = (next_h.to_f64_vec(), prev_h.to_f64_vec(), x.to_f64_vec());
    let d_wh = grads.get(&w_h).expect("W_h is in the graph").to_f64_vec();
    let d_wx = grads.get(&w_x).expect("W_x is in the graph").to_f64_vec();
    let mut worst: f64 = 0.0;
    for i in 0..20 {
        let upstream = 1.0 - h[i] * h[i];
        for j in 0..20 {
            worst = worst.max((d_wh[i * 20 + j] - upstream * p[j]).abs());
        }
        for j in 0..10 {
            worst = worst.max((d_wx[i * 10 + j] - upstream * xv[j]).abs());
        }
    }
    println!("chain rule: max |autograd − (1 − next_h²) ⊗ input| = {worst:.2e}");
    assert!(worst < 1e-14);
    assert!(grads.get(&x).is_none() && grads.get(&prev_h).is_none(), "data gets no gradient");

    let slide = |t: &[Tensor]| {
        let h2h = t[0].matmul(&t[2].t()?)?;
        h2h.add(&t[1].matmul(&t[3].t()?)?)?.tanh()?.sum_all()
    };
    let check = gradcheck(slide, &[w_h.detach(), w_x.detach(), prev_h.clone(), x.clone()], 1e-6)?;
    println!("finite differences in W_h, W_x, prev_h, x: {check}");
    assert!(check.is_close(1e-8, 1e-6));

    // nn::RNNCell without bias is the same step, in the batch-first layout (next_hᵀ).
    let cell = RNNCell::from_tensors(w_x.detach(), w_h.detach(), None, RnnNonlinearity::Tanh)?;
    let step = cell.step(&x, Some(&prev_h))?.to_f64_vec();
    let diff = step.iter().zip(&h).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    println!("nn::RNNCell step vs the slide: max |difference| = {diff:.2e}\n");
    assert!(diff < 1e-14);

    // The graph is dynamic: unrolled over T steps it is recorded anew with T copies of the cell.
    let xs = Tensor::randn([4, 1, 10], 0.0, 1.0, DType::F64, &mut rng);
    let w_h = w_h.detach().requires_grad();
    let cell = RNNCell::from_tensors(w_x.detach(), w_h.clone(), None, RnnNonlinearity::Tanh)?;
    let mut sizes = Vec::new();
    for steps in 1..=4 {
        let (_, last) = cell.unroll(&xs.narrow(0, 0, steps)?, Some(&prev_h))?;
        let loss = last.sum_all()?;
        let nodes = loss.to_dot(&[]).lines().filter(|l| l.contains("[label=")).count();
        let d_wh = loss.backward()?.get(&w_h).expect("W_h is in every step").to_f64_vec();
        let norm = d_wh.iter().map(|g| g * g).sum::<f64>().sqrt();
        println!("T = {steps}: {nodes:3} nodes in the graph, ‖∂loss/∂W_h‖ = {norm:.6}");
        sizes.push(nodes);
    }
    let growth: Vec<usize> = sizes.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(growth.iter().all(|&g| g == growth[0] && g > 0), "each step adds one cell: {growth:?}");
    println!("each step adds {} nodes", growth[0]);

    println!("\nAll checks passed.");
    Ok(())
}
