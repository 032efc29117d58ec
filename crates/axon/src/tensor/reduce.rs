//! Reductions over all or chosen axes, with or without keeping the reduced axes (as size 1), and
//! softmax / log-softmax along an axis. Max, logsumexp and softmax subtract the maximum first, so
//! they never overflow.

use smallvec::SmallVec;

use super::{DType, Dims, Op, Shape, Tensor};
use crate::error::{Error, Result};
use crate::ops::reduce::{Reduce, ReduceOp, Softmax};
use crate::ops::Map;

/// The axes a reduction runs over: one axis (`1`), several (`[0, 2]`, `&[0, 2]`, a `Vec`).
pub trait Axes {
    fn to_dims(&self) -> Dims;
}
impl Axes for usize {
    fn to_dims(&self) -> Dims {
        SmallVec::from_slice(&[*self])
    }
}
impl<const N: usize> Axes for [usize; N] {
    fn to_dims(&self) -> Dims {
        SmallVec::from_slice(self)
    }
}
impl Axes for &[usize] {
    fn to_dims(&self) -> Dims {
        SmallVec::from_slice(self)
    }
}
impl Axes for Vec<usize> {
    fn to_dims(&self) -> Dims {
        SmallVec::from_slice(self)
    }
}
impl Axes for Dims {
    fn to_dims(&self) -> Dims {
        self.clone()
    }
}

impl Tensor {
    /// The checked, sorted, de-duplicated axes and the result's shape.
    fn reduced(&self, op: &'static str, axes: &impl Axes, keepdim: bool) -> Result<(Dims, Shape)> {
        let mut axes = axes.to_dims();
        for &a in &axes {
            self.shape().check_axis(op, a)?;
        }
        axes.sort_unstable();
        axes.dedup();
        Ok((axes.clone(), reduced_shape(self.dims(), &axes, keepdim)))
    }

    /// All axes, for the `*_all` reductions.
    fn all_axes(&self) -> Dims {
        (0..self.rank()).collect()
    }

    /// Sum over `axes`.
    pub fn sum(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, shape) = self.reduced("sum", &axes, keepdim)?;
        let storage = Reduce(ReduceOp::Sum, &axes).map([self.operand()])?;
        let op = Tensor::record(&[self], || Op::Sum(self.clone(), axes));
        Ok(Tensor::from_storage(storage, shape, op))
    }

    /// Sum of all elements, as a scalar tensor.
    pub fn sum_all(&self) -> Result<Tensor> {
        self.sum(self.all_axes(), false)
    }

    /// Mean over `axes`.
    pub fn mean(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, _) = self.reduced("mean", &axes, keepdim)?;
        let n: usize = axes.iter().map(|&a| self.dims()[a]).product();
        self.sum(&axes[..], keepdim)?.mul_scalar(1.0 / n as f64)
    }

    /// Mean of all elements.
    pub fn mean_all(&self) -> Result<Tensor> {
        self.mean(self.all_axes(), false)
    }

    /// Unbiased variance over `axes` (divides by `n − 1`, as `torch.var`).
    pub fn var(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, _) = self.reduced("var", &axes, keepdim)?;
        let n: usize = axes.iter().map(|&a| self.dims()[a]).product();
        let centred = self.sub(&self.mean(axes.to_vec(), true)?)?;
        centred.square()?.sum(axes.to_vec(), keepdim)?.mul_scalar(1.0 / (n as f64 - 1.0))
    }

    /// Largest element over `axes`; the gradient goes to the maxima (shared equally on ties).
    pub fn max(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, shape) = self.reduced("max", &axes, keepdim)?;
        let storage = Reduce(ReduceOp::Max, &axes).map([self.operand()])?;
        let op = Tensor::record(&[self], || Op::Max(self.clone(), axes));
        Ok(Tensor::from_storage(storage, shape, op))
    }

    /// Smallest element over `axes`.
    pub fn min(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, shape) = self.reduced("min", &axes, keepdim)?;
        let storage = Reduce(ReduceOp::Min, &axes).map([self.operand()])?;
        let op = Tensor::record(&[self], || Op::Min(self.clone(), axes));
        Ok(Tensor::from_storage(storage, shape, op))
    }

    pub fn max_all(&self) -> Result<Tensor> {
        self.max(self.all_axes(), false)
    }

    pub fn min_all(&self) -> Result<Tensor> {
        self.min(self.all_axes(), false)
    }

    /// `log Σ e^x` over `axes`, computed without overflow.
    pub fn logsumexp(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, shape) = self.reduced("logsumexp", &axes, keepdim)?;
        let storage = Reduce(ReduceOp::LogSumExp, &axes).map([self.operand()])?;
        let op = Tensor::record(&[self], || Op::LogSumExp(self.clone(), axes));
        Ok(Tensor::from_storage(storage, shape, op))
    }

    /// Index (`i64`) of the largest element along `axis`; the first one on ties.
    pub fn argmax(&self, axis: usize, keepdim: bool) -> Result<Tensor> {
        self.arg_reduce("argmax", axis, keepdim, true)
    }

    /// Index (`i64`) of the smallest element along `axis`.
    pub fn argmin(&self, axis: usize, keepdim: bool) -> Result<Tensor> {
        self.arg_reduce("argmin", axis, keepdim, false)
    }

    fn arg_reduce(
        &self,
        op: &'static str,
        axis: usize,
        keepdim: bool,
        largest: bool,
    ) -> Result<Tensor> {
        let (axes, shape) = self.reduced(op, &axis, keepdim)?;
        if self.dims()[axis] == 0 {
            return Err(Error::invalid("axis", axis, format!("{op} over an empty axis")));
        }
        // Integers are compared as `f64`, exactly below 2^53.
        let x = if self.dtype().is_float() { self.clone() } else { self.to_dtype(DType::F64)? };
        let op = if largest { ReduceOp::ArgMax } else { ReduceOp::ArgMin };
        let indices = Reduce(op, &axes).map([x.operand()])?;
        Ok(Tensor::from_storage(indices, shape, None))
    }

    /// `e^x_i / Σ_j e^x_j` along `axis`, stable for any input.
    pub fn softmax(&self, axis: usize) -> Result<Tensor> {
        self.along_last(axis, |t| {
            let storage = Softmax { log: false }.map([t.operand()])?;
            let op = Tensor::record(&[t], || Op::Softmax(t.clone()));
            Ok(Tensor::from_storage(storage, t.shape().clone(), op))
        })
    }

    /// `x_i − log Σ_j e^x_j` along `axis`, stable for any input.
    pub fn log_softmax(&self, axis: usize) -> Result<Tensor> {
        self.along_last(axis, |t| {
            let storage = Softmax { log: true }.map([t.operand()])?;
            let op = Tensor::record(&[t], || Op::LogSoftmax(t.clone()));
            Ok(Tensor::from_storage(storage, t.shape().clone(), op))
        })
    }

    /// Runs a last-axis op `f` along `axis`, moving that axis last and back as views.
    fn along_last(&self, axis: usize, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
        let last = self.shape().check_axis("softmax", axis).map(|_| self.rank() - 1)?;
        if axis == last {
            return f(self);
        }
        f(&self.transpose(axis, last)?)?.transpose(axis, last)
    }
}

/// The shape after reducing `axes` of `dims`.
pub(crate) fn reduced_shape(dims: &[usize], axes: &[usize], keepdim: bool) -> Shape {
    let kept = dims.iter().enumerate().filter_map(|(i, &d)| match (axes.contains(&i), keepdim) {
        (false, _) => Some(d),
        (true, true) => Some(1),
        (true, false) => None,
    });
    Shape::from(kept.collect::<Dims>())
}
