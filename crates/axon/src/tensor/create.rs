//! Making tensors: from data with a shape, filled with a constant, ranges, the identity, and
//! seeded random values. Every constructor that takes numbers takes `f64` and a [`DType`], so one
//! call works for `f32` networks and `f64` statistics alike.

use super::{buffers, DType, Element, Shape, Storage, Tensor};
use crate::error::{Error, Result};
use crate::rng::Rng;

impl Storage {
    /// A buffer of `dtype` holding `values`, converted.
    pub fn from_f64(values: impl IntoIterator<Item = f64>, dtype: DType) -> Storage {
        let it = values.into_iter();
        match dtype {
            DType::F32 => converted::<f32>(it),
            DType::F64 => converted::<f64>(it),
            DType::I64 => converted::<i64>(it),
        }
    }
}

/// `values` as `T`, in a buffer from the [pool](super::buffers) when their number is known.
fn converted<T: Element>(values: impl Iterator<Item = f64>) -> Storage {
    let mut v = buffers::take_empty::<T>(values.size_hint().0);
    v.extend(values.map(T::from_f64));
    T::into_storage(v)
}

impl Tensor {
    /// A tensor with `shape` holding `data` in row-major order; the length must match.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if data.len() != shape.numel() {
            return Err(Error::LengthMismatch {
                op: "from_vec",
                len: data.len(),
                expected: shape.numel(),
                shape,
            });
        }
        Ok(Tensor::from_storage(T::into_storage(data), shape, None))
    }

    /// A tensor with `shape` holding a copy of `data`.
    pub fn from_slice<T: Element>(data: &[T], shape: impl Into<Shape>) -> Result<Tensor> {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// A rank-0 tensor.
    pub fn scalar<T: Element>(value: T) -> Tensor {
        Tensor::from_storage(T::into_storage(vec![value]), Shape::from(()), None)
    }

    /// A tensor of `shape` with every element `value`.
    pub fn full(value: f64, shape: impl Into<Shape>, dtype: DType) -> Tensor {
        let shape = shape.into();
        let storage = Storage::from_f64(std::iter::repeat_n(value, shape.numel()), dtype);
        Tensor::from_storage(storage, shape, None)
    }

    pub fn zeros(shape: impl Into<Shape>, dtype: DType) -> Tensor {
        Tensor::full(0.0, shape, dtype)
    }

    pub fn ones(shape: impl Into<Shape>, dtype: DType) -> Tensor {
        Tensor::full(1.0, shape, dtype)
    }

    /// Zeros of this tensor's shape and dtype.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(self.shape(), self.dtype())
    }

    /// Ones of this tensor's shape and dtype.
    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(self.shape(), self.dtype())
    }

    /// `value` in this tensor's shape and dtype.
    pub fn full_like(&self, value: f64) -> Tensor {
        Tensor::full(value, self.shape(), self.dtype())
    }

    /// `start, start + step, ...` up to but excluding `end`, as `torch.arange`.
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            return Err(Error::invalid("step", step, "arange needs a finite, non-zero step"));
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        let storage = Storage::from_f64((0..n).map(|i| start + i as f64 * step), dtype);
        Ok(Tensor::from_storage(storage, Shape::from(n), None))
    }

    /// `steps` evenly spaced values from `start` to `end`, both included.
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Tensor {
        let step = if steps > 1 { (end - start) / (steps - 1) as f64 } else { 0.0 };
        let values =
            (0..steps)
                .map(|i| if i + 1 == steps && steps > 1 { end } else { start + i as f64 * step });
        Tensor::from_storage(Storage::from_f64(values, dtype), Shape::from(steps), None)
    }

    /// The `n × n` identity matrix.
    pub fn eye(n: usize, dtype: DType) -> Tensor {
        let values = (0..n * n).map(|i| if i / n == i % n { 1.0 } else { 0.0 });
        Tensor::from_storage(Storage::from_f64(values, dtype), Shape::from([n, n]), None)
    }

    /// Uniform values on `[lo, hi)` drawn from `rng`.
    pub fn rand(shape: impl Into<Shape>, lo: f64, hi: f64, dtype: DType, rng: &mut Rng) -> Tensor {
        let shape = shape.into();
        let values: Vec<f64> = (0..shape.numel()).map(|_| rng.uniform_in(lo, hi)).collect();
        Tensor::from_storage(Storage::from_f64(values, dtype), shape, None)
    }

    /// Normal values with `mean` and standard deviation `std` drawn from `rng`.
    pub fn randn(
        shape: impl Into<Shape>,
        mean: f64,
        std: f64,
        dtype: DType,
        rng: &mut Rng,
    ) -> Tensor {
        let shape = shape.into();
        let values: Vec<f64> = (0..shape.numel()).map(|_| mean + std * rng.normal()).collect();
        Tensor::from_storage(Storage::from_f64(values, dtype), shape, None)
    }
}
