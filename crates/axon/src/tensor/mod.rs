//! The tensor: an immutable n-dimensional array that remembers how it was made.
//!
//! A [`Tensor`] is a cheap-to-clone handle (`Arc`) to a flat [`Storage`] read through a strided
//! [`Layout`]. When one of an op's inputs is *tracked* (a leaf marked with
//! [`Tensor::requires_grad`], or the result of a tracked op) and gradients are enabled, the result
//! records the [`Op`] that produced it. Those records form the computational graph that
//! [`Tensor::backward`] walks in reverse. Nothing is recorded for untracked inputs, so inference
//! and data preparation pay nothing for autograd.

mod attention;
pub mod buffers;
mod conv;
mod conv_args;
mod create;
mod cross_entropy;
mod display;
pub(crate) mod dtype;
mod element;
mod elementwise;
mod index;
mod layout;
mod linalg;
mod linear;
mod nodes;
mod norm;
mod op;
mod reduce;
pub(crate) mod shape;
mod sparse;
mod storage;
mod view;

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub(crate) use attention::attention_geometry;
pub use buffers::{empty_buffer_pool, pooled_bytes};
pub(crate) use conv::{conv_geometry, pool_geometry};
pub use conv_args::{Conv2dArgs, Pair, Pool2dArgs};
pub use dtype::DType;
pub use element::{Element, Float};
pub use layout::{for_each_row, row_len, row_stride, Layout};
pub use op::Op;
pub(crate) use reduce::reduced_shape;
pub use reduce::Axes;
pub use shape::{Dims, Shape};
pub(crate) use sparse::sparse_t_matmul;
pub use storage::Storage;

use crate::error::{Error, Result};

/// A unique identity for every tensor ever created; gradients are keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(usize);

impl TensorId {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        TensorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The raw number, used to name nodes in graph drawings.
    pub fn value(self) -> usize {
        self.0
    }
}

pub(crate) struct Inner {
    id: TensorId,
    storage: Arc<Storage>,
    layout: Layout,
    op: Option<Op>,
    requires_grad: bool,
}

/// An n-dimensional array of `f32`, `f64` or `i64`, with an optional autograd record.
#[derive(Clone)]
pub struct Tensor(Arc<Inner>);

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Runs `f` without recording any graph (like `torch.no_grad()`): for evaluation, optimizer
/// updates and the backward pass itself.
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            GRAD_ENABLED.with(|g| g.set(self.0));
        }
    }
    let _restore = Restore(GRAD_ENABLED.with(|g| g.replace(false)));
    f()
}

/// Whether ops on tracked tensors currently record the graph.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

impl Tensor {
    /// A tensor over `storage` read through `layout`, recording `op` if given.
    pub(crate) fn from_parts(storage: Arc<Storage>, layout: Layout, op: Option<Op>) -> Tensor {
        Tensor(Arc::new(Inner { id: TensorId::new(), storage, layout, op, requires_grad: false }))
    }

    /// A contiguous tensor owning a fresh buffer.
    pub(crate) fn from_storage(storage: Storage, shape: Shape, op: Option<Op>) -> Tensor {
        debug_assert_eq!(storage.len(), shape.numel());
        Tensor::from_owned(storage, Layout::contiguous(shape), op)
    }

    /// A tensor over a fresh buffer `storage`, which no other tensor shares, read through
    /// `layout`, recording `op` if given: in a [recycled node](nodes) when one is free.
    pub(crate) fn from_owned(storage: Storage, layout: Layout, op: Option<Op>) -> Tensor {
        nodes::fresh(storage, layout, op)
    }

    /// The op to record for a result of `inputs`, built only if some input is tracked.
    pub(crate) fn record(inputs: &[&Tensor], op: impl FnOnce() -> Op) -> Option<Op> {
        (inputs.iter().any(|t| t.is_tracked()) && is_grad_enabled()).then(op)
    }

    pub fn id(&self) -> TensorId {
        self.0.id
    }
    pub fn shape(&self) -> &Shape {
        self.0.layout.shape()
    }
    pub fn dims(&self) -> &[usize] {
        self.0.layout.dims()
    }
    pub fn rank(&self) -> usize {
        self.shape().rank()
    }
    pub fn numel(&self) -> usize {
        self.shape().numel()
    }
    pub fn dtype(&self) -> DType {
        self.0.storage.dtype()
    }
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }
    /// The storage and the layout to read it through: a kernel's operand.
    pub(crate) fn operand(&self) -> (&Storage, &Layout) {
        (&self.0.storage, &self.0.layout)
    }
    pub(crate) fn storage_arc(&self) -> &Arc<Storage> {
        &self.0.storage
    }
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    /// The op that produced this tensor, if it was recorded.
    pub fn op(&self) -> Option<&Op> {
        self.0.op.as_ref()
    }

    /// True when gradients flow through this tensor: a leaf that requires them, or a recorded op.
    pub fn is_tracked(&self) -> bool {
        self.0.requires_grad || self.0.op.is_some()
    }

    /// True for a leaf marked with [`Tensor::requires_grad`].
    pub fn is_leaf_param(&self) -> bool {
        self.0.requires_grad
    }

    /// The same values as a new leaf whose gradient [`backward`](Tensor::backward) computes.
    pub fn requires_grad(self) -> Tensor {
        let inner = Inner {
            id: TensorId::new(),
            storage: self.0.storage.clone(),
            layout: self.0.layout.clone(),
            op: None,
            requires_grad: true,
        };
        Tensor(Arc::new(inner))
    }

    /// The same values as a leaf that requires a gradient, like `self.detach().requires_grad()`,
    /// but marked in place (no new node) when this handle is the only one and records no op: the
    /// optimizer's fresh values, installed once per parameter per step.
    pub(crate) fn into_leaf(mut self) -> Tensor {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            if inner.op.is_none() {
                inner.requires_grad = true;
                return self;
            }
        }
        self.detach().requires_grad()
    }

    /// The same values cut from the graph: no gradient flows back through the result.
    pub fn detach(&self) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), self.0.layout.clone(), None)
    }

    /// True when both handles share one storage buffer (a view and its base).
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    /// The elements in row-major order. The element type must be `T`.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let data = T::as_slice(self.storage()).ok_or(Error::DTypeMismatch {
            op: "to_vec",
            expected: T::DTYPE,
            got: self.dtype(),
        })?;
        if let Some(range) = self.layout().contiguous_range() {
            return Ok(data[range].to_vec());
        }
        let mut out = Vec::with_capacity(self.numel());
        let (n, s) = (row_len(self.layout()), row_stride(self.layout()));
        for_each_row([self.layout()], |[o]| out.extend((0..n).map(|i| data[o + i * s])));
        Ok(out)
    }

    /// The elements in row-major order, borrowed from the storage when the layout is contiguous
    /// (no copy, no allocation) and copied otherwise. The element type must be `T`.
    pub(crate) fn values<T: Element>(&self) -> Result<std::borrow::Cow<'_, [T]>> {
        match (T::as_slice(self.storage()), self.layout().contiguous_range()) {
            (Some(data), Some(range)) => Ok(std::borrow::Cow::Borrowed(&data[range])),
            _ => self.to_vec::<T>().map(std::borrow::Cow::Owned),
        }
    }

    /// The single value of a one-element tensor.
    pub fn to_scalar<T: Element>(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(Error::invalid(
                "tensor",
                self.shape(),
                "to_scalar needs exactly one element",
            ));
        }
        Ok(self.to_vec::<T>()?[0])
    }

    /// The value of a one-element tensor as `f64`.
    pub fn item(&self) -> Result<f64> {
        if self.numel() != 1 {
            return Err(Error::invalid("tensor", self.shape(), "item needs exactly one element"));
        }
        Ok(self.to_f64_vec()[0])
    }
}

/// The last handle to a node recycles it and unlinks the graph behind it ([`nodes`]).
impl Drop for Tensor {
    fn drop(&mut self) {
        if Arc::get_mut(&mut self.0).is_some() {
            nodes::release(self);
        }
    }
}

/// A node freed without going through [`nodes::release`] (its last two handles dropped at once
/// on two threads) still unlinks its graph iteratively: long chains (a 10 000-step loop of ops)
/// would otherwise drop recursively, one stack frame per node, and overflow the stack.
impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(op) = self.op.take() {
            nodes::unlink(op);
        }
    }
}
