//! Kernels that move elements by index: concatenation, `index_select`, `gather`, `where`, and the
//! scatter-adds that are their gradients.

use std::borrow::Cow;

use super::copy;
use crate::tensor::{Element, Float, Layout};

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
