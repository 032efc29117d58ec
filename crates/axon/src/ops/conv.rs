//! 2-D convolution kernels (cross-correlation, as PyTorch's `conv2d`):
//!
//! `y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·s_h + p·d_h − p_h, j·s_w + q·d_w − p_w]`
//!
//! with input `x` `(N, C, H, W)`, weight `w` `(O, C, kH, kW)`, bias `b` `(O)` and output `y`
//! `(N, O, H_out, W_out)`, `H_out = ⌊(H + 2p_h − d_h(kH − 1) − 1) / s_h⌋ + 1` (the same for `W`);
//! positions outside the input read zero (the padding).
//!
//! The batch is cut into *blocks* of `nb` consecutive samples, `nb` chosen so that a block has
//! about [`BLOCK_COLUMNS`] output pixels. Each block is unrolled by im2col ([`super::im2col`])
//! into one matrix `X_b` `(C·kH·kW, nb·L)` (`L = H_out·W_out`), and the convolution of the block
//! is one matrix product `Y_b = W X_b` through `gemm`, with `W` viewed as `(O, C·kH·kW)`; its
//! `(O, nb·L)` result, still in cache, is moved to the `(nb, O, L)` output with the bias added.
//! A product per block instead of per sample gives `gemm` wide operands (it runs near its peak
//! from about a thousand columns) and packs `W` once per block. The backward pass is two more
//! products per block, in one pass, on the block's output gradient gathered once as `G_b`
//! `(O, nb·L)`: `∂L/∂Wᵀ = Σ_b X_b G_bᵀ` and `∂L/∂X_b = Wᵀ G_b`, the latter folded back onto the
//! input by col2im (onto each sample's gradient, zeroed just before, in cache); the same pass sums
//! the block's output gradient per channel for `∂L/∂b`, so the gradient is read once. A 1×1 kernel
//! with stride 1 and no padding takes blocks of one sample, whose input already is its im2col
//! matrix.
//!
//! Threads: the blocks are split into one group of consecutive blocks per rayon thread, and
//! `gemm` runs single-threaded inside each (multi-threaded only when there are fewer blocks than
//! threads). The weight and bias gradients sum their per-group partial sums in group order, so a
//! fixed thread count gives bit-identical results. When training ([`conv2d_keeping_cols`]), the
//! batch's im2col matrices are kept for `∂L/∂W`, each block written just before its product
//! reads it; in evaluation each group reuses one block buffer, so memory stays small for large
//! batches.
//!
//! Memory: every buffer (the output, the im2col matrices, the gradients and each group's scratch
//! matrices) comes from the [buffer pool](crate::tensor::buffers) and the scratch goes back to
//! it, so a training step reuses the previous step's warm pages instead of faulting in fresh
//! ones (the kernel's page faults and TLB shootdowns cost more than the moves themselves).

use std::borrow::Cow;
use std::mem::MaybeUninit;

use gemm::Parallelism;
use rayon::prelude::*;

use super::dispatch::{dense, Map};
use super::im2col::{col2im_from, im2col_block};
use super::matmul::gemm_into;
use super::pool::{max_unpool_2x2, relu_max_pool_2x2};
use super::reduce::sum_slice;
use crate::tensor::{buffers, Float, Layout, Storage};

pub use super::im2col::{col2im, im2col, ConvGeometry};

/// Output pixels per block, about: enough for `gemm` to run near its peak, few enough for the
/// block's matrices to stay in the core's cache.
pub const BLOCK_COLUMNS: usize = 1536;

impl ConvGeometry {
    /// Samples per block (the last block may have fewer): 1 for a pointwise kernel, else about
    /// [`BLOCK_COLUMNS`] output pixels' worth, at most the batch.
    pub fn block_samples(&self) -> usize {
        if self.is_pointwise() {
            return 1;
        }
        BLOCK_COLUMNS.div_ceil(self.col_cols().max(1)).clamp(1, self.batch.max(1))
    }

    /// Samples per group of blocks, one group per rayon thread (a multiple of the block size).
    fn group_samples(&self) -> usize {
        let nb = self.block_samples();
        let blocks = self.batch.div_ceil(nb).max(1);
        blocks.div_ceil(rayon::current_num_threads()).max(1) * nb
    }

    /// `gemm` on one thread per block when the blocks fill the threads, else threaded `gemm`.
    fn parallelism(&self) -> Parallelism {
        if self.batch.div_ceil(self.block_samples()) >= rayon::current_num_threads() {
            Parallelism::None
        } else {
            Parallelism::Rayon(0)
        }
    }
}

/// `v` as initialised values.
///
/// # Safety
/// Every element of `v` must have been written.
unsafe fn assume_init<T>(v: &[MaybeUninit<T>]) -> &[T] {
    // SAFETY: the caller vouches that every element is initialised; the layouts are equal.
    unsafe { &*(v as *const [MaybeUninit<T>] as *const [T]) }
}

/// A vector of `len` elements (from the buffer pool) written by `fill`, which must write every
/// one of them.
fn filled<T: Float>(len: usize, fill: impl FnOnce(&mut [MaybeUninit<T>])) -> Vec<T> {
    let mut v = buffers::take_empty(len);
    fill(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: `fill` wrote the `len` elements (the callers below cover every chunk).
    unsafe { v.set_len(len) };
    v
}

/// The im2col matrices of a batch `x` `(N, C, H, W)`: its blocks' matrices in order (see
/// [`super::im2col`]), one group of blocks per rayon task, written straight into the new buffer.
pub fn im2col_batch<T: Float>(g: &ConvGeometry, x: &[T]) -> Vec<T> {
    let (col_len, in_len, nb) = (g.col_rows() * g.col_cols(), g.in_len(), g.block_samples());
    if col_len == 0 || g.batch == 0 {
        return Vec::new();
    }
    let per = g.group_samples();
    filled(g.batch * col_len, |cols| {
        cols.par_chunks_mut(per * col_len).enumerate().for_each(|(k, group)| {
            for (b, block) in group.chunks_mut(nb * col_len).enumerate() {
                let n0 = k * per + b * nb;
                let samples = block.len() / col_len;
                im2col_block(g, &x[n0 * in_len..(n0 + samples) * in_len], block);
            }
        })
    })
}

impl ConvGeometry {
    /// Elements per sample of the output: `O·H_out·W_out`, or with the fused 2×2 max pooling
    /// (`pool`), `O·⌊H_out/2⌋·⌊W_out/2⌋`.
    fn sample_out_len(&self, pool: bool) -> usize {
        match pool {
            true => self.out_channels * (self.output[0] / 2) * (self.output[1] / 2),
            false => self.out_len(),
        }
    }
}

/// `y_b = W X_b + b` for one block of `samples` samples, given its im2col matrix `col`
/// `(C·kH·kW, samples·L)`: the product into `tmp` (at least `O·samples·L` long), then, plane by
/// plane while it is in cache, moved to `y` `(samples, O, L)` with the bias added, or with
/// `pool`, the ReLU of the plane plus the bias max-pooled over 2×2 windows into `y`
/// `(samples, O, ⌊H_out/2⌋·⌊W_out/2⌋)` and the maxima's positions into `idx` (as
/// `relu_max_pool2d` of the unfused output: the same values and positions). Every element of
/// `y` (and `idx`) is written.
fn forward_block<T: Float>(
    g: &ConvGeometry,
    (w, bias): (&[T], Option<&[T]>),
    col: &[T],
    tmp: &mut [T],
    (y, idx, pool): (&mut [MaybeUninit<T>], &mut [MaybeUninit<u32>], bool),
) {
    let (ck, l, o) = (g.col_rows(), g.col_cols(), g.out_channels);
    let plane_out = g.sample_out_len(pool) / o;
    let samples = y.len() / (o * plane_out);
    let cols = samples * l;
    let tmp = &mut tmp[..o * cols];
    gemm_into(tmp, false, (w, [ck, 1]), (col, [cols, 1]), [o, cols, ck], g.parallelism());
    let widths = [g.output[1], g.output[1] / 2];
    for (s, yn) in y.chunks_exact_mut(o * plane_out).enumerate() {
        for (oc, row) in yn.chunks_exact_mut(plane_out).enumerate() {
            let b = bias.map_or(T::zero(), |b| b[oc]);
            let plane = &tmp[oc * cols + s * l..][..l];
            if pool {
                let at = (s * o + oc) * plane_out;
                let b = bias.map(|b| b[oc]);
                relu_max_pool_2x2(plane, (widths, b), row, &mut idx[at..at + plane_out]);
                continue;
            }
            for (d, &v) in row.iter_mut().zip(plane.iter()) {
                d.write(v + b);
            }
        }
    }
}

/// The forward pass: `x` `(N, C, H, W)`, `w` `(O, C, kH, kW)`, `bias` `(O)`, all contiguous;
/// returns `y` `(N, O, H_out, W_out)` (with `pool`, its ReLU max-pooled over 2×2 windows,
/// `(N, O, ⌊H_out/2⌋, ⌊W_out/2⌋)`, and the positions of the maxima, see [`forward_block`]) and,
/// when `keep`, the batch's im2col matrices (empty for a pointwise kernel, whose input is its
/// own). Each block is unrolled just before its product, into the kept matrices or a reused
/// scratch block, so `gemm` reads it from cache (unrolling the whole batch first would send it
/// to memory and back).
fn forward<T: Float>(
    g: &ConvGeometry,
    (x, w, bias): (&[T], &[T], Option<&[T]>),
    keep: bool,
    pool: bool,
) -> (Vec<T>, Vec<T>, Vec<u32>) {
    let (out_len, in_len) = (g.sample_out_len(pool), g.in_len());
    if g.batch * out_len == 0 {
        let positions = vec![0; if pool { g.batch * out_len } else { 0 }];
        return (vec![T::zero(); g.batch * out_len], Vec::new(), positions);
    }
    let pointwise = g.is_pointwise();
    let keep = keep && !pointwise;
    let (col_len, nb, per) = (g.col_rows() * g.col_cols(), g.block_samples(), g.group_samples());
    // Every element of the kept matrices is written below, block by block.
    let mut cols = if keep { buffers::take_empty(g.batch * col_len) } else { Vec::new() };
    let col_groups: Vec<&mut [MaybeUninit<T>]> = if keep {
        cols.spare_capacity_mut()[..g.batch * col_len].chunks_mut(per * col_len).collect()
    } else {
        (0..g.batch.div_ceil(per)).map(|_| &mut [][..]).collect()
    };
    // The positions of the pooled maxima, every one written by `forward_block`.
    let mut argmax = Vec::with_capacity(if pool { g.batch * out_len } else { 0 });
    let idx_groups: Vec<&mut [MaybeUninit<u32>]> = if pool {
        argmax.spare_capacity_mut()[..g.batch * out_len].chunks_mut(per * out_len).collect()
    } else {
        (0..g.batch.div_ceil(per)).map(|_| &mut [][..]).collect()
    };
    let y = filled(g.batch * out_len, |y| {
        let groups = y.par_chunks_mut(per * out_len).zip(col_groups).zip(idx_groups);
        groups.enumerate().for_each(|(k, ((group, kept), idx))| {
            // The product of a full block, and (when the columns are not kept) its im2col matrix.
            let mut tmp = buffers::take_stale::<T>(g.out_channels * nb * g.col_cols());
            let mut scratch =
                if keep || pointwise { Vec::new() } else { buffers::take_empty(nb * col_len) };
            let mut scratch_full = false;
            for (b, yb) in group.chunks_mut(nb * out_len).enumerate() {
                let (n0, samples) = (k * per + b * nb, yb.len() / out_len);
                let xb = &x[n0 * in_len..(n0 + samples) * in_len];
                let col: &[T] = if pointwise {
                    xb
                } else {
                    let block = if keep {
                        &mut kept[b * nb * col_len..][..samples * col_len]
                    } else {
                        scratch.clear();
                        scratch.reserve(samples * col_len);
                        scratch_full |= samples == nb;
                        &mut scratch.spare_capacity_mut()[..samples * col_len]
                    };
                    im2col_block(g, xb, block);
                    // SAFETY: `im2col_block` wrote every element of `block`.
                    unsafe { assume_init(block) }
                };
                let ib = if pool { &mut idx[b * nb * out_len..][..yb.len()] } else { &mut [] };
                forward_block(g, (w, bias), col, &mut tmp, (yb, ib, pool));
            }
            buffers::give(tmp);
            if scratch_full && scratch.capacity() == nb * col_len {
                // SAFETY: `im2col_block` wrote every element of a full block.
                unsafe { scratch.set_len(nb * col_len) };
                buffers::give(scratch);
            }
        })
    });
    if keep {
        // SAFETY: the groups' blocks cover the batch, and `im2col_block` wrote each of them.
        unsafe { cols.set_len(g.batch * col_len) };
    }
    if pool {
        // SAFETY: the groups' blocks cover the batch, and `forward_block` wrote every position.
        unsafe { argmax.set_len(g.batch * out_len) };
    }
    (y, cols, argmax)
}

/// The forward pass (see [`forward`]), each group of blocks unrolled into one reused buffer.
pub fn conv2d<T: Float>(g: &ConvGeometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    forward(g, (x, w, bias), false, false).0
}

/// [`conv2d`] for training: also returns the batch's im2col matrices (see [`im2col_batch`];
/// empty for a pointwise kernel, whose input is its own) for the weight gradient to reuse.
pub fn conv2d_keeping_cols<T: Float>(
    g: &ConvGeometry,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
) -> (Vec<T>, Vec<T>) {
    let (y, cols, _) = forward(g, (x, w, bias), true, false);
    (y, cols)
}

/// The output gradient of a block's samples `gy` `(samples, O, L)` gathered into `gb` as `G_b`
/// `(O, samples·L)`: each sample's rows side by side, as im2col lays out the block's columns
/// (`gb` at least as long as `gy`).
fn gather_block<T: Float>(g: &ConvGeometry, gy: &[T], gb: &mut [T]) {
    let (l, o) = (g.col_cols(), g.out_channels);
    let cols = gy.len() / o;
    for (s, gn) in gy.chunks_exact(o * l).enumerate() {
        for (oc, row) in gn.chunks_exact(l).enumerate() {
            gb[oc * cols + s * l..][..l].copy_from_slice(row);
        }
    }
}

/// Adds a block's output gradient summed over its pixels to `db` `(O)`, the samples in order:
/// the bias gradient, taken while the block is in cache for the products. The gradient of
/// sample `s` and channel `o` is the row of `L` elements at `s·steps[0] + o·steps[1]`: steps
/// `[O·L, L]` for `(samples, O, L)`, `[L, samples·L]` for the gathered `(O, samples·L)`.
fn add_bias_sums<T: Float>(
    g: &ConvGeometry,
    gy: &[T],
    samples: usize,
    steps: [usize; 2],
    db: &mut [T],
) {
    let l = g.col_cols();
    for s in 0..samples {
        for (oc, d) in db.iter_mut().enumerate() {
            *d += sum_slice(&gy[s * steps[0] + oc * steps[1]..][..l]);
        }
    }
}

/// The gradient of a block's pooled output `gy` `(samples, O, ⌊H_out/2⌋·⌊W_out/2⌋)` sent back
/// through the fused ReLU and 2×2 max pooling (to the positions `argmax`, the same shape) and
/// laid out as `G_b` `(O, samples·L)` in `gb` (see [`gather_block`]); every element written.
fn unpool_block<T: Float>(g: &ConvGeometry, gy: &[T], argmax: &[u32], gb: &mut [T]) {
    let (l, o) = (g.col_cols(), g.out_channels);
    let plane = g.sample_out_len(true) / o;
    let cols = gy.len() / (o * plane) * l;
    let widths = [g.output[1], g.output[1] / 2];
    let samples = gy.chunks_exact(o * plane).zip(argmax.chunks_exact(o * plane));
    for (s, (gn, an)) in samples.enumerate() {
        for (oc, (gp, ap)) in gn.chunks_exact(plane).zip(an.chunks_exact(plane)).enumerate() {
            max_unpool_2x2(ap, gp, widths, &mut gb[oc * cols + s * l..][..l]);
        }
    }
}

/// The batch's im2col matrices for the weight gradient: the kept `cols` when they fit the
/// geometry, the input itself for a pointwise kernel, else rebuilt from `x`.
fn columns<'a, T: Float>(g: &ConvGeometry, x: &'a [T], cols: Option<&'a [T]>) -> Cow<'a, [T]> {
    match cols {
        _ if g.is_pointwise() => Cow::Borrowed(x),
        Some(c) if c.len() == g.batch * g.col_rows() * g.col_cols() => Cow::Borrowed(c),
        _ => Cow::Owned(im2col_batch(g, x)),
    }
}

/// The gradients [`backward`] computes: `∂L/∂x`, `∂L/∂w` and `∂L/∂b`, each empty when not asked
/// for.
type Grads<T> = [Vec<T>; 3];

/// One pass over the blocks, each block's output gradient gathered once as `G_b` (with
/// `argmax`, the positions of the fused 2×2 max pooling's maxima, `gy` is the pooled output's
/// gradient, sent back through the pooling and the ReLU as it is gathered): `∂L/∂x`
/// `(N, C, H, W)` when `w` is given (`Wᵀ G_b` folded back by col2im onto the sample's gradient,
/// zeroed just before while it is in cache, or written directly for a pointwise kernel),
/// `∂L/∂w` `(O, C, kH, kW)` when the batch's im2col matrices `cols` are (`(Σ_b X_b G_bᵀ)ᵀ`) and
/// `∂L/∂b` `(O)` when `bias` (the block's output gradient summed per channel while it is in
/// cache). The weight and bias gradients are summed per group of blocks and then over the groups
/// in order.
fn backward<T: Float>(
    g: &ConvGeometry,
    gy: &[T],
    w: Option<&[T]>,
    cols: Option<&[T]>,
    bias: bool,
    argmax: Option<&[u32]>,
) -> Grads<T> {
    let (ck, l, o) = (g.col_rows(), g.col_cols(), g.out_channels);
    let (in_len, out_len) = (g.in_len(), g.sample_out_len(argmax.is_some()));
    let sized = |want: bool, len: usize| if want { buffers::take_zeroed(len) } else { Vec::new() };
    if g.batch == 0 || out_len == 0 {
        return [
            sized(w.is_some(), g.batch * in_len),
            sized(cols.is_some(), o * ck),
            sized(bias, o),
        ];
    }
    // Every sample's gradient is written below (zeroed before col2im adds to it).
    let mut dx = if w.is_some() { buffers::take_stale(g.batch * in_len) } else { Vec::new() };
    let w = w.filter(|_| in_len > 0);
    let (nb, per, par) = (g.block_samples(), g.group_samples(), g.parallelism());
    let groups = g.batch.div_ceil(per);
    let dx_groups: Vec<&mut [T]> = if w.is_some() {
        dx.chunks_mut(per * in_len).collect()
    } else {
        (0..groups).map(|_| &mut [][..]).collect()
    };
    let products = w.is_some() || cols.is_some();
    let partials: Vec<[Vec<T>; 2]> = dx_groups
        .into_par_iter()
        .enumerate()
        .map(|(k, dxg)| {
            // Written by the group's first product, accumulated by the others.
            let mut dwg = if cols.is_some() { buffers::take_stale(o * ck) } else { Vec::new() };
            let mut dbg = vec![T::zero(); if bias { o } else { 0 }];
            // Scratch for a full block: its gathered output gradient and its `Wᵀ G_b`.
            let gather = (nb > 1 && products) || argmax.is_some();
            let mut gb = if gather { buffers::take_stale(o * nb * l) } else { Vec::new() };
            let pointwise = g.is_pointwise();
            let mut dcol = if w.is_some() && !pointwise {
                buffers::take_stale(ck * nb * l)
            } else {
                Vec::new()
            };
            let (first, end) = (k * per, ((k + 1) * per).min(g.batch));
            for n0 in (first..end).step_by(nb) {
                let samples = nb.min(end - n0);
                let c = samples * l;
                let block = n0 * out_len..(n0 + samples) * out_len;
                let gy_b = &gy[block.clone()];
                let gsrc: &[T] = if let Some(argmax) = argmax {
                    unpool_block(g, gy_b, &argmax[block], &mut gb);
                    if bias {
                        add_bias_sums(g, &gb, samples, [l, c], &mut dbg);
                    }
                    &gb[..o * c]
                } else {
                    if bias {
                        add_bias_sums(g, gy_b, samples, [o * l, l], &mut dbg);
                    }
                    if !gather || samples == 1 {
                        gy_b
                    } else {
                        gather_block(g, gy_b, &mut gb);
                        &gb[..gy_b.len()]
                    }
                };
                if let Some(src) = cols {
                    // ∂L/∂Wᵀ += X_b G_bᵀ: (C·kH·kW, c) · (c, O); gemm packs the transposed
                    // operand slowly, so it is the smaller one, G_b.
                    let xb = (&src[n0 * ck * l..(n0 + samples) * ck * l], [c, 1]);
                    gemm_into(&mut dwg, n0 > first, xb, (gsrc, [1, c]), [ck, o, c], par);
                }
                let Some(w) = w else { continue };
                let wt = (w, [1, ck]); // Wᵀ: (C·kH·kW, O)
                let dxb = &mut dxg[(n0 - first) * in_len..(n0 - first + samples) * in_len];
                if pointwise {
                    gemm_into(dxb, false, wt, (gsrc, [l, 1]), [ck, l, o], par);
                    continue;
                }
                let dcol = &mut dcol[..ck * c];
                gemm_into(dcol, false, wt, (gsrc, [c, 1]), [ck, c, o], par);
                for (s, dxn) in dxb.chunks_exact_mut(in_len).enumerate() {
                    dxn.fill(T::zero());
                    col2im_from(g, &mut dcol[s * l..], c, dxn);
                }
            }
            buffers::give(gb);
            buffers::give(dcol);
            [dwg, dbg]
        })
        .collect();
    // The groups' partial sums, added in order.
    let mut sums = partials.into_iter();
    let [mut dwt, mut db] = sums.next().expect("a non-empty batch has a group");
    for [pw, pb] in sums {
        dwt.iter_mut().zip(&pw).for_each(|(a, &b)| *a += b);
        db.iter_mut().zip(&pb).for_each(|(a, &b)| *a += b);
        buffers::give(pw);
    }
    // ∂L/∂w is the transpose of the summed `(C·kH·kW, O)` products; every element is written.
    let mut dw = if cols.is_some() { buffers::take_stale(o * ck) } else { Vec::new() };
    for (r, row) in dwt.chunks_exact(o.max(1)).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            dw[j * ck + r] = v;
        }
    }
    buffers::give(dwt);
    [dx, dw, db]
}

/// `∂L/∂x` `(N, C, H, W)` from the output gradient `gy` `(N, O, H_out, W_out)` and `w`: per
/// block, `Wᵀ G_b` folded back by col2im (written directly for a pointwise kernel).
pub fn conv2d_backward_input<T: Float>(g: &ConvGeometry, gy: &[T], w: &[T]) -> Vec<T> {
    let [dx, _, _] = backward(g, gy, Some(w), None, false, None);
    dx
}

/// `∂L/∂w` `(O, C, kH, kW)` = `(Σ_b X_b G_bᵀ)ᵀ`, summed per group of blocks and then over the
/// groups in order. `cols` are the forward pass's im2col matrices ([`conv2d_keeping_cols`]),
/// rebuilt when `None`.
pub fn conv2d_backward_weight<T: Float>(
    g: &ConvGeometry,
    gy: &[T],
    x: &[T],
    cols: Option<&[T]>,
) -> Vec<T> {
    let [_, dw, _] = backward(g, gy, None, Some(&columns(g, x, cols)), false, None);
    dw
}

/// `∂L/∂b` `(O)` = the output gradient summed over the output pixels and the samples, per group
/// of blocks in order and then over the groups in order.
pub fn conv2d_backward_bias<T: Float>(g: &ConvGeometry, gy: &[T]) -> Vec<T> {
    let [_, _, db] = backward(g, gy, None, None, true, None);
    db
}

/// The forward kernel of the operands `[x, w]` (contiguous) with an optional `bias` of their
/// type (checked by the caller): the output, when `keep_cols` the im2col matrices for the
/// weight gradient (`None` when the kernel is pointwise and needs none), and with `pool` the
/// output's ReLU max-pooled over 2×2 windows and the positions of the maxima (else no
/// positions).
pub struct Conv2d<'a> {
    pub geometry: &'a ConvGeometry,
    pub bias: Option<(&'a Storage, &'a Layout)>,
    pub keep_cols: bool,
    pub pool: bool,
}

impl Map<2> for Conv2d<'_> {
    type Output = (Storage, Option<Storage>, Vec<u32>);
    fn name(&self) -> &'static str {
        if self.pool {
            "conv2d_relu_max_pool2d"
        } else {
            "conv2d"
        }
    }
    fn f<T: Float>(&self, [x, w]: [(&[T], &Layout); 2]) -> Self::Output {
        let (g, x, w) = (self.geometry, dense(x), dense(w));
        let bias = self
            .bias
            .map(|(b, l)| dense((T::as_slice(b).expect("conv2d checked the bias's dtype"), l)));
        let (y, cols, argmax) = forward(g, (x, w, bias), self.keep_cols, self.pool);
        (T::into_storage(y), (!cols.is_empty()).then(|| T::into_storage(cols)), argmax)
    }
}

/// The gradient kernels of the operands `[gy, x, w]` (contiguous): `[∂L/∂x, ∂L/∂w, ∂L/∂b]`,
/// each computed only when `wanted`. `cols` are the forward pass's im2col matrices, if kept;
/// `argmax` the positions of the fused pooling's maxima, when the forward pass pooled (`gy` is
/// then the pooled output's gradient).
pub struct Conv2dGrads<'a> {
    pub geometry: &'a ConvGeometry,
    pub cols: Option<&'a Storage>,
    pub wanted: [bool; 3],
    pub argmax: Option<&'a [u32]>,
}

impl Map<3> for Conv2dGrads<'_> {
    type Output = [Option<Storage>; 3];
    fn name(&self) -> &'static str {
        "conv2d backward"
    }
    fn f<T: Float>(&self, [gy, x, w]: [(&[T], &Layout); 3]) -> [Option<Storage>; 3] {
        let (g, gy, x, w) = (self.geometry, dense(gy), dense(x), dense(w));
        let cols = self.cols.and_then(T::as_slice);
        let [want_dx, want_dw, want_db] = self.wanted;
        let src = want_dw.then(|| columns(g, x, cols));
        let [dx, dw, db] =
            backward(g, gy, want_dx.then_some(w), src.as_deref(), want_db, self.argmax);
        let storage = |want: bool, v: Vec<T>| want.then(|| T::into_storage(v));
        [storage(want_dx, dx), storage(want_dw, dw), storage(want_db, db)]
    }
}
