//! Reverse-mode automatic differentiation.
//!
//! Ops on tracked tensors record themselves ([`Op`], which lives in [`crate::tensor`] beside the
//! tensor that holds it, and names its elementwise functions with the kernels' [`UnaryOp`] and
//! [`BinaryOp`]); [`Tensor::backward`](crate::Tensor::backward) sorts the recorded graph once,
//! seeds `∂L/∂L = 1`, and walks it in reverse, applying the chain rule
//! `∂L/∂x = Σ_y ∂L/∂y · ∂y/∂x` node by node ([`backprop`]). [`gradcheck()`] compares those
//! gradients with central finite differences, and [`dot`] draws the graph. The engine below
//! (`tensor`, `ops`) never imports this module.

pub mod backprop;
pub mod dot;
pub mod gradcheck;

pub use crate::ops::{BinaryOp, UnaryOp};
pub use crate::tensor::Op;
pub use backprop::GradStore;
pub use gradcheck::{gradcheck, GradCheck};
