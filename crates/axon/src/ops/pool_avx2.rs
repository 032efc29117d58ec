//! The [`Lanes`] of AVX2 (8 `f32` lanes, masks as vectors) and the 2×2 pooling kernels of
//! [`super::pool_simd`] compiled for it, for CPUs without AVX-512 (AMD's Zen 3, say). A row of
//! 14 windows is two full steps, one of 7 a masked step: `vmaskmov` loads and stores only where
//! a vector would pass the row's end (its stores are microcoded on Zen 1–3).

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

use super::pool_simd::{self, Lanes};

/// AVX2's vectors (see [`Lanes`]).
pub(super) struct Avx2;

/// The first `n` lanes set (`n ≤ 8`), as `vmaskmov` reads a mask.
#[inline]
#[target_feature(enable = "avx2")]
fn mask(n: usize) -> __m256i {
    _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
}

impl Lanes for Avx2 {
    const LANES: usize = 8;
    type F = __m256;
    type I = __m256i;
    type M = __m256;

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn splat(v: f32) -> __m256 {
        _mm256_set1_ps(v)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn splat_i(v: i32) -> __m256i {
        _mm256_set1_epi32(v)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn iota() -> __m256i {
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn add_i(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi32(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn gt(a: __m256, b: __m256) -> __m256 {
        _mm256_cmp_ps::<_CMP_GT_OQ>(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn nan(a: __m256) -> __m256 {
        _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn eq_i(a: __m256i, b: __m256i) -> __m256 {
        _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn or(a: __m256, b: __m256) -> __m256 {
        _mm256_or_ps(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn select(m: __m256, a: __m256, b: __m256) -> __m256 {
        _mm256_blendv_ps(a, b, m)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn select_i(m: __m256, a: __m256i, b: __m256i) -> __m256i {
        let (a, b) = (_mm256_castsi256_ps(a), _mm256_castsi256_ps(b));
        _mm256_castps_si256(_mm256_blendv_ps(a, b, m))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn deinterleave(lo: __m256, hi: __m256) -> (__m256, __m256) {
        // Per 128-bit half, `lo`'s even (odd) pair then `hi`'s: the 64-bit quarters 0, 2, 1, 3
        // put `lo`'s before `hi`'s.
        let order = |v: __m256| {
            _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(v)))
        };
        (
            order(_mm256_shuffle_ps::<0b10_00_10_00>(lo, hi)),
            order(_mm256_shuffle_ps::<0b11_01_11_01>(lo, hi)),
        )
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn interleave(even: __m256, odd: __m256) -> (__m256, __m256) {
        // Per 128-bit half, pairs 0–1 (`lo`) and 2–3 (`hi`); then the low halves, the high.
        let (lo, hi) = (_mm256_unpacklo_ps(even, odd), _mm256_unpackhi_ps(even, odd));
        (_mm256_permute2f128_ps::<0x20>(lo, hi), _mm256_permute2f128_ps::<0x31>(lo, hi))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load(p: *const f32, n: usize) -> __m256 {
        // SAFETY: the caller vouches for the `n` values; a masked-off lane is not read.
        unsafe {
            match n {
                8 => _mm256_loadu_ps(p),
                _ => _mm256_maskload_ps(p, mask(n)),
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load_i(p: *const u32, n: usize) -> __m256i {
        // SAFETY: as in `load`.
        unsafe {
            match n {
                8 => _mm256_loadu_si256(p.cast()),
                _ => _mm256_maskload_epi32(p.cast(), mask(n)),
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store(p: *mut f32, n: usize, v: __m256) {
        // SAFETY: the caller vouches for the `n` values; a masked-off lane is not written.
        unsafe {
            match n {
                8 => _mm256_storeu_ps(p, v),
                0 => {}
                _ => _mm256_maskstore_ps(p, mask(n), v),
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store_i(p: *mut u32, n: usize, v: __m256i) {
        // SAFETY: as in `store`.
        unsafe {
            match n {
                8 => _mm256_storeu_si256(p.cast(), v),
                0 => {}
                _ => _mm256_maskstore_epi32(p.cast(), mask(n), v),
            }
        }
    }
}

/// [`pool_simd::max_pool_2x2`] with AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn max_pool_2x2(
    plane: &[f32],
    width: [usize; 2],
    (bias, cut): (Option<f32>, Option<u32>),
    dst: &mut [MaybeUninit<f32>],
    idx: &mut [MaybeUninit<u32>],
) {
    // SAFETY: the CPU has AVX2 (the caller's contract).
    unsafe { pool_simd::max_pool_2x2::<Avx2>(plane, width, (bias, cut), dst, idx) }
}

/// [`pool_simd::max_unpool_2x2`] with AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn max_unpool_2x2(argmax: &[u32], gy: &[f32], width: [usize; 2], dx: &mut [f32]) {
    // SAFETY: the CPU has AVX2 (the caller's contract).
    unsafe { pool_simd::max_unpool_2x2::<Avx2>(argmax, gy, width, dx) }
}
