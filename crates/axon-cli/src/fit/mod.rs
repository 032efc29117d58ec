//! `axon fit`: a logit, probit, softmax or one-vs-rest regression of a CSV file, by exact
//! maximum likelihood with statsmodels' inference or penalised with a choice of solvers; `--out`
//! saves the model for `axon predict` and `axon eval`. `--model ols` is the linear probability
//! model instead (`ols.rs`), reported but not saved.
//!
//! Flags become library options (`options.rs`), the library reads the file (errors name the
//! file, line and column), builds the design (`Design::new`) and fits (`fit_linear`, which
//! refuses combinations a model does not take); `binary.rs`, `softmax.rs` and `ovr.rs` print
//! the result as a table or one JSON object. A fit that did not converge is reported as such at
//! the top, with its estimates only unless `--force-inference`; one that diverged is headed
//! DIVERGED, with its estimates only and the advice to lower the rate or standardise. `--text
//! COL` (or `--model nb`) fits a sparse L2 logit or Naive Bayes on text columns instead
//! (`text.rs`), and `--text COL --encoder DIR` any of the table fits on the columns' frozen
//! sentence embeddings (`encoded.rs`).

mod binary;
mod encoded;
mod ols;
mod ovr;
mod report;
mod softmax;
mod sparse;
mod stream;
pub(crate) mod text;

use std::path::PathBuf;

use axon::data::{read_table, Design, DesignSpec, Format, Frame};
use axon::distributed::rows::RowShards;
use axon::linear::{check_options, fit_linear, CovType, LinearFit, LinearKind};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::common::{flag, settings_record};
use crate::options::{DesignArgs, Model, SolverArgs};
use crate::output::errln;
use crate::ranks;
use crate::text_args::TextArgs;
use report::Context;

/// `--tol` when none is given, for every fit but the trust-region Newton fit of text.
pub const DEFAULT_TOL: f64 = 1e-10;

/// `--tol` when none is given for the trust-region Newton fit of text: LIBLINEAR's rule
/// `‖∇F‖₂ ≤ tol ‖∇F(0)‖₂` with scikit-learn's default `tol` for its liblinear solver, which runs
/// the same method. On the SpamAssassin split it takes 7 iterations instead of 15 at 1e-10 with
/// the same test accuracy.
pub const TEXT_TRON_TOL: f64 = 1e-4;

/// Arguments of `axon fit`.
#[derive(Debug, Args, Serialize)]
pub struct FitArgs {
    #[command(flatten)]
    pub design: DesignArgs,
    /// The model: binary logit or probit, the multinomial (softmax) logit for K classes,
    /// one-vs-rest logits for K classes, or the linear probability model (ols: least squares of
    /// the 0/1 target with HC1 standard errors; no --out).
    #[arg(long, value_enum, default_value_t = Model::Logit)]
    pub model: Model,
    #[command(flatten)]
    pub fit: SolverArgs,
    #[command(flatten)]
    pub text: TextArgs,
    /// Fit on the frozen sentence embeddings of the --text columns instead of their words, by
    /// this sentence-transformers (or Hugging Face BERT) directory: each column becomes the
    /// columns COL:emb0, COL:emb1, ... (several --text columns are concatenated), beside the
    /// --features columns; any --model logit, probit, softmax or ovr, penalty and solver.
    /// `--out` keeps the directory and the SHA-256 of its files for `axon predict` on raw text.
    #[arg(long, value_name = "DIR")]
    pub encoder: Option<PathBuf>,
    /// With --encoder: texts embedded at a time.
    #[arg(long, value_name = "B", default_value_t = 32)]
    pub embed_batch: usize,
    /// A column of frequency weights (finite, ≥ 0; a row of weight w counts w times); it is not a
    /// feature.
    #[arg(long, value_name = "COL")]
    pub weights: Option<String>,
    /// The covariance the standard errors come from (logit/probit).
    #[arg(long, value_enum, default_value_t = Cov::Nonrobust)]
    pub cov: Cov,
    /// The most Newton iterations.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_iter: usize,
    /// Convergence tolerance on the relative step [default: 1e-10; for the trust-region Newton
    /// fit of text, 1e-4 on ‖∇F‖ / ‖∇F(0)‖, scikit-learn's liblinear default].
    #[arg(long, value_name = "T")]
    pub tol: Option<f64>,
    /// Save the fitted model (encoder, coefficients, settings) to this file, for `axon predict`
    /// and `axon eval`. Written atomically.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Show standard errors, tests and intervals even when the fit did not converge (by default
    /// an unconverged fit reports its estimates only: they are not the maximum-likelihood ones).
    #[arg(long)]
    pub force_inference: bool,
    #[command(flatten)]
    pub stream: stream::StreamArgs,
}

/// `--cov`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cov {
    Nonrobust,
    Hc0,
    Hc1,
}

impl FitArgs {
    /// `--tol`, or [`DEFAULT_TOL`].
    pub fn tol(&self) -> f64 {
        self.tol.unwrap_or(DEFAULT_TOL)
    }
}

impl From<Cov> for CovType {
    fn from(c: Cov) -> CovType {
        match c {
            Cov::Nonrobust => CovType::NonRobust,
            Cov::Hc0 => CovType::HC0,
            Cov::Hc1 => CovType::HC1,
        }
    }
}

/// Runs `axon fit`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    if args.encoder.is_some() {
        return encoded::run(args);
    }
    let format = Format::resolve(args.design.format.map(Format::from), &args.design.data);
    if args.stream.stream || format == Format::Vw {
        return stream::run(args);
    }
    if args.embed_batch != 32 {
        anyhow::bail!("--embed-batch applies to --encoder (the texts it embeds at a time)");
    }
    let sparse_fit = !args.text.text.is_empty() || args.model == Model::Nb || args.stream.hashes();
    if sparse_fit {
        return text::run(args);
    }
    if let Some(name) = args.text.other_flags().first() {
        anyhow::bail!("{name} describes text features: name the text columns with --text COL");
    }
    if format == Format::Libsvm {
        return sparse::run(args);
    }
    if args.model == Model::Ols {
        return ols::run(args);
    }
    let kind = LinearKind::try_from(args.model)?;
    let options = args.fit.options(args.fit.alpha, args.max_iter, args.tol())?;
    check_options(kind, &options)?;
    if args.cov != Cov::Nonrobust && !matches!(args.model, Model::Logit | Model::Probit) {
        anyhow::bail!("--cov {} is available for logit and probit only", flag(args.cov));
    }
    let extra: Vec<&str> = args.weights.iter().map(String::as_str).collect();
    let frame = read_table(&args.design.data, &args.design.read_options(&extra))?;
    let mut spec = args.design.spec();
    let weights = match &args.weights {
        Some(column) => Some(weight_column(&frame, &mut spec, column)?),
        None => None,
    };
    let design = Design::new(&frame, &spec)?;
    let dropped_rows = frame.dropped_rows;
    drop(frame); // the design holds what the fit needs: free the columns before fitting
    let fit = if ranks::is_parallel() {
        // Over MPI ranks: this rank fits its rows, the library sums across the ranks, and
        // rank 0 alone reports on the whole design and writes the model.
        ranks::check_fit(&options)?;
        let (shard, shard_weights) = ranks::shard(&design, weights.as_deref())?;
        let _scope = RowShards::enter();
        fit_linear(kind, &shard, shard_weights.as_deref(), &options)?
    } else {
        fit_linear(kind, &design, weights.as_deref(), &options)?
    };
    if !ranks::is_root() {
        return Ok(());
    }
    let ctx = Context {
        data: args.design.data.display().to_string(),
        dropped_rows,
        max_iter: args.max_iter,
        tol: args.tol(),
        json: args.json,
        force_inference: args.force_inference,
    };
    report_fit(args, &fit, &design, weights.as_deref(), &ctx)?;
    if let Some(path) = &args.out {
        fit.to_model(design.encoder, settings_record("fit", args)?)?.save(path)?;
        errln!("axon: model written to {}", path.display())?;
    }
    Ok(())
}

/// Prints the report of any table fit (`fit` of `design`, frequency `weights` as fitted).
fn report_fit(
    args: &FitArgs,
    fit: &LinearFit,
    design: &Design,
    weights: Option<&[f64]>,
    ctx: &Context,
) -> anyhow::Result<()> {
    match fit {
        LinearFit::Binary(f) => {
            let standardized = args.design.standardize;
            binary::report(f, design, weights, args.cov.into(), standardized, ctx)
        }
        LinearFit::Softmax(f) => softmax::report(f, design, weights, ctx),
        LinearFit::Ovr(f) => ovr::report(f, design, ctx),
    }
}

/// The values of the weight column, which is taken out of the default feature list (and may
/// not be named as a feature).
fn weight_column(frame: &Frame, spec: &mut DesignSpec, column: &str) -> anyhow::Result<Vec<f64>> {
    let Some(w) = frame.column(column)?.as_numeric() else {
        anyhow::bail!("--weights {column}: the column is not numeric");
    };
    match &spec.features {
        Some(features) if features.iter().any(|f| f == column) => {
            anyhow::bail!("--weights {column}: the weight column cannot also be a feature")
        }
        Some(_) => {}
        None => {
            let others = frame.names.iter().filter(|n| *n != column && **n != spec.target);
            spec.features = Some(others.cloned().collect());
        }
    }
    Ok(w.to_vec())
}
