//! Backpropagation through the lectures' small network, one partial derivative at a time.
//!
//! Two inputs `x1, x2`; two sigmoid hidden neurons
//! `z1 = w11 x1 + w21 x2 + b1, a1 = σ(z1)` and `z2 = w12 x1 + w22 x2 + b2, a2 = σ(z2)`; one
//! sigmoid output `z3 = w13 a1 + w23 a2 + b3, ŷ = σ(z3)`; the binary cross-entropy
//! `L = −[y log ŷ + (1 − y) log(1 − ŷ)]`.
//!
//! Backpropagation applies the chain rule from the loss backwards, reusing each result:
//!
//! - output: `∂L/∂z3 = ŷ − y` (σ' = σ(1 − σ) cancels the cross-entropy's denominators), so
//!   `∂L/∂w_i3 = (ŷ − y) a_i` and `∂L/∂b3 = ŷ − y`;
//! - into the hidden layer: `∂L/∂a_i = (ŷ − y) w_i3` and `∂L/∂z_i = ∂L/∂a_i · a_i (1 − a_i)`;
//! - first-layer weights: `∂L/∂w1i = ∂L/∂z_i · x1`, `∂L/∂w2i = ∂L/∂z_i · x2`, `∂L/∂b_i = ∂L/∂z_i`.
//!
//! Every weight is its own scalar leaf and the intermediate nodes `z_i`, `a_i` are kept, so each
//! of these partials can be read from the [`axon::GradStore`] (it holds gradients of intermediate
//! nodes too) and compared with the closed form: they must agree to `1e-12`. The example also
//! checks the whole network against central finite differences with [`axon::gradcheck`], and
//! writes the computational graph as Graphviz DOT to `backprop_two_layer.dot` in the system's
//! temporary folder (or the file given by `--out FILE`).
//!
//! Run with `cargo run --release -p axon --example backprop_two_layer [-- --out FILE.dot]`.

#[path = "support/dot_output.rs"]
mod dot_output;

use axon::Tensor;

/// The inputs and the label.
const X1: f64 = 0.6;
const X2: f64 = -0.4;
const Y: f64 = 1.0;
/// The weights, in the order `w11, w21, b1, w12, w22, b2, w13, w23, b3`.
const NAMES: [&str; 9] = ["w11", "w21", "b1", "w12", "w22", "b2", "w13", "w23", "b3"];
const WEIGHTS: [f64; 9] = [0.15, -0.25, 0.35, 0.45, 0.2, -0.1, 0.8, -0.6, 0.05];
/// Autograd against the closed forms: `|autograd − closed| ≤ TOLERANCE · max(1, |closed|)`.
const TOLERANCE: f64 = 1e-12;
/// Autograd against central differences of step `EPS`.
const EPS: f64 = 1e-6;
const GRADCHECK_ATOL: f64 = 1e-9;
const GRADCHECK_RTOL: f64 = 1e-6;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Where the graph goes (checked first, so that a wrong argument fails at once).
    let path = dot_output::dot_path("backprop_two_layer")?;
    let weights: Vec<Tensor> = WEIGHTS.iter().map(|&w| Tensor::scalar(w).requires_grad()).collect();
    let net = Network::forward(&weights)?;
    let grads = net.loss.backward()?;
    let grad =
        |t: &Tensor| -> axon::Result<f64> { grads.get(t).expect("node is in the graph").item() };

    let [w11, w21, b1, w12, w22, b2, w13, w23, b3] = &weights[..] else { unreachable!() };
    let (a1, a2, y_hat) = (net.a1.item()?, net.a2.item()?, net.y_hat.item()?);
    println!("Two-layer network: x = ({X1}, {X2}), y = {Y}");
    println!(
        "  z1 = {:.6}, a1 = {a1:.6}; z2 = {:.6}, a2 = {a2:.6}; z3 = {:.6}, ŷ = {y_hat:.6}; L = {:.6}\n",
        net.z1.item()?,
        net.z2.item()?,
        net.z3.item()?,
        net.loss.item()?
    );

    // The closed forms of backpropagation, in plain f64.
    let dz3 = y_hat - Y;
    let da1 = dz3 * WEIGHTS[6];
    let da2 = dz3 * WEIGHTS[7];
    let dz1 = da1 * a1 * (1.0 - a1);
    let dz2 = da2 * a2 * (1.0 - a2);
    let rows: [(&str, &str, f64, &Tensor); 14] = [
        ("∂L/∂z3", "ŷ − y", dz3, &net.z3),
        ("∂L/∂w13", "(ŷ − y) a1", dz3 * a1, w13),
        ("∂L/∂w23", "(ŷ − y) a2", dz3 * a2, w23),
        ("∂L/∂b3", "ŷ − y", dz3, b3),
        ("∂L/∂a1", "(ŷ − y) w13", da1, &net.a1),
        ("∂L/∂a2", "(ŷ − y) w23", da2, &net.a2),
        ("∂L/∂z1", "∂L/∂a1 · a1(1 − a1)", dz1, &net.z1),
        ("∂L/∂z2", "∂L/∂a2 · a2(1 − a2)", dz2, &net.z2),
        ("∂L/∂w11", "∂L/∂z1 · x1", dz1 * X1, w11),
        ("∂L/∂w21", "∂L/∂z1 · x2", dz1 * X2, w21),
        ("∂L/∂b1", "∂L/∂z1", dz1, b1),
        ("∂L/∂w12", "∂L/∂z2 · x1", dz2 * X1, w12),
        ("∂L/∂w22", "∂L/∂z2 · x2", dz2 * X2, w22),
        ("∂L/∂b2", "∂L/∂z2", dz2, b2),
    ];
    println!(
        "{:<9} {:<22} {:>16} {:>16} {:>9}",
        "partial", "closed form", "value", "autograd", "|diff|"
    );
    let mut max_error = 0.0_f64;
    for (name, formula, want, node) in rows {
        let got = grad(node)?;
        let diff = (got - want).abs();
        println!("{name:<9} {formula:<22} {want:>16.12} {got:>16.12} {diff:>9.1e}");
        assert!(
            diff <= TOLERANCE * want.abs().max(1.0),
            "{name}: autograd {got:e}, closed form {want:e}"
        );
        max_error = max_error.max(diff);
    }
    println!("max |autograd − closed form| = {max_error:.2e} (tolerance {TOLERANCE:.0e})\n");

    // The whole network against finite differences.
    let check = axon::gradcheck(|w| Network::forward(w).map(|net| net.loss), &weights, EPS)?;
    println!("gradcheck of L(w11, ..., b3), ε = {EPS:.0e}: {check}");
    assert!(
        check.is_close(GRADCHECK_ATOL, GRADCHECK_RTOL),
        "gradcheck failed: {check} (atol {GRADCHECK_ATOL:e}, rtol {GRADCHECK_RTOL:e})"
    );

    // The computational graph, as DOT.
    let mut names: Vec<(&Tensor, &str)> = weights.iter().zip(NAMES).collect();
    names.extend([
        (&net.z1, "z1"),
        (&net.a1, "a1"),
        (&net.z2, "z2"),
        (&net.a2, "a2"),
        (&net.z3, "z3"),
        (&net.y_hat, "ŷ"),
        (&net.loss, "L"),
    ]);
    let dot = net.loss.to_dot(&names);
    let edges = dot.lines().filter(|l| l.contains("->")).count();
    let nodes = dot.lines().filter(|l| l.contains("[label=")).count();
    assert_eq!(dot.matches("sigmoid").count(), 3, "three sigmoid nodes in\n{dot}");
    for name in NAMES {
        assert!(dot.contains(&format!("label=\"{name} leaf")), "{name} is drawn as a leaf:\n{dot}");
    }
    std::fs::write(&path, &dot)?;
    println!(
        "computational graph: {nodes} nodes, {edges} edges, written to {}\n  (render with `dot -Tsvg {} > graph.svg`)",
        path.display(),
        path.display()
    );
    println!("\nAll checks passed.");
    Ok(())
}

/// The network's intermediate nodes and loss for the weights `w11, w21, b1, w12, w22, b2, w13,
/// w23, b3` (scalar tensors).
struct Network {
    z1: Tensor,
    a1: Tensor,
    z2: Tensor,
    a2: Tensor,
    z3: Tensor,
    y_hat: Tensor,
    loss: Tensor,
}

impl Network {
    fn forward(w: &[Tensor]) -> axon::Result<Network> {
        let [w11, w21, b1, w12, w22, b2, w13, w23, b3] = w else {
            return Err(axon::Error::invalid("weights", w.len(), "the network has 9 weights"));
        };
        let (x1, x2, y) = (Tensor::scalar(X1), Tensor::scalar(X2), Tensor::scalar(Y));
        // z = wa·a + wb·b + bias, one neuron's pre-activation.
        let neuron = |wa: &Tensor, a: &Tensor, wb: &Tensor, b: &Tensor, bias: &Tensor| {
            wa.mul(a)?.add(&wb.mul(b)?)?.add(bias)
        };
        let z1 = neuron(w11, &x1, w21, &x2, b1)?;
        let a1 = z1.sigmoid()?;
        let z2 = neuron(w12, &x1, w22, &x2, b2)?;
        let a2 = z2.sigmoid()?;
        let z3 = neuron(w13, &a1, w23, &a2, b3)?;
        let y_hat = z3.sigmoid()?;
        // L = −[y log ŷ + (1 − y) log(1 − ŷ)]
        let loss = y
            .mul(&y_hat.log()?)?
            .add(&y.affine(-1.0, 1.0)?.mul(&y_hat.affine(-1.0, 1.0)?.log()?)?)?
            .neg()?;
        Ok(Network { z1, a1, z2, a2, z3, y_hat, loss })
    }
}
