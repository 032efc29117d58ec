//! The flat buffer behind a tensor. Views (transpose, narrow, broadcast) share one `Arc<Storage>`
//! and differ only in their [`Layout`](super::Layout).

use super::dtype::DType;

/// A contiguous buffer of one element type.
#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
}

impl Storage {
    pub fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::F32,
            Storage::F64(_) => DType::F64,
            Storage::I64(_) => DType::I64,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Storage::F32(v) => v.len(),
            Storage::F64(v) => v.len(),
            Storage::I64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Asks the C allocator (glibc) to keep freed memory for reuse instead of giving it back to the
/// operating system. A training step allocates and frees the same large buffers (activations,
/// gradients, im2col matrices) every time; by default glibc serves each one above 128 KiB by a
/// fresh `mmap` whose pages are faulted in and zeroed by the kernel on first touch, which costs
/// more than the arithmetic of an elementwise op. With buffers up to 32 MiB taken from the heap
/// and up to 512 MiB of free heap kept, later steps reuse warm pages. Called by the first
/// backward pass; idempotent; a no-op on other platforms.
pub fn keep_freed_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: `mallopt` only sets allocator parameters and is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
            libc::mallopt(libc::M_TOP_PAD, 16 << 20);
        }
    });
}
