//! Matrix products through the `gemm` crate. `gemm` takes a row and a column stride for every
//! operand, so transposed views and broadcast batches go in as they are, without a copy.
//!
//! Threads: `gemm`'s own rayon parallelism splits poorly at the shapes of a mini-batch step (64
//! rows, a few hundred columns: it is slower than one thread there), so a large product is split
//! here instead, into one block per thread, each a single-threaded `gemm`. `gemm` packs the
//! right operand of a row-major product (a copy per block, the profile's `pack_lhs`) and reads
//! the left one in place, so column blocks each pack their share of the right operand but all
//! read the whole left one, while row blocks each pack all of the right one. A copy costs more
//! than a read, so the blocks split the columns unless there are more than twice as many rows
//! (the MLP's 128 × 256 · 256 × 128 product took a third longer split by rows than by columns
//! on the same two threads; a large evaluation batch still splits its rows).

use gemm::Parallelism;
use rayon::prelude::*;

use super::dispatch::Map;
use crate::tensor::{buffers, Float, Layout, Storage};

/// Below this many multiply-adds a product runs on one thread.
const PARALLEL_MACS: usize = 1 << 21;

/// Rows or columns per block, at least.
const MIN_BLOCK: usize = 16;

/// `(batch, m, k) × (batch, k, n) → (batch, m, n)`, contiguous. The batch axis of either operand
/// may be broadcast (stride 0); the caller has checked the shapes.
pub fn matmul<T: Float>(a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Vec<T> {
    let (batch, m, k) = (la.dims()[0], la.dims()[1], la.dims()[2]);
    let n = lb.dims()[2];
    if m == 0 || n == 0 || k == 0 {
        return vec![T::zero(); batch * m * n];
    }
    // `gemm` writes every element without reading the old values (`read_dst` is false).
    let mut out = buffers::take_stale(batch * m * n);
    let (sa, sb) = (la.strides(), lb.strides());
    for i in 0..batch {
        let dst = &mut out[i * m * n..(i + 1) * m * n];
        let lhs = Operand { data: &a[la.offset() + i * sa[0]..], rs: sa[1], cs: sa[2] };
        let rhs = Operand { data: &b[lb.offset() + i * sb[0]..], rs: sb[1], cs: sb[2] };
        product(dst, lhs, rhs, [m, n, k]);
    }
    out
}

/// The kernel of [`matmul`], of the operands `[a, b]`.
pub struct MatMul;

impl Map<2> for MatMul {
    type Output = Storage;
    fn name(&self) -> &'static str {
        "matmul"
    }
    fn f<T: Float>(&self, [(a, la), (b, lb)]: [(&[T], &Layout); 2]) -> Storage {
        T::into_storage(matmul(a, la, b, lb))
    }
}

/// A matrix read through a row and a column stride from the start of `data`.
#[derive(Clone, Copy)]
struct Operand<'a, T> {
    data: &'a [T],
    rs: usize,
    cs: usize,
}

impl<T> Operand<'_, T> {
    /// The same matrix from row `r`, column `c` on.
    fn at(self, r: usize, c: usize) -> Self {
        Operand { data: &self.data[r * self.rs + c * self.cs..], ..self }
    }
}

/// `dst (m × n, row-major) = lhs (m × k) · rhs (k × n)`, split across threads when large.
fn product<T: Float>(dst: &mut [T], lhs: Operand<T>, rhs: Operand<T>, [m, n, k]: [usize; 3]) {
    let threads = rayon::current_num_threads();
    let [by_rows, by_cols] = [m, n].map(|len| threads.min(len / MIN_BLOCK).max(1));
    let parts = by_rows.max(by_cols);
    if parts == 1 || m * n * k < PARALLEL_MACS {
        // SAFETY: `dst` holds m × n elements with row stride n.
        unsafe { gemm_block(dst.as_mut_ptr(), n, lhs, rhs, [m, n, k]) };
        return;
    }
    if by_rows > by_cols || (by_rows == by_cols && m > 2 * n) {
        let block = m.div_ceil(parts);
        dst.par_chunks_mut(block * n).enumerate().for_each(|(p, d)| {
            let rows = d.len() / n;
            // SAFETY: `d` holds `rows` full rows of `dst`.
            unsafe { gemm_block(d.as_mut_ptr(), n, lhs.at(p * block, 0), rhs, [rows, n, k]) };
        });
    } else {
        let block = n.div_ceil(parts);
        let base = SendPtr(dst.as_mut_ptr());
        (0..n.div_ceil(block)).into_par_iter().for_each(|p| {
            let (c0, c1) = (p * block, ((p + 1) * block).min(n));
            let ptr = base;
            // SAFETY: block `p` writes only columns c0..c1 of `dst`'s m rows (row stride n):
            // the blocks are disjoint and inside `dst`, which outlives the parallel loop.
            unsafe { gemm_block(ptr.0.add(c0), n, lhs, rhs.at(0, c0), [m, c1 - c0, k]) };
        });
    }
}

/// A pointer to the output, shared by blocks that write disjoint parts of it.
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: the blocks that share it write disjoint elements (see `product`).
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// One single-threaded `gemm` writing `m × n` elements at `dst` with row stride `dst_rs`.
///
/// # Safety
/// `dst` must be valid for writes at `r · dst_rs + c` for every `r < m`, `c < n`, and no other
/// thread may access those elements meanwhile.
unsafe fn gemm_block<T: Float>(
    dst: *mut T,
    dst_rs: usize,
    lhs: Operand<T>,
    rhs: Operand<T>,
    [m, n, k]: [usize; 3],
) {
    debug_assert!((m - 1) * lhs.rs + (k - 1) * lhs.cs < lhs.data.len());
    debug_assert!((k - 1) * rhs.rs + (n - 1) * rhs.cs < rhs.data.len());
    // SAFETY: the layouts were built from these buffers, so every element `gemm` reads (row < m,
    // col < k for lhs; row < k, col < n for rhs) lies inside the operands' slices; the caller
    // vouches for `dst`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            false,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            T::zero(),
            T::one(),
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `dst (m × n) = read · dst + lhs (m × k) · rhs (k × n)`; strides are (row, column) in elements.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_into<T: Float>(
    dst: &mut [T],
    read: bool,
    lhs: (&[T], [usize; 2]),
    rhs: (&[T], [usize; 2]),
    [m, n, k]: [usize; 3],
    par: Parallelism,
) {
    assert!(dst.len() >= m * n);
    // SAFETY: `dst` holds at least m × n elements with row stride n, and it is borrowed
    // mutably, so nothing else touches them.
    unsafe { gemm_strided(dst.as_mut_ptr(), [n, 1], read, lhs, rhs, [m, n, k], par) }
}

/// As [`gemm_into`], with `dst` written through its own `[row, column]` strides `ds` (a plane of
/// a larger buffer that other threads write elsewhere).
///
/// # Safety
/// `dst` must be valid for reads and writes at every `i · ds[0] + j · ds[1]` (`i < m`,
/// `j < n`), and no other thread may touch those elements meanwhile.
pub(crate) unsafe fn gemm_strided<T: Float>(
    dst: *mut T,
    ds: [usize; 2],
    read: bool,
    (a, [ars, acs]): (&[T], [usize; 2]),
    (b, [brs, bcs]): (&[T], [usize; 2]),
    [m, n, k]: [usize; 3],
    par: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !read {
            for i in 0..m {
                for j in 0..n {
                    *dst.add(i * ds[0] + j * ds[1]) = T::zero();
                }
            }
        }
        return;
    }
    assert!((m - 1) * ars + (k - 1) * acs < a.len());
    assert!((k - 1) * brs + (n - 1) * bcs < b.len());
    // SAFETY: the asserts keep every element gemm reads inside `a` and `b`; the caller vouches
    // for `dst`.
    gemm::gemm(
        m,
        n,
        k,
        dst,
        ds[1] as isize,
        ds[0] as isize,
        read,
        a.as_ptr(),
        acs as isize,
        ars as isize,
        b.as_ptr(),
        bcs as isize,
        brs as isize,
        T::one(),
        T::one(),
        false,
        false,
        false,
        par,
    );
}
