//! The flags `axon fit` and `axon cv` share, and the one place they become library options: the
//! data and its design matrix ([`DesignArgs`] → `DesignSpec`), the model ([`Model`] →
//! `LinearKind`), and the penalty, solver and class weights ([`SolverArgs`] → `LinearOptions`,
//! `α = 1/C` for scikit-learn's `C`, the intercept never penalised). Which combinations a model
//! takes is the library's table (`axon::linear::check_options`), not decided here.

use std::path::PathBuf;

use axon::data::{DesignSpec, Format, ReadOptions};
use axon::linear::{
    ClassWeight, LinearKind, LinearOptions, Penalty, SgdOptions, Solver as LibSolver,
};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::common::flag;

/// What data to fit and how to turn it into a design matrix.
#[derive(Debug, Clone, Args, Serialize)]
pub struct DesignArgs {
    /// The data: a table with named columns, CSV or TSV (gzipped too) or Parquet, or a CSV file
    /// in scikit-learn's layout (a first line `n_rows,n_features,class names`, as data/iris.csv):
    /// features named as scikit-learn names them, the class names in the column `target`.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The format of --data [default: from the file name: .csv, .tsv, .parquet, optionally .gz;
    /// else Parquet by its magic bytes, else CSV].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// The target column. logit/probit: 0/1, or two levels (the second in sorted order is coded
    /// 1); softmax: any number of classes (the first in sorted order is the reference). The
    /// default is the class column of scikit-learn's CSV files (data/iris.csv, ...).
    #[arg(long, value_name = "COL", default_value = axon::data::SKLEARN_TARGET)]
    pub target: String,
    /// The feature columns, comma-separated [default: every column but the target].
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Numeric feature columns to treat as categorical (text columns always are).
    #[arg(long, value_name = "C1,C2,...", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Fit without the intercept column.
    #[arg(long)]
    pub no_intercept: bool,
    /// Standardise numeric columns to mean 0, sd 1 (coefficients are also reported on the
    /// original scale; `axon cv` standardises with each training fold's statistics).
    #[arg(long)]
    pub standardize: bool,
    /// Basis expansion: add the powers 2..=D of every numeric feature (`age^2`, ...).
    #[arg(long, value_name = "D", default_value_t = 1)]
    pub poly: usize,
    /// Basis expansion: add the product `a:b` of every pair of numeric features.
    #[arg(long)]
    pub interactions: bool,
    /// For a two-class target, the class coded 1 [default: the second in sorted order].
    #[arg(long, value_name = "CLASS")]
    pub positive: Option<String>,
    /// Drop rows with a missing value (NA, empty, ?) in any column instead of failing.
    #[arg(long)]
    pub drop_missing: bool,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatArg {
    Csv,
    Tsv,
    Parquet,
    Libsvm,
    Vw,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Csv => Format::Csv,
            FormatArg::Tsv => Format::Tsv,
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Libsvm => Format::Libsvm,
            FormatArg::Vw => Format::Vw,
        }
    }
}

impl DesignArgs {
    /// How to read --data: only the columns the fit uses (`extra` too, e.g. a weight column),
    /// the --categorical columns allowed to hold text among numbers.
    pub fn read_options(&self, extra: &[&str]) -> ReadOptions {
        let spec = self.spec();
        let columns = spec.features.map(|features| {
            let mut columns = features;
            for column in std::iter::once(spec.target.as_str()).chain(extra.iter().copied()) {
                if !columns.iter().any(|c| c == column) {
                    columns.push(column.to_owned());
                }
            }
            columns
        });
        ReadOptions {
            format: self.format.map(Format::from),
            drop_missing: self.drop_missing,
            columns,
            categorical: spec.categorical,
            ..ReadOptions::default()
        }
    }

    /// The design the flags describe.
    pub fn spec(&self) -> DesignSpec {
        let trimmed = |v: &[String]| v.iter().map(|s| s.trim().to_owned()).collect();
        DesignSpec {
            features: self.features.as_deref().map(trimmed),
            categorical: trimmed(&self.categorical),
            intercept: !self.no_intercept,
            standardize: self.standardize,
            poly_degree: self.poly,
            interactions: self.interactions,
            positive: self.positive.clone(),
            ..DesignSpec::new(self.target.trim())
        }
    }
}

/// `--model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    Logit,
    Probit,
    Softmax,
    Ovr,
    /// The linear probability model: least squares of the 0/1 target, HC1 standard errors
    /// (`axon fit` only; it saves no model).
    Ols,
    /// Multinomial Naive Bayes on the word counts of --text columns (`axon fit` only).
    Nb,
}

impl TryFrom<Model> for LinearKind {
    type Error = anyhow::Error;

    /// The classifier of `model`; the linear probability model is none.
    fn try_from(model: Model) -> anyhow::Result<LinearKind> {
        Ok(match model {
            Model::Logit => LinearKind::Logit,
            Model::Probit => LinearKind::Probit,
            Model::Softmax => LinearKind::Softmax,
            Model::Ovr => LinearKind::Ovr,
            Model::Ols => anyhow::bail!(
                "--model ols: the linear probability model is fitted by `axon fit` only (its \
                 fitted values are not probabilities, so it is not cross-validated or saved)"
            ),
            Model::Nb => anyhow::bail!(
                "--model nb: Naive Bayes is fitted on text columns by `axon fit --text COL`"
            ),
        })
    }
}

/// Penalty, solver and weighting flags.
#[derive(Debug, Clone, Args, Serialize)]
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
    #[arg(long, value_enum, default_value_t = Solver::Auto)]
    pub solver: Solver,
    /// Learning rate of gd, sgd and adam [default: 0.01]; of --stream's adagrad and sgd
    /// [default: 0.1].
    #[arg(long, value_name = "ETA")]
    pub lr: Option<f64>,
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
pub enum Solver {
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
    /// `--lr` of gd, sgd and adam.
    fn lr(&self) -> f64 {
        self.lr.unwrap_or(0.01)
    }

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

    /// The library's options for a fit with penalty strength `alpha`.
    pub fn options(&self, alpha: f64, max_iter: usize, tol: f64) -> anyhow::Result<LinearOptions> {
        let solver = match self.solver {
            Solver::Auto => LibSolver::Auto,
            Solver::Newton => LibSolver::Newton,
            Solver::Lbfgs => LibSolver::Lbfgs { memory: 10, max_iter: max_iter.max(1000) },
            Solver::Cd => LibSolver::coordinate_descent(),
            Solver::Gd => {
                LibSolver::GradientAscent { learning_rate: self.lr(), max_steps: self.steps, tol }
            }
            Solver::Sgd => LibSolver::Sgd(SgdOptions {
                seed: self.seed,
                ..SgdOptions::momentum(self.lr(), 0.0, self.batch_size, self.steps)
            }),
            Solver::Adam => {
                LibSolver::Sgd(SgdOptions::adam(self.lr(), self.batch_size, self.steps, self.seed))
            }
        };
        let class_weight = match self.class_weight {
            ClassWeightKind::None => ClassWeight::None,
            ClassWeightKind::Balanced => ClassWeight::Balanced,
        };
        let penalty = self.penalty(alpha)?;
        Ok(LinearOptions { penalty, solver, class_weight, max_iter, tol })
    }
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
