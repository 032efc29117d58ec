//! Scaling raw features before a model sees them, learned on the training rows and stored with
//! the model so that new rows are scaled with the same numbers:
//!
//! ```text
//! divide       x' = x / c                       (image pixels, c = 255)
//! standardize  x'_j = (x_j − mean_j) / sd_j      (mean and population sd of column j, ddof = 0)
//! ```
//!
//! [`mean_std`] is the one standardiser of the crate: the design matrix's `standardize` option
//! ([`super::Encoder`]) and a network's [`Scaling::Standardize`] both use it, as scikit-learn's
//! `StandardScaler` does, a constant column getting sd 1.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A scaling of raw `(n, d)` row-major features, as stored in a model file (JSON
/// `{"kind": "divide", "by": 255}` or `{"kind": "standardize", "mean": [...], "std": [...]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Scaling {
    /// `x / by`, in `f32` (pixels `/ 255`).
    Divide { by: f64 },
    /// `(x − mean_j) / std_j` per column, in `f64`, rounded back to `f32`.
    Standardize { mean: Vec<f64>, std: Vec<f64> },
}

impl Scaling {
    /// Standardisation with the mean and population standard deviation of every column of the
    /// `(n, d)` rows `x` (see [`mean_std`]).
    pub fn standardize(x: &[f32], d: usize) -> Scaling {
        let (mean, std) =
            (0..d).map(|j| mean_std(x.iter().skip(j).step_by(d.max(1)).map(|&v| v.into()))).unzip();
        Scaling::Standardize { mean, std }
    }

    /// Checks that this scaling fits rows of `d` features.
    pub fn check(&self, d: usize) -> Result<()> {
        match self {
            Scaling::Divide { by } if !(by.is_finite() && *by != 0.0) => {
                Err(Error::invalid("scaling", by, "cannot divide by it"))
            }
            Scaling::Standardize { mean, std } if mean.len() != d || std.len() != d => {
                let reason = format!("{} means and {} sds for {d} features", mean.len(), std.len());
                Err(Error::invalid("scaling", "standardize", reason))
            }
            _ => Ok(()),
        }
    }

    /// Scales the `(n, d)` rows `x` in place (`d` as checked by [`Scaling::check`]).
    pub fn apply(&self, x: &mut [f32], d: usize) {
        match self {
            Scaling::Divide { by } => {
                let by = *by as f32;
                x.iter_mut().for_each(|v| *v /= by);
            }
            Scaling::Standardize { mean, std } => {
                for row in x.chunks_mut(d) {
                    for ((v, m), s) in row.iter_mut().zip(mean).zip(std) {
                        *v = ((f64::from(*v) - m) / s) as f32;
                    }
                }
            }
        }
    }
}

/// The mean and population standard deviation (ddof = 0) of `values`, in two passes. A column
/// whose variance is within rounding of zero, `var ≤ (n ε mean)²` (scikit-learn's test for a
/// constant feature), gets standard deviation 1, so that it is centred and left unscaled.
pub fn mean_std<I>(values: I) -> (f64, f64)
where
    I: Iterator<Item = f64> + Clone,
{
    let (count, sum) = values.clone().fold((0usize, 0.0), |(c, s), v| (c + 1, s + v));
    let n = count.max(1) as f64;
    let mean = sum / n;
    let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let rounding = n * f64::EPSILON * mean;
    let std = if var > rounding * rounding { var.sqrt() } else { 1.0 };
    (mean, std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardize_and_apply_give_mean_0_and_sd_1() {
        let x = [1.0f32, 10.0, 3.0, 10.0, 5.0, 10.0];
        let s = Scaling::standardize(&x, 2);
        let Scaling::Standardize { mean, std } = &s else { panic!("{s:?}") };
        assert_eq!(mean, &[3.0, 10.0]);
        assert!((std[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(std[1], 1.0, "a constant column keeps its scale");
        let mut y = x;
        s.apply(&mut y, 2);
        assert!((y[0] + y[2] + y[4]).abs() < 1e-6 && y[1] == 0.0);
        assert!(s.check(2).is_ok() && s.check(3).is_err());
    }

    #[test]
    fn a_nearly_constant_column_is_not_blown_up() {
        // 0.1 is not exact in binary, so the mean has a rounding error of a few ulp.
        let (mean, std) = mean_std([0.1; 7].into_iter());
        assert!((mean - 0.1).abs() < 1e-16);
        assert_eq!(std, 1.0);
    }
}
