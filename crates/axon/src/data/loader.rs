//! Mini-batches from an in-memory dataset: features `(n, …)` and labels `(n, …)` (any dtype,
//! typically `f32` features and `i64` class indices), split into batches of `batch_size` rows.
//!
//! Each [`DataLoader::epoch`] visits every sample once, in order or, with [`DataLoader::shuffle`],
//! in a fresh permutation drawn from the loader's seeded [`Rng`] (so epoch `k` of a run is the same
//! for the same seed). The last, smaller batch is kept unless [`DataLoader::drop_last`] is set.
//! A batch is gathered by copying whole rows (one `memcpy` per sample) into one contiguous
//! buffer from the [buffer pool](crate::tensor::buffers) (the previous batch's, once dropped); in
//! order, a batch is a zero-copy view of consecutive rows.

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{buffers, Element, Shape, Storage, Tensor};

/// Batches of `(x, y)` over a dataset held in memory.
pub struct DataLoader {
    x: Tensor,
    y: Tensor,
    batch_size: usize,
    rng: Option<Rng>,
    drop_last: bool,
}

impl DataLoader {
    /// A loader over `x` `(n, …)` and `y` `(n, …)` in batches of `batch_size`, in order, keeping
    /// the last partial batch.
    pub fn new(x: Tensor, y: Tensor, batch_size: usize) -> Result<DataLoader> {
        if x.rank() == 0 || y.rank() == 0 || x.dims()[0] != y.dims()[0] {
            return Err(Error::ShapeMismatch {
                op: "DataLoader",
                lhs: x.shape().clone(),
                rhs: y.shape().clone(),
            });
        }
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", batch_size, "must be at least 1"));
        }
        let (x, y) = (x.detach().contiguous(), y.detach().contiguous());
        Ok(DataLoader { x, y, batch_size, rng: None, drop_last: false })
    }

    /// Shuffles the samples at the start of every epoch with `rng`.
    pub fn shuffle(mut self, rng: Rng) -> DataLoader {
        self.rng = Some(rng);
        self
    }

    /// Drops the last batch of an epoch when it is smaller than `batch_size`.
    pub fn drop_last(mut self, drop: bool) -> DataLoader {
        self.drop_last = drop;
        self
    }

    /// The shuffling generator (its state after the epochs drawn so far), if the loader shuffles.
    pub fn rng(&self) -> Option<&Rng> {
        self.rng.as_ref()
    }

    /// Replaces the shuffling generator (to resume a run from a checkpoint).
    pub fn set_rng(&mut self, rng: Rng) {
        self.rng = Some(rng);
    }

    /// The number of samples.
    pub fn n_samples(&self) -> usize {
        self.x.dims()[0]
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The number of batches in one epoch.
    pub fn len(&self) -> usize {
        let n = self.n_samples();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batches of one epoch, in a new order if the loader shuffles.
    pub fn epoch(&mut self) -> Batches<'_> {
        let n = self.n_samples();
        let order = self.rng.as_mut().map(|rng| {
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            order
        });
        Batches { loader: self, order, batch: 0 }
    }
}

impl DataLoader {
    fn rows(&self, rows: &[usize]) -> Result<(Tensor, Tensor)> {
        Ok((gather_rows(&self.x, rows)?, gather_rows(&self.y, rows)?))
    }

    fn range(&self, start: usize, end: usize) -> Result<(Tensor, Tensor)> {
        Ok((self.x.narrow(0, start, end - start)?, self.y.narrow(0, start, end - start)?))
    }
}

/// The batches of one epoch: each item is `(x_batch, y_batch)`.
pub struct Batches<'a> {
    loader: &'a DataLoader,
    order: Option<Vec<usize>>,
    batch: usize,
}

impl Iterator for Batches<'_> {
    type Item = Result<(Tensor, Tensor)>;

    fn next(&mut self) -> Option<Self::Item> {
        let l = self.loader;
        if self.batch >= l.len() {
            return None;
        }
        let start = self.batch * l.batch_size;
        let end = (start + l.batch_size).min(l.n_samples());
        self.batch += 1;
        Some(match &self.order {
            Some(order) => l.rows(&order[start..end]),
            None => l.range(start, end),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.loader.len() - self.batch;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Batches<'_> {}

/// Rows `rows` (indices along axis 0) of `t`, copied into a new contiguous tensor: the same as
/// `index_select(0, rows)`, without a graph and with one slice copy per row.
pub fn gather_rows(t: &Tensor, rows: &[usize]) -> Result<Tensor> {
    let n = t.dims().first().copied().unwrap_or(0);
    if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
        return Err(Error::IndexOutOfRange { op: "gather_rows", index: bad as i64, size: n });
    }
    fn copy<T: Element>(data: &[T], offset: usize, width: usize, rows: &[usize]) -> Vec<T> {
        let mut out = buffers::take_empty(rows.len() * width);
        for &r in rows {
            let at = offset + r * width;
            out.extend_from_slice(&data[at..at + width]);
        }
        out
    }
    let t = t.contiguous();
    let width: usize = t.dims()[1..].iter().product();
    let offset = t.layout().offset();
    let storage = match t.storage() {
        Storage::F32(v) => Storage::F32(copy(v, offset, width, rows)),
        Storage::F64(v) => Storage::F64(copy(v, offset, width, rows)),
        Storage::I64(v) => Storage::I64(copy(v, offset, width, rows)),
    };
    let mut dims = t.dims().to_vec();
    dims[0] = rows.len();
    Ok(Tensor::from_storage(storage, Shape::from(dims), None))
}
