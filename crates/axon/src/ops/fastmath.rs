//! Vectorisable `e^x`, `tanh x` and `erfc x` for `f32`. The standard library's `expf` is a scalar
//! call, so a loop over it cannot use SIMD; this version is straight-line arithmetic (Cody–Waite range reduction and
//! the Cephes degree-6 polynomial) that the compiler turns into SIMD code, within 2 ulp of the
//! exact value over the whole range, with IEEE behaviour at the ends: overflow gives `+∞`, deep
//! underflow gives 0, NaN stays NaN. `f64` keeps the standard library's `exp`: statistics need
//! its last bits more than speed.

/// `e^x` for `f32`, vectorisable.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Beyond these bounds the result is +∞ or 0 anyway; clamping keeps `n` in range (and
    // `clamp` keeps NaN).
    let x = x.clamp(-104.0, 89.0);
    // n = round(x / ln 2), by the 1.5·2²³ trick (no libm call, so the loop vectorises).
    const ROUND: f32 = 12_582_912.0;
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e_r = p * r * r + r + 1.0;
    // 2^n as two factors, so that results down to the subnormals and up to overflow come out
    // right without an exponent field out of range. Both are built in float arithmetic: adding
    // 1.5·2²³ + 127 puts k + 127 in the low mantissa bits, and the shift moves it to the
    // exponent field (a float-to-int cast would stop the loop from vectorising).
    let half = (n * 0.5 + ROUND) - ROUND;
    let pow2 = |k: f32| f32::from_bits((k + (ROUND + 127.0)).to_bits() << 23);
    e_r * pow2(half) * pow2(n - half)
}

/// `tanh x` for `f32`, vectorisable: Cephes' odd polynomial below |x| = 0.625 (where
/// `1 − 2/(e^{2x} + 1)` would lose digits to cancellation), that formula above it; both are
/// computed and one is selected, so the loop has no branch. Saturates to ±1, keeps NaN.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let p = -5.704_988_7e-3;
    let p = p * z + 2.063_909e-2;
    let p = p * z - 5.373_971_6e-2;
    let p = p * z + 1.333_144_2e-1;
    let p = p * z - 3.333_328e-1;
    let small = (p * z * x + x).copysign(x);
    let large = (1.0 - 2.0 / (exp_f32(2.0 * a) + 1.0)).copysign(x);
    if a < 0.625 {
        small
    } else {
        large
    }
}

/// `erfc x` for `f32`, vectorisable: the Chebyshev fit of Numerical Recipes' `erfcc`,
/// `erfc |x| = t·exp(−x² + P(t))` with `t = 1/(1 + |x|/2)` (relative error below 1.2e-7 in exact
/// arithmetic, for every `x`, so the tails keep their digits; the exponential split as Cephes'
/// `erfcf` does), and `erfc x = 2 − erfc |x|` for negative `x`. GELU's normal CDF is `erfc(−x/√2)/2`; `libm`'s `erfcf` is a branchy scalar
/// call that took a fifth of a BERT forward pass.
#[inline(always)]
pub fn erfc_f32(x: f32) -> f32 {
    // erfc(10.5) ≈ 6e-50 is 0 in f32; the bound keeps ∞ out of the arithmetic.
    let z = x.abs().min(10.5);
    let t = 1.0 / (1.0 + 0.5 * z);
    let p = 0.170_872_77;
    let p = p * t - 0.822_152_23;
    let p = p * t + 1.488_515_9;
    let p = p * t - 1.135_204;
    let p = p * t + 0.278_868_07;
    let p = p * t - 0.186_288_06;
    let p = p * t + 0.096_784_18;
    let p = p * t + 0.374_091_96;
    let p = p * t + 1.000_023_7;
    let p = p * t - 1.265_512_2;
    // −z² = −h² − (z − h)(z + h) with h = z cut to 12 significant bits, so h² is exact: the
    // large part goes to `exp` exactly and the rounding stays in the small one.
    let h = f32::from_bits(z.to_bits() & 0xffff_f000);
    let r = t * exp_f32(-h * h) * exp_f32(p - (z - h) * (z + h));
    if x >= 0.0 {
        r
    } else if x < 0.0 {
        2.0 - r
    } else {
        x // NaN
    }
}

#[cfg(test)]
mod tests {
    use super::{erfc_f32, exp_f32, tanh_f32};

    #[test]
    fn erfc_within_a_few_millionths_relative_everywhere() {
        let mut x = -9.0f32;
        let mut worst: f64 = 0.0;
        while x < 9.0 {
            let exact = libm::erfc(x as f64);
            worst = worst.max(((erfc_f32(x) as f64 - exact) / exact).abs());
            x += 0.000_71;
        }
        assert!(worst < 1e-6, "worst relative error {worst:e}");
        assert_eq!(erfc_f32(f32::INFINITY), 0.0);
        assert_eq!(erfc_f32(f32::NEG_INFINITY), 2.0);
        assert!(erfc_f32(f32::NAN).is_nan());
        assert!((erfc_f32(0.0) - 1.0).abs() < 1e-7);
    }

    #[test]
    fn tanh_within_a_few_ulp_everywhere() {
        let mut x = -20.0f32;
        let mut worst = 0;
        while x < 20.0 {
            let exact = (x as f64).tanh() as f32;
            worst = worst.max(ulps(tanh_f32(x), exact));
            x += 0.000_73;
        }
        assert!(worst <= 4, "worst error {worst} ulp");
        for tiny in [1e-30f32, -1e-8, 1e-4] {
            assert_eq!(tanh_f32(tiny), tiny.tanh());
        }
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32(-1e30), -1.0);
        assert!(tanh_f32(f32::NAN).is_nan());
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn within_two_ulp_everywhere() {
        let mut x = -103.0f32;
        let mut worst = 0;
        while x < 88.7 {
            let exact = (x as f64).exp() as f32;
            worst = worst.max(ulps(exp_f32(x), exact));
            x += 0.001_3;
        }
        assert!(worst <= 2, "worst error {worst} ulp");
    }

    #[test]
    fn ieee_ends() {
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(100.0), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(-200.0), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f32(-100.0) > 0.0, "subnormal results survive");
    }
}
