//! Elementwise arithmetic and activations with PyTorch-style broadcasting. Each method runs one
//! fused kernel from [`crate::ops`] and records one node in the graph.

use super::{Layout, Op, Shape, Tensor};
use crate::error::{Error, Result};
use crate::ops::{BinaryOp, CmpOp, Map, MapAny, UnaryOp};

impl Tensor {
    /// Applies a unary op and records it.
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let storage = op.map([self.operand()])?;
        let record = Tensor::record(&[self], || Op::Unary(self.clone(), op));
        Ok(Tensor::from_storage(storage, self.shape().clone(), record))
    }

    pub fn neg(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Neg)
    }
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Exp)
    }
    /// Natural logarithm.
    pub fn log(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Log)
    }
    pub fn sqrt(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sqrt)
    }
    pub fn abs(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Abs)
    }
    /// `x^p` for a constant exponent.
    pub fn powf(&self, p: f64) -> Result<Tensor> {
        self.unary(UnaryOp::Powf(p))
    }
    /// `x²`.
    pub fn square(&self) -> Result<Tensor> {
        self.mul(self)
    }
    /// `mul * x + add` in one pass.
    pub fn affine(&self, mul: f64, add: f64) -> Result<Tensor> {
        self.unary(UnaryOp::Affine { mul, add })
    }
    pub fn add_scalar(&self, c: f64) -> Result<Tensor> {
        self.affine(1.0, c)
    }
    pub fn sub_scalar(&self, c: f64) -> Result<Tensor> {
        self.affine(1.0, -c)
    }
    pub fn mul_scalar(&self, c: f64) -> Result<Tensor> {
        self.affine(c, 0.0)
    }
    pub fn div_scalar(&self, c: f64) -> Result<Tensor> {
        self.affine(1.0 / c, 0.0)
    }
    /// Limits every element to `[lo, hi]`; the gradient is 1 inside (ends included), 0 outside.
    pub fn clamp(&self, lo: f64, hi: f64) -> Result<Tensor> {
        if lo > hi {
            return Err(Error::invalid("lo", lo, format!("clamp needs lo <= hi = {hi}")));
        }
        self.unary(UnaryOp::Clamp { lo, hi })
    }
    /// The logistic function `σ(x) = 1 / (1 + e^-x)`, stable for any `x`.
    pub fn sigmoid(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sigmoid)
    }
    pub fn tanh(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Tanh)
    }
    /// `max(0, x)`.
    pub fn relu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Relu)
    }
    /// `x` for `x > 0`, else `slope * x` (PyTorch's default slope is 0.01).
    pub fn leaky_relu(&self, slope: f64) -> Result<Tensor> {
        self.unary(UnaryOp::LeakyRelu(slope))
    }
    /// `x` for `x > 0`, else `alpha (e^x − 1)`.
    pub fn elu(&self, alpha: f64) -> Result<Tensor> {
        self.unary(UnaryOp::Elu(alpha))
    }
    /// `x Φ(x)`, with the exact normal CDF.
    pub fn gelu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Gelu)
    }
    /// `log(1 + e^x)`, stable for any `x`.
    pub fn softplus(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Softplus)
    }

    /// Both operands broadcast to their common shape, with their dtypes checked.
    fn broadcast_pair(&self, rhs: &Tensor, op: &'static str) -> Result<(Shape, Layout, Layout)> {
        if self.dtype() != rhs.dtype() {
            return Err(Error::DTypeMismatch { op, expected: self.dtype(), got: rhs.dtype() });
        }
        let shape = Shape::broadcast(op, self.shape(), rhs.shape())?;
        let la = self.layout().broadcast_to(&shape)?;
        let lb = rhs.layout().broadcast_to(&shape)?;
        Ok((shape, la, lb))
    }

    /// Applies a binary op with broadcasting and records it.
    pub fn binary(&self, rhs: &Tensor, op: BinaryOp) -> Result<Tensor> {
        let (shape, la, lb) = self.broadcast_pair(rhs, op.name())?;
        let storage = op.map([(self.storage(), &la), (rhs.storage(), &lb)])?;
        let record = Tensor::record(&[self, rhs], || Op::Binary(self.clone(), rhs.clone(), op));
        Ok(Tensor::from_storage(storage, shape, record))
    }

    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Add)
    }
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Sub)
    }
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Mul)
    }
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Div)
    }
    /// `self^rhs` elementwise.
    pub fn pow(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Pow)
    }
    /// Elementwise maximum (NaN wins, as in `torch.maximum`).
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Maximum)
    }
    /// Elementwise minimum (NaN wins).
    pub fn minimum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Minimum)
    }

    /// A mask of the operands' dtype: 1 where `self op rhs`, 0 elsewhere. Not differentiable.
    pub fn compare(&self, rhs: &Tensor, op: CmpOp) -> Result<Tensor> {
        let (shape, la, lb) = self.broadcast_pair(rhs, "compare")?;
        let storage = op.map([(self.storage(), &la), (rhs.storage(), &lb)])?;
        Ok(Tensor::from_storage(storage, shape, None))
    }

    pub fn eq(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Eq)
    }
    pub fn ne(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Ne)
    }
    pub fn lt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Lt)
    }
    pub fn le(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Le)
    }
    pub fn gt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Gt)
    }
    pub fn ge(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(rhs, CmpOp::Ge)
    }
}
