//! Penalties of a regularised regression and class weights, in one place so that every solver
//! (Newton, L-BFGS, coordinate descent, gradient ascent, SGD/Adam) minimises the same objective.
//!
//! axon minimises the **sum** (not the mean) of the weighted negative log-likelihood plus the
//! penalty, with the intercept never penalised (`β̃` is `β` without it):
//!
//! ```text
//! F(β) = −Σᵢ wᵢ ℓᵢ(β) + λ₁ ‖β̃‖₁ + λ₂/2 ‖β̃‖²
//!   None                           λ₁ = 0,        λ₂ = 0
//!   L2(α)                          λ₁ = 0,        λ₂ = α
//!   L1(α)                          λ₁ = α,        λ₂ = 0
//!   ElasticNet { alpha, l1_ratio } λ₁ = α·r,      λ₂ = α·(1 − r)
//! ```
//!
//! scikit-learn's `LogisticRegression(C=…)` minimises `C Σᵢ sᵢ loss + ½‖w‖²` (L2),
//! `C Σᵢ sᵢ loss + ‖w‖₁` (L1) and `C Σᵢ sᵢ loss + r‖w‖₁ + (1 − r)/2 ‖w‖²` (elastic net). Dividing
//! by `C` gives `F` with **`α = 1/C`** in every case ([`Penalty::from_sklearn_c`]); the same `α` is
//! statsmodels' `fit_regularized(alpha=α)` for the L1 case. glmnet's `λ` is per observation: `λ_glmnet = α / Σᵢ wᵢ`.
//!
//! Class weights multiply the sample weights: `balanced` gives class `k` the weight
//! `n / (K · n_k)` with `n_k` the number of rows of class `k` (row counts, as scikit-learn's
//! `compute_class_weight`, whatever the sample weights).

use crate::error::{Error, Result};

/// The penalty on the non-intercept coefficients; see the module docs for the objective.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Penalty {
    /// Maximum likelihood.
    #[default]
    None,
    /// `α/2 ‖β̃‖²` (ridge).
    L2(f64),
    /// `α ‖β̃‖₁` (lasso): exact zeros.
    L1(f64),
    /// `α (r ‖β̃‖₁ + (1 − r)/2 ‖β̃‖²)`, `r = l1_ratio ∈ [0, 1]`.
    ElasticNet { alpha: f64, l1_ratio: f64 },
}

impl Penalty {
    /// The penalty scikit-learn's `LogisticRegression(penalty, C, l1_ratio)` applies, as axon's
    /// `α = 1/C`: `penalty` is `"l2"`, `"l1"`, `"elasticnet"` or `"none"` (then `C` is ignored).
    pub fn from_sklearn_c(penalty: &str, c: f64, l1_ratio: f64) -> Result<Penalty> {
        if penalty == "none" {
            return Ok(Penalty::None);
        }
        if !(c.is_finite() && c > 0.0) {
            return Err(Error::invalid("C", c, "must be finite and > 0"));
        }
        let out = match penalty {
            "l2" => Penalty::L2(1.0 / c),
            "l1" => Penalty::L1(1.0 / c),
            "elasticnet" => Penalty::ElasticNet { alpha: 1.0 / c, l1_ratio },
            other => {
                return Err(Error::invalid("penalty", other, "expected none, l2, l1 or elasticnet"))
            }
        };
        out.validate()?;
        Ok(out)
    }

    /// `λ₁`, the weight of `‖β̃‖₁`.
    pub fn l1(&self) -> f64 {
        match *self {
            Penalty::L1(a) => a,
            Penalty::ElasticNet { alpha, l1_ratio } => alpha * l1_ratio,
            _ => 0.0,
        }
    }

    /// `λ₂`, the weight of `½ ‖β̃‖²`.
    pub fn l2(&self) -> f64 {
        match *self {
            Penalty::L2(a) => a,
            Penalty::ElasticNet { alpha, l1_ratio } => alpha * (1.0 - l1_ratio),
            _ => 0.0,
        }
    }

    /// Whether the objective is the plain negative log-likelihood.
    pub fn is_none(&self) -> bool {
        self.l1() == 0.0 && self.l2() == 0.0
    }

    /// Whether the objective is non-smooth (needs coordinate descent).
    pub fn has_l1(&self) -> bool {
        self.l1() > 0.0
    }

    /// `λ₁ ‖β̃‖₁ + λ₂/2 ‖β̃‖²`.
    pub fn value(&self, beta: &[f64], intercept: Option<usize>) -> f64 {
        let (l1, l2) = (self.l1(), self.l2());
        let terms = beta.iter().enumerate().filter(|(j, _)| Some(*j) != intercept);
        terms.map(|(_, b)| l1 * b.abs() + 0.5 * l2 * b * b).sum()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let (alpha, ratio) = match *self {
            Penalty::None => return Ok(()),
            Penalty::L2(a) | Penalty::L1(a) => (a, 0.0),
            Penalty::ElasticNet { alpha, l1_ratio } => (alpha, l1_ratio),
        };
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(Error::invalid("alpha", alpha, "the penalty must be finite and ≥ 0"));
        }
        if !(0.0..=1.0).contains(&ratio) {
            return Err(Error::invalid("l1_ratio", ratio, "must lie in [0, 1]"));
        }
        Ok(())
    }
}

/// Weights per class, multiplied into the sample weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClassWeight {
    /// Every class weighs 1.
    #[default]
    None,
    /// Class `k` weighs `n / (K · n_k)` (scikit-learn's `class_weight="balanced"`).
    Balanced,
}

/// `n / (K · n_k)` for each of the `K = counts.len()` classes from their row counts `n_k`;
/// a class without rows gets weight 0.
pub fn balanced_class_weights(counts: &[usize]) -> Vec<f64> {
    let n: usize = counts.iter().sum();
    let k = counts.len() as f64;
    counts.iter().map(|&c| if c == 0 { 0.0 } else { n as f64 / (k * c as f64) }).collect()
}

/// The sample weights `sᵢ · cw[yᵢ]` for labels `0..K` (`s = 1` without sample weights).
pub fn compose_class_weights(labels: &[usize], weights: Option<&[f64]>, cw: &[f64]) -> Vec<f64> {
    labels.iter().enumerate().map(|(i, &k)| weights.map_or(1.0, |w| w[i]) * cw[k]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sklearn_c_maps_to_alpha_one_over_c() {
        assert_eq!(Penalty::from_sklearn_c("l2", 4.0, 0.0).unwrap(), Penalty::L2(0.25));
        assert_eq!(Penalty::from_sklearn_c("l1", 0.5, 0.0).unwrap(), Penalty::L1(2.0));
        let en = Penalty::from_sklearn_c("elasticnet", 0.1, 0.3).unwrap();
        assert!((en.l1() - 3.0).abs() < 1e-12 && (en.l2() - 7.0).abs() < 1e-12);
        assert!(Penalty::from_sklearn_c("l2", 0.0, 0.0).is_err());
        assert!(Penalty::from_sklearn_c("elasticnet", 1.0, 1.5).is_err());
        assert!(Penalty::from_sklearn_c("l3", 1.0, 0.0).is_err());
    }

    #[test]
    fn value_skips_the_intercept() {
        let p = Penalty::ElasticNet { alpha: 2.0, l1_ratio: 0.5 };
        // λ₁ = 1, λ₂ = 1: |−2| + ½·4 + |1| + ½·1 = 5.5, the intercept (index 0) left out.
        assert!((p.value(&[10.0, -2.0, 1.0], Some(0)) - 5.5).abs() < 1e-12);
    }

    #[test]
    fn balanced_weights_match_sklearn() {
        // scikit-learn: compute_class_weight("balanced", classes=[0, 1, 2], y) with counts 2, 3, 5.
        let w = balanced_class_weights(&[2, 3, 5]);
        let want = [10.0 / 6.0, 10.0 / 9.0, 10.0 / 15.0];
        w.iter().zip(want).for_each(|(a, b)| assert!((a - b).abs() < 1e-15));
        let composed = compose_class_weights(&[0, 2], Some(&[2.0, 3.0]), &w);
        assert!((composed[0] - 2.0 * want[0]).abs() < 1e-15);
        assert!((composed[1] - 3.0 * want[2]).abs() < 1e-15);
    }
}
