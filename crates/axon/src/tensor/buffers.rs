//! The tensor buffer pool: freed tensor buffers wait here, in exact-size buckets, for the next
//! tensor of the same size, as PyTorch's caching allocator keeps freed blocks. A training step
//! allocates and frees the same buffers (activations, gradients, products) every time; served by
//! the C allocator, each large buffer above its mmap threshold is a fresh `mmap` whose pages the
//! kernel faults in and zeroes on first touch, which costs more than an elementwise op's
//! arithmetic, and the many small buffers of a small network's step go through `malloc`'s slow
//! path (its per-size caches hold too few of them), a large share of that step (issue 15). From
//! the pool, later steps reuse warm buffers. The pool belongs to the library, so the host
//! process's allocator settings are left alone.
//!
//! A [`Storage`](super::Storage) gives its buffer back when dropped; kernels take their output
//! buffers from the pool ([`take_empty`], [`take_stale`], [`take_zeroed`]). Buffers of at least
//! [`MIN_BYTES`] go to one shared pool (behind a lock), at most [`PER_SIZE`] of one size and
//! [`MAX_BYTES`] in all; smaller ones go to a cache of the thread that drops them (no lock), at
//! most [`SMALL_PER_SIZE`] of one size and [`SMALL_MAX_BYTES`] per thread. [`empty_buffer_pool`]
//! frees the shared pool and the calling thread's cache. A buffer from the pool holds the values
//! of a dead tensor: kernels that do not write every element take a zeroed one.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use super::dtype::DType;
use super::element::Element;

/// Buffers of at least this many bytes go to the shared pool, smaller ones to the thread's cache.
pub const MIN_BYTES: usize = 32 << 10;

/// At most this many free small buffers of one size and element type are kept per thread: a tiny
/// network's step frees about a dozen buffers of its most common size at once.
pub const SMALL_PER_SIZE: usize = 32;

/// At most this many bytes of free small buffers are kept per thread.
pub const SMALL_MAX_BYTES: usize = 4 << 20;

/// At most this many free buffers of one size and element type are kept.
pub const PER_SIZE: usize = 8;

/// At most this many bytes of free buffers are kept in all.
pub const MAX_BYTES: usize = 256 << 20;

/// Free buffers of one element type, by length.
type Buckets<T> = FxHashMap<usize, Vec<Vec<T>>>;

/// The free buffers of every element type and their total size.
#[derive(Default)]
struct Pool {
    f32: Buckets<f32>,
    f64: Buckets<f64>,
    i64: Buckets<i64>,
    bytes: usize,
}

impl Pool {
    /// The buckets of element type `T`.
    fn buckets<T: Element>(&mut self) -> &mut Buckets<T> {
        let any: &mut dyn Any = match T::DTYPE {
            DType::F32 => &mut self.f32,
            DType::F64 => &mut self.f64,
            DType::I64 => &mut self.i64,
        };
        any.downcast_mut().expect("an element type's DTYPE names its own buckets")
    }
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

thread_local! {
    static SMALL: RefCell<Pool> = RefCell::new(Pool::default());
}

fn with_pool<R>(f: impl FnOnce(&mut Pool) -> R) -> R {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(Pool::default))
}

/// `f` on the pool that serves buffers of `len` elements of `T`, with that pool's limits
/// (bytes in all, buffers per size); `None` while the thread's cache is being torn down.
fn with_pool_for<T, R>(len: usize, f: impl FnOnce(&mut Pool, usize, usize) -> R) -> Option<R> {
    if len * size_of::<T>() >= MIN_BYTES {
        return Some(with_pool(|pool| f(pool, MAX_BYTES, PER_SIZE)));
    }
    SMALL
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            Some(f(&mut cache, SMALL_MAX_BYTES, SMALL_PER_SIZE))
        })
        .ok()
        .flatten()
}

/// A buffer of `len` elements with unspecified values (those of a dead tensor, or zeros): for
/// kernels that overwrite every element.
pub fn take_stale<T: Element>(len: usize) -> Vec<T> {
    if let Some(v) = take::<T>(len) {
        return v;
    }
    vec![T::from_f64(0.0); len]
}

/// An empty buffer with room for exactly `len` elements, to be filled by the caller.
pub fn take_empty<T: Element>(len: usize) -> Vec<T> {
    if let Some(mut v) = take::<T>(len) {
        v.clear();
        return v;
    }
    Vec::with_capacity(len)
}

/// A buffer of `len` zeros.
pub fn take_zeroed<T: Element>(len: usize) -> Vec<T> {
    if let Some(mut v) = take::<T>(len) {
        v.fill(T::from_f64(0.0));
        return v;
    }
    vec![T::from_f64(0.0); len]
}

fn take<T: Element>(len: usize) -> Option<Vec<T>> {
    if len == 0 {
        return None;
    }
    with_pool_for::<T, _>(len, |pool, _, _| {
        let v = pool.buckets::<T>().get_mut(&len)?.pop()?;
        pool.bytes -= len * size_of::<T>();
        Some(v)
    })
    .flatten()
}

/// Keeps `v` for reuse when it is whole (`len == capacity`, not empty) and its pool has room;
/// otherwise frees it.
pub(crate) fn give<T: Element>(v: Vec<T>) {
    let len = v.len();
    if len == 0 || v.capacity() != len {
        return;
    }
    let bytes = len * size_of::<T>();
    let mut v = Some(v);
    with_pool_for::<T, _>(len, |pool, max_bytes, per_size| {
        if pool.bytes + bytes > max_bytes {
            return;
        }
        let bucket = pool.buckets::<T>().entry(len).or_default();
        if bucket.len() < per_size {
            bucket.extend(v.take());
            pool.bytes += bytes;
        }
    });
    // A rejected buffer is freed here, outside the lock.
    drop(v);
}

/// Frees every buffer the shared pool and this thread's cache hold (after training, to give the
/// memory back).
pub fn empty_buffer_pool() {
    let old = with_pool(std::mem::take);
    drop(old);
    let small = SMALL.try_with(|cache| cache.try_borrow_mut().map(|mut c| std::mem::take(&mut *c)));
    drop(small);
}

/// The bytes of free buffers the shared pool holds (large buffers; a thread's cache of small ones
/// is not counted).
pub fn pooled_bytes() -> usize {
    with_pool(|pool| pool.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_buffer_is_kept_by_its_thread() {
        empty_buffer_pool();
        let v = vec![1.0f32; 10];
        let at = v.as_ptr();
        give(v);
        // Another thread's cache does not hold it.
        std::thread::spawn(|| assert!(take::<f32>(10).is_none())).join().unwrap();
        let again = take_stale::<f32>(10);
        assert_eq!(again.as_ptr(), at, "the freed small buffer was not reused");
        give(again);
        let zeroed = take_zeroed::<f32>(10);
        assert_eq!(zeroed.as_ptr(), at);
        assert_eq!(zeroed, vec![0.0; 10], "a reused buffer kept its old values");
    }
}
