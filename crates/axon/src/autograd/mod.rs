//! Reverse-mode automatic differentiation.
//!
//! Ops on tracked tensors record themselves ([`Op`]); [`Tensor::backward`](crate::Tensor::backward)
//! sorts the recorded graph once, seeds `∂L/∂L = 1`, and walks it in reverse, applying the chain
//! rule `∂L/∂x = Σ_y ∂L/∂y · ∂y/∂x` node by node ([`backprop`]). [`gradcheck`] compares those
//! gradients with central finite differences, and [`dot`] draws the graph.

pub mod backprop;
pub mod dot;
pub mod gradcheck;
mod op;

pub use backprop::GradStore;
pub use gradcheck::{gradcheck, GradCheck};
pub use op::{BinaryOp, Op, UnaryOp};
