//! Recycled tensor nodes. A tensor is two heap blocks, its node (`Arc<Inner>`) and its storage
//! handle (`Arc<Storage>`), and a tiny network's training step makes and drops a few dozen
//! tensors: their blocks were most of that step's `malloc` and `free` calls, mostly on glibc's
//! slow path, since the graph and the gradients die in bursts larger than its per-thread cache
//! (issue 15). Here a tensor that dies as the only handle to its node and its storage leaves both
//! blocks, emptied (the buffer goes to the [buffer pool](super::buffers)), in a cache of the
//! thread, and the next fresh tensor made on that thread reuses them: a warm step allocates no
//! nodes for its kernels' results.
//!
//! Dying nodes are unlinked iteratively (one stack, no recursion through the graph), so dropping
//! a chain of any length keeps the stack flat. A node still held elsewhere is only released.

use std::cell::RefCell;
use std::sync::Arc;

use smallvec::SmallVec;

use super::{Inner, Layout, Op, Shape, Storage, Tensor, TensorId};

/// At most this many empty nodes wait per thread.
const MAX_SHELLS: usize = 64;

thread_local! {
    static SHELLS: RefCell<Vec<Arc<Inner>>> = const { RefCell::new(Vec::new()) };
    /// What a dying handle holds once its node has been taken out to be recycled.
    static DEAD: Arc<Inner> = Arc::new(Inner::shell());
}

impl Inner {
    /// An empty node: no values, no op.
    fn shell() -> Inner {
        Inner {
            id: TensorId(0),
            storage: Arc::new(Storage::F32(Vec::new())),
            layout: Layout::contiguous(Shape::default()),
            op: None,
            requires_grad: false,
        }
    }
}

fn dead() -> Arc<Inner> {
    DEAD.try_with(Arc::clone).unwrap_or_else(|_| Arc::new(Inner::shell()))
}

/// A fresh tensor owning `storage`, in a recycled node when this thread has one.
pub(super) fn fresh(storage: Storage, layout: Layout, op: Option<Op>) -> Tensor {
    let shell = SHELLS.try_with(|s| s.try_borrow_mut().ok()?.pop()).ok().flatten();
    if let Some(mut node) = shell {
        if let Some(inner) = Arc::get_mut(&mut node) {
            if let Some(s) = Arc::get_mut(&mut inner.storage) {
                *s = storage;
                inner.id = TensorId::new();
                inner.layout = layout;
                inner.op = op;
                inner.requires_grad = false;
                return Tensor(node);
            }
        }
    }
    let inner =
        Inner { id: TensorId::new(), storage: Arc::new(storage), layout, op, requires_grad: false };
    Tensor(Arc::new(inner))
}

/// Releases the node of `t`, the only handle to it, and the graph behind it that nothing else
/// holds.
pub(super) fn release(t: &mut Tensor) {
    let node = std::mem::replace(&mut t.0, dead());
    let mut stack: SmallVec<[Arc<Inner>; 8]> = SmallVec::new();
    stack.push(node);
    drain(stack);
}

/// Releases the inputs of `op`, whose node is being freed.
pub(super) fn unlink(op: Op) {
    let mut stack = SmallVec::new();
    push_inputs(op, &mut stack);
    drain(stack);
}

/// Empties every node of `stack` that no one else holds, pushing its inputs in turn, and keeps
/// the empty nodes for reuse.
fn drain(mut stack: SmallVec<[Arc<Inner>; 8]>) {
    while let Some(mut node) = stack.pop() {
        // A node held elsewhere is only released here.
        let Some(inner) = Arc::get_mut(&mut node) else { continue };
        if let Some(op) = inner.op.take() {
            push_inputs(op, &mut stack);
        }
        keep(node);
    }
}

/// Pushes the inputs of `op` that no one else holds onto `stack`; the others are released.
fn push_inputs(op: Op, stack: &mut SmallVec<[Arc<Inner>; 8]>) {
    for mut t in op.into_inputs() {
        if Arc::get_mut(&mut t.0).is_some() {
            stack.push(std::mem::replace(&mut t.0, dead()));
        }
    }
}

/// Keeps `node` (held only here, without an op) for reuse when its storage is its own too,
/// giving the storage's buffer to the pool; otherwise frees it.
fn keep(mut node: Arc<Inner>) {
    let Some(inner) = Arc::get_mut(&mut node) else { return };
    let Some(storage) = Arc::get_mut(&mut inner.storage) else { return };
    storage.give_buffer();
    let _ = SHELLS.try_with(|shells| {
        if let Ok(mut shells) = shells.try_borrow_mut() {
            if shells.len() < MAX_SHELLS {
                shells.push(node);
            }
        }
    });
}
