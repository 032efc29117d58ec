//! What training a classifier network minimises, and how its outputs are scored, for either
//! output layer ([`Output`]) and optional class weights `w` (scikit-learn's `balanced`:
//! `w_k = n / (K · n_k)`):
//!
//! ```text
//! softmax (B, K) logits z:   ℓ_i = −log softmax(z_i)_{y_i}
//! sigmoid (B, 1) logit z:    ℓ_i = softplus(z_i) − z_i y_i          (binary cross-entropy of σ(z_i))
//! loss = Σ_i w_{y_i} ℓ_i / Σ_i w_{y_i}                              (the plain mean without weights)
//! ```
//!
//! Both are PyTorch's (`cross_entropy` with `weight`; for the sigmoid, `BCEWithLogitsLoss` with
//! per-row weights, normalised as the weighted cross-entropy is, so that the two outputs minimise
//! the same number). Scores (validation and test loss, accuracy) are never weighted: the loss is
//! the log loss, a row is right when its most probable class is its class (`z > 0` for class 1 of
//! a sigmoid output).

use super::architecture::Output;
use super::loss::{bce_with_logits, cross_entropy, Reduction};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The training objective: the output layer and the class weights.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Objective {
    pub output: Output,
    /// One weight per class (`None`: every class weighs 1).
    pub class_weights: Option<Vec<f64>>,
}

impl Objective {
    /// The training loss of `logits` for class indices `labels` (`i64`), with its graph.
    pub fn loss(&self, logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
        let weights = self.class_weights.as_deref();
        match self.output {
            Output::Softmax => {
                let w = weights.map(|w| Tensor::from_vec(w.to_vec(), [w.len()])).transpose()?;
                let w = w.map(|w| w.to_dtype(logits.dtype())).transpose()?;
                cross_entropy(logits, labels, w.as_ref(), Reduction::Mean)
            }
            Output::Sigmoid => {
                let (z, y) = sigmoid_inputs(logits, labels)?;
                let Some(w) = weights else {
                    return bce_with_logits(&z, &y, None, Reduction::Mean);
                };
                let codes = labels.to_vec::<i64>()?;
                let row_w: Vec<f64> = codes.iter().map(|&c| w[c as usize]).collect();
                let total: f64 = row_w.iter().sum();
                let row_w = Tensor::from_vec(row_w, [codes.len()])?.to_dtype(z.dtype())?;
                let sum = bce_with_logits(&z, &y, Some(&row_w), Reduction::Sum)?;
                sum.mul_scalar(1.0 / total)
            }
        }
    }

    /// The unweighted mean log loss and the number of right predictions of `logits` for
    /// `labels` (no graph needed).
    pub fn score(&self, logits: &Tensor, labels: &Tensor) -> Result<(f64, usize)> {
        let codes = labels.to_vec::<i64>()?;
        match self.output {
            Output::Softmax => {
                let loss = cross_entropy(logits, labels, None, Reduction::Mean)?.item()?;
                let predicted = logits.argmax(1, false)?.to_vec::<i64>()?;
                let hits = predicted.iter().zip(&codes).filter(|(p, l)| *p == *l).count();
                Ok((loss, hits))
            }
            Output::Sigmoid => {
                let (z, y) = sigmoid_inputs(logits, labels)?;
                let loss = bce_with_logits(&z, &y, None, Reduction::Mean)?.item()?;
                let z = z.to_f64_vec();
                let hits =
                    z.iter().zip(&codes).filter(|(z, l)| i64::from(**z > 0.0) == **l).count();
                Ok((loss, hits))
            }
        }
    }
}

/// A sigmoid output's logits `(B, 1)` as `(B)`, and the labels `(B)` as 0/1 of the same dtype;
/// a label other than 0 or 1 is an error.
fn sigmoid_inputs(logits: &Tensor, labels: &Tensor) -> Result<(Tensor, Tensor)> {
    let b = labels.dims().first().copied().unwrap_or(0);
    if logits.dims() != [b, 1] {
        let (lhs, rhs) = (logits.shape().clone(), labels.shape().clone());
        return Err(Error::ShapeMismatch { op: "sigmoid output", lhs, rhs });
    }
    let codes = labels.to_vec::<i64>()?;
    if let Some(c) = codes.iter().find(|&&c| c != 0 && c != 1) {
        return Err(Error::invalid("labels", c, "a sigmoid output takes classes 0 and 1"));
    }
    let y: Vec<f64> = codes.iter().map(|&c| c as f64).collect();
    let y = Tensor::from_vec(y, [b])?.to_dtype(logits.dtype())?;
    Ok((logits.reshape([b])?, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_losses_by_hand() {
        // Two rows of class 0, one of class 1; weights 0.75 and 1.5 (balanced).
        let labels = Tensor::from_vec(vec![0i64, 0, 1], [3]).unwrap();
        let w = Some(vec![0.75, 1.5]);
        let z = [0.3f64, -1.2, 0.8];
        let softplus = |x: f64| (1.0 + x.exp()).ln();
        let l: Vec<f64> =
            z.iter().zip([0.0, 0.0, 1.0]).map(|(z, y)| softplus(*z) - z * y).collect();
        let weighted = (0.75 * l[0] + 0.75 * l[1] + 1.5 * l[2]) / 3.0;
        let plain = (l[0] + l[1] + l[2]) / 3.0;
        let logit = Tensor::from_vec(z.to_vec(), [3, 1]).unwrap();
        let sigmoid = Objective { output: Output::Sigmoid, class_weights: w.clone() };
        assert!((sigmoid.loss(&logit, &labels).unwrap().item().unwrap() - weighted).abs() < 1e-12);
        let (score, hits) = sigmoid.score(&logit, &labels).unwrap();
        assert!((score - plain).abs() < 1e-12);
        assert_eq!(hits, 2); // 0.3 > 0 is wrong for class 0
                             // The softmax of (0, z) is the same model: the same losses.
        let pairs: Vec<f64> = z.iter().flat_map(|&z| [0.0, z]).collect();
        let two = Tensor::from_vec(pairs, [3, 2]).unwrap();
        let softmax = Objective { output: Output::Softmax, class_weights: w };
        assert!((softmax.loss(&two, &labels).unwrap().item().unwrap() - weighted).abs() < 1e-12);
        assert!((softmax.score(&two, &labels).unwrap().0 - plain).abs() < 1e-12);
        let bad = Tensor::from_vec(vec![0i64, 2, 1], [3]).unwrap();
        assert!(sigmoid.loss(&logit, &bad).is_err());
    }
}
