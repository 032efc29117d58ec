//! The one entry point of every linear fit, [`fit_linear`]: a design matrix and a model kind
//! (logit, probit, softmax, one-vs-rest) with one set of [`LinearOptions`] (penalty, solver,
//! class weights, stopping rule), and the single table of which combinations a model takes:
//!
//! ```text
//! model     penalty               solver                          class weight   freq. weights
//! logit     none, l2, l1, enet    any (l1/enet: coordinate desc.) none, balanced yes
//! probit    none, l2, l1, enet    any but sgd/adam                none, balanced yes
//! softmax   none, l2              auto, newton                    none           yes
//! ovr       as logit, per class   as logit                        none, balanced yes
//! ```
//!
//! The command line's `fit` and `cv`, and every other caller, go through here, so a combination
//! is either taken by all of them or refused by all of them with the same
//! [`Error::Unsupported`].

use serde_json::Value;

use super::binary::Link;
use super::fit::{fit_binary, BinaryData, BinaryFit, BinaryOptions};
use super::model::{LinearKind, LinearModel};
use super::multinomial::{fit_multinomial, MultinomialFit, MultinomialOptions};
use super::multinomial_data::MultinomialData;
use super::ovr::{fit_one_vs_rest, OneVsRestFit};
use super::penalty::{ClassWeight, Penalty};
use super::solver::Solver;
use crate::data::{Design, Encoder};
use crate::error::{Error, Result};

/// How to fit a linear model, whatever its kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearOptions {
    /// The penalty (the intercept is never penalised); `α = 1/C` for scikit-learn's `C`.
    pub penalty: Penalty,
    pub solver: Solver,
    pub class_weight: ClassWeight,
    /// The most Newton steps, or IRLS steps of coordinate descent.
    pub max_iter: usize,
    /// The convergence tolerance (see [`BinaryOptions::tol`]).
    pub tol: f64,
}

impl Default for LinearOptions {
    fn default() -> Self {
        LinearOptions {
            penalty: Penalty::None,
            solver: Solver::Auto,
            class_weight: ClassWeight::None,
            max_iter: 100,
            tol: 1e-10,
        }
    }
}

impl LinearOptions {
    /// The options of one binary fit with `link` and the intercept in column `intercept`.
    fn binary(&self, link: Link, intercept: Option<usize>) -> BinaryOptions {
        BinaryOptions {
            link,
            penalty: self.penalty,
            solver: self.solver,
            class_weight: self.class_weight,
            intercept,
            max_iter: self.max_iter,
            tol: self.tol,
        }
    }
}

/// A fitted linear model of any kind.
#[derive(Debug, Clone)]
pub enum LinearFit {
    /// Logit or probit.
    Binary(BinaryFit),
    /// The multinomial logit, class 0 the reference.
    Softmax(MultinomialFit),
    /// One binary logit per class.
    Ovr(OneVsRestFit),
}

impl LinearFit {
    /// The model for prediction: the coefficients with the encoder of the design it was fitted
    /// on, and the record of the run.
    pub fn to_model(&self, encoder: Encoder, settings: Value) -> Result<LinearModel> {
        match self {
            LinearFit::Binary(fit) => LinearModel::from_binary(fit, encoder, settings),
            LinearFit::Softmax(fit) => LinearModel::from_multinomial(fit, encoder, settings),
            LinearFit::Ovr(fit) => LinearModel::from_ovr(fit, encoder, settings),
        }
    }

    /// Whether the fit (every binary fit of one-vs-rest) converged.
    pub fn converged(&self) -> bool {
        match self {
            LinearFit::Binary(fit) => fit.converged,
            LinearFit::Softmax(fit) => fit.converged,
            LinearFit::Ovr(fit) => fit.converged(),
        }
    }
}

impl Solver {
    /// The most iterations this solver takes under `max_iter` (the options' limit for Newton
    /// and coordinate descent), and their unit, the one its fit's `iterations` count in:
    /// `(200, "steps")` for gradient ascent, `(200, "epochs")` for SGD and Adam.
    pub fn iteration_limit(&self, max_iter: usize) -> (usize, &'static str) {
        match *self {
            Solver::Auto | Solver::Newton | Solver::CoordinateDescent { .. } => {
                (max_iter, "iterations")
            }
            Solver::Lbfgs { max_iter, .. } => (max_iter, "iterations"),
            Solver::GradientAscent { max_steps, .. } => (max_steps, "steps"),
            Solver::Sgd(o) => (o.epochs, "epochs"),
        }
    }
}

/// A penalty's name as the table writes it.
fn penalty_name(penalty: &Penalty) -> &'static str {
    match penalty {
        Penalty::None => "none",
        Penalty::L2(_) => "l2",
        Penalty::L1(_) => "l1",
        Penalty::ElasticNet { .. } => "elasticnet",
    }
}

/// Refuses a combination the model does not take (see the table in the module docs); every
/// model takes frequency weights.
pub fn check_options(kind: LinearKind, options: &LinearOptions) -> Result<()> {
    let model = kind.name();
    let unsupported = |option, value: &str, allowed| {
        Err(Error::Unsupported { model, option, value: value.to_owned(), allowed })
    };
    let stochastic = matches!(options.solver, Solver::Sgd(_));
    match kind {
        LinearKind::Softmax => {
            let penalty = &options.penalty;
            if !matches!(penalty, Penalty::None | Penalty::L2(_)) {
                return unsupported("penalty", penalty_name(penalty), "l2 or none");
            }
            if !matches!(options.solver, Solver::Auto | Solver::Newton) {
                return unsupported("solver", options.solver.name(), "auto or newton");
            }
            if options.class_weight != ClassWeight::None {
                return unsupported("class_weight", "balanced", "none (use the ovr model)");
            }
        }
        LinearKind::Probit if stochastic => {
            let allowed = "auto, newton, lbfgs, coordinate_descent or gradient_ascent";
            return unsupported("solver", options.solver.name(), allowed);
        }
        LinearKind::Logit | LinearKind::Probit | LinearKind::Ovr => {}
    }
    Ok(())
}

/// Fits a model of `kind` to `design` (with optional frequency `weights`) as `options` say,
/// after [`check_options`].
pub fn fit_linear(
    kind: LinearKind,
    design: &Design,
    weights: Option<&[f64]>,
    options: &LinearOptions,
) -> Result<LinearFit> {
    check_options(kind, options)?;
    let intercept = design.encoder.has_intercept().then_some(0);
    let (x, names) = (design.x.as_ref(), &design.names);
    match kind {
        LinearKind::Logit | LinearKind::Probit => {
            let link = if kind == LinearKind::Logit { Link::Logit } else { Link::Probit };
            let mut data = BinaryData::new(x, design.binary_target()?, names)?;
            if let Some(w) = weights {
                data = data.with_weights(w)?;
            }
            Ok(LinearFit::Binary(fit_binary(&data, &options.binary(link, intercept))?))
        }
        LinearKind::Softmax => {
            let y = design.class_indices();
            let mut data = MultinomialData::new(x, &y, names)?.with_classes(&design.classes())?;
            if let Some(w) = weights {
                data = data.with_weights(w)?;
            }
            let opts = MultinomialOptions {
                penalty: options.penalty,
                intercept,
                max_iter: options.max_iter,
                tol: options.tol,
            };
            Ok(LinearFit::Softmax(fit_multinomial(&data, &opts)?))
        }
        LinearKind::Ovr => {
            let y = design.class_indices();
            let mut data = MultinomialData::new(x, &y, names)?.with_classes(&design.classes())?;
            if let Some(w) = weights {
                data = data.with_weights(w)?;
            }
            let opts = options.binary(Link::Logit, intercept);
            Ok(LinearFit::Ovr(fit_one_vs_rest(&data, &opts)?))
        }
    }
}
