//! Exact maximum-likelihood binary regression — logit and probit — with the statistics an
//! economist expects, agreeing with statsmodels to ~1e-10.
//!
//! The model: `P(yᵢ = 1 | xᵢ) = F(ηᵢ)`, `η = X β`, `X` of shape `(n, p)` (the intercept column
//! included by the caller), `F = σ` (logit) or `Φ` (probit). With `q = 2y − 1` and frequency
//! weights `w` the log-likelihood is
//!
//! ```text
//! ℓ(β) = Σᵢ wᵢ log F(qᵢ ηᵢ)                      (− α/2 Σ_{j ≠ intercept} βⱼ² when penalised)
//! g(β) = Xᵀ (w ⊙ ∂ℓ/∂η)                           gradient
//! H(β) = Xᵀ diag(w ⊙ −∂²ℓ/∂η²) X                  observed information
//! β ← β + t H⁻¹ g,  t ∈ {1, ½, ¼, …}              Newton–Raphson with step-halving
//! Var(β̂) = H(β̂)⁻¹                                 or the HC0/HC1 sandwich
//! ```
//!
//! Files: [`binary`] (the links, stable `log Φ`, derivatives), `newton` (the damped Newton
//! solver of every exact fit), `blocks` (passes over row blocks of `X`, in parallel, summed in a
//! fixed order: one read of `X` per evaluation, bit-identical for any number of threads), `separation` and `gram` (refusing fits whose estimate does not
//! exist: separated outcomes, collinear columns), `fit` ([`fit_binary`], [`BinaryData`],
//! [`BinaryOptions`], [`BinaryFit`]), `inference` ([`FitSummary`] and the [`FitStatistics`] it
//! shares with the multinomial summary); `multinomial` is the softmax (multinomial logit)
//! counterpart, [`fit_multinomial`]; `model` packages any fit with its encoder for prediction and
//! saving ([`LinearModel`]).
//!
//! `ols` is the linear probability model ([`fit_ols`]: least squares of the 0/1 outcome with
//! HC1 standard errors), the lectures' foil to the logit.
//!
//! [`fit_linear`] (`choice`) is the one entry point for every kind of linear model, holding the
//! table of which model × penalty × solver × class weight is allowed; `crossval` cross-validates
//! it with the preprocessing fitted inside every training fold ([`fit_fold`]).
//!
//! Penalised and large-scale fits: `penalty` ([`Penalty`] — none, L2, L1, elastic net, with
//! `α = 1/C` for scikit-learn's `C` — and [`ClassWeight`]), `solver` ([`Solver`]: Newton,
//! L-BFGS, coordinate descent, the lectures' gradient ascent, SGD/Adam; `Auto` chooses),
//! [`lbfgs`] (a generic L-BFGS minimiser), `coordinate` (glmnet's IRLS + coordinate descent for
//! L1 and elastic net), `stochastic` (mini-batch SGD/Adam through autograd), `softmax`
//! ([`fit_softmax`], scikit-learn's symmetric multinomial logit by L-BFGS) and `ovr`
//! ([`fit_one_vs_rest`]). `sparse` fits the L2 logit on a sparse design ([`fit_sparse_logit`])
//! and `sparse_model` saves such fits with their text encoder ([`SparseLinearModel`]).
//!
//! Sparse designs ([`Csr`](crate::sparse::Csr), never densified): `sparse` (the L2 binary logit,
//! [`fit_sparse_logit`]) by `tron` (LIBLINEAR's trust-region Newton method with preconditioned
//! CG) or L-BFGS, `sparse_multi` ([`fit_sparse_softmax`], [`fit_sparse_one_vs_rest`]: a `K × p`
//! [`SparseMultiFit`]) and `sparse_l1` ([`fit_sparse_l1`]: L1 and elastic net by newGLMNET).
//!
//! ```
//! use axon::linear::{fit_binary, BinaryData, BinaryOptions, Link};
//!
//! // y = 1 tends to come with larger x; the intercept is column 0.
//! let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
//! let y = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
//! let x = faer::Mat::from_fn(8, 2, |i, j| if j == 0 { 1.0 } else { xs[i] });
//! let names = vec!["Intercept".to_string(), "x".to_string()];
//! let data = BinaryData::new(x.as_ref(), &y, &names)?;
//! let fit = fit_binary(&data, &BinaryOptions::new(Link::Logit, Some(0)))?;
//! assert!(fit.converged && fit.coefficients[1] > 0.0);
//! let table = fit.summary(&data)?;
//! assert!(table.coefficients[1].p_value > 0.0 && table.llr > 0.0);
//! # Ok::<(), axon::Error>(())
//! ```

//!
//! A penalised fit, scikit-learn's `LogisticRegression(penalty="l1", C=0.5)`, by coordinate
//! descent (which [`Solver::Auto`] picks for an L1 penalty):
//!
//! ```
//! use axon::linear::{fit_binary, BinaryData, BinaryOptions, Link, Penalty, Solver};
//!
//! let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
//! let y = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
//! let x = faer::Mat::from_fn(8, 2, |i, j| if j == 0 { 1.0 } else { xs[i] });
//! let names = vec!["Intercept".to_string(), "x".to_string()];
//! let data = BinaryData::new(x.as_ref(), &y, &names)?;
//! let mle = fit_binary(&data, &BinaryOptions::new(Link::Logit, Some(0)))?;
//! let penalty = Penalty::from_sklearn_c("l1", 0.5, 0.0)?; // α = 1/C = 2
//! let opts = BinaryOptions { penalty, ..BinaryOptions::new(Link::Logit, Some(0)) };
//! let lasso = fit_binary(&data, &opts)?;
//! assert!(matches!(lasso.solver, Solver::CoordinateDescent { .. }) && lasso.converged);
//! assert!(lasso.coefficients[1].abs() < mle.coefficients[1].abs()); // shrunk towards 0
//! # Ok::<(), axon::Error>(())
//! ```
pub mod binary;
mod blocks;
mod choice;
mod coordinate;
mod crossval;
mod encoded_model;
mod fit;
mod gram;
mod inference;
pub mod lbfgs;
mod model;
mod multinomial;
mod multinomial_data;
mod newton;
mod ols;
mod ovr;
mod penalty;
mod separation;
mod softmax;
mod solver;
mod sparse;
mod sparse_l1;
mod sparse_model;
mod sparse_multi;
mod stochastic;
mod top;
mod tron;

pub use binary::Link;
pub use choice::{check_options, fit_linear, LinearFit, LinearOptions};
pub use crossval::{fit_fold, stratified_folds, FoldFit};
pub use encoded_model::EncodedLinearModel;
pub use fit::{fit_binary, fit_binary_estimate, BinaryData, BinaryFit, BinaryOptions};
pub use inference::{
    null_log_likelihood, CoefficientRow, CovType, FitStatistics, FitSummary, MarginalEffect, Z_975,
};
pub use lbfgs::{LbfgsOptions, LbfgsReport, LbfgsStop};
pub use model::{row_major, CoefficientTable, LinearKind, LinearModel};
pub use multinomial::{
    fit_multinomial, MultinomialFit, MultinomialOptions, MultinomialRow, MultinomialSummary,
};
pub use multinomial_data::{multinomial_null_log_likelihood, MultinomialData};
pub use ols::{fit_ols, OlsFit};
pub use ovr::{fit_one_vs_rest, OneVsRestFit};
pub use penalty::{balanced_class_weights, compose_class_weights, ClassWeight, Penalty};
pub use softmax::{fit_softmax, SoftmaxFit, SoftmaxOptions};
pub use solver::{SgdMethod, SgdOptions, Solver, NEWTON_MAX_COLUMNS};
pub use sparse::{fit_sparse_logit, SparseLogitFit, SparseLogitOptions, SparseSolver};
pub use sparse_l1::{fit_sparse_l1, SparseL1Options};
pub use sparse_model::SparseLinearModel;
pub use sparse_multi::{
    fit_sparse_one_vs_rest, fit_sparse_one_vs_rest_l1, fit_sparse_softmax, SparseMultiFit,
    SparseMultiKind,
};
pub(crate) use top::per_class;
pub use top::{largest, ClassFeatures};
