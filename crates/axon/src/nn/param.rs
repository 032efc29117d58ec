//! A module's state. A [`Tensor`] is immutable, so a network cannot update its weights in place;
//! instead every weight lives in a [`Param`]: a shared, named slot holding the current leaf
//! tensor (one that `requires_grad`). A forward pass reads the slot ([`Param::value`]), the
//! backward pass keys the weight's gradient by that leaf's id, and an optimizer writes the updated
//! values back as a fresh leaf ([`Param::set`]). Clones share the slot (an `Arc`), so a module and
//! an optimizer see the same weights. State that is saved but not trained (batch norm's running
//! statistics) lives in a [`Buffer`], the same kind of slot without a gradient.

use std::fmt;
use std::sync::{Arc, RwLock};

use crate::autograd::GradStore;
use crate::error::{Error, Result};
use crate::tensor::{no_grad, Tensor};

struct Slot {
    name: String,
    value: RwLock<Tensor>,
}

/// A shared, replaceable slot holding a trainable leaf tensor.
#[derive(Clone)]
pub struct Param(Arc<Slot>);

impl Param {
    /// A parameter named `name` (its local name in its module: `weight`, `bias`) holding `value`
    /// as a leaf that requires a gradient: a contiguous leaf is kept as it is (so gradients keyed
    /// by it, as `gradcheck`'s, reach the parameter); anything else is copied into a new leaf.
    pub fn new(name: impl Into<String>, value: Tensor) -> Param {
        let value = if value.is_leaf_param() && value.is_contiguous() {
            value
        } else {
            no_grad(|| value.contiguous()).detach().requires_grad()
        };
        Param(Arc::new(Slot { name: name.into(), value: RwLock::new(value) }))
    }

    /// The local name given at creation.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The current leaf tensor: forward passes read it, gradients are keyed by it.
    pub fn value(&self) -> Tensor {
        self.0.value.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the value by `value` as a fresh leaf. The shape and dtype must not change.
    pub fn set(&self, value: Tensor) -> Result<()> {
        let current = self.value();
        if value.shape() != current.shape() {
            return Err(Error::ShapeMismatch {
                op: "Param::set",
                lhs: current.shape().clone(),
                rhs: value.shape().clone(),
            });
        }
        if value.dtype() != current.dtype() {
            return Err(Error::DTypeMismatch {
                op: "Param::set",
                expected: current.dtype(),
                got: value.dtype(),
            });
        }
        let value = if value.is_contiguous() { value } else { no_grad(|| value.contiguous()) };
        let leaf = value.into_leaf();
        *self.0.value.write().unwrap_or_else(|e| e.into_inner()) = leaf;
        Ok(())
    }

    /// `∂L/∂self` for the current value, if the loss depended on it.
    pub fn grad<'g>(&self, grads: &'g GradStore) -> Option<&'g Tensor> {
        grads.get(&self.value())
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.value().numel()
    }

    /// True when both handles share one slot.
    pub fn same_slot(&self, other: &Param) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.value();
        write!(f, "Param({}, shape {}, {})", self.name(), v.shape(), v.dtype())
    }
}

/// A shared, replaceable slot for a non-trainable tensor (running statistics).
#[derive(Clone)]
pub struct Buffer(Arc<RwLock<Tensor>>);

impl Buffer {
    /// A buffer holding `value`, detached from any graph.
    pub fn new(value: Tensor) -> Buffer {
        Buffer(Arc::new(RwLock::new(value.detach().contiguous())))
    }

    /// The current value.
    pub fn value(&self) -> Tensor {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the value; the shape and dtype must not change.
    pub fn set(&self, value: Tensor) -> Result<()> {
        let current = self.value();
        if value.shape() != current.shape() || value.dtype() != current.dtype() {
            let (lhs, rhs) = (current.shape().clone(), value.shape().clone());
            return Err(Error::ShapeMismatch { op: "Buffer::set", lhs, rhs });
        }
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = value.detach().contiguous();
        Ok(())
    }
}
