//! Kernels that move elements by index: concatenation, `index_select`, `gather`, `where`, and the
//! scatter-adds that are their gradients.

use std::borrow::Cow;

use super::dispatch::{Map, MapAny};
use super::{copy, zip3};
use crate::tensor::{Element, Float, Layout, Storage};

fn contiguous<'a, T: Element>(x: &'a [T], l: &Layout) -> Cow<'a, [T]> {
    match l.contiguous_range() {
        Some(r) => Cow::Borrowed(&x[r]),
        None => Cow::Owned(copy(x, l)),
    }
}

/// Sizes before, at and after `axis`: a tensor seen as `(outer, size, inner)`.
pub fn split_at_axis(dims: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = dims[..axis].iter().product();
    let inner = dims[axis + 1..].iter().product();
    (outer, dims[axis], inner)
}

/// Concatenation along `axis` of parts that agree on every other axis.
pub fn concat<T: Element>(parts: &[(&[T], &Layout)], axis: usize) -> Vec<T> {
    let outer = split_at_axis(parts[0].1.dims(), axis).0;
    let parts: Vec<(Cow<[T]>, usize)> = parts
        .iter()
        .map(|(x, l)| {
            let (_, size, inner) = split_at_axis(l.dims(), axis);
            (contiguous(x, l), size * inner)
        })
        .collect();
    let mut out = Vec::with_capacity(parts.iter().map(|(d, _)| d.len()).sum());
    for o in 0..outer {
        for (data, block) in &parts {
            out.extend_from_slice(&data[o * block..(o + 1) * block]);
        }
    }
    out
}

/// `out[.., j, ..] = x[.., index[j], ..]` along `axis`; indices were checked by the caller.
pub fn index_select<T: Element>(x: &[T], l: &Layout, axis: usize, index: &[i64]) -> Vec<T> {
    let x = contiguous(x, l);
    let (outer, size, inner) = split_at_axis(l.dims(), axis);
    let mut out = Vec::with_capacity(outer * index.len() * inner);
    for o in 0..outer {
        for &j in index {
            let start = (o * size + j as usize) * inner;
            out.extend_from_slice(&x[start..start + inner]);
        }
    }
    out
}

/// Gradient of `index_select`: each row of `g` is added back to the row it was taken from.
pub fn index_add<T: Float>(
    g: &[T],
    lg: &Layout,
    dims: &[usize],
    axis: usize,
    index: &[i64],
) -> Vec<T> {
    let g = contiguous(g, lg);
    let (outer, size, inner) = split_at_axis(dims, axis);
    let mut out = vec![T::zero(); outer * size * inner];
    for o in 0..outer {
        for (k, &j) in index.iter().enumerate() {
            let dst = (o * size + j as usize) * inner;
            let src = (o * index.len() + k) * inner;
            for (d, &s) in out[dst..dst + inner].iter_mut().zip(&g[src..src + inner]) {
                *d += s;
            }
        }
    }
    out
}

/// Calls `f(position in index, offset in x)` for every element of a `gather` along `axis`:
/// `out[i][j][k] = x[i][index[i][j][k]][k]` (for axis 1), `index` contiguous.
fn for_each_gathered(
    x: &Layout,
    index_dims: &[usize],
    index: &[i64],
    axis: usize,
    mut f: impl FnMut(usize, usize),
) {
    let rank = index_dims.len();
    let mut pos = vec![0usize; rank];
    for (p, &j) in index.iter().enumerate() {
        let mut offset = x.offset();
        for (a, (&i, &stride)) in pos.iter().zip(x.strides()).enumerate() {
            let i = if a == axis { j as usize } else { i };
            offset += i * stride;
        }
        f(p, offset);
        for a in (0..rank).rev() {
            pos[a] += 1;
            if pos[a] < index_dims[a] {
                break;
            }
            pos[a] = 0;
        }
    }
}

/// `out[p] = x[p with its axis coordinate replaced by index[p]]`.
pub fn gather<T: Element>(
    x: &[T],
    l: &Layout,
    axis: usize,
    index_dims: &[usize],
    index: &[i64],
) -> Vec<T> {
    let mut out = Vec::with_capacity(index.len());
    for_each_gathered(l, index_dims, index, axis, |_, o| out.push(x[o]));
    out
}

/// Gradient of `gather`: `g` scattered back to the positions read, adding where they repeat.
pub fn scatter_add<T: Float>(
    g: &[T],
    lg: &Layout,
    dims: &[usize],
    axis: usize,
    index_dims: &[usize],
    index: &[i64],
) -> Vec<T> {
    let g = contiguous(g, lg);
    let target = Layout::contiguous(dims.into());
    let mut out = vec![T::zero(); target.shape().numel()];
    for_each_gathered(&target, index_dims, index, axis, |p, o| out[o] += g[p]);
    out
}

/// The kernel of concatenation along `axis` of the operand `[first]` and the `rest`, which hold
/// the first one's element type (checked by the caller).
pub struct Concat<'a> {
    pub rest: &'a [(&'a Storage, &'a Layout)],
    pub axis: usize,
}

impl MapAny<1> for Concat<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "concat"
    }
    fn f<T: Element>(&self, [first]: [(&[T], &Layout); 1]) -> Storage {
        let rest = self
            .rest
            .iter()
            .map(|&(s, l)| (T::as_slice(s).expect("concat checked that the dtypes are equal"), l));
        let parts: Vec<(&[T], &Layout)> = std::iter::once(first).chain(rest).collect();
        T::into_storage(concat(&parts, self.axis))
    }
}

/// The kernel of [`index_select`] of the operand `[x]` at the checked positions `index`.
pub struct IndexSelect<'a> {
    pub axis: usize,
    pub index: &'a [i64],
}

impl MapAny<1> for IndexSelect<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "index_select"
    }
    fn f<T: Element>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> Storage {
        T::into_storage(index_select(x, l, self.axis, self.index))
    }
}

/// The kernel of [`gather`] of the operand `[x]` at the checked positions `index` (contiguous,
/// of shape `index_dims`).
pub struct Gather<'a> {
    pub axis: usize,
    pub index_dims: &'a [usize],
    pub index: &'a [i64],
}

impl MapAny<1> for Gather<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "gather"
    }
    fn f<T: Element>(&self, [(x, l)]: [(&[T], &Layout); 1]) -> Storage {
        T::into_storage(gather(x, l, self.axis, self.index_dims, self.index))
    }
}

/// The gradient kernel of [`IndexSelect`] (`index_dims` = `None`, [`index_add`]) or of
/// [`Gather`] ([`scatter_add`]), of the operand `[g]`, for an input of shape `dims`.
pub struct IndexGrad<'a> {
    pub dims: &'a [usize],
    pub axis: usize,
    pub index_dims: Option<&'a [usize]>,
    pub index: &'a [i64],
}

impl Map<1> for IndexGrad<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        if self.index_dims.is_some() {
            "gather backward"
        } else {
            "index_select backward"
        }
    }
    fn f<T: Float>(&self, [(g, lg)]: [(&[T], &Layout); 1]) -> Storage {
        let (dims, axis, index) = (self.dims, self.axis, self.index);
        T::into_storage(match self.index_dims {
            Some(index_dims) => scatter_add(g, lg, dims, axis, index_dims, index),
            None => index_add(g, lg, dims, axis, index),
        })
    }
}

/// The kernel of `where`, of the operands `[on_true, on_false]`: `on_true` where `keep` (the
/// mask, read through `keep_layout`) is non-zero, `on_false` elsewhere.
pub struct Where<'a> {
    pub keep: &'a [f64],
    pub keep_layout: &'a Layout,
}

impl MapAny<2> for Where<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "where"
    }
    fn f<T: Element>(&self, [(a, la), (b, lb)]: [(&[T], &Layout); 2]) -> Storage {
        let pick = |m: f64, x: T, y: T| if m != 0.0 { x } else { y };
        T::into_storage(zip3(self.keep, self.keep_layout, a, la, b, lb, pick))
    }
}
