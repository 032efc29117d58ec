//! `axon fit --text COL`: a model of the target on the words of text columns. The library turns
//! the columns into one sparse design (`SparseEncoder`: vocabulary or hashing, counts or tf-idf,
//! as scikit-learn's vectorizers) and fits the binary L2 logit on it (`fit_sparse_logit`: TRON,
//! or L-BFGS with `--solver lbfgs`; `--alpha` is `1/C`, and C = 1 when it is not given), or with
//! `--penalty l1|elasticnet` by newGLMNET (`fit_sparse_l1`); the multinomial logit of K classes
//! with `--model softmax` (`fit_sparse_softmax`, L-BFGS), one logit per class with `--model ovr`
//! (L2 or L1), or, with `--model nb`, multinomial Naive Bayes (`--nb-alpha` smoothing). The report lists the
//! features that push most towards each class by name (`--json`: every non-zero coefficient, or
//! every feature's log-probabilities); `--out` saves the model for `axon predict` and `axon
//! eval` on raw-text files. Hashed table columns (`--hash`, `--numeric`, `--log-bin`, `--cross`,
//! the flags of `stream.rs`) join the text columns as one more block of `2^--hash-bits` columns,
//! or make the design alone: a batch fit of a click log. Flags that do not apply are refused.
//!
//! Over MPI ranks (`mpirun -n K`), every rank reads the whole file and builds the same encoder
//! from all of it (so the vocabulary, idf and hashed columns are the single process's, with no
//! exchange of words), then fits its own rows of the design; the fits sum across the ranks
//! (Naive Bayes: the count matrices), and rank 0 reports on every row and writes the model.

use std::time::Instant;

use axon::data::{read_table, Format, Frame, ReadOptions};
use axon::linear::{
    fit_sparse_l1, fit_sparse_logit, fit_sparse_one_vs_rest, fit_sparse_one_vs_rest_l1,
    fit_sparse_softmax, SparseLinearModel, SparseLogitOptions, SparseSolver,
};
use axon::naive_bayes::{NaiveBayes, NaiveBayesModel, NbKind};
use axon::sparse::Csr;
use axon::text::SparseEncoder;
use serde::Serialize;

use super::report::{print_json, training_fit};
use super::sparse::{l1_options, L1_SOLVER};
use super::stream::DEFAULT_HASH_BITS;
use super::{Cov, FitArgs};
use crate::common::{flag, settings_record};
use crate::options::{ClassWeightKind, Model, PenaltyKind, Solver};
use crate::output::{errln, outln};
use crate::ranks;
use crate::text_args::WeightingArg;

/// Features listed in the text report, per direction.
const SHOWN: usize = 15;

/// The report, as text or one JSON object.
#[derive(Serialize)]
struct TextReport {
    model: &'static str,
    data: String,
    n_obs: usize,
    dropped_rows: usize,
    /// The text columns, then the hashed ones.
    columns: Vec<String>,
    n_features: usize,
    nnz: usize,
    classes: Vec<String>,
    /// Logit: the penalty; nb: the smoothing.
    penalty: String,
    solver: &'static str,
    iterations: usize,
    converged: bool,
    gradient_norm: Option<f64>,
    fit_seconds: f64,
    objective: Option<f64>,
    log_loss: f64,
    accuracy: f64,
    intercept: Option<f64>,
    /// Logit: every non-zero coefficient by name (of the second class's equation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    coefficients: Vec<(String, f64)>,
    /// Softmax: each class's non-zero coefficients by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    coefficients_by_class: Vec<(String, Vec<(String, f64)>)>,
    /// Softmax: each class's intercept.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    intercepts: Vec<f64>,
    /// Naive Bayes: `log P(class)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    class_log_prior: Vec<f64>,
    /// Naive Bayes: every feature's `log P(feature | class)`, one per class.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    feature_log_prob: Vec<(String, Vec<f64>)>,
    /// Per class, the features that point most towards it (name, weight), largest first.
    #[serde(skip)]
    top: Vec<(String, Vec<(String, f64)>)>,
}

/// Refuses flags that have no meaning for a model of text columns.
fn check_flags(args: &FitArgs) -> anyhow::Result<()> {
    let d = &args.design;
    if args.text.text.is_empty() && !args.stream.hashes() {
        anyhow::bail!(
            "--model nb fits Naive Bayes on text or hashed columns: name them with --text COL or \
             --hash COL"
        );
    }
    if args.text.text.is_empty() {
        let text_only = args.text.other_flags().into_iter().find(|f| *f != "--hash-bits");
        if let Some(name) = text_only.filter(|f| *f != "--nb-alpha") {
            anyhow::bail!("{name} describes text features: name the text columns with --text COL");
        }
    }
    let format = Format::resolve(d.format.map(Format::from), &d.data);
    if format == Format::Libsvm {
        anyhow::bail!("--text reads a table with named columns, not a LibSVM file");
    }
    if !matches!(args.model, Model::Logit | Model::Softmax | Model::Ovr | Model::Nb) {
        anyhow::bail!(
            "--text fits --model logit (binary), softmax (L2, any number of classes), ovr (one \
             logit per class) or nb (Naive Bayes), not --model {}",
            flag(args.model)
        );
    }
    let table_only = [
        ("--features", d.features.is_some()),
        ("--categorical", !d.categorical.is_empty()),
        ("--poly", d.poly != 1),
        ("--interactions", d.interactions),
        ("--standardize", d.standardize),
        ("--weights", args.weights.is_some()),
        ("--cov", args.cov != Cov::Nonrobust),
        ("--class-weight", args.fit.class_weight != ClassWeightKind::None),
        ("--force-inference", args.force_inference),
        ("--drop-missing", d.drop_missing),
    ];
    if let Some((name, _)) = table_only.iter().find(|f| f.1) {
        anyhow::bail!(
            "{name} does not apply to --text or --hash: the features are words and hashed values"
        );
    }
    if args.model == Model::Nb {
        let logit_only = [
            ("--alpha", args.fit.alpha != 0.0),
            ("--penalty", args.fit.penalty.is_some()),
            ("--solver", args.fit.solver != Solver::Auto),
            ("--no-intercept", d.no_intercept),
        ];
        if let Some((name, _)) = logit_only.iter().find(|f| f.1) {
            anyhow::bail!("{name} applies to the logit; --model nb is smoothed by --nb-alpha");
        }
        return Ok(());
    }
    if let Some(a) = args.text.nb_alpha {
        anyhow::bail!("--nb-alpha {a} applies to --model nb; the logit's penalty is --alpha");
    }
    if matches!(args.fit.penalty, Some(PenaltyKind::L1 | PenaltyKind::Elasticnet)) {
        if args.model == Model::Softmax {
            anyhow::bail!(
                "--penalty {} is fitted per class (newGLMNET, as LIBLINEAR's -s 6): use --model \
                 ovr, or --model softmax with --penalty l2 or none",
                flag(args.fit.penalty.unwrap_or(PenaltyKind::L2))
            );
        }
        if !matches!(args.fit.solver, Solver::Auto | Solver::Cd) {
            anyhow::bail!("an L1 or elastic-net --text fit uses --solver auto or cd");
        }
        return Ok(());
    }
    if !matches!(args.fit.solver, Solver::Auto | Solver::Newton | Solver::Lbfgs) {
        anyhow::bail!(
            "--text fits use --solver auto (trust-region Newton) or lbfgs (got {})",
            flag(args.fit.solver)
        );
    }
    Ok(())
}

/// The target's classes (sorted; with --positive for two classes, that one second) and each
/// row's class index.
pub(crate) fn classes(
    target: &str,
    positive: Option<&str>,
    frame: &Frame,
) -> anyhow::Result<(Vec<String>, Vec<u32>)> {
    let target = target.trim();
    let column = frame.column(target)?;
    let mut classes = column.distinct_labels();
    if classes.len() < 2 {
        anyhow::bail!(
            "--target {target}: the column has {} class(es); a classifier needs two",
            classes.len()
        );
    }
    if let Some(p) = positive {
        if classes.len() != 2 {
            anyhow::bail!("--positive {p}: the target has {} classes, not 2", classes.len());
        }
        match classes.iter().position(|c| c == p.trim()) {
            Some(0) => classes.swap(0, 1),
            Some(_) => {}
            None => anyhow::bail!("--positive {p}: the classes are {}", classes.join(", ")),
        }
    }
    let y = (0..frame.n_rows)
        .map(|i| {
            let label = column.label(i);
            classes.iter().position(|c| *c == label).unwrap_or_default() as u32
        })
        .collect();
    Ok((classes, y))
}

/// Runs `axon fit --text`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    check_flags(args)?;
    let nb = args.model == Model::Nb;
    let specs = args.text.specs(if nb { WeightingArg::Counts } else { WeightingArg::Tfidf })?;
    let target = args.design.target.trim().to_owned();
    let data = &args.design.data;
    let format = Format::resolve(args.design.format.map(Format::from), data);
    let bits = args.text.hash_bits.unwrap_or(DEFAULT_HASH_BITS);
    let hashed = args.stream.hashed_columns(data, format, &target, bits)?;
    let mut inputs: Vec<String> = specs.iter().map(|s| s.column.clone()).collect();
    inputs.extend(hashed.iter().flat_map(|h| h.columns().iter().map(|c| c.name.clone())));
    if inputs.contains(&target) {
        anyhow::bail!("--text/--hash {target}: the target column cannot also be a feature");
    }
    let frame = read_text_frame(data, format, &inputs, &target)?;
    let (classes, y) = classes(&target, args.design.positive.as_deref(), &frame)?;
    let (encoder, x) = SparseEncoder::fit_transform_with(&specs, hashed, &frame)?;
    let (n_obs, dropped_rows) = (frame.n_rows, frame.dropped_rows);
    drop(frame);
    let mut report = TextReport {
        model: "",
        data: args.design.data.display().to_string(),
        n_obs,
        dropped_rows,
        columns: inputs,
        n_features: x.n_cols(),
        nnz: x.nnz(),
        classes: classes.clone(),
        penalty: String::new(),
        solver: "",
        iterations: 0,
        converged: true,
        gradient_norm: None,
        fit_seconds: 0.0,
        objective: None,
        log_loss: 0.0,
        accuracy: 0.0,
        intercept: None,
        coefficients: Vec::new(),
        coefficients_by_class: Vec::new(),
        intercepts: Vec::new(),
        class_log_prior: Vec::new(),
        feature_log_prob: Vec::new(),
        top: Vec::new(),
    };
    let settings = settings_record("fit", args)?;
    if nb {
        let alpha = args.text.nb_alpha.unwrap_or(1.0);
        let started = Instant::now();
        let fit = ranks::fit_sparse_rows(&x, &y, |x, y| {
            NaiveBayes::fit(NbKind::Multinomial, alpha, x, y)
        })?;
        if !ranks::is_root() {
            return Ok(());
        }
        report.fit_seconds = started.elapsed().as_secs_f64();
        let model = NaiveBayesModel::new(encoder, target, classes, fit, settings)?;
        describe_nb(&mut report, &model, &x, &y, alpha, args.json)?;
        print(args, &report)?;
        if let Some(path) = &args.out {
            model.save(path)?;
            errln!("axon: model written to {}", path.display())?;
        }
        end_without_freeing((x, model, report));
        return Ok(());
    }
    let softmax = args.model == Model::Softmax;
    let multi = softmax || (args.model == Model::Ovr && classes.len() > 2);
    if classes.len() != 2 && !multi {
        anyhow::bail!(
            "--target {target}: {} classes; the sparse logit is binary (--model softmax, ovr and \
             nb take any number of classes)",
            classes.len()
        );
    }
    let l1 = l1_options(args)?;
    let alpha = if l1.is_some() { 0.0 } else { l2_alpha(args.fit.penalty, args.fit.alpha)? };
    let (solver, solver_name) = match args.fit.solver {
        _ if softmax => (SparseSolver::Lbfgs, "lbfgs (multinomial)"),
        Solver::Lbfgs => (SparseSolver::Lbfgs, "lbfgs"),
        _ => (SparseSolver::Tron, "trust-region Newton (TRON)"),
    };
    let opts = SparseLogitOptions {
        alpha,
        fit_intercept: !args.design.no_intercept,
        solver,
        tol: match args.tol {
            Some(tol) => tol,
            None if solver == SparseSolver::Tron => super::TEXT_TRON_TOL,
            None => super::DEFAULT_TOL,
        },
        // L-BFGS counts cheap iterations: at least 1000, as the table path.
        max_iter: if solver == SparseSolver::Lbfgs {
            args.max_iter.max(1000)
        } else {
            args.max_iter
        },
    };
    report.penalty = match &l1 {
        Some((_, name)) => name.clone(),
        None if alpha > 0.0 => format!("L2 (alpha = {alpha}, C = {})", 1.0 / alpha),
        None => "none".to_owned(),
    };
    report.solver = match (&l1, multi && !softmax) {
        (Some(_), _) => L1_SOLVER,
        (None, true) if solver == SparseSolver::Tron => "trust-region Newton (TRON), one per class",
        (None, true) => "lbfgs, one per class",
        (None, false) => solver_name,
    };
    if multi {
        let y: Vec<usize> = y.iter().map(|&c| c as usize).collect();
        let k = classes.len();
        let started = Instant::now();
        let fit = ranks::fit_sparse_rows(&x, &y, |x, y| match &l1 {
            Some((l1, _)) => fit_sparse_one_vs_rest_l1(x, y, k, None, l1),
            None if softmax => fit_sparse_softmax(x, y, k, None, &opts),
            None => fit_sparse_one_vs_rest(x, y, k, None, &opts),
        })?;
        if !ranks::is_root() {
            return Ok(());
        }
        report.fit_seconds = started.elapsed().as_secs_f64();
        let model = SparseLinearModel::from_multi(encoder, target, classes, &fit, settings)?;
        report.model = model.kind_name();
        report.iterations = fit.iterations;
        report.converged = fit.converged;
        report.objective = Some(fit.objective);
        (report.log_loss, report.accuracy) = training_fit(&model.predict_proba_design(&x)?, &y)?;
        let p = x.n_cols();
        report.top = (model.classes.iter().enumerate())
            .map(|(c, name)| {
                let row = &model.coef[c * p..(c + 1) * p];
                let mut sorted: Vec<(usize, f64)> =
                    row.iter().copied().enumerate().filter(|(_, b)| *b > 0.0).collect();
                sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
                let top = sorted.iter().take(SHOWN);
                (name.clone(), top.map(|&(j, b)| (model.encoder.feature_name(j), b)).collect())
            })
            .collect();
        report.coefficients_by_class = (model.classes.iter().enumerate())
            .filter(|_| args.json)
            .map(|(c, name)| {
                let row = &model.coef[c * p..(c + 1) * p];
                let named = (row.iter().enumerate()).filter(|(_, &b)| b != 0.0);
                (name.clone(), named.map(|(j, &b)| (model.encoder.feature_name(j), b)).collect())
            })
            .collect();
        report.intercepts = model.intercept.clone();
        print(args, &report)?;
        if let Some(path) = &args.out {
            model.save(path)?;
            errln!("axon: model written to {}", path.display())?;
        }
        end_without_freeing((x, model, report));
        return Ok(());
    }
    let yf: Vec<f64> = y.iter().map(|&c| f64::from(c)).collect();
    let started = Instant::now();
    let fit = ranks::fit_sparse_rows(&x, &yf, |x, y| match &l1 {
        Some((l1, _)) => fit_sparse_l1(x, y, None, l1),
        None => fit_sparse_logit(x, y, None, &opts),
    })?;
    if !ranks::is_root() {
        return Ok(());
    }
    report.fit_seconds = started.elapsed().as_secs_f64();
    let model = SparseLinearModel::from_logit(encoder, target, classes, &fit, settings)?;
    report.model = model.kind_name();
    report.iterations = fit.iterations;
    report.converged = fit.converged;
    report.gradient_norm = Some(fit.gradient_norm);
    report.objective = Some(fit.objective);
    report.intercept = opts.fit_intercept.then_some(fit.intercept);
    let classes_of: Vec<usize> = y.iter().map(|&c| c as usize).collect();
    (report.log_loss, report.accuracy) =
        training_fit(&model.predict_proba_design(&x)?, &classes_of)?;
    let named = |&(j, b): &(usize, f64)| (model.encoder.feature_name(j), b);
    // The largest positive coefficients (ties by column) and the most negative (ties by column,
    // last first), picked without sorting every coefficient.
    let up = largest(&fit.coef, |b| b > 0.0, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let down = largest(&fit.coef, |b| b < 0.0, |a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    let (up, down) = (up.iter().map(named).collect(), down.iter().map(named).collect());
    report.top = vec![(model.classes[1].clone(), up), (model.classes[0].clone(), down)];
    // Every feature by name only for --json (a quarter of a million strings otherwise unused).
    if args.json {
        let nonzero = fit.coef.iter().copied().enumerate().filter(|(_, b)| *b != 0.0);
        report.coefficients = nonzero.map(|c| named(&c)).collect();
    }
    print(args, &report)?;
    if let Some(path) = &args.out {
        model.save(path)?;
        errln!("axon: model written to {}", path.display())?;
    }
    end_without_freeing((x, model, report));
    Ok(())
}

/// The first [`SHOWN`] of the coefficients `which` takes, by column, in the order `first`.
fn largest(
    coef: &[f64],
    which: impl Fn(f64) -> bool,
    first: impl Fn(&(usize, f64), &(usize, f64)) -> std::cmp::Ordering,
) -> Vec<(usize, f64)> {
    let mut picked: Vec<(usize, f64)> =
        coef.iter().copied().enumerate().filter(|c| which(c.1)).collect();
    if picked.len() > SHOWN {
        picked.select_nth_unstable_by(SHOWN, &first);
        picked.truncate(SHOWN);
    }
    picked.sort_unstable_by(first);
    picked
}

/// Leaves the design, the model and the report unfreed: the run ends next, and the system takes
/// the memory back at once, where freeing a vocabulary of a quarter of a million strings and a
/// design of millions of entries piece by piece took a noticeable share of a text fit.
pub(crate) fn end_without_freeing<T>(big: T) {
    std::mem::forget(big);
}

/// Fills the Naive Bayes part of the report: priors, every feature's log-probabilities (when
/// `every_feature`, for --json), and per class the features whose log-probability most exceeds
/// the other classes' mean.
fn describe_nb(
    report: &mut TextReport,
    model: &NaiveBayesModel,
    x: &Csr,
    y: &[u32],
    alpha: f64,
    every_feature: bool,
) -> anyhow::Result<()> {
    let (k, p) = (model.classes.len(), model.nb.n_features());
    report.model = model.kind_name();
    report.penalty = format!("additive smoothing alpha = {alpha}");
    report.solver = "closed form (counts)";
    let classes_of: Vec<usize> = y.iter().map(|&c| c as usize).collect();
    (report.log_loss, report.accuracy) =
        training_fit(&model.predict_proba_design(x)?, &classes_of)?;
    report.class_log_prior = model.nb.class_log_prior().to_vec();
    let lp = model.nb.feature_log_prob();
    report.feature_log_prob = (0..p)
        .filter(|_| every_feature)
        .map(|j| (model.encoder.feature_name(j), (0..k).map(|c| lp[c * p + j]).collect()))
        .collect();
    report.top = (0..k)
        .map(|c| {
            let mut lift: Vec<(usize, f64)> = (0..p)
                .map(|j| {
                    let others = (0..k).filter(|&o| o != c).map(|o| lp[o * p + j]).sum::<f64>();
                    (j, lp[c * p + j] - others / (k - 1) as f64)
                })
                .collect();
            // The largest first, ties by column: the first SHOWN picked, then only they sorted.
            let order =
                |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            if lift.len() > SHOWN {
                lift.select_nth_unstable_by(SHOWN, order);
                lift.truncate(SHOWN);
            }
            lift.sort_unstable_by(order);
            let top = lift.iter().map(|&(j, v)| (model.encoder.feature_name(j), v));
            (model.classes[c].clone(), top.collect())
        })
        .collect();
    Ok(())
}

fn print(args: &FitArgs, r: &TextReport) -> anyhow::Result<()> {
    if args.json {
        return print_json(r);
    }
    let density = r.nnz as f64 / (r.n_obs as f64 * r.n_features.max(1) as f64);
    outln!(
        "{} on the columns {} of {}: {} rows, {} features, {} non-zeros ({:.3}% dense)",
        r.model,
        r.columns.join(", "),
        r.data,
        r.n_obs,
        r.n_features,
        r.nnz,
        100.0 * density
    )?;
    if r.dropped_rows > 0 {
        outln!("Dropped {} rows with a missing value", r.dropped_rows)?;
    }
    outln!("Classes: {}   {}", r.classes.join(", "), r.penalty)?;
    let state = if r.converged { "converged" } else { "did NOT converge" };
    match r.gradient_norm {
        Some(g) => {
            outln!("Solver {}: {state} in {} iterations (‖∇F‖₂ = {g:.3e})", r.solver, r.iterations)?
        }
        None if r.class_log_prior.is_empty() => {
            outln!("Solver {}: {state} in {} iterations", r.solver, r.iterations)?
        }
        None => outln!("Fit: {}", r.solver)?,
    }
    if let Some(f) = r.objective {
        outln!("Objective F = {f:.10}")?;
    }
    outln!(
        "Training log loss = {:.6}   training accuracy = {:.2}%   fit {:.3} s",
        r.log_loss,
        100.0 * r.accuracy,
        r.fit_seconds
    )?;
    if let Some(b) = r.intercept {
        outln!("Intercept: {b:.6}")?;
    }
    let what = if r.class_log_prior.is_empty() { "coefficient" } else { "log-probability lift" };
    for (class, list) in &r.top {
        if list.is_empty() {
            continue;
        }
        outln!("\nTowards {class} ({what}):")?;
        let width = list.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(4);
        for (name, v) in list {
            outln!("  {name:<width$}  {v:>12.6}")?;
        }
    }
    outln!("\n(--json lists every feature's values)")?;
    Ok(())
}

/// The L2 penalty of a text logit or softmax from `--penalty` and `--alpha`: 1 when neither is
/// given, 0 only for `--penalty none`.
pub(crate) fn l2_alpha(penalty: Option<PenaltyKind>, alpha: f64) -> anyhow::Result<f64> {
    Ok(match (penalty, alpha) {
        (Some(PenaltyKind::None), 0.0) => 0.0,
        (Some(PenaltyKind::None), a) => {
            anyhow::bail!("--alpha {a} with --penalty none: choose a penalty or drop --alpha")
        }
        (_, a) if a < 0.0 || !a.is_finite() => anyhow::bail!("--alpha {a}: must be finite and ≥ 0"),
        (Some(PenaltyKind::L2), 0.0) => anyhow::bail!("--penalty l2: needs --alpha > 0 (got 0)"),
        (_, 0.0) => 1.0,
        (_, a) => a,
    })
}

/// The columns `inputs` (text or hashed) and `target` of `data`, read as `predict` reads them:
/// an empty field is an empty document or no hashed feature, not a missing value.
pub(crate) fn read_text_frame(
    data: &std::path::Path,
    format: Format,
    inputs: &[String],
    target: &str,
) -> anyhow::Result<Frame> {
    let mut columns = inputs.to_vec();
    columns.push(target.to_owned());
    let read = ReadOptions {
        format: Some(format),
        missing: Vec::new(),
        columns: Some(columns),
        categorical: inputs.to_vec(),
        ..ReadOptions::default()
    };
    Ok(read_table(data, &read)?)
}
