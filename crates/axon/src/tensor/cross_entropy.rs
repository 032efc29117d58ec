//! The per-sample cross-entropy of logits against class indices as one op
//! ([`crate::ops::cross_entropy`]): what [`crate::nn::loss::cross_entropy`] reduces. A network's
//! loss is the last few ops of every training step, and on a small network their graph nodes and
//! buffers are a large part of the step.

use std::sync::Arc;

use super::{DType, Layout, Op, Tensor};
use crate::error::{Error, Result};
use crate::ops::cross_entropy::CrossEntropyRows;
use crate::ops::Map;

impl Tensor {
    /// `ℓ_i = −log softmax(x_i)_{y_i}` for logits `(N, C)` (float) and class indices `(N)`
    /// (`i64`, each in `0..C`): the unreduced cross-entropy, equal to
    /// `−x.log_softmax(1).gather(1, y)` but one node, whose backward pass forms
    /// `softmax(x_i) − onehot(y_i)` directly.
    pub fn cross_entropy_rows(&self, target: &Tensor) -> Result<Tensor> {
        let op = "cross_entropy";
        if self.rank() != 2 || !self.dtype().is_float() {
            return Err(Error::invalid("input", self.shape(), format!("{op} needs float (N, C)")));
        }
        if target.dtype() != DType::I64 {
            return Err(Error::DTypeMismatch { op, expected: DType::I64, got: target.dtype() });
        }
        if target.dims() != [self.dims()[0]] {
            let (lhs, rhs) = (self.shape().clone(), target.shape().clone());
            return Err(Error::ShapeMismatch { op, lhs, rhs });
        }
        let classes = self.dims()[1];
        let index = target.values::<i64>()?;
        if let Some(&bad) = index.iter().find(|&&j| j < 0 || j as usize >= classes) {
            return Err(Error::IndexOutOfRange { op, index: bad, size: classes });
        }
        let logits = self.contiguous();
        let (losses, lse) = CrossEntropyRows { target: &index }.map([logits.operand()])?;
        let record = || Op::CrossEntropy {
            logits: logits.clone(),
            target: target.clone(),
            lse: Arc::new(lse),
        };
        let op = Tensor::record(&[&logits], record);
        Ok(Tensor::from_owned(losses, Layout::contiguous(target.shape().clone()), op))
    }
}
