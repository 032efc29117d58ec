//! Reductions over all or chosen axes, with or without keeping the reduced axes (as size 1), and
//! softmax / log-softmax along an axis. Max, logsumexp and softmax subtract the maximum first, so
//! they never overflow.

use smallvec::SmallVec;

use super::{Dims, Op, Shape, Storage, Tensor};
use crate::error::{Error, Result};
use crate::ops::{float_storage, reduce};

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
    fn all_axes(&self) -> Vec<usize> {
        (0..self.rank()).collect()
    }

    /// Sum over `axes`.
    pub fn sum(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, shape) = self.reduced("sum", &axes, keepdim)?;
        let storage =
            float_storage!("sum", self.storage(), |v| reduce::sum(v, self.layout(), &axes))?;
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
        self.sum(axes.to_vec(), keepdim)?.mul_scalar(1.0 / n as f64)
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
        let storage = float_storage!("max", self.storage(), |v| reduce::fold(
            v,
            self.layout(),
            &axes,
            reduce::max_slice
        ))?;
        let op = Tensor::record(&[self], || Op::Max(self.clone(), axes));
        Ok(Tensor::from_storage(storage, shape, op))
    }

    /// Smallest element over `axes`.
    pub fn min(&self, axes: impl Axes, keepdim: bool) -> Result<Tensor> {
        let (axes, shape) = self.reduced("min", &axes, keepdim)?;
        let storage = float_storage!("min", self.storage(), |v| reduce::fold(
            v,
            self.layout(),
            &axes,
            reduce::min_slice
        ))?;
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
        let storage = float_storage!("logsumexp", self.storage(), |v| reduce::fold(
            v,
            self.layout(),
            &axes,
            reduce::logsumexp_slice
        ))?;
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
        let l = self.layout();
        let indices = match self.storage() {
            Storage::F32(v) if largest => reduce::fold(v, l, &axes, reduce::argmax_slice),
            Storage::F32(v) => reduce::fold(v, l, &axes, reduce::argmin_slice),
            Storage::F64(v) if largest => reduce::fold(v, l, &axes, reduce::argmax_slice),
            Storage::F64(v) => reduce::fold(v, l, &axes, reduce::argmin_slice),
            Storage::I64(v) => {
                let as_f64 = crate::ops::map(v, l, |x| x as f64);
                let lc = super::Layout::contiguous(self.shape().clone());
                let f =
                    if largest { reduce::argmax_slice::<f64> } else { reduce::argmin_slice::<f64> };
                reduce::fold(&as_f64, &lc, &axes, f)
            }
        };
        Ok(Tensor::from_storage(Storage::I64(indices), shape, None))
    }

    /// `e^x_i / Σ_j e^x_j` along `axis`, stable for any input.
    pub fn softmax(&self, axis: usize) -> Result<Tensor> {
        self.along_last(axis, |t| {
            let storage =
                float_storage!("softmax", t.storage(), |v| reduce::softmax(v, t.layout()))?;
            let op = Tensor::record(&[t], || Op::Softmax(t.clone()));
            Ok(Tensor::from_storage(storage, t.shape().clone(), op))
        })
    }

    /// `x_i − log Σ_j e^x_j` along `axis`, stable for any input.
    pub fn log_softmax(&self, axis: usize) -> Result<Tensor> {
        self.along_last(axis, |t| {
            let storage =
                float_storage!("log_softmax", t.storage(), |v| reduce::log_softmax(v, t.layout()))?;
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
