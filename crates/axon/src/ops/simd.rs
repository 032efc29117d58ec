//! Runs a hot loop compiled for the widest vector unit the CPU has. The crate is built for the
//! baseline x86-64 (SSE2, four `f32` lanes) so that one binary runs everywhere; a loop the
//! compiler vectorises (the softmax of attention, GELU's `erfc`) runs two to four times faster
//! compiled for AVX2 or AVX-512. A [`Kernel`] is a loop with its data, its `run` marked
//! `#[inline(always)]`; [`dispatch`] checks the CPU once per call and runs it inside a function
//! compiled with the feature, where the loop is inlined and vectorised at that width (the same
//! pattern as the `pulp` crate that `gemm` uses). The arithmetic is the same IEEE operations at
//! every width (Rust never contracts `a·b + c` into a fused multiply-add), so the results are
//! bit-identical whichever path runs.

/// A loop and its data, run by [`dispatch`].
pub trait Kernel {
    /// The loop; implementations mark it `#[inline(always)]` so that it is compiled inside the
    /// feature-enabled caller.
    fn run(self);
}

/// A [`Kernel`] made of a closure, for a loop that is easier to write in place: the closure
/// must be marked `#[inline(always)]` (`Loop(#[inline(always)] || ...)`), and so must any
/// closure it calls, for the loop to be compiled inside the feature-enabled caller.
pub struct Loop<F: FnOnce()>(pub F);

impl<F: FnOnce()> Kernel for Loop<F> {
    #[inline(always)]
    fn run(self) {
        (self.0)()
    }
}

/// Runs `kernel` compiled for AVX-512 or AVX2 when the CPU has them, as plain code otherwise.
#[inline]
pub fn dispatch<K: Kernel>(kernel: K) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { run_avx512(kernel) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { run_avx2(kernel) };
        }
    }
    kernel.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn run_avx512<K: Kernel>(kernel: K) {
    kernel.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<K: Kernel>(kernel: K) {
    kernel.run()
}

/// The largest element of `x` (−∞ for an empty slice), in eight lanes so that the loop
/// vectorises.
#[inline(always)]
pub fn max_of<T: crate::tensor::Float>(x: &[T]) -> T {
    let mut lanes = [T::neg_infinity(); 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = l.max(v);
        }
    }
    let tail = chunks.remainder().iter().fold(T::neg_infinity(), |m, &v| m.max(v));
    lanes.iter().fold(tail, |m, &v| m.max(v))
}

/// The sum of `x` in eight lanes (the order is fixed: deterministic, and vectorised).
#[inline(always)]
pub fn sum_of<T: crate::tensor::Float>(x: &[T]) -> T {
    let mut lanes = [T::zero(); 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += v;
        }
    }
    let tail = chunks.remainder().iter().fold(T::zero(), |s, &v| s + v);
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + e) + (b + f)) + ((c + g) + (d + h)) + tail
}

/// `Σ xᵢ yᵢ` in eight lanes, in the order of [`sum_of`].
#[inline(always)]
pub fn dot_of<T: crate::tensor::Float>(x: &[T], y: &[T]) -> T {
    let mut lanes = [T::zero(); 8];
    let mut chunks = x.chunks_exact(8).zip(y.chunks_exact(8));
    for (a, b) in &mut chunks {
        for ((l, &a), &b) in lanes.iter_mut().zip(a).zip(b) {
            *l += a * b;
        }
    }
    let tail = (x.len().min(y.len()) / 8) * 8;
    let rest = x[tail..].iter().zip(&y[tail..]);
    let tail = rest.fold(T::zero(), |s, (&a, &b)| s + a * b);
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + e) + (b + f)) + ((c + g) + (d + h)) + tail
}

#[cfg(test)]
mod tests {
    use super::{dispatch, max_of, sum_of, Kernel};

    struct Square<'a>(&'a mut [f32]);
    impl Kernel for Square<'_> {
        #[inline(always)]
        fn run(self) {
            self.0.iter_mut().for_each(|x| *x *= *x);
        }
    }

    #[test]
    fn dispatched_loop_and_lane_reductions() {
        let mut x: Vec<f32> = (0..37).map(|i| i as f32 - 18.5).collect();
        dispatch(Square(&mut x));
        assert_eq!(x[0], 18.5 * 18.5);
        assert_eq!(x[36], 17.5 * 17.5);
        assert_eq!(max_of(&x), 18.5 * 18.5);
        let exact: f64 = x.iter().map(|&v| v as f64).sum();
        assert_eq!(sum_of(&x) as f64, exact, "small integers and quarters sum exactly");
        assert_eq!(max_of::<f64>(&[]), f64::NEG_INFINITY);
        assert_eq!(sum_of::<f64>(&[2.0, 3.0]), 5.0);
        assert_eq!(max_of(&[1.0f64, -3.0, 7.0, 2.0, 0.0, 6.0, 5.0, 4.0, 6.5]), 7.0);
    }
}
