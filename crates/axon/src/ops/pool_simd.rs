//! The 2×2 max pooling (of the ReLU, plus a bias) and its gradient on `f32` planes as explicit
//! vector steps, written once over a [`Lanes`] instruction set (AVX-512 in
//! [`super::pool_avx512`], AVX2 in [`super::pool_avx2`]), for the convolution's fused epilogue
//! ([`super::conv`]). Its output rows are 14 and 7 windows wide, shorter than one loop
//! iteration of 8 or 16 lanes that the compiler would vectorise, so the generic kernels of
//! [`super::pool`] run them one window at a time; here a row takes one or two vector steps:
//! loads of the two input rows, even/odd lanes split by a permutation, the comparisons of the
//! generic kernel as lane masks (the same order, so the same values and positions, bit for bit),
//! and stores. A row at least one vector wide takes full steps, the last one overlapping the one
//! before it (it recomputes, and writes again, the same values), so only a row narrower than a
//! vector needs masked loads and stores (slow on some CPUs with AVX2: AMD's Zen 1–3).

use std::mem::MaybeUninit;

/// One instruction set's vectors of `LANES` `f32` (`F`) or `i32` (`I`) and their lane masks
/// (`M`), with the operations the kernels below need.
///
/// # Safety
/// Every method needs a CPU with the instruction set; the loads and stores also pointers valid
/// for the `n` lanes they touch (`n ≤ LANES`; a lane past them is neither read nor written).
pub(super) trait Lanes {
    const LANES: usize;
    type F: Copy;
    type I: Copy;
    type M: Copy;
    unsafe fn splat(v: f32) -> Self::F;
    unsafe fn splat_i(v: i32) -> Self::I;
    /// The lanes' numbers `0, 1, …, LANES − 1`.
    unsafe fn iota() -> Self::I;
    unsafe fn add(a: Self::F, b: Self::F) -> Self::F;
    unsafe fn add_i(a: Self::I, b: Self::I) -> Self::I;
    /// The lanes where `a > b` (ordered: false when either is NaN).
    unsafe fn gt(a: Self::F, b: Self::F) -> Self::M;
    /// The lanes where `a` is NaN.
    unsafe fn nan(a: Self::F) -> Self::M;
    unsafe fn eq_i(a: Self::I, b: Self::I) -> Self::M;
    unsafe fn or(a: Self::M, b: Self::M) -> Self::M;
    /// `b` in the lanes of `m`, `a` in the others.
    unsafe fn select(m: Self::M, a: Self::F, b: Self::F) -> Self::F;
    unsafe fn select_i(m: Self::M, a: Self::I, b: Self::I) -> Self::I;
    /// The even and the odd elements of the `2·LANES` values `lo` then `hi`.
    unsafe fn deinterleave(lo: Self::F, hi: Self::F) -> (Self::F, Self::F);
    /// `even` and `odd` interleaved (`e0, o0, e1, o1, …`): the first and the second `LANES`.
    unsafe fn interleave(even: Self::F, odd: Self::F) -> (Self::F, Self::F);
    /// The first `n` values at `p` (the other lanes zero).
    unsafe fn load(p: *const f32, n: usize) -> Self::F;
    unsafe fn load_i(p: *const u32, n: usize) -> Self::I;
    /// The first `n` lanes of `v` stored at `p`.
    unsafe fn store(p: *mut f32, n: usize, v: Self::F);
    unsafe fn store_i(p: *mut u32, n: usize, v: Self::I);
}

/// The steps `(j0, n)` over a row of `wo` windows, `n ≤ lanes` from window `j0`: full steps, the
/// last one ending at the row's end (overlapping the one before), or one step of `wo` windows
/// when the row is narrower than a vector.
fn steps(wo: usize, lanes: usize) -> impl Iterator<Item = (usize, usize)> {
    let n = wo.min(lanes);
    (0..wo.div_ceil(lanes)).map(move |k| ((k * lanes).min(wo - n), n))
}

/// The lanes where `v` is taken over `best`: `v > best` or `v` is NaN (as `pool::pick`).
#[inline(always)]
unsafe fn takes<L: Lanes>(v: L::F, best: L::F) -> L::M {
    // SAFETY: the caller's CPU has `L`'s instruction set.
    unsafe { L::or(L::gt(v, best), L::nan(v)) }
}

/// The even and odd elements of the `2n` values at `p` (`n ≤ LANES`), plus `bias` when given.
///
/// # Safety
/// The CPU must have `L`'s instruction set, `p` be valid for reading `2n` values.
#[inline(always)]
unsafe fn split<L: Lanes>(p: *const f32, n: usize, bias: Option<L::F>) -> (L::F, L::F) {
    let lanes = L::LANES;
    // SAFETY: the two loads cover the first `2n` values, which the caller vouches for (a lane
    // past them is not read, so the second pointer may lie past them).
    unsafe {
        let lo = L::load(p, (2 * n).min(lanes));
        let hi = L::load(p.wrapping_add(lanes), (2 * n).saturating_sub(lanes));
        let (e, o) = L::deinterleave(lo, hi);
        match bias {
            Some(b) => (L::add(e, b), L::add(o, b)),
            None => (e, o),
        }
    }
}

/// [`super::pool`]'s 2×2 max pooling of one plane (`width`: its columns and the pooled
/// plane's), of the plane plus `bias` when given; with `cut`, of its ReLU, a window whose maximum
/// is not positive recording the position `cut` (the pooling's "no gradient"): every element of
/// `dst` and `idx` written.
///
/// # Safety
/// The CPU must have `L`'s instruction set (the caller is compiled for it, to inline this).
/// Panics unless `plane` holds `2·rows` rows, `rows = dst.len() / width[1]`, and `idx` is as
/// long as `dst`.
#[inline(always)]
pub(super) unsafe fn max_pool_2x2<L: Lanes>(
    plane: &[f32],
    [wi, wo]: [usize; 2],
    (bias, cut): (Option<f32>, Option<u32>),
    dst: &mut [MaybeUninit<f32>],
    idx: &mut [MaybeUninit<u32>],
) {
    let rows = dst.len() / wo.max(1);
    assert!(plane.len() >= 2 * rows * wi && 2 * wo <= wi && idx.len() == dst.len());
    // SAFETY: the CPU has `L`'s instruction set (the caller's contract); the pointers are
    // checked where they are made.
    unsafe {
        let bias = bias.map(|b| L::splat(b));
        let (zero, one, wide) = (L::splat_i(0), L::splat_i(1), L::splat_i(wi as i32));
        let evens = L::add_i(L::iota(), L::iota());
        for oh in 0..rows {
            let base = 2 * oh * wi;
            for (j0, n) in steps(wo, L::LANES) {
                // The two rows hold `2·wo` values from column 0, `2n` of them from `2·j0`.
                let p = plane.as_ptr().add(base + 2 * j0);
                let ((t0, t1), (b0, b1)) = (split::<L>(p, n, bias), split::<L>(p.add(wi), n, bias));
                let (left, right) = (takes::<L>(t1, t0), takes::<L>(b1, b0));
                let (lv, lp) = (L::select(left, t0, t1), L::select_i(left, zero, one));
                let (rv, rp) = (L::select(right, b0, b1), L::select_i(right, zero, one));
                let down = takes::<L>(rv, lv);
                let mut best = L::select(down, lv, rv);
                let at = L::select_i(down, lp, L::add_i(rp, wide));
                let first = L::splat_i((base + 2 * j0) as i32);
                let mut at = L::add_i(L::add_i(at, first), evens);
                if let Some(cut) = cut {
                    let live = L::gt(best, L::splat(0.0));
                    best = L::select(L::or(live, L::nan(best)), L::splat(0.0), best);
                    at = L::select_i(live, L::splat_i(cut as i32), at);
                }
                // The `n` outputs from `o` lie inside `dst` and `idx` (row `oh < rows`).
                let o = oh * wo + j0;
                L::store(dst.as_mut_ptr().add(o).cast(), n, best);
                L::store_i(idx.as_mut_ptr().add(o).cast(), n, at);
            }
        }
    }
}

/// The gradient of [`max_pool_2x2`] on one plane (`width` as there): each input takes `0 + g`
/// when it is its window's maximum (`argmax`), else 0, as `pool::MaxUnpool2x2`; every element
/// of `dx` written.
///
/// # Safety
/// The CPU must have `L`'s instruction set (the caller is compiled for it, to inline this).
/// Panics unless `dx` holds `2·rows` rows, `rows = gy.len() / width[1]`, and `argmax` is as long
/// as `gy`.
#[inline(always)]
pub(super) unsafe fn max_unpool_2x2<L: Lanes>(
    argmax: &[u32],
    gy: &[f32],
    [wi, wo]: [usize; 2],
    dx: &mut [f32],
) {
    let rows = gy.len() / wo.max(1);
    assert!(dx.len() >= 2 * rows * wi && 2 * wo <= wi && argmax.len() == gy.len());
    let lanes = L::LANES;
    for oh in 0..rows {
        let base = 2 * oh * wi;
        // SAFETY: the CPU has `L`'s instruction set (the caller's contract); the pointers are
        // checked where they are made.
        unsafe {
            let (one, wide, zero) = (L::splat_i(1), L::splat_i(wi as i32), L::splat(0.0));
            let evens = L::add_i(L::iota(), L::iota());
            for (j0, n) in steps(wo, lanes) {
                // The `n` windows from `o` lie inside `argmax` and `gy`.
                let o = oh * wo + j0;
                let a = L::load_i(argmax.as_ptr().add(o), n);
                let g = L::add(zero, L::load(gy.as_ptr().add(o), n));
                let p = L::add_i(L::splat_i((base + 2 * j0) as i32), evens);
                for (row, p) in [(0, p), (wi, L::add_i(p, wide))] {
                    let even = L::select(L::eq_i(a, p), zero, g);
                    let odd = L::select(L::eq_i(a, L::add_i(p, one)), zero, g);
                    let (lo, hi) = L::interleave(even, odd);
                    // The row holds `2·wo` values from column 0, `2n` of them from `2·j0` (a
                    // lane past them is not written, so the second pointer may lie past them).
                    let d = dx.as_mut_ptr().add(base + row + 2 * j0);
                    L::store(d, (2 * n).min(lanes), lo);
                    L::store(d.wrapping_add(lanes), (2 * n).saturating_sub(lanes), hi);
                }
            }
        }
        if wi > 2 * wo {
            dx[base + 2 * wo..base + wi].fill(0.0);
            dx[base + wi + 2 * wo..base + 2 * wi].fill(0.0);
        }
    }
    dx[2 * rows * wi..].fill(0.0);
}

#[cfg(test)]
mod tests {
    use super::steps;

    #[test]
    fn steps_cover_a_row_once_or_overlapping() {
        let list = |wo, lanes| steps(wo, lanes).collect::<Vec<_>>();
        assert_eq!(list(0, 8), []);
        assert_eq!(list(7, 8), [(0, 7)]);
        assert_eq!(list(8, 8), [(0, 8)]);
        assert_eq!(list(14, 8), [(0, 8), (6, 8)]);
        assert_eq!(list(16, 8), [(0, 8), (8, 8)]);
        assert_eq!(list(17, 8), [(0, 8), (8, 8), (9, 8)]);
        assert_eq!(list(14, 16), [(0, 14)]);
    }
}
