//! Elementwise functions of two tensors, already broadcast to one shape by the caller, their
//! derivatives, and comparisons that return masks (1 where true, 0 where false).

use super::dispatch::{Map, MapAny};
use super::op::{BinaryOp, CmpOp};
use super::{map, zip, zip3};
use crate::tensor::{Element, Float, Layout, Storage};

/// `a op b` for every pair of elements.
pub fn forward<T: Float>(
    op: BinaryOp,
    (a, la): (&[T], &Layout),
    (b, lb): (&[T], &Layout),
) -> Vec<T> {
    match op {
        BinaryOp::Add => zip(a, la, b, lb, |x: T, y: T| x + y),
        BinaryOp::Sub => zip(a, la, b, lb, |x: T, y: T| x - y),
        BinaryOp::Mul => zip(a, la, b, lb, |x: T, y: T| x * y),
        BinaryOp::Div => zip(a, la, b, lb, |x: T, y: T| x / y),
        BinaryOp::Pow => zip(a, la, b, lb, |x: T, y: T| x.powf(y)),
        // NaN in either operand gives NaN, as torch.maximum does.
        BinaryOp::Maximum => {
            zip(a, la, b, lb, |x: T, y: T| if x.is_nan() || x > y { x } else { y })
        }
        BinaryOp::Minimum => {
            zip(a, la, b, lb, |x: T, y: T| if x.is_nan() || x < y { x } else { y })
        }
    }
}

impl Map<2> for BinaryOp {
    type Output = Storage;
    fn name(&self) -> &'static str {
        BinaryOp::name(*self)
    }
    fn f<T: Float>(&self, [a, b]: [(&[T], &Layout); 2]) -> Storage {
        T::into_storage(forward(*self, a, b))
    }
}

/// The operand a gradient is taken with respect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    Lhs,
    Rhs,
}

/// The gradient with respect to one operand, at the broadcast shape (the caller sums it back to
/// the operand's shape). Ties of maximum/minimum share the gradient equally, as in PyTorch.
pub fn backward<T: Float>(
    op: BinaryOp,
    wrt: Operand,
    (a, la): (&[T], &Layout),
    (b, lb): (&[T], &Layout),
    (g, lg): (&[T], &Layout),
) -> Vec<T> {
    let (zero, one, half) = (T::zero(), T::one(), T::from_f64(0.5));
    let lhs = wrt == Operand::Lhs;
    match op {
        BinaryOp::Add => map(g, lg, |g: T| g),
        BinaryOp::Sub if lhs => map(g, lg, |g: T| g),
        BinaryOp::Sub => map(g, lg, |g: T| -g),
        BinaryOp::Mul if lhs => zip(b, lb, g, lg, |y: T, g: T| g * y),
        BinaryOp::Mul => zip(a, la, g, lg, |x: T, g: T| g * x),
        BinaryOp::Div if lhs => zip(b, lb, g, lg, |y: T, g: T| g / y),
        BinaryOp::Div => zip3(g, lg, a, la, b, lb, |g: T, x: T, y: T| -g * x / (y * y)),
        BinaryOp::Pow if lhs => {
            zip3(
                g,
                lg,
                a,
                la,
                b,
                lb,
                move |g: T, x: T, y: T| {
                    if y == zero {
                        zero
                    } else {
                        g * y * x.powf(y - one)
                    }
                },
            )
        }
        // d(x^y)/dy = x^y ln x, taken as 0 at x = 0 (the limit for y > 0), as PyTorch does.
        BinaryOp::Pow => {
            zip3(
                g,
                lg,
                a,
                la,
                b,
                lb,
                move |g: T, x: T, y: T| {
                    if x == zero {
                        zero
                    } else {
                        g * x.powf(y) * x.ln()
                    }
                },
            )
        }
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let max = op == BinaryOp::Maximum;
            // The share of the gradient the operand `x` gets against `y`.
            let share = move |x: T, y: T| {
                if (max && x > y) || (!max && x < y) {
                    one
                } else if x == y {
                    half
                } else {
                    zero
                }
            };
            if lhs {
                zip3(g, lg, a, la, b, lb, move |g: T, x: T, y: T| g * share(x, y))
            } else {
                zip3(g, lg, a, la, b, lb, move |g: T, x: T, y: T| g * share(y, x))
            }
        }
    }
}

/// The gradient kernel of a binary op with respect to one operand, of the operands `[a, b, g]`
/// of [`backward`].
pub struct BinaryGrad(pub BinaryOp, pub Operand);

impl Map<3> for BinaryGrad {
    type Output = Storage;
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn f<T: Float>(&self, [a, b, g]: [(&[T], &Layout); 3]) -> Storage {
        T::into_storage(backward(self.0, self.1, a, b, g))
    }
}

/// A mask with 1 where `a op b` holds and 0 elsewhere.
pub fn compare<T: Element>(
    op: CmpOp,
    (a, la): (&[T], &Layout),
    (b, lb): (&[T], &Layout),
) -> Vec<T> {
    let (one, zero) = (T::from_f64(1.0), T::from_f64(0.0));
    let m = move |c: bool| if c { one } else { zero };
    match op {
        CmpOp::Eq => zip(a, la, b, lb, |x: T, y: T| m(x == y)),
        CmpOp::Ne => zip(a, la, b, lb, |x: T, y: T| m(x != y)),
        CmpOp::Lt => zip(a, la, b, lb, |x: T, y: T| m(x < y)),
        CmpOp::Le => zip(a, la, b, lb, |x: T, y: T| m(x <= y)),
        CmpOp::Gt => zip(a, la, b, lb, |x: T, y: T| m(x > y)),
        CmpOp::Ge => zip(a, la, b, lb, |x: T, y: T| m(x >= y)),
    }
}

impl MapAny<2> for CmpOp {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "compare"
    }
    fn f<T: Element>(&self, [a, b]: [(&[T], &Layout); 2]) -> Storage {
        T::into_storage(compare(*self, a, b))
    }
}
