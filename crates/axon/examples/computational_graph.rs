//! The computational graph of a one-neuron loss, as the lectures draw it.
//!
//! The expression is `L = (σ(w·x + b) − y)²` with `w, x ∈ R²`: the forward pass records one node
//! per operation (`mul` for `w ⊙ x`, `sum` for the dot product, `add` for `+ b`, `sigmoid`, `sub`
//! for `− y`, and `mul` again for the square `d · d`), with one arrow per use of a tensor; the
//! leaves `w` and `b` require gradients (blue), the data `x` and `y` are constants (grey). The
//! backward pass walks the same graph in reverse; by the chain rule
//! `∂L/∂w = 2 (ŷ − y) · ŷ(1 − ŷ) · x` and `∂L/∂b = 2 (ŷ − y) · ŷ(1 − ŷ)`, checked to `1e-12`.
//!
//! The example prints the graph in Graphviz DOT (`to_dot`), writes it to `computational_graph.dot`
//! in the system's temporary folder (or the file given by `--out FILE`), and
//! asserts that it names every op and has 10 nodes and 10 edges (the square uses its input twice).
//!
//! Run with `cargo run --release -p axon --example computational_graph [-- --out FILE.dot]`, and
//! render the graph with `dot -Tsvg FILE.dot > graph.svg` (the path is printed).

#[path = "support/dot_output.rs"]
mod dot_output;

use axon::Tensor;

const TOLERANCE: f64 = 1e-12;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Where the graph goes (checked first, so that a wrong argument fails at once).
    let path = dot_output::dot_path("computational_graph")?;
    let w = Tensor::from_vec(vec![0.5, -0.3], [2])?.requires_grad();
    let x = Tensor::from_vec(vec![1.0, 2.0], [2])?;
    let b = Tensor::scalar(0.3).requires_grad();
    let y = Tensor::scalar(1.0);

    let z = w.mul(&x)?.sum_all()?.add(&b)?; // z = w·x + b
    let y_hat = z.sigmoid()?;
    let diff = y_hat.sub(&y)?;
    let loss = diff.square()?; // (ŷ − y)², recorded as diff · diff

    let dot = loss.to_dot(&[
        (&w, "w"),
        (&x, "x"),
        (&b, "b"),
        (&y, "y"),
        (&z, "z"),
        (&y_hat, "ŷ"),
        (&loss, "L"),
    ]);
    println!("L = (σ(w·x + b) − y)² = {:.12}\n", loss.item()?);
    println!("{dot}");

    let nodes = dot.lines().filter(|l| l.contains("[label=")).count();
    let edges = dot.lines().filter(|l| l.contains("->")).count();
    let count = |needle: &str| dot.matches(needle).count();
    println!("{nodes} nodes, {edges} edges");
    assert_eq!(nodes, 10, "w, x, mul, sum, b, add, sigmoid, y, sub, mul");
    assert_eq!(edges, 10, "2 (mul) + 1 (sum) + 2 (add) + 1 (sigmoid) + 2 (sub) + 2 (square)");
    assert_eq!(count("mul\\n"), 2, "the product w ⊙ x and the square");
    for op in [
        "label=\"mul",
        "label=\"sum[0]",
        "label=\"z add",
        "label=\"ŷ sigmoid",
        "label=\"sub",
        "label=\"L mul",
    ] {
        assert_eq!(count(op), 1, "the graph names {op:?}");
    }
    assert_eq!(count("fillcolor=lightblue"), 2, "the leaves w and b require gradients");
    assert_eq!(count("fillcolor=lightgrey"), 2, "x and y are constants");
    assert!(dot.starts_with("digraph") && dot.trim_end().ends_with('}'));

    // The backward pass over the same graph, against the chain rule.
    let grads = loss.backward()?;
    let y_hat_v = y_hat.item()?;
    let upstream = 2.0 * (y_hat_v - 1.0) * y_hat_v * (1.0 - y_hat_v);
    let dw = grads.get(&w).expect("w is in the graph").to_vec::<f64>()?;
    let db = grads.get(&b).expect("b is in the graph").item()?;
    println!("∂L/∂w = {dw:.12?} (chain rule [{:.12}, {:.12}])", upstream * 1.0, upstream * 2.0);
    println!("∂L/∂b = {db:.12} (chain rule {upstream:.12})");
    assert!((dw[0] - upstream).abs() <= TOLERANCE && (dw[1] - 2.0 * upstream).abs() <= TOLERANCE);
    assert!((db - upstream).abs() <= TOLERANCE);
    assert!(grads.get(&x).is_none() && grads.get(&y).is_none(), "constants get no gradient");

    std::fs::write(&path, &dot)?;
    println!("graph written to {}", path.display());
    println!("\nAll checks passed.");
    Ok(())
}
