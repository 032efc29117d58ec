//! The flat buffer behind a tensor. Views (transpose, narrow, broadcast) share one `Arc<Storage>`
//! and differ only in their [`Layout`](super::Layout). A dropped storage gives its buffer to the
//! [buffer pool](super::buffers).

use super::buffers;
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

impl Storage {
    /// Gives the buffer to the [buffer pool](super::buffers), leaving this storage empty.
    pub(super) fn give_buffer(&mut self) {
        match self {
            Storage::F32(v) => buffers::give(std::mem::take(v)),
            Storage::F64(v) => buffers::give(std::mem::take(v)),
            Storage::I64(v) => buffers::give(std::mem::take(v)),
        }
    }
}

/// The buffer goes back to the [buffer pool](super::buffers) for the next tensor of its size.
impl Drop for Storage {
    fn drop(&mut self) {
        self.give_buffer();
    }
}
