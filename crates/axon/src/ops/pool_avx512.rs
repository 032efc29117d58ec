//! The [`Lanes`] of AVX-512 (16 `f32` lanes, mask registers) and the 2×2 pooling kernels of
//! [`super::pool_simd`] compiled for it. A row of the CNN's pooled planes (14 or 7 windows) is
//! one masked step, as cheap as an unmasked one here.

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

use super::pool_simd::{self, Lanes};

/// AVX-512F's vectors (see [`Lanes`]).
pub(super) struct Avx512;

/// The first `n` bits set (`n ≤ 16`).
fn mask(n: usize) -> __mmask16 {
    ((1u32 << n) - 1) as __mmask16
}

impl Lanes for Avx512 {
    const LANES: usize = 16;
    type F = __m512;
    type I = __m512i;
    type M = __mmask16;

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn splat(v: f32) -> __m512 {
        _mm512_set1_ps(v)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn splat_i(v: i32) -> __m512i {
        _mm512_set1_epi32(v)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn iota() -> __m512i {
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        _mm512_add_ps(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn add_i(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi32(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn gt(a: __m512, b: __m512) -> __mmask16 {
        _mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn nan(a: __m512) -> __mmask16 {
        _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn eq_i(a: __m512i, b: __m512i) -> __mmask16 {
        _mm512_cmpeq_epi32_mask(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn or(a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn select(m: __mmask16, a: __m512, b: __m512) -> __m512 {
        _mm512_mask_blend_ps(m, a, b)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn select_i(m: __mmask16, a: __m512i, b: __m512i) -> __m512i {
        _mm512_mask_blend_epi32(m, a, b)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn deinterleave(lo: __m512, hi: __m512) -> (__m512, __m512) {
        let evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odds = _mm512_add_epi32(evens, _mm512_set1_epi32(1));
        (_mm512_permutex2var_ps(lo, evens, hi), _mm512_permutex2var_ps(lo, odds, hi))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn interleave(even: __m512, odd: __m512) -> (__m512, __m512) {
        // Lanes `0, 16, 1, 17, …`: the first halves of the two interleaved, then the second.
        let low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        let high = _mm512_add_epi32(low, _mm512_set1_epi32(8));
        (_mm512_permutex2var_ps(even, low, odd), _mm512_permutex2var_ps(even, high, odd))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load(p: *const f32, n: usize) -> __m512 {
        // SAFETY: the caller vouches for the `n` values; the masked-off lanes are not read.
        unsafe { _mm512_maskz_loadu_ps(mask(n), p) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load_i(p: *const u32, n: usize) -> __m512i {
        // SAFETY: as in `load`.
        unsafe { _mm512_maskz_loadu_epi32(mask(n), p.cast()) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store(p: *mut f32, n: usize, v: __m512) {
        // SAFETY: the caller vouches for the `n` values; the masked-off lanes are not written.
        unsafe { _mm512_mask_storeu_ps(p, mask(n), v) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store_i(p: *mut u32, n: usize, v: __m512i) {
        // SAFETY: as in `store`.
        unsafe { _mm512_mask_storeu_epi32(p.cast(), mask(n), v) }
    }
}

/// [`pool_simd::max_pool_2x2`] with AVX-512.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn max_pool_2x2(
    plane: &[f32],
    width: [usize; 2],
    (bias, cut): (Option<f32>, Option<u32>),
    dst: &mut [MaybeUninit<f32>],
    idx: &mut [MaybeUninit<u32>],
) {
    // SAFETY: the CPU has AVX-512F (the caller's contract).
    unsafe { pool_simd::max_pool_2x2::<Avx512>(plane, width, (bias, cut), dst, idx) }
}

/// [`pool_simd::max_unpool_2x2`] with AVX-512.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn max_unpool_2x2(argmax: &[u32], gy: &[f32], width: [usize; 2], dx: &mut [f32]) {
    // SAFETY: the CPU has AVX-512F (the caller's contract).
    unsafe { pool_simd::max_unpool_2x2::<Avx512>(argmax, gy, width, dx) }
}
