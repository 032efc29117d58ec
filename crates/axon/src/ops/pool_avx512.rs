//! The 2×2 max pooling (of the ReLU, plus a bias) and its gradient on `f32` planes written with
//! AVX-512 instructions, for the convolution's fused epilogue ([`super::conv`]). Its output rows
//! are 14 and 7 windows wide, shorter than one loop iteration of 16 lanes that the compiler
//! would vectorise, so the generic kernels of [`super::pool`] run them one window at a time;
//! here a row of up to 16 windows is one masked vector step: loads of the two input rows,
//! even/odd lanes split by a permutation, the comparisons of the generic kernel as lane masks
//! (the same order, so the same values and positions, bit for bit), and masked stores.

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// The lanes `0, 2, …, 30`: the even elements of two 16-lane vectors, and each window's offset
/// (`2j`) from the row's first window.
#[target_feature(enable = "avx512f")]
fn evens() -> __m512i {
    _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
}

/// The first `n` bits set (`n ≤ 16`).
fn mask(n: usize) -> __mmask16 {
    ((1u32 << n) - 1) as __mmask16
}

/// The even and odd elements of the `2n` (`n ≤ 16`) values at `p`, plus `bias` when given.
///
/// # Safety
/// `p` must be valid for reading `2n` values.
#[target_feature(enable = "avx512f")]
unsafe fn split(p: *const f32, n: usize, bias: Option<__m512>) -> (__m512, __m512) {
    // SAFETY: the masks cover the first `2n` values, which the caller vouches for (a masked-off
    // lane is not read, so the second pointer may lie past them).
    let (lo, hi) = unsafe {
        (
            _mm512_maskz_loadu_ps(mask((2 * n).min(16)), p),
            _mm512_maskz_loadu_ps(mask((2 * n).saturating_sub(16)), p.wrapping_add(16)),
        )
    };
    let odd = _mm512_add_epi32(evens(), _mm512_set1_epi32(1));
    let (e, o) = (_mm512_permutex2var_ps(lo, evens(), hi), _mm512_permutex2var_ps(lo, odd, hi));
    match bias {
        Some(b) => (_mm512_add_ps(e, b), _mm512_add_ps(o, b)),
        None => (e, o),
    }
}

/// The lanes where `v` is taken over `best`: `v > best` or `v` is NaN (as `pool::pick`).
#[target_feature(enable = "avx512f")]
fn takes(v: __m512, best: __m512) -> __mmask16 {
    _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v)
}

/// [`super::pool`]'s 2×2 max pooling of one plane (`width`: its columns and the pooled
/// plane's), of the plane plus `bias` when given; with `cut`, of its ReLU, a window whose maximum
/// is not positive recording the position `cut` (the pooling's "no gradient"): every element of
/// `dst` and `idx` written.
///
/// # Safety
/// The CPU must have AVX-512F; `plane` must hold `2·rows` rows, `rows = dst.len() / width[1]`,
/// and `idx` be as long as `dst`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn max_pool_2x2(
    plane: &[f32],
    [wi, wo]: [usize; 2],
    (bias, cut): (Option<f32>, Option<u32>),
    dst: &mut [MaybeUninit<f32>],
    idx: &mut [MaybeUninit<u32>],
) {
    let rows = dst.len() / wo.max(1);
    assert!(plane.len() >= 2 * rows * wi && 2 * wo <= wi && idx.len() == dst.len());
    let bias = bias.map(|b| _mm512_set1_ps(b));
    let (one, wide) = (_mm512_set1_epi32(1), _mm512_set1_epi32(wi as i32));
    for oh in 0..rows {
        let base = 2 * oh * wi;
        for j0 in (0..wo).step_by(16) {
            let n = (wo - j0).min(16);
            // SAFETY: the two rows hold `2·wo` values from column 0, `2n` of them from `2·j0`.
            let ((t0, t1), (b0, b1)) = unsafe {
                let p = plane.as_ptr().add(base + 2 * j0);
                (split(p, n, bias), split(p.add(wi), n, bias))
            };
            let (left, right) = (takes(t1, t0), takes(b1, b0));
            let (lv, lp) = (_mm512_mask_blend_ps(left, t0, t1), _mm512_maskz_mov_epi32(left, one));
            let (rv, rp) =
                (_mm512_mask_blend_ps(right, b0, b1), _mm512_maskz_mov_epi32(right, one));
            let down = takes(rv, lv);
            let mut best = _mm512_mask_blend_ps(down, lv, rv);
            let at = _mm512_mask_blend_epi32(down, lp, _mm512_add_epi32(rp, wide));
            let first = _mm512_set1_epi32((base + 2 * j0) as i32);
            let mut at = _mm512_add_epi32(_mm512_add_epi32(at, first), evens());
            if let Some(cut) = cut {
                let live = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(best, _mm512_setzero_ps());
                best = _mm512_maskz_mov_ps(
                    live | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(best, best),
                    best,
                );
                at = _mm512_mask_blend_epi32(live, _mm512_set1_epi32(cut as i32), at);
            }
            let o = oh * wo + j0;
            // SAFETY: the `n` outputs from `o` lie inside `dst` and `idx` (row `oh < rows`).
            unsafe {
                _mm512_mask_storeu_ps(dst.as_mut_ptr().add(o).cast(), mask(n), best);
                _mm512_mask_storeu_epi32(idx.as_mut_ptr().add(o).cast(), mask(n), at);
            }
        }
    }
}

/// The gradient of [`max_pool_2x2`] on one plane (`width` as there): each input takes `0 + g`
/// when it is its window's maximum (`argmax`), else 0, as `pool::MaxUnpool2x2`; every element
/// of `dx` written.
///
/// # Safety
/// The CPU must have AVX-512F; `dx` must hold `2·rows` rows, `rows = gy.len() / width[1]`, and
/// `argmax` be as long as `gy`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn max_unpool_2x2(
    argmax: &[u32],
    gy: &[f32],
    [wi, wo]: [usize; 2],
    dx: &mut [f32],
) {
    let rows = gy.len() / wo.max(1);
    assert!(dx.len() >= 2 * rows * wi && 2 * wo <= wi && argmax.len() == gy.len());
    let (one, wide) = (_mm512_set1_epi32(1), _mm512_set1_epi32(wi as i32));
    // Lanes `0, 16, 1, 17, …`: the first halves of two vectors interleaved, then the second.
    let low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    let high = _mm512_add_epi32(low, _mm512_set1_epi32(8));
    for oh in 0..rows {
        let base = 2 * oh * wi;
        for j0 in (0..wo).step_by(16) {
            let n = (wo - j0).min(16);
            let o = oh * wo + j0;
            // SAFETY: the `n` windows from `o` lie inside `argmax` and `gy`.
            let (a, g) = unsafe {
                let a = _mm512_maskz_loadu_epi32(mask(n), argmax.as_ptr().add(o).cast());
                (
                    a,
                    _mm512_add_ps(
                        _mm512_setzero_ps(),
                        _mm512_maskz_loadu_ps(mask(n), gy.as_ptr().add(o)),
                    ),
                )
            };
            let p = _mm512_add_epi32(_mm512_set1_epi32((base + 2 * j0) as i32), evens());
            let q = _mm512_add_epi32(p, wide);
            for (row, p) in [(0, p), (wi, q)] {
                let even = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a, p), g);
                let odd =
                    _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a, _mm512_add_epi32(p, one)), g);
                // SAFETY: the row holds `2·wo` values from column 0, `2n` of them from `2·j0`
                // (a masked-off lane is not written).
                unsafe {
                    let d = dx.as_mut_ptr().add(base + row + 2 * j0);
                    _mm512_mask_storeu_ps(
                        d,
                        mask((2 * n).min(16)),
                        _mm512_permutex2var_ps(even, low, odd),
                    );
                    _mm512_mask_storeu_ps(
                        d.wrapping_add(16),
                        mask((2 * n).saturating_sub(16)),
                        _mm512_permutex2var_ps(even, high, odd),
                    );
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
