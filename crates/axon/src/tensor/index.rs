//! Joining and indexing: `concat`, `stack`, `index_select`, `gather` and `where_cond`. Indices are
//! `i64` tensors and are checked against the axis they index before any element moves.

use super::{DType, Dims, Layout, Op, Shape, Tensor};
use crate::error::{Error, Result};
use crate::ops::dispatch::ToF64;
use crate::ops::index::{Concat, Gather, IndexSelect, Where};
use crate::ops::MapAny;

/// The values of an index tensor, each checked to lie in `0..size`.
fn checked_indices(op: &'static str, index: &Tensor, size: usize) -> Result<Vec<i64>> {
    let values = index.to_vec::<i64>().map_err(|_| Error::DTypeMismatch {
        op,
        expected: DType::I64,
        got: index.dtype(),
    })?;
    if let Some(&bad) = values.iter().find(|&&j| j < 0 || j as usize >= size) {
        return Err(Error::IndexOutOfRange { op, index: bad, size });
    }
    Ok(values)
}

impl Tensor {
    /// Joins tensors along an existing `axis`; all other axes must agree.
    pub fn concat(tensors: &[Tensor], axis: usize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| Error::invalid("tensors", "[]", "concat needs at least one tensor"))?;
        first.shape().check_axis("concat", axis)?;
        let mut dims: Dims = first.dims().into();
        dims[axis] = 0;
        for t in tensors {
            let same_rest = t.rank() == first.rank()
                && t.dims()
                    .iter()
                    .zip(first.dims())
                    .enumerate()
                    .all(|(i, (a, b))| i == axis || a == b);
            if !same_rest || t.dtype() != first.dtype() {
                return Err(Error::ShapeMismatch {
                    op: "concat",
                    lhs: first.shape().clone(),
                    rhs: t.shape().clone(),
                });
            }
            dims[axis] += t.dims()[axis];
        }
        let rest: Vec<_> = tensors[1..].iter().map(Tensor::operand).collect();
        let storage = Concat { rest: &rest, axis }.map([first.operand()])?;
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let op = Tensor::record(&refs, || Op::Concat(tensors.to_vec(), axis));
        Ok(Tensor::from_storage(storage, Shape::from(dims), op))
    }

    /// Joins tensors of one shape along a new `axis`.
    pub fn stack(tensors: &[Tensor], axis: usize) -> Result<Tensor> {
        // Checked here so that the error names `stack` and the shapes the caller passed.
        if let Some(t) = tensors.iter().find(|t| t.shape() != tensors[0].shape()) {
            return Err(Error::ShapeMismatch {
                op: "stack",
                lhs: tensors[0].shape().clone(),
                rhs: t.shape().clone(),
            });
        }
        let expanded = tensors.iter().map(|t| t.unsqueeze(axis)).collect::<Result<Vec<_>>>()?;
        Tensor::concat(&expanded, axis)
    }

    /// The slices at positions `index` (a 1-D `i64` tensor) along `axis`.
    pub fn index_select(&self, axis: usize, index: &Tensor) -> Result<Tensor> {
        let axis = self.shape().check_axis("index_select", axis)?;
        if index.rank() != 1 {
            return Err(Error::invalid("index", index.shape(), "index_select needs a 1-D index"));
        }
        let idx = checked_indices("index_select", index, self.dims()[axis])?;
        let storage = IndexSelect { axis, index: &idx }.map([self.operand()])?;
        let mut dims: Dims = self.dims().into();
        dims[axis] = idx.len();
        let op = Tensor::record(&[self], || Op::IndexSelect {
            input: self.clone(),
            index: index.clone(),
            axis,
        });
        Ok(Tensor::from_storage(storage, Shape::from(dims), op))
    }

    /// `out[i][j] = self[i][index[i][j]]` for `axis = 1` (and likewise for any axis), as
    /// `torch.gather`: `index` has the rank of `self` and no larger size on the other axes.
    pub fn gather(&self, axis: usize, index: &Tensor) -> Result<Tensor> {
        let axis = self.shape().check_axis("gather", axis)?;
        let fits = index.rank() == self.rank()
            && index
                .dims()
                .iter()
                .zip(self.dims())
                .enumerate()
                .all(|(i, (a, b))| i == axis || a <= b);
        if !fits {
            return Err(Error::ShapeMismatch {
                op: "gather",
                lhs: self.shape().clone(),
                rhs: index.shape().clone(),
            });
        }
        let idx = checked_indices("gather", index, self.dims()[axis])?;
        let gather = Gather { axis, index_dims: index.dims(), index: &idx };
        let storage = gather.map([self.operand()])?;
        let op = Tensor::record(&[self], || Op::Gather {
            input: self.clone(),
            index: index.clone(),
            axis,
        });
        Ok(Tensor::from_storage(storage, index.shape().clone(), op))
    }

    /// `on_true` where `mask` is non-zero, `on_false` elsewhere, all three broadcast together.
    pub fn where_cond(mask: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        if on_true.dtype() != on_false.dtype() {
            return Err(Error::DTypeMismatch {
                op: "where",
                expected: on_true.dtype(),
                got: on_false.dtype(),
            });
        }
        let shape = Shape::broadcast(
            "where",
            &Shape::broadcast("where", mask.shape(), on_true.shape())?,
            on_false.shape(),
        )?;
        let (lm, la, lb) = (
            mask.layout().broadcast_to(&shape)?,
            on_true.layout().broadcast_to(&shape)?,
            on_false.layout().broadcast_to(&shape)?,
        );
        let keep = ToF64.map([(mask.storage(), &lm)])?;
        let keep_layout = Layout::contiguous(shape.clone());
        let pick = Where { keep: &keep, keep_layout: &keep_layout };
        let storage = pick.map([(on_true.storage(), &la), (on_false.storage(), &lb)])?;
        let op = Tensor::record(&[on_true, on_false], || Op::Where {
            mask: mask.clone(),
            on_true: on_true.clone(),
            on_false: on_false.clone(),
        });
        Ok(Tensor::from_storage(storage, shape, op))
    }
}
