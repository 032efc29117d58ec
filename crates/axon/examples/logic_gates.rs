//! The lectures' logic gates: what a single threshold neuron can and cannot compute, and a
//! two-layer network that learns XOR.
//!
//! 1. A threshold neuron outputs `y = 1` if `w1 x1 + w2 x2 + b ≥ 0`, else `0`. With `w = (1, 1)`,
//!    `b = −0.5` it computes OR, with `b = −1.5` AND (truth tables asserted).
//! 2. No threshold neuron computes XOR. The linear-inequality argument: XOR needs
//!    `(0,0) → 0: b < 0`, `(1,0) → 1: w1 + b ≥ 0`, `(0,1) → 1: w2 + b ≥ 0` and
//!    `(1,1) → 0: w1 + w2 + b < 0`. Adding the second and third gives `w1 + w2 + 2b ≥ 0`, so
//!    `w1 + w2 + b ≥ −b > 0` by the first, contradicting the fourth. (Geometrically: the points
//!    of class 1 and of class 0 are the two diagonals of the square, and no line separates them.)
//!    The example also searches a grid of 41³ = 68 921 neurons, `(w1, w2, b) ∈ {−2, −1.9, …, 2}³`,
//!    and asserts that none computes XOR, while the search does find neurons for AND and OR (so
//!    the search itself can succeed).
//! 3. A 2-2-1 network of sigmoid units, `ŷ = σ(w2ᵀ σ(W1 x + b1) + b2)`, trained by full-batch
//!    gradient descent with momentum on the binary cross-entropy of the four points (seeded
//!    initialisation, `η = 1`, momentum 0.9, 2000 steps) learns XOR: the outputs are asserted
//!    below 0.1 for `(0,0)` and `(1,1)` and above 0.9 for `(1,0)` and `(0,1)`. The loss surface
//!    of this small network has a well-known local minimum (one point left at 0.5, loss ≈ 0.347):
//!    with these settings, 4 of the seeds 0 to 19 end there (3, 6, 12, 19); plain gradient descent
//!    with `η = 0.5` ends there for seed 7 as well. The seed used here is one that converges.
//!
//! Run with `cargo run --release -p axon --example logic_gates`.

use axon::nn::loss::{bce_loss, Reduction};
use axon::nn::{Linear, Module, Sequential, Sigmoid, ThresholdNeuron};
use axon::optim::{Optimizer, Sgd, SgdConfig};
use axon::{no_grad, DType, Result, Rng, Tensor};

const INPUTS: [[f64; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
const OR: [f64; 4] = [0.0, 1.0, 1.0, 1.0];
const AND: [f64; 4] = [0.0, 0.0, 0.0, 1.0];
const XOR: [f64; 4] = [0.0, 1.0, 1.0, 0.0];

const SEED: u64 = 7;
const LEARNING_RATE: f64 = 1.0;
const MOMENTUM: f64 = 0.9;
const STEPS: usize = 2000;

fn inputs() -> Result<Tensor> {
    Tensor::from_vec(INPUTS.concat(), [4, 2])
}

fn truth_table(neuron: &ThresholdNeuron) -> Result<Vec<f64>> {
    Ok(neuron.forward(&inputs()?)?.to_f64_vec())
}

/// The number of grid neurons `(w1, w2, b)` whose truth table is `target`.
fn search(target: &[f64; 4]) -> Result<usize> {
    let grid: Vec<f64> = (-20..=20).map(|i| i as f64 / 10.0).collect();
    let mut found = 0;
    for &w1 in &grid {
        for &w2 in &grid {
            for &b in &grid {
                if truth_table(&ThresholdNeuron::new(vec![w1, w2], b))? == target {
                    found += 1;
                }
            }
        }
    }
    Ok(found)
}

fn threshold_gates() -> Result<()> {
    let or = ThresholdNeuron::new(vec![1.0, 1.0], -0.5);
    let and = ThresholdNeuron::new(vec![1.0, 1.0], -1.5);
    println!("Threshold neurons, y = 1 if w·x + b ≥ 0:");
    println!("  x1 x2 | OR (w = (1, 1), b = −0.5) | AND (w = (1, 1), b = −1.5)");
    let (or_table, and_table) = (truth_table(&or)?, truth_table(&and)?);
    for (i, x) in INPUTS.iter().enumerate() {
        println!("   {}  {} | {:>25} | {:>26}", x[0], x[1], or_table[i], and_table[i]);
    }
    assert_eq!(or_table, OR, "OR truth table");
    assert_eq!(and_table, AND, "AND truth table");

    let (n_or, n_and, n_xor) = (search(&OR)?, search(&AND)?, search(&XOR)?);
    println!("\nGrid search over (w1, w2, b) ∈ {{−2, −1.9, …, 2}}³ (68 921 neurons):");
    println!("  computing OR: {n_or}, AND: {n_and}, XOR: {n_xor}");
    assert!(n_or > 0 && n_and > 0, "the search finds the gates a neuron can compute");
    assert_eq!(n_xor, 0, "no single threshold neuron computes XOR");
    Ok(())
}

fn xor_network() -> Result<()> {
    let mut rng = Rng::seed(SEED);
    let net = Sequential::new()
        .with(Linear::new(2, 2, true, DType::F64, &mut rng)?)
        .with(Sigmoid)
        .with(Linear::new(2, 1, true, DType::F64, &mut rng)?)
        .with(Sigmoid);
    println!("\nA 2-2-1 sigmoid network for XOR (seed {SEED}):\n{net}");
    let x = inputs()?;
    let y = Tensor::from_vec(XOR.to_vec(), [4, 1])?;
    let config = SgdConfig { lr: LEARNING_RATE, momentum: MOMENTUM, ..Default::default() };
    let mut opt = Sgd::new(net.params(), config)?;
    for step in 0..=STEPS {
        let loss = bce_loss(&net.forward(&x)?, &y, None, Reduction::Mean)?;
        if step % 500 == 0 {
            println!("  step {step:>5}: loss {:.6}", loss.item()?);
        }
        if step < STEPS {
            opt.step(&loss.backward()?)?;
        }
    }
    let out = no_grad(|| net.forward(&x))?.to_f64_vec();
    println!("  x1 x2 | XOR | network");
    for (i, xi) in INPUTS.iter().enumerate() {
        println!("   {}  {} |  {}  | {:.4}", xi[0], xi[1], XOR[i], out[i]);
        let ok = if XOR[i] == 1.0 { out[i] > 0.9 } else { out[i] < 0.1 };
        assert!(ok, "XOR({}, {}) = {} but the network gives {}", xi[0], xi[1], XOR[i], out[i]);
    }
    for (name, p) in net.parameters() {
        println!("  {name}: {:?}", p.value().to_f64_vec());
    }
    Ok(())
}

fn main() -> Result<()> {
    threshold_gates()?;
    xor_network()?;
    println!("\nOR and AND by single neurons, XOR impossible for one, learned by two layers.");
    Ok(())
}
