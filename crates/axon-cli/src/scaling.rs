//! How `axon train` scales raw features, `x' = x / c` (IDX pixels, `c = 255`) or
//! `x' = (x − mean_j) / sd_j` per column `j` (CSV files), for `(n, d)` row-major `f32` rows.
//!
//! One type serves both sides: training computes it and stores it in the model file as JSON
//! (`axon.scaling`: `{"kind": "divide", "by": 255}` or `{"kind": "standardize", "mean": [...],
//! "std": [...]}`), and `axon predict` / `axon eval` read it back and apply the same arithmetic
//! to new rows, so a network sees exactly the numbers it was trained and tested on.

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// A scaling of raw features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Scaling {
    /// `x / by`, in `f32` (pixels `/ 255`).
    Divide { by: f64 },
    /// `(x − mean_j) / std_j` per column, in `f64`, rounded back to `f32`.
    Standardize { mean: Vec<f64>, std: Vec<f64> },
}

impl Scaling {
    /// Standardisation with the mean and population standard deviation of the `(n, d)` rows
    /// `x` (a constant column gets sd 1).
    pub fn standardize(x: &[f32], d: usize) -> Scaling {
        let n = (x.len() / d.max(1)).max(1) as f64;
        let mut mean = vec![0.0f64; d];
        for row in x.chunks(d) {
            row.iter().zip(&mut mean).for_each(|(v, m)| *m += f64::from(*v) / n);
        }
        let mut var = vec![0.0f64; d];
        for row in x.chunks(d) {
            row.iter()
                .zip(&mut var)
                .zip(&mean)
                .for_each(|((v, s), m)| *s += (f64::from(*v) - m).powi(2) / n);
        }
        let std = var.iter().map(|v| if *v > 1e-24 { v.sqrt() } else { 1.0 }).collect();
        Scaling::Standardize { mean, std }
    }

    /// Checks that this scaling fits rows of `d` features.
    pub fn check(&self, d: usize) -> anyhow::Result<()> {
        match self {
            Scaling::Divide { by } if !(by.is_finite() && *by != 0.0) => {
                bail!("scaling divides by {by}")
            }
            Scaling::Standardize { mean, std } if mean.len() != d || std.len() != d => {
                bail!("scaling has {} means and {} sds for {d} features", mean.len(), std.len())
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
