//! Elementwise functions of one tensor and their derivatives, with the stable formulas:
//! `σ(x)` never evaluates `e^x` for large positive `x`, softplus never overflows, and GELU uses
//! the exact normal CDF. The derivative is written in terms of the input `x` and, where cheaper,
//! the output `y` (`σ' = y(1 − y)`, `tanh' = 1 − y²`, `exp' = y`).

use std::mem::MaybeUninit;

use super::dispatch::Map;
use super::op::UnaryOp;
use super::simd::{dispatch, Kernel};
use super::{filled, map, zip, zip3};
use crate::tensor::{Float, Layout, Storage};

/// `1 / (1 + e^-x)` without overflow for any `x`.
#[inline(always)]
pub fn sigmoid<T: Float>(x: T) -> T {
    // e = e^-|x| ≤ 1 never overflows; both branches are computed so the loop vectorises.
    let e = (-x.abs()).fast_exp();
    let r = T::one() / (T::one() + e);
    if x >= T::zero() {
        r
    } else {
        e * r
    }
}

/// `log(1 + e^x)` without overflow for any `x`.
#[inline(always)]
pub fn softplus<T: Float>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).fast_exp().ln_1p()
}

/// The standard normal CDF `Φ(x)`.
#[inline(always)]
pub fn normal_cdf<T: Float>(x: T) -> T {
    T::from_f64(0.5) * Float::erfc(-x / T::from_f64(std::f64::consts::SQRT_2))
}

/// The standard normal density `φ(x)`, with the kernels' vectorisable `exp` (GELU's
/// derivative: a call to the C library's `expf` kept its loop scalar).
#[inline(always)]
pub fn normal_pdf<T: Float>(x: T) -> T {
    let c = T::from_f64(1.0 / (2.0 * std::f64::consts::PI).sqrt());
    c * (-(x * x) / T::from_f64(2.0)).fast_exp()
}

/// `op` applied to every element of `x`.
pub fn forward<T: Float>(op: UnaryOp, x: &[T], l: &Layout) -> Vec<T> {
    let zero = T::zero();
    match op {
        UnaryOp::Neg => map(x, l, |v: T| -v),
        UnaryOp::Exp => map(x, l, |v: T| v.fast_exp()),
        UnaryOp::Log => map(x, l, |v: T| v.ln()),
        UnaryOp::Sqrt => map(x, l, |v: T| v.sqrt()),
        UnaryOp::Abs => map(x, l, |v: T| v.abs()),
        UnaryOp::Powf(p) => {
            let p = T::from_f64(p);
            map(x, l, |v: T| v.powf(p))
        }
        UnaryOp::Affine { mul, add } => {
            let (m, a) = (T::from_f64(mul), T::from_f64(add));
            map(x, l, |v: T| v * m + a)
        }
        UnaryOp::Clamp { lo, hi } => {
            let (lo, hi) = (T::from_f64(lo), T::from_f64(hi));
            // NaN stays NaN, as IEEE and PyTorch say.
            map(x, l, |v: T| {
                if v < lo {
                    lo
                } else if v > hi {
                    hi
                } else {
                    v
                }
            })
        }
        UnaryOp::Sigmoid => map(x, l, sigmoid),
        UnaryOp::Tanh => map(x, l, |v: T| v.fast_tanh()),
        UnaryOp::Relu => map(x, l, |v: T| if v > zero || v.is_nan() { v } else { zero }),
        UnaryOp::LeakyRelu(s) => {
            let s = T::from_f64(s);
            map(x, l, |v: T| if v > zero { v } else { v * s })
        }
        UnaryOp::Elu(alpha) => {
            let a = T::from_f64(alpha);
            map(x, l, |v: T| if v > zero { v } else { a * v.exp_m1() })
        }
        UnaryOp::Gelu => match l.contiguous_range() {
            Some(range) => {
                let src = &x[range];
                filled(src.len(), |start, out| dispatch(Gelu { src: &src[start..], out }))
            }
            None => map(x, l, |v: T| v * normal_cdf(v)),
        },
        UnaryOp::Softplus => map(x, l, softplus),
    }
}

/// `x Φ(x)` of each element of `src` into `out` (as long as `src` or shorter), at the CPU's
/// vector width: the `erfc` of the normal CDF is most of a BERT layer's elementwise work.
struct Gelu<'a, T> {
    src: &'a [T],
    out: &'a mut [MaybeUninit<T>],
}

impl<T: Float> Kernel for Gelu<'_, T> {
    #[inline(always)]
    fn run(self) {
        for (o, &v) in self.out.iter_mut().zip(self.src) {
            o.write(v * normal_cdf(v));
        }
    }
}

impl Map<1> for UnaryOp {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "unary op"
    }
    fn f<T: Float>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> Storage {
        T::into_storage(forward(*self, x, l))
    }
}

/// The gradient kernel of a unary op, of the operands `[x, y, g]` of [`backward`].
pub struct UnaryGrad(pub UnaryOp);

impl Map<3> for UnaryGrad {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "unary op backward"
    }
    fn f<T: Float>(&self, [x, y, g]: [(&[T], &Layout); 3]) -> Storage {
        T::into_storage(backward(self.0, x, y, g))
    }
}

/// `dL/dx = dL/dy · f'(x)` for every element, given the input `x`, the output `y` and the
/// incoming gradient `g` (all of one shape).
pub fn backward<T: Float>(
    op: UnaryOp,
    (x, lx): (&[T], &Layout),
    (y, ly): (&[T], &Layout),
    (g, lg): (&[T], &Layout),
) -> Vec<T> {
    let (zero, one) = (T::zero(), T::one());
    // Each arm is a closure `(x, y, g) -> g * f'(x)`, monomorphised into its own loop.
    match op {
        UnaryOp::Neg => map(g, lg, |g: T| -g),
        UnaryOp::Exp => zip(y, ly, g, lg, |y: T, g: T| g * y),
        UnaryOp::Log => zip(x, lx, g, lg, |x: T, g: T| g / x),
        UnaryOp::Sqrt => {
            let half = T::from_f64(0.5);
            zip(y, ly, g, lg, move |y: T, g: T| g * half / y)
        }
        UnaryOp::Abs => zip(x, lx, g, lg, move |x: T, g: T| {
            if x > zero {
                g
            } else if x < zero {
                -g
            } else {
                zero
            }
        }),
        UnaryOp::Powf(p) => {
            let (p, pm1) = (T::from_f64(p), T::from_f64(p - 1.0));
            zip(x, lx, g, lg, move |x: T, g: T| g * p * x.powf(pm1))
        }
        UnaryOp::Affine { mul, .. } => {
            let m = T::from_f64(mul);
            map(g, lg, move |g: T| g * m)
        }
        UnaryOp::Clamp { lo, hi } => {
            let (lo, hi) = (T::from_f64(lo), T::from_f64(hi));
            zip(x, lx, g, lg, move |x: T, g: T| if x >= lo && x <= hi { g } else { zero })
        }
        UnaryOp::Sigmoid => zip(y, ly, g, lg, move |y: T, g: T| g * y * (one - y)),
        UnaryOp::Tanh => zip(y, ly, g, lg, move |y: T, g: T| g * (one - y * y)),
        UnaryOp::Relu => zip(x, lx, g, lg, move |x: T, g: T| if x > zero { g } else { zero }),
        UnaryOp::LeakyRelu(s) => {
            let s = T::from_f64(s);
            zip(x, lx, g, lg, move |x: T, g: T| if x > zero { g } else { g * s })
        }
        UnaryOp::Elu(alpha) => {
            let a = T::from_f64(alpha);
            zip3(
                x,
                lx,
                y,
                ly,
                g,
                lg,
                move |x: T, y: T, g: T| if x > zero { g } else { g * (y + a) },
            )
        }
        UnaryOp::Gelu => zip(x, lx, g, lg, |x: T, g: T| g * (normal_cdf(x) + x * normal_pdf(x))),
        UnaryOp::Softplus => zip(x, lx, g, lg, |x: T, g: T| g * sigmoid(x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_at_extremes() {
        assert_eq!(sigmoid(1000.0f64), 1.0);
        assert_eq!(sigmoid(-1000.0f64), 0.0);
        assert_eq!(softplus(1000.0f64), 1000.0);
        assert!((softplus(-1000.0f64)).abs() < 1e-300);
        assert!((normal_cdf(0.0f64) - 0.5).abs() < 1e-16);
    }
}
