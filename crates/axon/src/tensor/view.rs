//! Views: new shapes over the same storage. Reshape (of a contiguous tensor), permute, transpose,
//! squeeze, unsqueeze, narrow and broadcast cost no copy; `contiguous` copies only when the layout
//! is not already row-major. Each records how to send the gradient back to the input's shape.
//! Conversions of the element type (`to_dtype`, `to_f64_vec`) copy, and are here too.

use smallvec::SmallVec;

use super::{DType, Dims, Layout, Op, Shape, Storage, Tensor};
use crate::error::{Error, Result};
use crate::ops::dispatch::{Contiguous, MapAny, ToF64};

impl Tensor {
    /// A view of the same storage through another layout.
    fn view(&self, layout: Layout, op: impl FnOnce() -> Op) -> Tensor {
        let op = Tensor::record(&[self], op);
        Tensor::from_parts(self.storage_arc().clone(), layout, op)
    }

    /// The elements in row-major order, in a fresh buffer.
    pub(crate) fn copy_storage(&self) -> Storage {
        Contiguous.map([self.operand()]).expect("every dtype can be copied")
    }

    /// The same elements with another shape of the same size (a view when contiguous).
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if shape.numel() != self.numel() {
            return Err(Error::ShapeMismatch {
                op: "reshape",
                lhs: self.shape().clone(),
                rhs: shape,
            });
        }
        if self.is_contiguous() {
            return Ok(self.view(self.layout().reshaped(shape), || Op::Reshape(self.clone())));
        }
        let op = Tensor::record(&[self], || Op::Reshape(self.clone()));
        Ok(Tensor::from_storage(self.copy_storage(), shape, op))
    }

    /// All axes from `start` on merged into one.
    pub fn flatten_from(&self, start: usize) -> Result<Tensor> {
        let start = self.shape().check_axis("flatten_from", start)?;
        let mut dims: Dims = SmallVec::from_slice(&self.dims()[..start]);
        dims.push(self.dims()[start..].iter().product());
        self.reshape(Shape::from(dims))
    }

    /// A row-major copy, or `self` when it already is row-major.
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        let op = Tensor::record(&[self], || Op::Reshape(self.clone()));
        Tensor::from_storage(self.copy_storage(), self.shape().clone(), op)
    }

    /// Axis `i` of the result is axis `perm[i]` of `self`.
    pub fn permute(&self, perm: &[usize]) -> Result<Tensor> {
        let layout = self.layout().permute(perm)?;
        Ok(self.view(layout, || Op::Permute(self.clone(), SmallVec::from_slice(perm))))
    }

    /// Swaps two axes.
    pub fn transpose(&self, a: usize, b: usize) -> Result<Tensor> {
        self.shape().check_axis("transpose", a)?;
        self.shape().check_axis("transpose", b)?;
        let mut perm: Dims = (0..self.rank()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// The matrix transpose: swaps the last two axes.
    pub fn t(&self) -> Result<Tensor> {
        if self.rank() < 2 {
            return Err(Error::invalid("tensor", self.shape(), "t() needs at least two axes"));
        }
        self.transpose(self.rank() - 2, self.rank() - 1)
    }

    /// Removes `axis`, which must have size 1.
    pub fn squeeze(&self, axis: usize) -> Result<Tensor> {
        let axis = self.shape().check_axis("squeeze", axis)?;
        if self.dims()[axis] != 1 {
            return Err(Error::invalid(
                "axis",
                axis,
                format!("squeeze needs size 1, {} has {}", self.shape(), self.dims()[axis]),
            ));
        }
        Ok(self.view(self.layout().squeezed(axis), || Op::Reshape(self.clone())))
    }

    /// Inserts an axis of size 1 at position `axis` (`0..=rank`).
    pub fn unsqueeze(&self, axis: usize) -> Result<Tensor> {
        if axis > self.rank() {
            return Err(Error::AxisOutOfRange { op: "unsqueeze", axis, rank: self.rank() });
        }
        Ok(self.view(self.layout().unsqueezed(axis), || Op::Reshape(self.clone())))
    }

    /// Elements `start..start + len` along `axis`, as a view.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Tensor> {
        let layout = self.layout().narrow(axis, start, len)?;
        Ok(self.view(layout, || Op::Narrow { input: self.clone(), axis, start }))
    }

    /// A view repeating axes of size 1 (and adding leading axes) to reach `shape`.
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        if &shape == self.shape() {
            return Ok(self.clone());
        }
        let layout = self.layout().broadcast_to(&shape)?;
        Ok(self.view(layout, || Op::Broadcast(self.clone())))
    }

    /// The same as [`broadcast_to`](Tensor::broadcast_to), under PyTorch's name.
    pub fn expand(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        self.broadcast_to(shape)
    }

    /// The elements as `f64`, whatever the element type: for printing, tests and statistics.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        ToF64.map([self.operand()]).expect("every dtype converts to f64")
    }

    /// The values converted to `dtype`. Between `f32` and `f64` the gradient flows back;
    /// conversions from or to `i64` are not differentiable.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let storage = Storage::from_f64(ToF64.map([self.operand()])?, dtype);
        let differentiable = self.dtype().is_float() && dtype.is_float();
        let op =
            if differentiable { Tensor::record(&[self], || Op::Cast(self.clone())) } else { None };
        Ok(Tensor::from_owned(storage, Layout::contiguous(self.shape().clone()), op))
    }
}
