//! `axon cv --text COL`: k-fold cross-validation of a model on the words of text columns (the
//! tf-idf L2 logit, `--model softmax`, or `--model nb`), with the text flags of `axon fit`.
//!
//! The vectorizer is part of what each fold fits: its vocabulary, document-frequency bounds and
//! idf are learned from the fold's training rows alone, and its held-out rows are transformed by
//! that fold's encoder, so a term seen only in the held-out rows gives them no feature, as it
//! would for new documents. The folds are `axon cv`'s (stratified, seeded by `--seed`); the grid
//! varies `alpha` (`1/C`, C = 1 when not given), `nb-alpha` and `model`. A fold's designs are
//! built once per weighting and shared by the candidates. `--json` lists each fold's rows and
//! feature count with the search; `--out` refits the best candidate on all rows and saves it as
//! `axon fit --text --out` would.

use std::collections::HashMap;
use std::rc::Rc;

use anyhow::Context;
use axon::cv::{grid_search, Fold, Metric as LibMetric};
use axon::data::{Format, Frame};
use axon::linear::{
    fit_sparse_logit, fit_sparse_softmax, stratified_folds, SparseLinearModel, SparseLogitOptions,
    SparseSolver,
};
use axon::naive_bayes::{NaiveBayes, NaiveBayesModel, NbKind};
use axon::sparse::Csr;
use axon::text::SparseEncoder;
use serde::Serialize;

use super::grid::{self, Setting, Value};
use super::{table, CvArgs, Metric};
use crate::common::{flag, message, settings_record};
use crate::fit::text::{classes, l2_alpha, read_text_frame};
use crate::options::{ClassWeightKind, Model, PenaltyKind, Solver};
use crate::output::{errln, outln};
use crate::text_args::WeightingArg;

/// The grid names a text cross-validation takes.
const TEXT_NAMES: [&str; 3] = ["alpha", "nb-alpha", "model"];

/// One candidate: the model and its penalty or smoothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Candidate {
    model: Model,
    /// The logit's `α = 1/C` (0: no penalty).
    alpha: f64,
    nb_alpha: f64,
}

impl Candidate {
    /// The weighting of the candidate's documents: `--weighting`, or tf-idf for the logit and
    /// counts for Naive Bayes.
    fn weighting(&self, args: &CvArgs) -> WeightingArg {
        args.text.weighting.unwrap_or(if self.model == Model::Nb {
            WeightingArg::Counts
        } else {
            WeightingArg::Tfidf
        })
    }
}

/// One fold as the report lists it.
#[derive(Serialize)]
struct FoldInfo {
    train_rows: usize,
    test_rows: usize,
    /// The features the fold's vectorizer learned from its training rows (per weighting, the
    /// same count: the vocabulary does not depend on it).
    features: usize,
}

/// The designs of one fold, made by the vectorizer fitted on its training rows.
struct FoldDesign {
    x_train: Csr,
    x_test: Csr,
}

#[derive(Serialize)]
struct TextCvJson<'a> {
    data: String,
    target: &'a str,
    columns: &'a [String],
    model: Model,
    metric: Metric,
    folds: usize,
    seed: u64,
    n_obs: usize,
    classes: &'a [String],
    grid: &'a [&'static str],
    fold_sizes: &'a [FoldInfo],
    #[serde(flatten)]
    search: &'a axon::cv::GridSearch<Setting>,
}

/// The record kept with a model saved by `axon cv --text --out`.
#[derive(Serialize)]
struct OutRecord<'a> {
    cv: &'a CvArgs,
    best: &'a Setting,
    cv_mean: f64,
    cv_std: f64,
}

/// Refuses flags that do not apply to a model of text columns.
fn check_flags(args: &CvArgs) -> anyhow::Result<()> {
    let d = &args.design;
    let format = Format::resolve(d.format.map(Format::from), &d.data);
    if matches!(format, Format::Libsvm | Format::Vw) {
        anyhow::bail!("--text reads a table with named columns, not a LibSVM or VW file");
    }
    let f = &args.fit;
    let refused = [
        ("--features", d.features.is_some()),
        ("--categorical", !d.categorical.is_empty()),
        ("--poly", d.poly != 1),
        ("--interactions", d.interactions),
        ("--standardize", d.standardize),
        ("--drop-missing", d.drop_missing),
        ("--class-weight", f.class_weight != ClassWeightKind::None),
        (
            "--penalty l1/elasticnet",
            matches!(f.penalty, Some(PenaltyKind::L1 | PenaltyKind::Elasticnet)),
        ),
        ("--solver", !matches!(f.solver, Solver::Auto | Solver::Newton | Solver::Lbfgs)),
    ];
    if let Some((name, _)) = refused.iter().find(|r| r.1) {
        anyhow::bail!(
            "{name} does not apply to `axon cv --text`: the features are the words, fitted by the \
             L2 logit (trust-region Newton or lbfgs), softmax or nb"
        );
    }
    Ok(())
}

/// The candidate a grid setting makes of the command's flags.
fn candidate(args: &CvArgs, setting: &Setting) -> anyhow::Result<Candidate> {
    let mut c = Candidate {
        model: args.model,
        alpha: args.fit.alpha,
        nb_alpha: args.text.nb_alpha.unwrap_or(1.0),
    };
    for value in &setting.0 {
        match *value {
            Value::Alpha(a) => c.alpha = a,
            Value::NbAlpha(a) => c.nb_alpha = a,
            Value::Model(m) => c.model = m,
            other => anyhow::bail!(
                "--grid {}: `axon cv --text` varies {} only",
                other.name(),
                TEXT_NAMES.join(", ")
            ),
        }
    }
    if !matches!(c.model, Model::Logit | Model::Softmax | Model::Nb) {
        anyhow::bail!("--model {}: --text fits logit (L2, binary), softmax or nb", flag(c.model));
    }
    if c.model == Model::Nb {
        return Ok(c);
    }
    c.alpha = l2_alpha(args.fit.penalty, c.alpha)?;
    Ok(c)
}

/// A fitted candidate, for its class probabilities and to save.
enum Fitted {
    Logit(axon::linear::SparseLogitFit),
    Softmax(axon::linear::SparseMultiFit),
    Nb(NaiveBayes),
}

/// Fits candidate `c` to the design `x` with classes `y` of `k` classes.
fn fit(args: &CvArgs, c: &Candidate, x: &Csr, y: &[u32], k: usize) -> anyhow::Result<Fitted> {
    if c.model == Model::Nb {
        return Ok(Fitted::Nb(NaiveBayes::fit(NbKind::Multinomial, c.nb_alpha, x, y)?));
    }
    let softmax = c.model == Model::Softmax;
    if k != 2 && !softmax {
        anyhow::bail!(
            "--target {}: {k} classes; the sparse logit is binary (--model softmax and --model \
             nb take any number of classes)",
            args.design.target.trim()
        );
    }
    let solver = if softmax || args.fit.solver == Solver::Lbfgs {
        SparseSolver::Lbfgs
    } else {
        SparseSolver::Tron
    };
    let opts = SparseLogitOptions {
        alpha: c.alpha,
        fit_intercept: !args.design.no_intercept,
        solver,
        tol: SparseLogitOptions::default().tol,
        max_iter: if solver == SparseSolver::Lbfgs {
            args.max_iter.max(1000)
        } else {
            args.max_iter
        },
    };
    if softmax {
        let y: Vec<usize> = y.iter().map(|&c| c as usize).collect();
        return Ok(Fitted::Softmax(fit_sparse_softmax(x, &y, k, None, &opts)?));
    }
    let yf: Vec<f64> = y.iter().map(|&c| f64::from(c)).collect();
    Ok(Fitted::Logit(fit_sparse_logit(x, &yf, None, &opts)?))
}

impl Fitted {
    /// `P(class | row)`, rows × `k`, row-major.
    fn proba(&self, x: &Csr, k: usize) -> anyhow::Result<Vec<f64>> {
        Ok(match self {
            Fitted::Logit(f) => f.predict_proba(x)?.iter().flat_map(|&p| [1.0 - p, p]).collect(),
            Fitted::Softmax(f) => f.predict_proba(x)?,
            Fitted::Nb(nb) => {
                if nb.classes().len() != k {
                    anyhow::bail!(
                        "a training fold holds {} of the {k} classes; Naive Bayes needs every \
                         class in every fold (fewer --folds)",
                        nb.classes().len()
                    );
                }
                nb.predict_proba(x)?
            }
        })
    }
}

/// Runs `axon cv --text`.
pub fn run(args: &CvArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let (names, settings) = grid::settings(&args.grid)?;
    let candidates = (settings.iter())
        .map(|s| {
            candidate(args, s).map_err(|e| anyhow::anyhow!("--grid setting `{s}`: {}", message(&e)))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The specs of each weighting a candidate uses; checked before reading.
    let spec_of = |w: WeightingArg| args.text.specs(w);
    for c in &candidates {
        spec_of(c.weighting(args))?;
        if c.model == Model::Nb && args.fit.alpha != 0.0 {
            anyhow::bail!("--alpha applies to the logit; --model nb is smoothed by --nb-alpha");
        }
    }
    let target = args.design.target.trim().to_owned();
    let inputs: Vec<String> = args.text.text.iter().map(|c| c.trim().to_owned()).collect();
    if inputs.contains(&target) {
        anyhow::bail!("--text {target}: the target column cannot also be a feature");
    }
    let data = &args.design.data;
    let format = Format::resolve(args.design.format.map(Format::from), data);
    let frame = read_text_frame(data, format, &inputs, &target)?;
    let (classes, y) = classes(&target, args.design.positive.as_deref(), &frame)?;
    let k = classes.len();
    let metric = LibMetric::from(args.metric);
    metric.check(k)?;
    let folds = stratified_folds(&frame, &target, args.folds, args.fit.seed)?;
    let mut designs: HashMap<(usize, WeightingArg), Rc<FoldDesign>> = HashMap::new();
    let mut fold_sizes: Vec<Option<FoldInfo>> = folds.iter().map(|_| None).collect();
    // The first failure, with the setting and fold it happened in.
    let mut failure: Option<anyhow::Error> = None;
    let mut score = |setting: &Setting, fold: &Fold| -> axon::Result<f64> {
        let i = settings.iter().position(|s| s == setting).expect("a setting of the grid");
        let f = folds.iter().position(|g| std::ptr::eq(g, fold)).expect("a fold of the split");
        let c = candidates[i];
        let w = c.weighting(args);
        let result = (|| -> anyhow::Result<f64> {
            let design = match designs.get(&(f, w)) {
                Some(d) => d.clone(),
                None => {
                    let d = Rc::new(fold_design(&frame, fold, &spec_of(w)?)?);
                    fold_sizes[f] = Some(FoldInfo {
                        train_rows: fold.train.len(),
                        test_rows: fold.test.len(),
                        features: d.x_train.n_cols(),
                    });
                    designs.insert((f, w), d.clone());
                    d
                }
            };
            let y_train: Vec<u32> = fold.train.iter().map(|&r| y[r]).collect();
            let y_test: Vec<usize> = fold.test.iter().map(|&r| y[r] as usize).collect();
            let fitted = fit(args, &c, &design.x_train, &y_train, k)?;
            Ok(metric.score(&y_test, &fitted.proba(&design.x_test, k)?, k)?)
        })();
        result.map_err(|e| {
            let msg = format!("--grid setting `{setting}`, fold {}: {}", f + 1, message(&e));
            failure = Some(anyhow::anyhow!(msg.clone()));
            axon::Error::invalid("fold", f + 1, msg)
        })
    };
    let search = grid_search(&names.join(","), &settings, &folds, metric.goal(), &mut score);
    let search = match (search, failure) {
        (Ok(search), _) => search,
        (Err(_), Some(failure)) => return Err(failure),
        (Err(e), None) => return Err(e.into()),
    };
    let fold_sizes: Vec<FoldInfo> = fold_sizes.into_iter().flatten().collect();
    if args.json {
        let json = TextCvJson {
            data: data.display().to_string(),
            target: &target,
            columns: &inputs,
            model: args.model,
            metric: args.metric,
            folds: args.folds,
            seed: args.fit.seed,
            n_obs: frame.n_rows,
            classes: &classes,
            grid: &names,
            fold_sizes: &fold_sizes,
            search: &search,
        };
        outln!("{}", serde_json::to_string_pretty(&json).context("writing the JSON report")?)?;
    } else {
        outln!(
            "{}-fold stratified cross-validation (seed {}) of {} on the text columns {} of {}, n \
             = {}, metric {}; the vectorizer is fitted in each training fold",
            args.folds,
            args.fit.seed,
            flag(args.model),
            inputs.join(", "),
            data.display(),
            frame.n_rows,
            flag(args.metric)
        )?;
        let features: Vec<String> = fold_sizes.iter().map(|f| f.features.to_string()).collect();
        outln!("Features per training fold: {}", features.join(", "))?;
        outln!("{}", table(&names, &search))?;
    }
    if let Some(path) = &args.out {
        let best = candidates[search.best];
        let row = search.best_row();
        let specs = spec_of(best.weighting(args))?;
        let (encoder, x) = SparseEncoder::fit_transform(&specs, &frame)?;
        drop(frame);
        let record =
            OutRecord { cv: args, best: &row.value, cv_mean: row.cv.mean, cv_std: row.cv.std };
        let settings = settings_record("cv", &record)?;
        match fit(args, &best, &x, &y, k)? {
            Fitted::Nb(nb) => {
                NaiveBayesModel::new(encoder, target, classes, nb, settings)?.save(path)?
            }
            Fitted::Softmax(f) => {
                SparseLinearModel::new(encoder, target, classes, f.coef, f.intercept, settings)?
                    .save(path)?
            }
            Fitted::Logit(f) => {
                SparseLinearModel::from_logit(encoder, target, classes, &f, settings)?.save(path)?
            }
        }
        errln!(
            "axon: best setting {} refitted on all rows, model written to {}",
            row.value,
            path.display()
        )?;
    }
    Ok(())
}

/// The vectorizer of `specs` fitted on the fold's training rows, and both sets of rows through it.
fn fold_design(
    frame: &Frame,
    fold: &Fold,
    specs: &[axon::text::TextSpec],
) -> anyhow::Result<FoldDesign> {
    let (encoder, x_train) = SparseEncoder::fit_transform(specs, &frame.take_rows(&fold.train))?;
    let x_test = encoder.transform(&frame.take_rows(&fold.test))?;
    Ok(FoldDesign { x_train, x_test })
}
