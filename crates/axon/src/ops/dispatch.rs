//! The one `match` from a [`Storage`] to the element type of a kernel. Kernels are generic
//! functions (`fn forward<T: Float>(op, x: &[T], l: &Layout) -> Vec<T>`); a small kernel value
//! ([`UnaryOp`](super::UnaryOp), [`Reduce`](super::reduce::Reduce), ...) implements [`Map`]
//! (float operands: every differentiable op) or [`MapAny`] (any element type: copies, indexing,
//! comparisons) by calling its kernel, and the provided `map` picks `f32`, `f64` (or `i64`) once
//! for all operands, with a dtype error naming the op when they are not all of one such type.
//!
//! This is candle's `Map1`/`Map2` (`candle-core/src/cpu_backend/utils.rs`), with the number of
//! operands `N` as a parameter: `Map<1>` for `exp`, `Map<2>` for `add`, `Map<3>` for a gradient
//! that reads an op's input, its output and the incoming gradient. Each operand is a buffer and
//! the [`Layout`] to read it through. The `match` is outside the kernels' loops, and each
//! kernel value's `f` is monomorphised and inlined as a direct call would be.

use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Float, Layout, Storage};

/// A kernel of `N` float operands, written once for `f32` and `f64`.
pub trait Map<const N: usize> {
    /// What the kernel returns: a [`Storage`] for most, more for the few that keep extra results
    /// for the backward pass (max pooling's positions, convolution's im2col matrices).
    type Output;

    /// The op's name, for the dtype error.
    fn name(&self) -> &'static str;

    /// The kernel for the element type `T`.
    fn f<T: Float>(&self, xs: [(&[T], &Layout); N]) -> Self::Output;

    /// Runs [`Map::f`] for the element type of `xs`, which must be `f32` for all or `f64` for all.
    #[inline]
    fn map(&self, xs: [(&Storage, &Layout); N]) -> Result<Self::Output> {
        // `Ok` is built in each arm, not from an `Option`: the result is then written once, not
        // repacked (the repacking stalled on its stores in a profile of ops on tiny tensors).
        match xs[0].0.dtype() {
            DType::F32 => {
                if let Some(xs) = typed::<f32, N>(xs) {
                    return Ok(self.f(xs));
                }
            }
            DType::F64 => {
                if let Some(xs) = typed::<f64, N>(xs) {
                    return Ok(self.f(xs));
                }
            }
            DType::I64 => {}
        }
        Err(dtype_error(self.name(), xs, true))
    }
}

/// A kernel of `N` operands of any element type, written once for `f32`, `f64` and `i64`.
pub trait MapAny<const N: usize> {
    /// What the kernel returns, usually a [`Storage`] of the operands' type.
    type Output;

    /// The op's name, for the dtype error.
    fn name(&self) -> &'static str;

    /// The kernel for the element type `T`.
    fn f<T: Element>(&self, xs: [(&[T], &Layout); N]) -> Self::Output;

    /// Runs [`MapAny::f`] for the element type of `xs`, which must be the same for all.
    #[inline]
    fn map(&self, xs: [(&Storage, &Layout); N]) -> Result<Self::Output> {
        match xs[0].0.dtype() {
            DType::F32 => {
                if let Some(xs) = typed::<f32, N>(xs) {
                    return Ok(self.f(xs));
                }
            }
            DType::F64 => {
                if let Some(xs) = typed::<f64, N>(xs) {
                    return Ok(self.f(xs));
                }
            }
            DType::I64 => {
                if let Some(xs) = typed::<i64, N>(xs) {
                    return Ok(self.f(xs));
                }
            }
        }
        Err(dtype_error(self.name(), xs, false))
    }
}

/// The operands as slices of `T`, if they all hold `T`.
#[inline]
fn typed<'a, T: Element, const N: usize>(
    xs: [(&'a Storage, &'a Layout); N],
) -> Option<[(&'a [T], &'a Layout); N]> {
    let mut out: [(&[T], &Layout); N] = xs.map(|(_, l)| (&[][..], l));
    for (o, (s, _)) in out.iter_mut().zip(xs) {
        o.0 = T::as_slice(s)?;
    }
    Some(out)
}

/// The error for operands of different types, or (`float`) not of a float type.
#[cold]
#[inline(never)]
fn dtype_error<const N: usize>(
    op: &'static str,
    xs: [(&Storage, &Layout); N],
    float: bool,
) -> Error {
    let first = xs[0].0.dtype();
    let expected = if float && !first.is_float() { DType::F32 } else { first };
    let got = xs.iter().map(|(s, _)| s.dtype()).find(|&d| d != expected).unwrap_or(first);
    Error::DTypeMismatch { op, expected, got }
}

/// The elements of an operand whose layout is contiguous, as one slice (kernels such as
/// convolution and pooling read their operands this way; the caller made them contiguous).
#[inline]
pub fn dense<'a, T>((x, l): (&'a [T], &Layout)) -> &'a [T] {
    &x[l.contiguous_range().expect("the caller made the operand contiguous")]
}

/// The elements as `f64`, in row-major order: for casts, masks and printing.
pub struct ToF64;

impl MapAny<1> for ToF64 {
    type Output = Vec<f64>;
    fn name(&self) -> &'static str {
        "to_f64"
    }
    fn f<T: Element>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> Vec<f64> {
        super::map(x, l, T::to_f64)
    }
}

/// A row-major copy of the elements, in a fresh buffer.
pub struct Contiguous;

impl MapAny<1> for Contiguous {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "contiguous"
    }
    fn f<T: Element>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> Storage {
        T::into_storage(super::copy(x, l))
    }
}
