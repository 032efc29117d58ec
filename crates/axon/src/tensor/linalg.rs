//! The matrix product, `C = A B` with `C_ij = Σ_k A_ik B_kj`, for matrices `(m, k) × (k, n)`, batches
//! `(b, m, k) × (b, k, n)` (a batch of 1, or a plain matrix, broadcasts over the other's batch), and
//! vectors (`(k)` is a row on the left, a column on the right, as in `torch.matmul`).

use super::{Layout, Op, Shape, Tensor};
use crate::error::{Error, Result};
use crate::ops::matmul::MatMul;
use crate::ops::Map;

impl Tensor {
    /// Matrix product with `torch.matmul`'s rules for ranks 1 to 3.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        let mismatch = || Error::ShapeMismatch {
            op: "matmul",
            lhs: self.shape().clone(),
            rhs: rhs.shape().clone(),
        };
        // A vector operand becomes a matrix for the recursive call; a shape error from that call
        // names the shapes the caller passed, not the unsqueezed ones.
        let named = |e: Error| match e {
            Error::ShapeMismatch { op: "matmul", .. } => mismatch(),
            e => e,
        };
        match (self.rank(), rhs.rank()) {
            (1, 1) => {
                return self.unsqueeze(0)?.matmul(&rhs.unsqueeze(1)?).map_err(named)?.reshape(())
            }
            (1, _) => {
                return self.unsqueeze(0)?.matmul(rhs).map_err(named)?.squeeze(rhs.rank() - 2)
            }
            // (.., m, k) × (k, 1) → (.., m, 1): the column axis is the last, `self.rank() - 1`.
            (_, 1) => {
                return self.matmul(&rhs.unsqueeze(1)?).map_err(named)?.squeeze(self.rank() - 1)
            }
            (2 | 3, 2 | 3) => {}
            _ => return Err(mismatch()),
        }
        if self.dtype() != rhs.dtype() {
            return Err(Error::DTypeMismatch {
                op: "matmul",
                expected: self.dtype(),
                got: rhs.dtype(),
            });
        }
        let as3 = |l: &Layout| if l.shape().rank() == 2 { l.unsqueezed(0) } else { l.clone() };
        let (la, lb) = (as3(self.layout()), as3(rhs.layout()));
        let (ba, m, k) = (la.dims()[0], la.dims()[1], la.dims()[2]);
        let (bb, k2, n) = (lb.dims()[0], lb.dims()[1], lb.dims()[2]);
        let batch = match (ba, bb) {
            _ if ba == bb => ba,
            (1, _) => bb,
            (_, 1) => ba,
            _ => return Err(mismatch()),
        };
        if k != k2 {
            return Err(mismatch());
        }
        let la = la.broadcast_to(&Shape::from([batch, m, k]))?;
        let lb = lb.broadcast_to(&Shape::from([batch, k, n]))?;
        let storage = MatMul.map([(self.storage(), &la), (rhs.storage(), &lb)])?;
        let shape = if self.rank() == 2 && rhs.rank() == 2 {
            Shape::from([m, n])
        } else {
            Shape::from([batch, m, n])
        };
        let op = Tensor::record(&[self, rhs], || Op::MatMul(self.clone(), rhs.clone()));
        Ok(Tensor::from_storage(storage, shape, op))
    }
}
