//! Strided layouts, and the checked operations on [`Shape`]s (broadcasting, axis checks). A tensor
//! is a flat buffer read through a layout: element `(i0, i1, ..)` lives at
//! `offset + i0*s0 + i1*s1 + ..`. Transposes, slices and broadcasts change only the layout (a
//! broadcast axis has stride 0), so they cost no copy.

use smallvec::SmallVec;

use super::shape::{dims_inserted, dims_like, Dims, Shape};
use crate::error::{Error, Result};

/// The checked operations on shapes.
impl Shape {
    /// The shape two operands broadcast to, aligning trailing axes as NumPy and PyTorch do.
    pub fn broadcast(op: &'static str, a: &Shape, b: &Shape) -> Result<Shape> {
        if a == b {
            return Ok(a.clone());
        }
        let rank = a.rank().max(b.rank());
        let mut dims: Dims = SmallVec::with_capacity(rank);
        for i in 0..rank {
            let da = if i + a.rank() >= rank { a.dims()[i + a.rank() - rank] } else { 1 };
            let db = if i + b.rank() >= rank { b.dims()[i + b.rank() - rank] } else { 1 };
            dims.push(match (da, db) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return Err(Error::ShapeMismatch { op, lhs: a.clone(), rhs: b.clone() }),
            });
        }
        Ok(Shape::from(dims))
    }

    /// Checks `axis < rank`.
    pub fn check_axis(&self, op: &'static str, axis: usize) -> Result<usize> {
        if axis < self.rank() {
            Ok(axis)
        } else {
            Err(Error::AxisOutOfRange { op, axis, rank: self.rank() })
        }
    }
}

/// How a tensor reads its storage: shape, strides (in elements) and the offset of element zero.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Shape,
    strides: Dims,
    offset: usize,
}

/// A copy of the inline sizes and strides (see [`Shape`]'s `Clone`).
impl Clone for Layout {
    fn clone(&self) -> Self {
        let strides = SmallVec::from_slice(&self.strides);
        Layout { shape: self.shape.clone(), strides, offset: self.offset }
    }
}

impl Layout {
    /// The row-major layout of a fresh buffer.
    pub fn contiguous(shape: Shape) -> Self {
        let strides = shape.contiguous_strides();
        Layout { shape, strides, offset: 0 }
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// True when the elements are stored densely in row-major order (axes of size 1 ignored).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.shape.0.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// The element range of a contiguous layout.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous().then(|| self.offset..self.offset + self.shape.numel())
    }

    /// The layout of a fresh dense buffer of this shape whose axes lie in memory in the same
    /// order as this layout's (by decreasing stride): a kernel can write a result in the order
    /// its operand was read, so that the permutations and reshapes around it stay views.
    pub fn dense_like(&self) -> Layout {
        let mut order: Vec<usize> = (0..self.shape.rank()).collect();
        order.sort_by_key(|&a| std::cmp::Reverse(self.strides[a]));
        let mut strides: Dims = SmallVec::from_elem(0, self.shape.rank());
        let mut next = 1;
        for &a in order.iter().rev() {
            strides[a] = next;
            next *= self.shape.0[a];
        }
        Layout { shape: self.shape.clone(), strides, offset: 0 }
    }

    /// Reorders axes: axis `i` of the result is axis `perm[i]` of `self`.
    pub fn permute(&self, perm: &[usize]) -> Result<Layout> {
        let rank = self.shape.rank();
        let mut seen = dims_like(perm, 0);
        if perm.len() != rank {
            return Err(Error::invalid("perm", format!("{perm:?}"), format!("needs {rank} axes")));
        }
        for &p in perm {
            if p >= rank || seen[p] == 1 {
                return Err(Error::invalid("perm", format!("{perm:?}"), "not a permutation"));
            }
            seen[p] = 1;
        }
        let (mut dims, mut strides) = (dims_like(perm, 0), dims_like(perm, 0));
        for (i, &p) in perm.iter().enumerate() {
            (dims[i], strides[i]) = (self.shape.0[p], self.strides[p]);
        }
        Ok(Layout { shape: Shape(dims), strides, offset: self.offset })
    }

    /// Elements `start..start + len` along `axis`.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Layout> {
        let axis = self.shape.check_axis("narrow", axis)?;
        let size = self.shape.0[axis];
        if start.checked_add(len).is_none_or(|end| end > size) {
            return Err(Error::invalid(
                "narrow",
                format!("{start}..{}", start.saturating_add(len)),
                format!("out of range for axis {axis} of size {size}"),
            ));
        }
        let mut l = self.clone();
        l.shape.0[axis] = len;
        l.offset += start * self.strides[axis];
        Ok(l)
    }

    /// A view with `shape`, repeating axes of size 1 (stride 0) and adding leading axes.
    pub fn broadcast_to(&self, shape: &Shape) -> Result<Layout> {
        let err = || Error::ShapeMismatch {
            op: "broadcast_to",
            lhs: self.shape.clone(),
            rhs: shape.clone(),
        };
        let (rank, own) = (shape.rank(), self.shape.rank());
        if own > rank {
            return Err(err());
        }
        let mut strides = dims_like(shape.dims(), 0);
        for i in 0..own {
            let (d, target) = (self.shape.0[i], shape.0[rank - own + i]);
            strides[rank - own + i] = match d {
                _ if d == target => self.strides[i],
                1 => 0,
                _ => return Err(err()),
            };
        }
        Ok(Layout { shape: shape.clone(), strides, offset: self.offset })
    }

    /// The same elements with a new shape; only for contiguous layouts (callers copy first).
    pub fn reshaped(&self, shape: Shape) -> Layout {
        debug_assert!(self.is_contiguous());
        let strides = shape.contiguous_strides();
        Layout { shape, strides, offset: self.offset }
    }
}

/// Visits every row (the innermost axis) of `N` layouts of the same shape, calling `f` with the
/// offset of each row's first element in each layout. Callers walk a row with the last stride.
/// A scalar is one row of length one.
pub fn for_each_row<const N: usize>(layouts: [&Layout; N], mut f: impl FnMut([usize; N])) {
    let dims = layouts[0].dims();
    if dims.contains(&0) {
        return;
    }
    let outer = dims.len().saturating_sub(1);
    let mut index = dims_like(&dims[..outer], 0);
    let mut pos: [usize; N] = std::array::from_fn(|i| layouts[i].offset);
    loop {
        f(pos);
        // Increment the multi-index over the outer axes, odometer style.
        let mut axis = outer;
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            index[axis] += 1;
            for (p, l) in pos.iter_mut().zip(&layouts) {
                *p += l.strides[axis];
            }
            if index[axis] < dims[axis] {
                break;
            }
            for (p, l) in pos.iter_mut().zip(&layouts) {
                *p -= l.strides[axis] * dims[axis];
            }
            index[axis] = 0;
        }
    }
}

/// Length and strides of the innermost axis shared by `for_each_row` callers.
pub fn row_len(layout: &Layout) -> usize {
    layout.dims().last().copied().unwrap_or(1)
}

/// Stride of the innermost axis (1 for a scalar).
pub fn row_stride(layout: &Layout) -> usize {
    layout.strides().last().copied().unwrap_or(1)
}

impl Layout {
    /// Removes `axis`, which must have size 1 (checked by the caller).
    pub(crate) fn squeezed(&self, axis: usize) -> Layout {
        let mut l = self.clone();
        l.shape.0.remove(axis);
        l.strides.remove(axis);
        l
    }

    /// Inserts an axis of size 1 before `axis` (`axis == rank` appends).
    pub(crate) fn unsqueezed(&self, axis: usize) -> Layout {
        let stride = self.strides.get(axis).map_or(1, |&s| s * self.shape.0[axis]);
        Layout {
            shape: Shape(dims_inserted(&self.shape.0, axis, 1)),
            strides: dims_inserted(&self.strides, axis, stride),
            offset: self.offset,
        }
    }
}
