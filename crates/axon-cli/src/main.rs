//! The `axon` command line.
//!
//! This binary is the front door for people who want to fit models without writing Rust: it reads
//! a data file, calls the `axon` library and prints the result. This file only parses the
//! arguments and dispatches; each command lives in its own file (`fit/`, `predict.rs`,
//! `eval/`, `cv/`, `summary.rs`, `train.rs`, `embed.rs`) and is flags → library options → one library call → print.
//! No data layout, file format or choice of fit lives in the binary. Every command prints through
//! `output.rs`, so a failed write is an error said here once, not a panic.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod common;
mod curves;
mod cv;
mod embed;
mod eval;
mod fit;
mod options;
mod output;
mod predict;
mod ranks;
mod summary;
mod text_args;
mod train;
mod train_encoder;
mod train_text;

/// One-line description, shown by `axon` with no arguments and at the top of `--help`.
const ABOUT: &str =
    "Logistic regression and neural networks on axon's own tensor and reverse-mode autograd engine";

/// Command-line arguments of `axon`.
#[derive(Debug, Parser)]
#[command(
    name = "axon",
    version,
    about = ABOUT,
    long_about = concat!(
        "Logistic regression and neural networks on axon's own tensor and reverse-mode autograd ",
        "engine.\n\n",
        "axon is written for data scientists, economists, engineers and students who want to see ",
        "how these models are fitted: every gradient comes from the library's own autograd, with ",
        "no external machine-learning framework.\n\n",
        "`axon fit` fits a logit, probit or softmax model to a CSV file by exact maximum ",
        "likelihood and prints the statistics table (or JSON with --json); `--out` saves it for ",
        "`axon predict` and `axon eval`; `axon cv` cross-validates the penalty strength.",
    ),
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Fit a logit, probit, softmax or one-vs-rest regression to a CSV file: maximum likelihood
    /// with inference, or penalised (L2, L1, elastic net) with a choice of solvers.
    Fit(Box<fit::FitArgs>),
    /// Predict classes (and probabilities) for the rows of a data file with a saved model (a
    /// linear model from `axon fit` or a network from `axon train`).
    Predict(predict::PredictArgs),
    /// Score a saved model (linear or network) on labelled data: accuracy, log loss, AUC, F1,
    /// confusion matrix.
    Eval(eval::EvalArgs),
    /// Cross-validate fit options over a grid (`--grid NAME=V1,V2,...`, repeatable), with
    /// stratified, seeded folds; `--out` refits the best setting and saves it.
    Cv(cv::CvArgs),
    /// Print what a saved model file holds: its data schema, a linear model's coefficients or a
    /// network's architecture and parameter counts, and the settings of the run that saved it.
    Summary(summary::SummaryArgs),
    /// Train a classifier (logreg, MLP or CNN) by mini-batch gradient descent; save it and a run record.
    Train(train::TrainArgs),
    /// Sentence embeddings of a text column by a sentence-transformers (BERT) model directory,
    /// written as CSV or safetensors.
    Embed(embed::EmbedArgs),
}

fn main() -> ExitCode {
    // Under `mpirun` (a build with the `mpi` feature) this initialises MPI before any work.
    let comm = axon::distributed::world();
    let result = run();
    if comm.size() > 1 {
        if let Err(err) = &result {
            // One rank's failure ends every rank: the others may be waiting in a collective.
            comm.abort(&format!("axon: {}", common::message(err)), 2);
        }
    }
    axon::distributed::finalize();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`axon ... | head`) ends the run quietly.
        Err(err) if broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // If stderr cannot take the message either, the exit code still says it.
            let _ = writeln!(std::io::stderr(), "axon: {}", common::message(&err));
            ExitCode::from(2)
        }
    }
}

/// Whether `err` is a write to stdout or stderr whose reader went away.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<output::OutputError>().is_some_and(|o| o.is_broken_pipe()))
}

/// Parses the arguments and does the work; every failure comes back as an error for `main`.
fn run() -> anyhow::Result<()> {
    // Clap prints `--help` / `--version` itself and exits 0; a usage error exits 2 with its
    // own message, which matches our exit code for errors.
    match Cli::parse().command {
        Some(Command::Fit(args)) => fit::run(&args),
        Some(Command::Predict(args)) => predict::run(&args),
        Some(Command::Eval(args)) => eval::run(&args),
        Some(Command::Cv(args)) => cv::run(&args),
        Some(Command::Summary(args)) => summary::run(&args),
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Embed(args)) => embed::run(&args),
        None => {
            // No arguments: say what this is and where to look, rather than printing the help.
            output::outln!("axon {}: {ABOUT}.", env!("CARGO_PKG_VERSION"))?;
            output::outln!("Run `axon --help` for usage.")?;
            Ok(())
        }
    }
}
