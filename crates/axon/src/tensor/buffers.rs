//! The tensor buffer pool: freed tensor buffers wait here, in exact-size buckets, for the next
//! tensor of the same size, as PyTorch's caching allocator keeps freed blocks. A training step
//! allocates and frees the same large buffers (activations, gradients, products) every time;
//! served by the C allocator, each buffer above its mmap threshold is a fresh `mmap` whose pages
//! the kernel faults in and zeroes on first touch, which costs more than an elementwise op's
//! arithmetic. From the pool, later steps reuse warm pages. The pool belongs to the library, so
//! the host process's allocator settings are left alone.
//!
//! A [`Storage`](super::Storage) gives its buffer back when dropped; kernels take their output
//! buffers from the pool ([`take_empty`], [`take_stale`]). Only buffers of at least
//! [`MIN_BYTES`] are kept (smaller ones are cheap for `malloc`), at most [`PER_SIZE`] of one size
//! and [`MAX_BYTES`] in all; [`empty_buffer_pool`] frees them. A buffer from the pool holds the
//! values of a dead tensor: kernels that do not write every element take a zeroed one.

use std::any::Any;
use std::sync::Mutex;

use rustc_hash::FxHashMap;

use super::dtype::DType;
use super::element::Element;

/// Buffers smaller than this many bytes go straight back to the allocator.
pub const MIN_BYTES: usize = 32 << 10;

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

fn with_pool<R>(f: impl FnOnce(&mut Pool) -> R) -> R {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(Pool::default))
}

fn pooled<T>(len: usize) -> bool {
    len * size_of::<T>() >= MIN_BYTES
}

/// A buffer of `len` elements with unspecified values (those of a dead tensor, or zeros): for
/// kernels that overwrite every element.
pub fn take_stale<T: Element>(len: usize) -> Vec<T> {
    if pooled::<T>(len) {
        if let Some(v) = take::<T>(len) {
            return v;
        }
    }
    vec![T::from_f64(0.0); len]
}

/// An empty buffer with room for exactly `len` elements, to be filled by the caller.
pub fn take_empty<T: Element>(len: usize) -> Vec<T> {
    if pooled::<T>(len) {
        if let Some(mut v) = take::<T>(len) {
            v.clear();
            return v;
        }
    }
    Vec::with_capacity(len)
}

/// A buffer of `len` zeros.
pub fn take_zeroed<T: Element>(len: usize) -> Vec<T> {
    if pooled::<T>(len) {
        if let Some(mut v) = take::<T>(len) {
            v.fill(T::from_f64(0.0));
            return v;
        }
    }
    vec![T::from_f64(0.0); len]
}

fn take<T: Element>(len: usize) -> Option<Vec<T>> {
    with_pool(|pool| {
        let v = pool.buckets::<T>().get_mut(&len)?.pop()?;
        pool.bytes -= len * size_of::<T>();
        Some(v)
    })
}

/// Keeps `v` for reuse when it is large, whole (`len == capacity`) and the pool has room;
/// otherwise frees it.
pub(crate) fn give<T: Element>(v: Vec<T>) {
    let len = v.len();
    if !pooled::<T>(len) || v.capacity() != len {
        return;
    }
    let bytes = len * size_of::<T>();
    let rejected = with_pool(|pool| {
        if pool.bytes + bytes > MAX_BYTES {
            return Some(v);
        }
        let bucket = pool.buckets::<T>().entry(len).or_default();
        if bucket.len() >= PER_SIZE {
            return Some(v);
        }
        bucket.push(v);
        pool.bytes += bytes;
        None
    });
    // Freed outside the lock.
    drop(rejected);
}

/// Frees every buffer the pool holds (after training, to give the memory back).
pub fn empty_buffer_pool() {
    let old = with_pool(std::mem::take);
    drop(old);
}

/// The bytes of free buffers the pool holds.
pub fn pooled_bytes() -> usize {
    with_pool(|pool| pool.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_skip_the_pool() {
        assert!(!pooled::<f32>(MIN_BYTES / 4 - 1));
        assert!(pooled::<f32>(MIN_BYTES / 4));
        assert!(pooled::<f64>(MIN_BYTES / 8));
    }
}
