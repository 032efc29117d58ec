//! *im2col* and its adjoint *col2im*, the unrolling that turns a 2-D convolution into a matrix
//! product (see [`super::conv`]).
//!
//! im2col writes one sample `x` `(C, H, W)` as a matrix `X_col` `(C·kH·kW, H_out·W_out)` whose
//! column `(i, j)` holds the input patch under output pixel `(i, j)` (zero where the patch hangs
//! over the padding). A *block* of `nb` consecutive samples is unrolled side by side into one
//! matrix `(C·kH·kW, nb·H_out·W_out)`, sample `s` in columns `s·L..(s + 1)·L` (`L = H_out·W_out`),
//! so that one `gemm` covers the block; the matrices of a batch are its blocks in order.
//! col2im adds every entry of such a matrix back onto the input position it was read from
//! (overlapping patches add up).

use std::mem::MaybeUninit;

use super::simd::{dispatch, Loop};
use crate::tensor::Float;

/// The sizes of one 2-D convolution, already checked by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    pub batch: usize,
    pub in_channels: usize,
    /// Input height and width.
    pub input: [usize; 2],
    pub out_channels: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
}

impl ConvGeometry {
    /// Rows of the im2col matrix: `C·kH·kW`.
    pub fn col_rows(&self) -> usize {
        self.in_channels * self.kernel[0] * self.kernel[1]
    }

    /// Columns of the im2col matrix: `H_out·W_out`.
    pub fn col_cols(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Elements of one input sample.
    pub fn in_len(&self) -> usize {
        self.in_channels * self.input[0] * self.input[1]
    }

    /// Elements of one output sample.
    pub fn out_len(&self) -> usize {
        self.out_channels * self.col_cols()
    }

    /// Stride 1 and an output as wide as the input ("same" padding): output pixel `k` of an
    /// im2col row reads input element `k + offset`, so a row's valid span is one contiguous run.
    pub(crate) fn is_flat(&self) -> bool {
        self.stride == [1, 1] && self.output[1] == self.input[1]
    }

    /// A 1×1 kernel with stride 1 and no padding: the input already is its im2col matrix.
    pub(crate) fn is_pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0, 0]
    }
}

/// The output positions `lo..hi` (of `out` along one axis) whose input position
/// `o·stride + offset − pad` falls inside `0..size`.
fn valid_range(
    out: usize,
    stride: usize,
    offset: usize,
    pad: usize,
    size: usize,
) -> (usize, usize) {
    // o·s + offset ≥ pad  ⇔  o ≥ ⌈(pad − offset) / s⌉
    let lo = if pad > offset { (pad - offset).div_ceil(stride) } else { 0 };
    // o·s + offset − pad ≤ size − 1  ⇔  o ≤ ⌊(size − 1 + pad − offset) / s⌋
    let hi =
        if size + pad > offset { ((size - 1 + pad - offset) / stride + 1).min(out) } else { 0 };
    (lo.min(hi), hi)
}

/// Calls `f(row, oh_range, ow_range, input_row_of, input_col_start)` for each im2col row
/// `(c, p, q)`: the row index, the valid output rows and columns, a map from output row to input
/// row, and the input column read by the first valid output column.
fn for_each_col_row(
    g: &ConvGeometry,
    mut f: impl FnMut(usize, (usize, usize), (usize, usize), &dyn Fn(usize) -> usize, usize),
) {
    let ([h, w], [kh, kw]) = (g.input, g.kernel);
    let ([sh, sw], [ph, pw], [dh, dw]) = (g.stride, g.padding, g.dilation);
    let [ho, wo] = g.output;
    for c in 0..g.in_channels {
        for p in 0..kh {
            let rows = valid_range(ho, sh, p * dh, ph, h);
            let in_row = move |oh: usize| c * h + oh * sh + p * dh - ph;
            for q in 0..kw {
                let cols = valid_range(wo, sw, q * dw, pw, w);
                let col_start = (cols.0 * sw + q * dw).saturating_sub(pw);
                f((c * kh + p) * kw + q, rows, cols, &in_row, col_start);
            }
        }
    }
}

/// Unrolls one sample `x` `(C, H, W)` into `col` `(C·kH·kW, H_out·W_out)`.
pub fn im2col<T: Float>(g: &ConvGeometry, x: &[T], col: &mut [T]) {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and `im2col_into` only writes values of
    // `T`, so `col` stays initialised.
    let col = unsafe { &mut *(col as *mut [T] as *mut [MaybeUninit<T>]) };
    im2col_into(g, x, col, g.col_cols());
}

/// [`im2col`] of one sample into the columns `0..L` of a matrix whose rows are `ld` apart
/// (`col` starts at the sample's first column); `col` need not be initialised: every element
/// of those columns is written.
fn im2col_into<T: Float>(g: &ConvGeometry, x: &[T], col: &mut [MaybeUninit<T>], ld: usize) {
    let ([w, sw], [ho, wo]) = ([g.input[1], g.stride[1]], g.output);
    let l = ho * wo;
    let zero = |d: &mut [MaybeUninit<T>]| d.iter_mut().for_each(|v| _ = v.write(T::zero()));
    let copy = |d: &mut [MaybeUninit<T>], s: &[T]| {
        d.iter_mut().zip(s).for_each(|(o, &v)| _ = o.write(v));
    };
    // Stride 1 and an output as wide as the input ("same" padding): output pixel `k` of a row
    // `(c, p, q)` reads input element `k + offset`, so the valid output rows are one copy,
    // after which the columns that hang over the padding (read from the neighbouring input
    // rows) are zeroed: one copy per im2col row instead of one per output row.
    let flat = g.is_flat();
    for_each_col_row(g, |r, (r0, r1), (c0, c1), in_row, start| {
        let dst = &mut col[r * ld..r * ld + l];
        zero(&mut dst[..r0 * wo]);
        zero(&mut dst[r1 * wo..]);
        if flat && r0 < r1 && c0 < c1 {
            let (first, last) = (r0 * wo + c0, (r1 - 1) * wo + c1);
            let src = in_row(r0) * w + start;
            copy(&mut dst[first..last], &x[src..src + (last - first)]);
            for_each_hanging(&mut dst[r0 * wo..r1 * wo], (c0, c1), wo, |v| _ = v.write(T::zero()));
            return;
        }
        for oh in r0..r1 {
            let d = &mut dst[oh * wo..(oh + 1) * wo];
            if c0 == c1 {
                zero(d);
                continue;
            }
            let src = &x[in_row(oh) * w..][..w];
            zero(&mut d[..c0]);
            zero(&mut d[c1..]);
            if sw == 1 {
                for (o, &s) in d[c0..c1].iter_mut().zip(&src[start..]) {
                    o.write(s);
                }
            } else {
                for (o, &s) in d[c0..c1].iter_mut().zip(src[start..].iter().step_by(sw)) {
                    o.write(s);
                }
            }
        }
    });
}

/// Unrolls the samples `xs` (`nb` of them, `(C, H, W)` each) side by side into the block matrix
/// `col` `(C·kH·kW, nb·L)`, which need not be initialised: every element is written.
pub(crate) fn im2col_block<T: Float>(g: &ConvGeometry, xs: &[T], col: &mut [MaybeUninit<T>]) {
    let (in_len, l) = (g.in_len(), g.col_cols());
    let nb = col.len() / (g.col_rows() * l).max(1);
    for s in 0..nb {
        im2col_into(g, &xs[s * in_len..(s + 1) * in_len], &mut col[s * l..], nb * l);
    }
}

/// The adjoint of [`im2col`]: adds every entry of `col` onto the input position it was read from.
/// `dx` `(C, H, W)` must be zeroed (or hold what the entries add to). The entries of `col` that
/// hang over the padding are zeroed on the way (they read nothing, so they add nothing).
pub fn col2im<T: Float>(g: &ConvGeometry, col: &mut [T], dx: &mut [T]) {
    col2im_from(g, col, g.col_cols(), dx)
}

/// [`col2im`] of the columns `0..L` of a matrix whose rows are `ld` apart (`col` starts at the
/// sample's first column). For a [flat](ConvGeometry::is_flat) geometry each im2col row is one
/// contiguous add onto the input (long enough to vectorise, where a 14-wide output row is not;
/// compiled for the CPU's widest vectors, [`dispatch`]),
/// after its entries that hang over the padding are zeroed: they then add `+0` to a neighbouring
/// row's edge, which leaves it unchanged (a sum started from `+0` is never `−0`), so the result
/// is bit for bit the row-by-row one.
pub(crate) fn col2im_from<T: Float>(g: &ConvGeometry, col: &mut [T], ld: usize, dx: &mut [T]) {
    let ([w, sw], [ho, wo]) = ([g.input[1], g.stride[1]], g.output);
    let l = ho * wo;
    let flat = g.is_flat();
    for_each_col_row(g, |r, (r0, r1), (c0, c1), in_row, start| {
        if c0 == c1 {
            return;
        }
        let src_rows = &mut col[r * ld..r * ld + l];
        if flat && r0 < r1 {
            for_each_hanging(&mut src_rows[r0 * wo..r1 * wo], (c0, c1), wo, |v| *v = T::zero());
            let (first, last) = (r0 * wo + c0, (r1 - 1) * wo + c1);
            let d = &mut dx[in_row(r0) * w + start..][..last - first];
            let s = &src_rows[first..last];
            dispatch(Loop(
                #[inline(always)]
                || d.iter_mut().zip(s).for_each(|(o, &v)| *o += v),
            ));
            return;
        }
        for oh in r0..r1 {
            let s = &src_rows[oh * wo + c0..oh * wo + c1];
            let d = &mut dx[in_row(oh) * w..][..w];
            if sw == 1 {
                for (o, &v) in d[start..start + s.len()].iter_mut().zip(s) {
                    *o += v;
                }
            } else {
                for (o, &v) in d[start..].iter_mut().step_by(sw).zip(s) {
                    *o += v;
                }
            }
        }
    });
}

/// Calls `f` on the entries of `rows` (whole output rows `wo` wide) outside the valid columns
/// `c0..c1`: at most the padding's width per side, so one strided pass per such column (a fill
/// per row would be a `memset` call for one or two elements).
fn for_each_hanging<E>(
    rows: &mut [E],
    (c0, c1): (usize, usize),
    wo: usize,
    mut f: impl FnMut(&mut E),
) {
    for j in (0..c0).chain(c1..wo) {
        rows[j..].iter_mut().step_by(wo).for_each(&mut f);
    }
}
