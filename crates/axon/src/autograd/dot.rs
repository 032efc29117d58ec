//! The recorded graph as Graphviz DOT, drawn as the lectures draw computational graphs: one box
//! per tensor (leaves that require gradients in blue, constants in grey), one arrow per use.
//! Render with `dot -Tsvg graph.dot > graph.svg`.

use rustc_hash::FxHashSet as HashSet;
use std::fmt::Write;

use super::backprop::topological_order;
use crate::tensor::Tensor;

impl Tensor {
    /// The graph that produced this tensor, in DOT. `names` labels chosen tensors (`"w"`, `"loss"`).
    pub fn to_dot(&self, names: &[(&Tensor, &str)]) -> String {
        let name_of =
            |t: &Tensor| names.iter().find(|(n, _)| n.id() == t.id()).map(|(_, s)| format!("{s} "));
        let mut out = String::from(
            "digraph axon {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        );
        let mut drawn = HashSet::default();
        let mut node = |out: &mut String, t: &Tensor| {
            if !drawn.insert(t.id()) {
                return;
            }
            let label = name_of(t).unwrap_or_default();
            let (what, style) = match t.op() {
                Some(op) => (op.name(), "style=rounded"),
                None if t.is_tracked() => ("leaf".into(), "style=filled, fillcolor=lightblue"),
                None => ("const".into(), "style=filled, fillcolor=lightgrey"),
            };
            let _ = writeln!(
                out,
                "  t{} [label=\"{label}{what}\\n{} {}\", {style}];",
                t.id().value(),
                t.shape(),
                t.dtype()
            );
        };
        let order = if self.is_tracked() { topological_order(self) } else { vec![self] };
        for &t in &order {
            node(&mut out, t);
            if let Some(op) = t.op() {
                for input in op.inputs() {
                    node(&mut out, input);
                    let _ = writeln!(out, "  t{} -> t{};", input.id().value(), t.id().value());
                }
            }
        }
        out.push_str("}\n");
        out
    }
}
