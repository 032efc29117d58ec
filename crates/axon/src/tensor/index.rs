//! Joining and indexing: `concat`, `stack`, `index_select`, `gather` and `where_cond`. Indices are
//! `i64` tensors and are checked against the axis they index before any element moves.

use super::{Dims, Op, Shape, Storage, Tensor};
use crate::error::{Error, Result};
use crate::ops::{self, index};

/// The values of an index tensor, each checked to lie in `0..size`.
fn checked_indices(op: &'static str, index: &Tensor, size: usize) -> Result<Vec<i64>> {
    let values = index.to_vec::<i64>().map_err(|_| Error::DTypeMismatch {
        op,
        expected: super::DType::I64,
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
        macro_rules! join {
            ($variant:ident) => {{
                let parts: Vec<_> = tensors
                    .iter()
                    .map(|t| match t.storage() {
                        Storage::$variant(v) => (v.as_slice(), t.layout()),
                        _ => unreachable!("dtypes were checked equal"),
                    })
                    .collect();
                Storage::$variant(index::concat(&parts, axis))
            }};
        }
        let storage = match first.storage() {
            Storage::F32(_) => join!(F32),
            Storage::F64(_) => join!(F64),
            Storage::I64(_) => join!(I64),
        };
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
        let l = self.layout();
        let storage = match self.storage() {
            Storage::F32(v) => Storage::F32(index::index_select(v, l, axis, &idx)),
            Storage::F64(v) => Storage::F64(index::index_select(v, l, axis, &idx)),
            Storage::I64(v) => Storage::I64(index::index_select(v, l, axis, &idx)),
        };
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
        let (l, id) = (self.layout(), index.dims());
        let storage = match self.storage() {
            Storage::F32(v) => Storage::F32(index::gather(v, l, axis, id, &idx)),
            Storage::F64(v) => Storage::F64(index::gather(v, l, axis, id, &idx)),
            Storage::I64(v) => Storage::I64(index::gather(v, l, axis, id, &idx)),
        };
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
        let keep = mask.to_f64_vec_layout(&lm);
        let full = super::Layout::contiguous(shape.clone());
        macro_rules! pick {
            ($variant:ident) => {{
                let (Storage::$variant(a), Storage::$variant(b)) =
                    (on_true.storage(), on_false.storage())
                else {
                    unreachable!("dtypes were checked equal")
                };
                Storage::$variant(ops::zip3(&keep, &full, a, &la, b, &lb, |m, x, y| {
                    if m != 0.0 {
                        x
                    } else {
                        y
                    }
                }))
            }};
        }
        let storage = match on_true.storage() {
            Storage::F32(_) => pick!(F32),
            Storage::F64(_) => pick!(F64),
            Storage::I64(_) => pick!(I64),
        };
        let op = Tensor::record(&[on_true, on_false], || Op::Where {
            mask: mask.clone(),
            on_true: on_true.clone(),
            on_false: on_false.clone(),
        });
        Ok(Tensor::from_storage(storage, shape, op))
    }

    /// The elements read through `layout` (a broadcast of this tensor's), as `f64`.
    fn to_f64_vec_layout(&self, layout: &super::Layout) -> Vec<f64> {
        match self.storage() {
            Storage::F32(v) => ops::map(v, layout, f64::from),
            Storage::F64(v) => ops::copy(v, layout),
            Storage::I64(v) => ops::map(v, layout, |x| x as f64),
        }
    }
}
