//! How a binary model is fitted, as flags shared by `axon fit` and `axon cv`: the penalty and its
//! strength (`α = 1/C` for scikit-learn's `C`, the intercept never penalised), the solver with its
//! step settings, and class weights; turned into the library's [`BinaryOptions`] in one place.

use axon::linear::{BinaryOptions, ClassWeight, Link, Penalty, SgdOptions, Solver};
use clap::{Args, ValueEnum};
use serde::Serialize;

/// Penalty, solver and weighting flags.
#[derive(Debug, Args, Serialize)]
pub struct SolverArgs {
    /// The penalty on the coefficients (the intercept is never penalised)
    /// [default: l2 when --alpha > 0, else none].
    #[arg(long, value_enum)]
    pub penalty: Option<PenaltyKind>,
    /// Penalty strength α: α/2 Σβ² (l2), α Σ|β| (l1), α (r Σ|β| + (1 − r)/2 Σβ²) (elasticnet).
    /// scikit-learn's C is 1/α. A penalised fit has no standard errors or p-values.
    #[arg(long, value_name = "A", default_value_t = 0.0)]
    pub alpha: f64,
    /// The elastic-net mix r: 1 is l1, 0 is l2.
    #[arg(long, value_name = "R", default_value_t = 0.5)]
    pub l1_ratio: f64,
    /// The algorithm: auto picks Newton (L-BFGS above 1000 columns) and coordinate descent for
    /// l1/elasticnet; gd is the lectures' full-batch gradient ascent, sgd/adam are mini-batch
    /// through autograd.
    #[arg(long, value_enum, default_value_t = SolverKind::Auto)]
    pub solver: SolverKind,
    /// Learning rate of gd, sgd and adam.
    #[arg(long, value_name = "ETA", default_value_t = 0.01)]
    pub lr: f64,
    /// Steps of gd, or epochs of sgd and adam.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub steps: usize,
    /// Mini-batch size of sgd and adam.
    #[arg(long, value_name = "B", default_value_t = 32)]
    pub batch_size: usize,
    /// Seed of every random draw (mini-batch shuffling, cross-validation folds).
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Reweight the classes: balanced gives class k the weight n / (K n_k), as scikit-learn.
    #[arg(long, value_enum, default_value_t = ClassWeightKind::None)]
    pub class_weight: ClassWeightKind,
}

/// `--penalty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PenaltyKind {
    None,
    L2,
    L1,
    Elasticnet,
}

/// `--solver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SolverKind {
    Auto,
    Newton,
    Lbfgs,
    Cd,
    Gd,
    Sgd,
    Adam,
}

/// `--class-weight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeightKind {
    None,
    Balanced,
}

impl SolverArgs {
    /// The penalty the flags describe, with strength `alpha`.
    pub fn penalty(&self, alpha: f64) -> anyhow::Result<Penalty> {
        let kind =
            self.penalty.unwrap_or(if alpha > 0.0 { PenaltyKind::L2 } else { PenaltyKind::None });
        if kind != PenaltyKind::None && !(alpha.is_finite() && alpha > 0.0) {
            anyhow::bail!("--penalty {}: needs --alpha > 0 (got {alpha})", flag(kind));
        }
        Ok(match kind {
            PenaltyKind::None if alpha != 0.0 => {
                anyhow::bail!(
                    "--alpha {alpha} with --penalty none: choose a penalty or drop --alpha"
                )
            }
            PenaltyKind::None => Penalty::None,
            PenaltyKind::L2 => Penalty::L2(alpha),
            PenaltyKind::L1 => Penalty::L1(alpha),
            PenaltyKind::Elasticnet => Penalty::ElasticNet { alpha, l1_ratio: self.l1_ratio },
        })
    }

    /// The library's options for a binary fit with penalty strength `alpha`.
    pub fn binary_options(
        &self,
        link: Link,
        intercept: Option<usize>,
        alpha: f64,
        max_iter: usize,
        tol: f64,
    ) -> anyhow::Result<BinaryOptions> {
        let solver = match self.solver {
            SolverKind::Auto => Solver::Auto,
            SolverKind::Newton => Solver::Newton,
            SolverKind::Lbfgs => Solver::Lbfgs { memory: 10, max_iter: max_iter.max(1000) },
            SolverKind::Cd => Solver::coordinate_descent(),
            SolverKind::Gd => {
                Solver::GradientAscent { learning_rate: self.lr, max_steps: self.steps, tol }
            }
            SolverKind::Sgd => Solver::Sgd(SgdOptions {
                seed: self.seed,
                ..SgdOptions::momentum(self.lr, 0.0, self.batch_size, self.steps)
            }),
            SolverKind::Adam => {
                Solver::Sgd(SgdOptions::adam(self.lr, self.batch_size, self.steps, self.seed))
            }
        };
        let class_weight = match self.class_weight {
            ClassWeightKind::None => ClassWeight::None,
            ClassWeightKind::Balanced => ClassWeight::Balanced,
        };
        Ok(BinaryOptions {
            link,
            penalty: self.penalty(alpha)?,
            solver,
            class_weight,
            intercept,
            max_iter,
            tol,
        })
    }
}

/// A value as it is spelled on the command line.
pub fn flag(value: impl ValueEnum) -> String {
    value.to_possible_value().map_or_else(String::new, |v| v.get_name().to_owned())
}

/// A penalty as the reports print it.
pub fn describe(penalty: &Penalty) -> String {
    match penalty {
        Penalty::None => "none".into(),
        Penalty::L2(a) => format!("L2 (alpha = {a})"),
        Penalty::L1(a) => format!("L1 (alpha = {a})"),
        Penalty::ElasticNet { alpha, l1_ratio } => {
            format!("elastic net (alpha = {alpha}, l1_ratio = {l1_ratio})")
        }
    }
}
