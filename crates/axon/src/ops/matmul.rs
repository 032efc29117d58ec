//! Matrix products through the `gemm` crate. `gemm` takes a row and a column stride for every
//! operand, so transposed views and broadcast batches go in as they are, without a copy.

use gemm::Parallelism;

use crate::tensor::{Float, Layout};

/// `(batch, m, k) × (batch, k, n) → (batch, m, n)`, contiguous. The batch axis of either operand
/// may be broadcast (stride 0); the caller has checked the shapes.
pub fn matmul<T: Float>(a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Vec<T> {
    let (batch, m, k) = (la.dims()[0], la.dims()[1], la.dims()[2]);
    let n = lb.dims()[2];
    let mut out = vec![T::zero(); batch * m * n];
    if m == 0 || n == 0 || k == 0 {
        return out;
    }
    let (sa, sb) = (la.strides(), lb.strides());
    for i in 0..batch {
        let dst = &mut out[i * m * n..(i + 1) * m * n];
        let lhs = &a[la.offset() + i * sa[0]..];
        let rhs = &b[lb.offset() + i * sb[0]..];
        debug_assert!((m - 1) * sa[1] + (k - 1) * sa[2] < lhs.len());
        debug_assert!((k - 1) * sb[1] + (n - 1) * sb[2] < rhs.len());
        // SAFETY: the layouts were built from these buffers, so every element `gemm` reads
        // (row < m, col < k for lhs; row < k, col < n for rhs) lies inside `lhs` and `rhs`, and
        // `dst` holds exactly m × n elements with row stride n.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr(),
                1,
                n as isize,
                false,
                lhs.as_ptr(),
                sa[2] as isize,
                sa[1] as isize,
                rhs.as_ptr(),
                sb[2] as isize,
                sb[1] as isize,
                T::zero(),
                T::one(),
                false,
                false,
                false,
                Parallelism::Rayon(0),
            );
        }
    }
    out
}
