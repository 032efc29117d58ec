//! 2-D convolution kernels (cross-correlation, as PyTorch's `conv2d`):
//!
//! `y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·s_h + p·d_h − p_h, j·s_w + q·d_w − p_w]`
//!
//! with input `x` `(N, C, H, W)`, weight `w` `(O, C, kH, kW)`, bias `b` `(O)` and output `y`
//! `(N, O, H_out, W_out)`, `H_out = ⌊(H + 2p_h − d_h(kH − 1) − 1) / s_h⌋ + 1` (the same for `W`);
//! positions outside the input read zero (the padding).
//!
//! Each sample is unrolled by *im2col* into a matrix `X_col` `(C·kH·kW, H_out·W_out)` whose column
//! `(i, j)` holds the input patch under output pixel `(i, j)`; the convolution is then one matrix
//! product `Y_n = W X_col` through `gemm`, with `W` viewed as `(O, C·kH·kW)`. The backward pass is
//! two more products per sample: `∂L/∂W = Σ_n G_n X_colᵀ` and `∂L/∂X_col = Wᵀ G_n`, the latter
//! folded back onto the input by *col2im* (the adjoint of im2col: overlapping patches add up).
//!
//! Inputs are contiguous slices; the batch is split across rayon threads and `gemm` runs
//! single-threaded inside (multi-threaded only when the batch is smaller than the thread count).
//! One product per sample measured faster than one product over the whole batch (which needs
//! the output permuted from `(O, N, ·)` to `(N, O, ·)` and splits worse across two threads).
//! When training ([`conv2d_keeping_cols`]), the batch's im2col matrices are built once and kept
//! for `∂L/∂W`, computed as `Σ_n X_col G_nᵀ` (the transpose of the above, which `gemm` packs
//! faster); in evaluation each thread reuses one column buffer, so memory stays small.

use std::mem::MaybeUninit;

use gemm::Parallelism;
use rayon::prelude::*;

use super::dispatch::{dense, Map};
use super::matmul::gemm_into;
use super::reduce::sum_slice;
use crate::tensor::{Float, Layout, Storage};

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

    /// A 1×1 kernel with stride 1 and no padding: the input already is its im2col matrix.
    fn is_pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0, 0]
    }

    /// `gemm` on one thread per sample when the batch fills the threads, else threaded `gemm`.
    fn parallelism(&self) -> Parallelism {
        if self.batch >= rayon::current_num_threads() {
            Parallelism::None
        } else {
            Parallelism::Rayon(0)
        }
    }

    /// Samples per rayon task, so that there are about as many tasks as threads.
    fn min_len(&self) -> usize {
        self.batch.div_ceil(rayon::current_num_threads()).max(1)
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
    im2col_into(g, x, col);
}

/// [`im2col`] into a buffer that need not be initialised: every element of `col` is written.
fn im2col_into<T: Float>(g: &ConvGeometry, x: &[T], col: &mut [MaybeUninit<T>]) {
    let ([w, sw], [ho, wo]) = ([g.input[1], g.stride[1]], g.output);
    let l = ho * wo;
    let zero = |d: &mut [MaybeUninit<T>]| d.iter_mut().for_each(|v| _ = v.write(T::zero()));
    for_each_col_row(g, |r, (r0, r1), (c0, c1), in_row, start| {
        let dst = &mut col[r * l..(r + 1) * l];
        zero(&mut dst[..r0 * wo]);
        zero(&mut dst[r1 * wo..]);
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

/// The adjoint of [`im2col`]: adds every entry of `col` onto the input position it was read from.
/// `dx` `(C, H, W)` must be zeroed (or hold what the entries add to).
pub fn col2im<T: Float>(g: &ConvGeometry, col: &[T], dx: &mut [T]) {
    let ([w, sw], [ho, wo]) = ([g.input[1], g.stride[1]], g.output);
    let l = ho * wo;
    for_each_col_row(g, |r, (r0, r1), (c0, c1), in_row, start| {
        if c0 == c1 {
            return;
        }
        let src_rows = &col[r * l..(r + 1) * l];
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

/// A buffer of `samples` chunks of `len` elements, chunk `n` written by `fill(n, chunk)` on the
/// rayon threads after being zeroed there (in cache, instead of a serial `memset` of the whole).
fn per_sample<T: Float>(
    samples: usize,
    len: usize,
    fill: impl Fn(usize, &mut [T]) + Sync,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(samples * len);
    if len > 0 {
        out.spare_capacity_mut()[..samples * len].par_chunks_mut(len).enumerate().for_each(
            |(n, chunk)| {
                for v in chunk.iter_mut() {
                    v.write(T::zero());
                }
                // SAFETY: every element of `chunk` was just initialised.
                let chunk = unsafe { &mut *(chunk as *mut [MaybeUninit<T>] as *mut [T]) };
                fill(n, chunk);
            },
        );
    }
    // SAFETY: the chunks cover `0..samples·len` and each was initialised above.
    unsafe { out.set_len(samples * len) };
    out
}

/// The im2col matrices `(N, C·kH·kW, H_out·W_out)` of a batch `x` `(N, C, H, W)`, one sample
/// per rayon task, written straight into the new buffer (no zero-fill first).
pub fn im2col_batch<T: Float>(g: &ConvGeometry, x: &[T]) -> Vec<T> {
    let (len, in_len) = (g.col_rows() * g.col_cols(), g.in_len());
    if len == 0 || in_len == 0 {
        return vec![T::zero(); g.batch * len];
    }
    let mut cols = Vec::with_capacity(g.batch * len);
    cols.spare_capacity_mut()[..g.batch * len]
        .par_chunks_mut(len)
        .zip(x.par_chunks(in_len))
        .for_each(|(col, xn)| im2col_into(g, xn, col));
    // SAFETY: `im2col_into` wrote every element of each chunk, and the chunks cover the buffer.
    unsafe { cols.set_len(g.batch * len) };
    cols
}

/// The forward pass: `x` `(N, C, H, W)`, `w` `(O, C, kH, kW)`, `bias` `(O)`, all contiguous;
/// returns `y` `(N, O, H_out, W_out)`. Each thread unrolls its samples into its own column
/// buffer, so memory stays small for large (evaluation) batches.
pub fn conv2d<T: Float>(g: &ConvGeometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    let (ck, l) = (g.col_rows(), g.col_cols());
    let scratch = if g.is_pointwise() { 0 } else { ck * l };
    let in_len = g.in_len();
    let chunks = g.batch.div_ceil(g.min_len()).max(1);
    let per_thread = g.batch.div_ceil(chunks).max(1);
    let mut y = vec![T::zero(); g.batch * g.out_len()];
    if y.is_empty() {
        return y;
    }
    y.par_chunks_mut(per_thread * g.out_len()).enumerate().for_each(|(c, ys)| {
        let mut col = vec![T::zero(); scratch];
        for (i, yn) in ys.chunks_exact_mut(g.out_len()).enumerate() {
            let n = c * per_thread + i;
            let xn = &x[n * in_len..(n + 1) * in_len];
            let src: &[T] = if scratch == 0 {
                xn
            } else {
                im2col(g, xn, &mut col);
                &col
            };
            forward_sample(g, w, bias, src, yn);
        }
    });
    y
}

/// `y_n = W X_col + b` for one sample, given its im2col matrix `col`.
fn forward_sample<T: Float>(g: &ConvGeometry, w: &[T], bias: Option<&[T]>, col: &[T], y: &mut [T]) {
    let (ck, l, o) = (g.col_rows(), g.col_cols(), g.out_channels);
    if let Some(b) = bias {
        for (row, &bo) in y.chunks_exact_mut(l).zip(b) {
            row.fill(bo);
        }
    }
    gemm_into(y, bias.is_some(), (w, [ck, 1]), (col, [l, 1]), [o, l, ck], g.parallelism());
}

/// [`conv2d`] for training: also returns the batch's im2col matrices (see [`im2col_batch`];
/// empty for a pointwise kernel, whose input is its own) for the weight gradient to reuse.
pub fn conv2d_keeping_cols<T: Float>(
    g: &ConvGeometry,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
) -> (Vec<T>, Vec<T>) {
    if g.is_pointwise() || g.batch * g.out_len() == 0 {
        return (conv2d(g, x, w, bias), Vec::new());
    }
    let cols = im2col_batch(g, x);
    let len = g.col_rows() * g.col_cols();
    let y = per_sample(g.batch, g.out_len(), |n, y| {
        forward_sample(g, w, bias, &cols[n * len..(n + 1) * len], y)
    });
    (y, cols)
}

/// `∂L/∂x` `(N, C, H, W)` from the output gradient `gy` `(N, O, H_out, W_out)` and `w`:
/// `col2im(Wᵀ G_n)` per sample.
pub fn conv2d_backward_input<T: Float>(g: &ConvGeometry, gy: &[T], w: &[T]) -> Vec<T> {
    let (ck, l, o) = (g.col_rows(), g.col_cols(), g.out_channels);
    let mut dx = vec![T::zero(); g.batch * g.in_len()];
    if dx.is_empty() || g.out_len() == 0 {
        return dx;
    }
    let par = g.parallelism();
    let pointwise = g.is_pointwise();
    let scratch = if pointwise { 0 } else { ck * l };
    dx.par_chunks_mut(g.in_len())
        .zip(gy.par_chunks(g.out_len()))
        .with_min_len(g.min_len())
        .for_each_init(
            || vec![T::zero(); scratch],
            |col, (dxn, gn)| {
                let wt = (w, [1, ck]); // Wᵀ: (C·kH·kW, O)
                if pointwise {
                    gemm_into(dxn, false, wt, (gn, [l, 1]), [ck, l, o], par);
                } else {
                    gemm_into(col, false, wt, (gn, [l, 1]), [ck, l, o], par);
                    col2im(g, col, dxn);
                }
            },
        );
    dx
}

/// `∂L/∂w` `(O, C, kH, kW)` = `Σ_n G_n X_colᵀ`: per-thread partial sums, added at the end.
/// `cols` are the forward pass's im2col matrices ([`conv2d_keeping_cols`]), rebuilt when `None`.
pub fn conv2d_backward_weight<T: Float>(
    g: &ConvGeometry,
    gy: &[T],
    x: &[T],
    cols: Option<&[T]>,
) -> Vec<T> {
    let (ck, l, o) = (g.col_rows(), g.col_cols(), g.out_channels);
    if g.batch == 0 || g.out_len() == 0 || ck == 0 {
        return vec![T::zero(); o * ck];
    }
    let par = g.parallelism();
    let rebuilt;
    let (src, src_len) = match cols {
        _ if g.is_pointwise() => (x, g.in_len()),
        Some(c) if c.len() == g.batch * ck * l => (c, ck * l),
        _ => {
            rebuilt = im2col_batch(g, x);
            (&rebuilt[..], ck * l)
        }
    };
    // Accumulates ∂L/∂Wᵀ = Σ_n X_col G_nᵀ `(C·kH·kW, O)`, which gemm packs faster than
    // G_n X_colᵀ (about a quarter less time at the sizes of a small CNN), then transposes once.
    let dwt = gy
        .par_chunks(g.out_len())
        .zip(src.par_chunks(src_len))
        .with_min_len(g.min_len())
        .fold(
            || vec![T::zero(); ck * o],
            |mut dwt, (gn, col)| {
                // G_nᵀ: (H_out·W_out, O)
                gemm_into(&mut dwt, true, (col, [l, 1]), (gn, [1, l]), [ck, o, l], par);
                dwt
            },
        )
        .reduce_with(|mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        })
        .unwrap_or_else(|| vec![T::zero(); ck * o]);
    let mut dw = vec![T::zero(); o * ck];
    for (r, row) in dwt.chunks_exact(o).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            dw[j * ck + r] = v;
        }
    }
    dw
}

/// `∂L/∂b` `(O)` = the output gradient summed over the batch and the output pixels.
pub fn conv2d_backward_bias<T: Float>(g: &ConvGeometry, gy: &[T]) -> Vec<T> {
    let (l, o) = (g.col_cols(), g.out_channels);
    let mut db = vec![T::zero(); o];
    if l == 0 {
        return db;
    }
    for (i, row) in gy.chunks_exact(l).enumerate() {
        db[i % o] += sum_slice(row);
    }
    db
}

/// The forward kernel of the operands `[x, w]` (contiguous) with an optional `bias` of their
/// type (checked by the caller): the output and, when `keep_cols`, the im2col matrices for the
/// weight gradient (`None` when the kernel is pointwise and needs none).
pub struct Conv2d<'a> {
    pub geometry: &'a ConvGeometry,
    pub bias: Option<(&'a Storage, &'a Layout)>,
    pub keep_cols: bool,
}

impl Map<2> for Conv2d<'_> {
    type Output = (Storage, Option<Storage>);
    fn name(&self) -> &'static str {
        "conv2d"
    }
    fn f<T: Float>(&self, [x, w]: [(&[T], &Layout); 2]) -> (Storage, Option<Storage>) {
        let (g, x, w) = (self.geometry, dense(x), dense(w));
        let bias = self
            .bias
            .map(|(b, l)| dense((T::as_slice(b).expect("conv2d checked the bias's dtype"), l)));
        if !self.keep_cols {
            return (T::into_storage(conv2d(g, x, w, bias)), None);
        }
        let (y, cols) = conv2d_keeping_cols(g, x, w, bias);
        (T::into_storage(y), (!cols.is_empty()).then(|| T::into_storage(cols)))
    }
}

/// The gradient kernels of the operands `[gy, x, w]` (contiguous): `[∂L/∂x, ∂L/∂w, ∂L/∂b]`,
/// each computed only when `wanted`. `cols` are the forward pass's im2col matrices, if kept.
pub struct Conv2dGrads<'a> {
    pub geometry: &'a ConvGeometry,
    pub cols: Option<&'a Storage>,
    pub wanted: [bool; 3],
}

impl Map<3> for Conv2dGrads<'_> {
    type Output = [Option<Storage>; 3];
    fn name(&self) -> &'static str {
        "conv2d backward"
    }
    fn f<T: Float>(&self, [gy, x, w]: [(&[T], &Layout); 3]) -> [Option<Storage>; 3] {
        let (g, gy, x, w) = (self.geometry, dense(gy), dense(x), dense(w));
        let cols = self.cols.and_then(T::as_slice);
        let [dx, dw, db] = self.wanted;
        [
            dx.then(|| T::into_storage(conv2d_backward_input(g, gy, w))),
            dw.then(|| T::into_storage(conv2d_backward_weight(g, gy, x, cols))),
            db.then(|| T::into_storage(conv2d_backward_bias(g, gy))),
        ]
    }
}
