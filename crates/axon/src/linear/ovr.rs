//! One-vs-rest: `K` binary fits, class `k` against all others, with any solver and penalty, and
//! class probabilities normalised as scikit-learn's `OneVsRestClassifier` does.
//!
//! ```text
//! βₖ = argmin F(β; y⁽ᵏ⁾),   y⁽ᵏ⁾ᵢ = 1[yᵢ = k]                        X: (n, p), βₖ: (p)
//! P(y = k | x) = F(xᵀβₖ) / Σₗ F(xᵀβₗ)                              (rows sum to 1)
//! ```
//!
//! Class weights (`balanced`) are computed per binary problem, on `y⁽ᵏ⁾`, as scikit-learn's
//! one-vs-rest does.

use faer::{Mat, MatRef};

use super::fit::{fit_binary, BinaryData, BinaryFit, BinaryOptions};
use super::multinomial::argmax_rows;
use super::multinomial_data::MultinomialData;
use crate::error::{Error, Result};

/// `K` fitted binary models, one per class.
#[derive(Debug, Clone)]
pub struct OneVsRestFit {
    pub classes: Vec<String>,
    /// `fits[k]` separates class `k` from the rest.
    pub fits: Vec<BinaryFit>,
}

impl OneVsRestFit {
    /// Whether every binary fit converged.
    pub fn converged(&self) -> bool {
        self.fits.iter().all(|f| f.converged)
    }

    /// `P(y = k | xᵢ)`, `n × K`, each row normalised to sum to 1.
    pub fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let columns = self.fits.iter().map(|f| f.predict_proba(x)).collect::<Result<Vec<_>>>()?;
        let n = x.nrows();
        let mut prob = Mat::from_fn(n, columns.len(), |i, k| columns[k][i]);
        for i in 0..n {
            let sum: f64 = (0..prob.ncols()).map(|k| prob[(i, k)]).sum();
            if sum > 0.0 {
                (0..prob.ncols()).for_each(|k| prob[(i, k)] /= sum);
            }
        }
        Ok(prob)
    }

    /// The most probable class of every row (the first on ties).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.predict_proba(x)?))
    }
}

/// Fits class `k` against the rest for every `k`, each with `opts` (and the data's frequency
/// weights).
pub fn fit_one_vs_rest(data: &MultinomialData, opts: &BinaryOptions) -> Result<OneVsRestFit> {
    let k = data.n_classes();
    let mut fits = Vec::with_capacity(k);
    for class in 0..k {
        let yk: Vec<f64> = data.y().iter().map(|&c| f64::from(c == class)).collect();
        let mut binary = BinaryData::new(data.x(), &yk, data.names())?;
        if let Some(w) = data.weights() {
            binary = binary.with_weights(w)?;
        }
        let fit = fit_binary(&binary, opts).map_err(|e| {
            let reason = format!("class `{}` against the rest: {e}", data.classes()[class]);
            Error::invalid("y", class, reason)
        })?;
        fits.push(fit);
    }
    Ok(OneVsRestFit { classes: data.classes().to_vec(), fits })
}
