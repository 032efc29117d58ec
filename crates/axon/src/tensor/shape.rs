//! The shape of a tensor: the sizes of its axes, outermost first. This file holds the type and
//! what needs no error; the checked operations on shapes (broadcasting two shapes, checking an
//! axis) are beside the layouts in [`super::layout`], so that [`crate::error`] can name a shape
//! without the two files importing each other.

use std::fmt;

use smallvec::SmallVec;

/// Small inline vector for sizes and strides: no heap allocation up to rank 4.
pub type Dims = SmallVec<[usize; 4]>;

/// The sizes of a tensor's axes, outermost first.
#[derive(PartialEq, Eq, Hash, Default)]
pub struct Shape(pub(super) Dims);

/// A copy of the inline sizes (`SmallVec`'s own `clone` goes through its generic `extend`, a
/// measurable share of a tiny network's training step, where layouts are cloned dozens of times).
impl Clone for Shape {
    fn clone(&self) -> Self {
        Shape(SmallVec::from_slice(&self.0))
    }
}

impl Shape {
    /// The sizes of the axes.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// Row-major strides of a contiguous tensor of this shape.
    pub fn contiguous_strides(&self) -> Dims {
        let mut strides = dims_like(&self.0, 1);
        let mut step = 1;
        for (s, &d) in strides.iter_mut().zip(&self.0).rev() {
            *s = step;
            step *= d;
        }
        strides
    }
}

/// `Dims` as long as `like`, every entry `value`. Built from an inline array when it fits:
/// `SmallVec`'s generic constructors (`from_elem`, `insert`, `collect`) cost more than the few
/// words they write, and a tiny network's step builds shapes and strides dozens of times.
pub(crate) fn dims_like(like: &[usize], value: usize) -> Dims {
    if like.len() <= 4 {
        return SmallVec::from_buf_and_len([value; 4], like.len());
    }
    SmallVec::from_elem(value, like.len())
}

/// `v` with `x` inserted before index `at` (`at == v.len()` appends), inline when it fits.
pub(crate) fn dims_inserted(v: &[usize], at: usize, x: usize) -> Dims {
    if v.len() < 4 {
        // Every entry but the one at `at` is overwritten.
        let mut buf = [x; 4];
        for (i, &d) in v.iter().enumerate() {
            buf[i + usize::from(i >= at)] = d;
        }
        return SmallVec::from_buf_and_len(buf, v.len() + 1);
    }
    let mut d = SmallVec::from_slice(v);
    d.insert(at, x);
    d
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_slice())
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Self {
        Shape(SmallVec::from_slice(d))
    }
}
impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Self {
        Shape(SmallVec::from_slice(&d))
    }
}
impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(d: &[usize; N]) -> Self {
        Shape(SmallVec::from_slice(d))
    }
}
impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Self {
        Shape(SmallVec::from_vec(d))
    }
}
impl From<Dims> for Shape {
    fn from(d: Dims) -> Self {
        Shape(d)
    }
}
impl From<usize> for Shape {
    fn from(d: usize) -> Self {
        Shape(SmallVec::from_slice(&[d]))
    }
}
impl From<()> for Shape {
    fn from(_: ()) -> Self {
        Shape(SmallVec::new())
    }
}
impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}
