//! The names of the elementwise ops, in one place that the kernels ([`super::unary`],
//! [`super::binary`]), the tensor methods that call them, the recorded graph
//! ([`crate::tensor::Op`]) and the backward pass all import. A kernel never needs to know about
//! the graph, and the graph never defines its own copy of an op's name.

/// Elementwise functions of one tensor. Parameters are stored as `f64` whatever the dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    /// `x^p` for a constant `p`.
    Powf(f64),
    /// `mul * x + add`: scalar arithmetic.
    Affine {
        mul: f64,
        add: f64,
    },
    /// `min(max(x, lo), hi)`.
    Clamp {
        lo: f64,
        hi: f64,
    },
    Sigmoid,
    Tanh,
    Relu,
    /// `x` if `x > 0`, else `slope * x`.
    LeakyRelu(f64),
    /// `x` if `x > 0`, else `alpha * (e^x - 1)`.
    Elu(f64),
    /// `x * Φ(x)` with the exact normal CDF, as PyTorch's default.
    Gelu,
    /// `log(1 + e^x)`, computed as `max(x, 0) + log1p(e^-|x|)`.
    Softplus,
}

/// Elementwise functions of two broadcast tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
}

impl BinaryOp {
    /// The name errors use: `add`, `maximum`.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }
}

/// Elementwise comparisons. They are not differentiable; the mask has the operands' dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}
