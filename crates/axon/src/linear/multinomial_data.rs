//! [`MultinomialData`]: what a multinomial fit reads — the design, the class of every row
//! `0..K`, optional frequency weights, column and class names — checked once when it is made,
//! with the class totals and the intercept-only log-likelihood the fit and its summary use
//! (summed over every rank's rows when the rows are a shard).

use faer::MatRef;

use super::fit::{check_design_shapes, check_finite, check_frequency_weights};
use crate::distributed::rows;
use crate::error::{Error, Result};

/// A design matrix with its class labels `0..K`, column names and class names.
#[derive(Debug, Clone)]
pub struct MultinomialData<'a> {
    x: MatRef<'a, f64>,
    y: &'a [usize],
    weights: Option<&'a [f64]>,
    names: &'a [String],
    classes: Vec<String>,
}

impl<'a> MultinomialData<'a> {
    /// Checks the shapes and that every `x` is finite; `K = max(y) + 1` classes, named `"0"`,
    /// `"1"`, …, each of which must occur (a class without observations has no estimate).
    pub fn new(x: MatRef<'a, f64>, y: &'a [usize], names: &'a [String]) -> Result<Self> {
        check_design_shapes(x, y.len(), names)?;
        check_finite(x, names)?;
        // Classes and their counts over the whole data set when the rows are a rank's shard.
        let k = rows::max(y.iter().max().map_or(0, |m| m + 1) as f64) as usize;
        if k < 2 {
            return Err(Error::invalid("y", "all 0", "the outcome needs at least two classes"));
        }
        let mut counts = vec![0.0f64; k];
        y.iter().for_each(|&c| counts[c] += 1.0);
        rows::sum_slice(&mut counts);
        if let Some(c) = counts.iter().position(|&m| m == 0.0) {
            let reason = format!("class {c} of 0..{k} has no observations");
            return Err(Error::invalid("y", c, reason));
        }
        let classes = (0..k).map(|c| c.to_string()).collect();
        Ok(MultinomialData { x, y, weights: None, names, classes })
    }

    /// Names the classes (`K` names, class 0 the reference), as [`crate::data::Design::classes`].
    pub fn with_classes(mut self, classes: &[String]) -> Result<Self> {
        if classes.len() != self.classes.len() {
            let reason = format!("expected {} class names", self.classes.len());
            return Err(Error::invalid("classes", classes.len(), reason));
        }
        self.classes = classes.to_vec();
        Ok(self)
    }

    /// Adds frequency weights: `n` finite values `≥ 0`, not all zero; weight `wᵢ` counts row `i`
    /// `wᵢ` times (a weight of 0 drops it), as [`BinaryData::with_weights`](super::BinaryData).
    pub fn with_weights(mut self, weights: &'a [f64]) -> Result<Self> {
        check_frequency_weights(weights, self.y.len())?;
        self.weights = Some(weights);
        Ok(self)
    }

    pub fn x(&self) -> MatRef<'a, f64> {
        self.x
    }

    pub fn y(&self) -> &'a [usize] {
        self.y
    }

    pub fn weights(&self) -> Option<&'a [f64]> {
        self.weights
    }

    /// The weight of row `i` (1 without weights).
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// `Σ wᵢ`, the number of observations the weights stand for.
    pub fn n_obs(&self) -> f64 {
        self.weights.map_or(self.y.len() as f64, |w| w.iter().sum())
    }

    /// `Σ_{yᵢ = k} wᵢ` for every class `k` (over every rank's rows when the rows are a shard).
    pub fn class_totals(&self) -> Vec<f64> {
        let mut totals = vec![0.0; self.n_classes()];
        (0..self.y.len()).for_each(|i| totals[self.y[i]] += self.weight(i));
        rows::sum_slice(&mut totals);
        totals
    }

    /// `ℓ₀ = Σₖ Wₖ log(Wₖ/W)` with `Wₖ` the weight of class `k` and `W = Σ wᵢ`: the
    /// log-likelihood of the intercept-only model.
    pub fn null_log_likelihood(&self) -> f64 {
        null_from_totals(&self.class_totals())
    }

    pub fn names(&self) -> &'a [String] {
        self.names
    }

    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// `K`.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }
}

/// `ℓ₀ = Σₖ nₖ log(nₖ/n)`, the log-likelihood of the intercept-only multinomial model.
/// ([`MultinomialData::null_log_likelihood`] weighs the rows.)
pub fn multinomial_null_log_likelihood(y: &[usize], n_classes: usize) -> f64 {
    let mut counts = vec![0.0; n_classes];
    y.iter().for_each(|&c| counts[c] += 1.0);
    null_from_totals(&counts)
}

/// `Σₖ Wₖ log(Wₖ/W)` from the classes' total weights `Wₖ`.
fn null_from_totals(totals: &[f64]) -> f64 {
    let n: f64 = totals.iter().sum();
    totals.iter().filter(|&&m| m > 0.0).map(|&m| m * (m / n).ln()).sum()
}
