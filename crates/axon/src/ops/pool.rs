//! 2-D pooling kernels over input `(N, C, H, W)`, output `(N, C, H_out, W_out)` with
//! `H_out = ⌊(H + 2p_h − kH) / s_h⌋ + 1` (the same for `W`):
//!
//! - max pooling, `y[n, c, i, j] = max_{p, q} x[n, c, i·s_h + p − p_h, j·s_w + q − p_w]`, padding
//!   read as `−∞`; the forward pass remembers where each maximum was (its index in the `H × W`
//!   plane), and the backward pass sends each output gradient to that one input;
//! - average pooling, `y = (1 / (kH·kW)) Σ_{p, q} x[..]`, padding read as zero and counted in the
//!   divisor (`count_include_pad = true`, PyTorch's default); the backward pass spreads
//!   `g / (kH·kW)` over the window.
//!
//! - max pooling of the ReLU of its input, fused: `max(relu(x)) = relu(max(x))`, so one pass
//!   computes it, and a window whose maximum is not positive (or is NaN) records [`NO_GRADIENT`]
//!   instead of a position: the ReLU's derivative is zero there, so its backward pass is max
//!   pooling's, skipping those windows, with no ReLU output or mask in memory.
//!
//! Every `(n, c)` plane is independent, so planes are split across rayon threads. The outputs
//! and gradients come from the [buffer pool](crate::tensor::buffers), warm from the last step.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::dispatch::{dense, Map};
use super::simd::{dispatch, Kernel};
use super::PARALLEL_THRESHOLD;
use crate::tensor::{buffers, DType, Float, Layout, Storage};

/// The sizes of one 2-D pooling, already checked by the caller (`padding ≤ kernel / 2`, so every
/// window holds at least one input element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolGeometry {
    /// `N·C`: the number of independent planes.
    pub planes: usize,
    /// Input height and width.
    pub input: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
}

impl PoolGeometry {
    fn in_plane(&self) -> usize {
        self.input[0] * self.input[1]
    }

    fn out_plane(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Input rows (`axis` 0) or columns (1) inside the window of output position `o`.
    #[inline(always)]
    fn window(&self, axis: usize, o: usize) -> (usize, usize) {
        let start = o * self.stride[axis];
        let lo = start.saturating_sub(self.padding[axis]);
        let hi = (start + self.kernel[axis]).saturating_sub(self.padding[axis]);
        (lo, hi.min(self.input[axis]))
    }

    /// The windows of every output position along `axis`.
    fn windows(&self, axis: usize) -> Vec<(usize, usize)> {
        (0..self.output[axis]).map(|o| self.window(axis, o)).collect()
    }

    /// Planes per rayon task: small inputs stay one task, large ones are split.
    fn planes_per_task(&self) -> usize {
        (PARALLEL_THRESHOLD / self.in_plane().max(1)).max(1)
    }
}

/// The position recorded for a window that passes no gradient back (fused ReLU, see the module
/// notes): no plane holds this many elements (the caller checks planes below `2^32`).
pub const NO_GRADIENT: u32 = u32::MAX;

/// Max pooling: the output and, per output element, the index of its maximum in its input plane.
/// A NaN in a window is its maximum, as in PyTorch. With `relu`, the pooling of `relu(x)`: the
/// maxima that are not positive become zero (a NaN stays) and record [`NO_GRADIENT`].
pub fn max_pool2d<T: Float>(g: &PoolGeometry, x: &[T], relu: bool) -> (Vec<T>, Vec<u32>) {
    let (wi, wo) = (g.input[1], g.output[1]);
    let (in_len, out_len) = (g.in_plane(), g.out_plane());
    let len = g.planes * out_len;
    if in_len == 0 || out_len == 0 {
        return (vec![T::zero(); len], vec![0; len]);
    }
    // Every element of both is written below.
    let mut out = buffers::take_empty(len);
    let mut argmax = Vec::with_capacity(len);
    let pairs = g.kernel == [2, 2] && g.stride == [2, 2] && g.padding == [0, 0];
    let (rows, cols) = (g.windows(0), g.windows(1));
    out.spare_capacity_mut()[..len]
        .par_chunks_mut(out_len)
        .zip(argmax.spare_capacity_mut()[..len].par_chunks_mut(out_len))
        .zip(x.par_chunks(in_len))
        .with_min_len(g.planes_per_task())
        .for_each(|((dst, idx), plane)| {
            if pairs {
                pool_2x2_plane(plane, ([wi, wo], None, relu), dst, idx);
            } else {
                max_pool_windows(plane, [&rows, &cols], wi, (dst, idx), relu);
            }
        });
    // SAFETY: both kernels write every output and position of their plane.
    unsafe {
        out.set_len(len);
        argmax.set_len(len);
    }
    (out, argmax)
}

/// Max pooling of one plane (`wi` columns) over the windows `[rows, cols]` (each clipped to the
/// plane), of its ReLU when `relu`: output `(i, j)` takes input rows `rows[i]` and columns
/// `cols[j]`. Every output and position is written.
fn max_pool_windows<T: Float>(
    plane: &[T],
    windows: [&[(usize, usize)]; 2],
    wi: usize,
    (dst, idx): (&mut [MaybeUninit<T>], &mut [MaybeUninit<u32>]),
    relu: bool,
) {
    let [rows, cols] = windows;
    let wo = cols.len();
    let out_rows = dst.chunks_exact_mut(wo).zip(idx.chunks_exact_mut(wo));
    for ((row, row_idx), &(r0, r1)) in out_rows.zip(rows) {
        for ((o, i), &(c0, c1)) in row.iter_mut().zip(row_idx).zip(cols) {
            let (mut best, mut at) = (T::neg_infinity(), (r0 * wi + c0) as u32);
            for r in r0..r1 {
                for (c, &v) in (c0..c1).zip(&plane[r * wi + c0..r * wi + c1]) {
                    (best, at) = pick(v, (r * wi + c) as u32, best, at);
                }
            }
            let (best, at) = if relu { relu_of(best, at) } else { (best, at) };
            o.write(best);
            i.write(at);
        }
    }
}

/// The larger of `(v, i)` and `(best, at)`, a NaN counting as the largest; written without a
/// branch, since on real data `v > best` is a coin toss the branch predictor would lose.
#[inline(always)]
fn pick<T: Float>(v: T, i: u32, best: T, at: u32) -> (T, u32) {
    let take = (v > best) | v.is_nan();
    (if take { v } else { best }, if take { i } else { at })
}

/// The ReLU of a window's maximum `(best, at)`: a non-positive maximum becomes zero, a NaN
/// stays; neither passes a gradient ([`NO_GRADIENT`]). Written as selects, without a branch.
#[inline(always)]
fn relu_of<T: Float>(best: T, at: u32) -> (T, u32) {
    let live = best > T::zero();
    let keep = live | best.is_nan();
    (if keep { best } else { T::zero() }, if live { at } else { NO_GRADIENT })
}

/// Max pooling of one plane (`wi` columns) over non-overlapping 2×2 windows without padding (of
/// its ReLU when `relu`; with `bias`, of the plane plus `bias`, added as each input is read):
/// the common case, with the window unrolled, no clipping and no branch, compiled for the CPU's
/// widest vectors ([`dispatch`]). Each window compares its four inputs in the order of the
/// general path (the first maximum in raster order, the last NaN), so the values and positions
/// are the same. (An `f32` plane runs [`pool_2x2_plane`]'s AVX-512 or AVX2 steps where it can.)
struct MaxPool2x2<'a, T> {
    plane: &'a [T],
    width: [usize; 2],
    dst: &'a mut [MaybeUninit<T>],
    idx: &'a mut [MaybeUninit<u32>],
    relu: bool,
    bias: Option<T>,
}

impl<T: Float> Kernel for MaxPool2x2<'_, T> {
    #[inline(always)]
    fn run(self) {
        let MaxPool2x2 { plane, width: [wi, wo], dst, idx, relu, bias } = self;
        let read = |v: T| bias.map_or(v, |b| v + b);
        let rows = dst.chunks_exact_mut(wo).zip(idx.chunks_exact_mut(wo));
        for (oh, (row, row_idx)) in rows.enumerate() {
            let base = 2 * oh * wi;
            let top = &plane[base..base + 2 * wo];
            let bottom = &plane[base + wi..base + wi + 2 * wo];
            let pairs = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for (ow, ((o, i), (t, b))) in
                row.iter_mut().zip(row_idx.iter_mut()).zip(pairs).enumerate()
            {
                let (t0, t1, b0, b1) = (read(t[0]), read(t[1]), read(b[0]), read(b[1]));
                let (left, right) = (pick(t1, 1, t0, 0), pick(b1, 1, b0, 0));
                let (best, at) = pick(right.0, right.1 + wi as u32, left.0, left.1);
                let at = (base + 2 * ow) as u32 + at;
                let (best, at) = if relu { relu_of(best, at) } else { (best, at) };
                o.write(best);
                i.write(at);
            }
        }
    }
}

/// `T`'s slice as `f32` when `T` is `f32`.
fn as_f32<T: Float>(x: &[T]) -> Option<&[f32]> {
    // SAFETY: `T` is `f32` (checked), so the cast changes nothing.
    (T::DTYPE == DType::F32).then(|| unsafe { &*(x as *const [T] as *const [f32]) })
}

/// [`as_f32`] of a mutable slice.
fn as_f32_mut<T: Float>(x: &mut [T]) -> Option<&mut [f32]> {
    // SAFETY: `T` is `f32` (checked), so the cast changes nothing.
    (T::DTYPE == DType::F32).then(|| unsafe { &mut *(x as *mut [T] as *mut [f32]) })
}

/// [`as_f32`] of a slice to write.
fn as_f32_uninit<T: Float>(x: &mut [MaybeUninit<T>]) -> Option<&mut [MaybeUninit<f32>]> {
    // SAFETY: `T` is `f32` (checked), so the cast changes nothing.
    (T::DTYPE == DType::F32).then(|| unsafe { &mut *(x as *mut [_] as *mut [MaybeUninit<f32>]) })
}

/// The 2×2 max pooling of one plane ([`MaxPool2x2`]; `width`: its columns and the pooled
/// plane's): on an `f32` plane with AVX-512 or AVX2, the vector steps of [`super::pool_simd`],
/// which give the same values and positions.
fn pool_2x2_plane<T: Float>(
    plane: &[T],
    (width, bias, relu): ([usize; 2], Option<T>, bool),
    dst: &mut [MaybeUninit<T>],
    idx: &mut [MaybeUninit<u32>],
) {
    #[cfg(target_arch = "x86_64")]
    if let (Some(p), Some(d)) = (as_f32(plane), as_f32_uninit(dst)) {
        use std::arch::is_x86_feature_detected as has;
        let args = (bias.map(|b| b.to_f64() as f32), relu.then_some(NO_GRADIENT));
        if has!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { super::pool_avx512::max_pool_2x2(p, width, args, d, idx) };
        }
        if has!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { super::pool_avx2::max_pool_2x2(p, width, args, d, idx) };
        }
    }
    dispatch(MaxPool2x2 { plane, width, dst, idx, relu, bias });
}

/// The fused ReLU and 2×2 max pooling ([`MaxPool2x2`]) of one plane of `width[0]` columns plus
/// `bias` into `dst` and `idx` (`width[1]` columns), for the convolution's epilogue
/// ([`super::conv`]), which pools each plane of its product while it is in cache: the values
/// and positions of `relu_max_pool2d` of the plane with the bias added.
pub(super) fn relu_max_pool_2x2<T: Float>(
    plane: &[T],
    (width, bias): ([usize; 2], Option<T>),
    dst: &mut [MaybeUninit<T>],
    idx: &mut [MaybeUninit<u32>],
) {
    pool_2x2_plane(plane, (width, bias, true), dst, idx);
}

/// The gradient of [`relu_max_pool_2x2`] on one plane of `width[0]` columns
/// ([`MaxUnpool2x2`]; on an `f32` plane with AVX-512 or AVX2, the vector steps of
/// [`super::pool_simd`], which give the same values), for the convolution's backward pass: every
/// element of `dx` written.
pub(super) fn max_unpool_2x2<T: Float>(argmax: &[u32], gy: &[T], width: [usize; 2], dx: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if let (Some(g), Some(d)) = (as_f32(gy), as_f32_mut(dx)) {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { super::pool_avx512::max_unpool_2x2(argmax, g, width, d) };
        }
        if has!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { super::pool_avx2::max_unpool_2x2(argmax, g, width, d) };
        }
    }
    dispatch(MaxUnpool2x2 { argmax, gy, width, dx });
}

/// [`MaxUnpool`] of non-overlapping 2×2 windows without padding (`width`: the plane's and the
/// pooled plane's columns), written densely instead of zeroed and scattered into: each input
/// takes `0 + g` when it is its window's maximum, else 0 (so the plane's first element, which
/// the scatter adds `+0` to for each window without a gradient, is the same), inputs outside
/// every window 0.
struct MaxUnpool2x2<'a, T> {
    argmax: &'a [u32],
    gy: &'a [T],
    width: [usize; 2],
    dx: &'a mut [T],
}

impl<T: Float> Kernel for MaxUnpool2x2<'_, T> {
    #[inline(always)]
    fn run(self) {
        let MaxUnpool2x2 { argmax, gy, width: [wi, wo], dx } = self;
        let rows = gy.len().checked_div(wo).unwrap_or(0);
        for oh in 0..rows {
            let base = 2 * oh * wi;
            let (top, bottom) = dx[base..base + 2 * wi].split_at_mut(wi);
            let windows = argmax[oh * wo..][..wo].iter().zip(&gy[oh * wo..][..wo]);
            let pairs = top.chunks_exact_mut(2).zip(bottom.chunks_exact_mut(2));
            for (ow, ((&a, &g), (t, b))) in windows.zip(pairs).enumerate() {
                let (g, p) = (T::zero() + g, (base + 2 * ow) as u32);
                let put = |hit: bool| if hit { g } else { T::zero() };
                (t[0], t[1]) = (put(a == p), put(a == p + 1));
                (b[0], b[1]) = (put(a == p + wi as u32), put(a == p + wi as u32 + 1));
            }
            top[2 * wo..].fill(T::zero());
            bottom[2 * wo..].fill(T::zero());
        }
        dx[2 * rows * wi..].fill(T::zero());
    }
}

/// `∂L/∂x` of max pooling: each output gradient added at the position of its maximum (none for
/// a window that recorded [`NO_GRADIENT`]), plane by plane ([`MaxUnpool`]).
pub fn max_pool2d_backward<T: Float>(g: &PoolGeometry, argmax: &[u32], gy: &[T]) -> Vec<T> {
    let (out_len, in_len) = (g.out_plane(), g.in_plane());
    if out_len == 0 || in_len == 0 {
        return vec![T::zero(); g.planes * in_len];
    }
    // Every element is written below.
    let mut dx = buffers::take_stale(g.planes * in_len);
    dx.par_chunks_mut(in_len)
        .zip(argmax.par_chunks(out_len))
        .zip(gy.par_chunks(out_len))
        .with_min_len(g.planes_per_task())
        .for_each(|((dx, argmax), gy)| dispatch(MaxUnpool { argmax, gy, dx }));
    dx
}

/// `∂L/∂x` of max pooling on one plane: zeroed, then each output gradient added at its
/// window's maximum, in output order. Without a branch (a fused ReLU makes `i == NO_GRADIENT` a
/// coin toss): a window with no gradient adds +0 to the plane's first element, which leaves it
/// unchanged (it started at +0, and a sum never turns it into −0). Where the windows do not
/// overlap, each element gets `0 + g` or stays 0.
struct MaxUnpool<'a, T> {
    argmax: &'a [u32],
    gy: &'a [T],
    dx: &'a mut [T],
}

impl<T: Float> Kernel for MaxUnpool<'_, T> {
    #[inline(always)]
    fn run(self) {
        let MaxUnpool { argmax, gy, dx } = self;
        dx.fill(T::zero());
        for (&i, &v) in argmax.iter().zip(gy) {
            let skip = i == NO_GRADIENT;
            dx[if skip { 0 } else { i as usize }] += if skip { T::zero() } else { v };
        }
    }
}

/// Average pooling with the padding counted in the divisor.
pub fn avg_pool2d<T: Float>(g: &PoolGeometry, x: &[T]) -> Vec<T> {
    let (wi, wo) = (g.input[1], g.output[1]);
    let scale = T::one() / T::from_f64((g.kernel[0] * g.kernel[1]) as f64);
    let (in_len, out_len) = (g.in_plane(), g.out_plane());
    if in_len == 0 || out_len == 0 {
        return vec![T::zero(); g.planes * out_len];
    }
    // Every element is written below.
    let mut out = buffers::take_stale(g.planes * out_len);
    let (rows, cols) = (g.windows(0), g.windows(1));
    let work = |(dst, plane): (&mut [T], &[T])| {
        for (row, &(r0, r1)) in dst.chunks_exact_mut(wo).zip(&rows) {
            for (o, &(c0, c1)) in row.iter_mut().zip(&cols) {
                let mut sum = T::zero();
                for line in plane[r0 * wi..r1 * wi].chunks_exact(wi) {
                    for &v in &line[c0..c1] {
                        sum += v;
                    }
                }
                *o = sum * scale;
            }
        }
    };
    out.par_chunks_mut(out_len)
        .zip(x.par_chunks(in_len))
        .with_min_len(g.planes_per_task())
        .for_each(work);
    out
}

/// `∂L/∂x` of average pooling: `g / (kH·kW)` added over each output's window.
pub fn avg_pool2d_backward<T: Float>(g: &PoolGeometry, gy: &[T]) -> Vec<T> {
    let (wi, wo) = (g.input[1], g.output[1]);
    let scale = T::one() / T::from_f64((g.kernel[0] * g.kernel[1]) as f64);
    let mut dx = buffers::take_zeroed(g.planes * g.in_plane());
    let (in_len, out_len) = (g.in_plane(), g.out_plane());
    if in_len == 0 || out_len == 0 {
        return dx;
    }
    let (rows, cols) = (g.windows(0), g.windows(1));
    let work = |(d, gp): (&mut [T], &[T])| {
        for (row, &(r0, r1)) in gp.chunks_exact(wo).zip(&rows) {
            for (&v, &(c0, c1)) in row.iter().zip(&cols) {
                let share = v * scale;
                for r in r0..r1 {
                    d[r * wi + c0..r * wi + c1].iter_mut().for_each(|e| *e += share);
                }
            }
        }
    };
    dx.par_chunks_mut(in_len)
        .zip(gy.par_chunks(out_len))
        .with_min_len(g.planes_per_task())
        .for_each(work);
    dx
}

/// The kernel of max pooling (`max: true`: the output and the positions of the maxima; of
/// `relu(x)` when `relu`) or of average pooling (the output and no positions), of the operand
/// `[x]` (contiguous).
pub struct Pool2d<'a> {
    pub geometry: &'a PoolGeometry,
    pub max: bool,
    pub relu: bool,
}

impl Map<1> for Pool2d<'_> {
    type Output = (Storage, Vec<u32>);
    fn name(&self) -> &'static str {
        if self.max && self.relu {
            "relu_max_pool2d"
        } else if self.max {
            "max_pool2d"
        } else {
            "avg_pool2d"
        }
    }
    fn f<T: Float>(&self, [x]: [(&[T], &Layout); 1]) -> (Storage, Vec<u32>) {
        if self.max {
            let (y, argmax) = max_pool2d(self.geometry, dense(x), self.relu);
            (T::into_storage(y), argmax)
        } else {
            (T::into_storage(avg_pool2d(self.geometry, dense(x))), Vec::new())
        }
    }
}

/// The gradient kernel of a pooling, of the operand `[gy]` (contiguous): max pooling's, given
/// the positions of the maxima, or average pooling's (`argmax` = `None`).
pub struct Pool2dGrad<'a> {
    pub geometry: &'a PoolGeometry,
    pub argmax: Option<&'a [u32]>,
}

impl Map<1> for Pool2dGrad<'_> {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "pool2d backward"
    }
    fn f<T: Float>(&self, [gy]: [(&[T], &Layout); 1]) -> Storage {
        let (g, gy) = (self.geometry, dense(gy));
        T::into_storage(match self.argmax {
            Some(argmax) => max_pool2d_backward(g, argmax, gy),
            None => avg_pool2d_backward(g, gy),
        })
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use std::arch::is_x86_feature_detected as has;
    use std::mem::MaybeUninit;

    use super::{Kernel, MaxPool2x2, MaxUnpool2x2, NO_GRADIENT};
    use crate::Rng;

    /// The 2×2 pooling of one plane, `(values' bits, positions)`.
    type Pooled = (Vec<u32>, Vec<u32>);

    /// A vector 2×2 pooling kernel: `(plane, width, (bias, cut), dst, idx)`.
    type Simd = unsafe fn(
        &[f32],
        [usize; 2],
        (Option<f32>, Option<u32>),
        &mut [MaybeUninit<f32>],
        &mut [MaybeUninit<u32>],
    );

    /// A vector 2×2 unpooling kernel: `(argmax, gy, width, dx)`.
    type SimdBack = unsafe fn(&[u32], &[f32], [usize; 2], &mut [f32]);

    /// The vector kernels this CPU runs, by name.
    fn vector_kernels() -> Vec<(&'static str, Simd, SimdBack)> {
        let mut kernels: Vec<(&str, Simd, SimdBack)> = Vec::new();
        if has!("avx2") {
            kernels.push((
                "avx2",
                super::super::pool_avx2::max_pool_2x2,
                super::super::pool_avx2::max_unpool_2x2,
            ));
        }
        if has!("avx512f") {
            kernels.push((
                "avx512",
                super::super::pool_avx512::max_pool_2x2,
                super::super::pool_avx512::max_unpool_2x2,
            ));
        }
        kernels
    }

    /// Values with many ties, both zeros, negatives, infinities and NaN.
    fn values(rng: &mut Rng, len: usize) -> Vec<f32> {
        const SET: [f32; 9] = [-1.0, -0.0, 0.0, 0.5, 1.0, 2.0, f32::NAN, f32::NEG_INFINITY, -3.0];
        (0..len)
            .map(|_| {
                if rng.below(3) == 0 {
                    SET[rng.below(SET.len())]
                } else {
                    rng.uniform() as f32 - 0.5
                }
            })
            .collect()
    }

    /// `dst` and `idx` of `len` elements (set to a NaN and 7 first), filled by `fill`.
    fn pooled(
        len: usize,
        fill: impl FnOnce(&mut [MaybeUninit<f32>], &mut [MaybeUninit<u32>]),
    ) -> Pooled {
        let mut dst = vec![MaybeUninit::new(f32::from_bits(0x7fc0_dead)); len];
        let mut idx = vec![MaybeUninit::new(7); len];
        fill(&mut dst, &mut idx);
        // SAFETY: every element was initialised when the vectors were made.
        unsafe {
            (
                dst.iter().map(|v| v.assume_init().to_bits()).collect(),
                idx.iter().map(|i| i.assume_init()).collect(),
            )
        }
    }

    /// The AVX2 and AVX-512 kernels give the generic kernels' values, positions and gradients bit
    /// for bit: rows of 1 to 20 windows (one masked step, full steps, a last step overlapping),
    /// columns and a row past the windows, with and without the ReLU and the bias.
    #[test]
    fn vector_kernels_match_the_generic_kernels() {
        let kernels = vector_kernels();
        let mut rng = Rng::seed(5);
        for wi in 2..=41 {
            for wo in 1..=wi / 2 {
                for (rows, extra) in [(1, 0), (3, 1), (2, 0)] {
                    let plane = values(&mut rng, (2 * rows + extra) * wi);
                    let gy: Vec<f32> = values(&mut rng, rows * wo);
                    let len = rows * wo;
                    for (bias, relu) in
                        [(None, false), (None, true), (Some(0.25), true), (Some(-0.5), false)]
                    {
                        let width = [wi, wo];
                        let want = pooled(len, |dst, idx| {
                            MaxPool2x2 { plane: &plane, width, dst, idx, relu, bias }.run()
                        });
                        let mut want_dx = vec![f32::NAN; plane.len()];
                        MaxUnpool2x2 { argmax: &want.1, gy: &gy, width, dx: &mut want_dx }.run();
                        let want_dx: Vec<u32> = want_dx.iter().map(|v| v.to_bits()).collect();
                        if relu {
                            assert!(want
                                .1
                                .iter()
                                .all(|&i| i == NO_GRADIENT || (i as usize) < plane.len()));
                        }
                        let cut = relu.then_some(NO_GRADIENT);
                        for &(name, forward, backward) in &kernels {
                            let case = format!(
                                "{name}: {rows}×{wi} into {wo}, bias {bias:?}, relu {relu}"
                            );
                            // SAFETY: `vector_kernels` checked the CPU's instruction set.
                            let got = pooled(len, |dst, idx| unsafe {
                                forward(&plane, width, (bias, cut), dst, idx)
                            });
                            assert_eq!(got, want, "{case}");
                            let mut dx = vec![f32::NAN; plane.len()];
                            // SAFETY: as above.
                            unsafe { backward(&want.1, &gy, width, &mut dx) };
                            let dx: Vec<u32> = dx.iter().map(|v| v.to_bits()).collect();
                            assert_eq!(dx, want_dx, "gradient, {case}");
                        }
                    }
                }
            }
        }
    }
}
