//! Counting the learnable parameters of a multilayer perceptron, as the lectures do: a layer from
//! `n_in` to `n_out` units has `n_in · n_out` weights (one per connection) and `n_out` biases.
//!
//! - The 3-4-2 MLP: `3·4 + 4` + `4·2 + 2` = 16 + 10 = **26** parameters.
//! - The 40-20-1 network: `40·20 + 20·1` = **820** connection weights. The lecture's 820 counts the
//!   weights of the connections only; with a bias on every hidden and output unit the same network
//!   has `820 + 20 + 1 = 841` parameters. Both are built and printed below (`bias = false` and
//!   `bias = true`), and every count is asserted against the formula and against the sum of the
//!   parameter tensors' sizes.
//!
//! Run with `cargo run --release -p axon --example parameter_counts`.

use axon::nn::{Linear, Module, Sequential, Sigmoid};
use axon::{DType, Result, Rng};

/// An MLP with the given layer sizes and sigmoid hidden units.
fn mlp(sizes: &[usize], bias: bool, rng: &mut Rng) -> Result<Sequential> {
    let mut net = Sequential::new();
    for (i, pair) in sizes.windows(2).enumerate() {
        if i > 0 {
            net.push(Box::new(Sigmoid));
        }
        net.push(Box::new(Linear::new(pair[0], pair[1], bias, DType::F32, rng)?));
    }
    Ok(net)
}

/// `Σ (n_in · n_out + n_out·[bias])` over consecutive layers.
fn formula(sizes: &[usize], bias: bool) -> usize {
    sizes.windows(2).map(|p| p[0] * p[1] + if bias { p[1] } else { 0 }).sum()
}

fn show(title: &str, sizes: &[usize], bias: bool, want: usize, rng: &mut Rng) -> Result<()> {
    let net = mlp(sizes, bias, rng)?;
    println!("{title}\n{net}\n");
    for (name, p) in net.parameters() {
        println!("  {name:<10} {:?}", p.value().dims());
    }
    println!();
    assert_eq!(net.num_parameters(), want, "{title}");
    assert_eq!(formula(sizes, bias), want, "{title}: the formula");
    let summed: usize = net.parameters().iter().map(|(_, p)| p.value().numel()).sum();
    assert_eq!(summed, want);
    Ok(())
}

fn main() -> Result<()> {
    let mut rng = Rng::seed(0);
    show("The 3-4-2 MLP (weights and biases): 26 parameters", &[3, 4, 2], true, 26, &mut rng)?;
    let title = "The 40-20-1 network, connection weights only: 820 parameters";
    show(title, &[40, 20, 1], false, 820, &mut rng)?;
    let title = "The 40-20-1 network with biases: 820 weights + 21 biases = 841 parameters";
    show(title, &[40, 20, 1], true, 841, &mut rng)?;
    println!("All parameter counts match.");
    Ok(())
}
