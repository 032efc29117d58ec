//! The `axon` command line.
//!
//! This binary is the front door for people who want to fit models without writing Rust: it will
//! read a data file, call the `axon` library and print the result. Only the argument parsing
//! (`--help`, `--version`) exists so far; the model commands land with the library features they
//! need, so this file never advertises a command that does not work.

use std::process::ExitCode;

use clap::Parser;

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
        "No model commands are available yet in this version; use the `axon` library crate and its ",
        "examples (see the project README) in the meantime.",
    ),
)]
struct Cli {}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("axon: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Parses the arguments and does the work; every failure comes back as an error for `main`.
fn run() -> anyhow::Result<()> {
    // Clap prints `--help` / `--version` itself and exits 0; a usage error exits 2 with its
    // own message, which matches our exit code for errors.
    let Cli {} = Cli::parse();

    // No arguments: say what this is and where to look, rather than printing the full help.
    println!("axon {}: {ABOUT}.", env!("CARGO_PKG_VERSION"));
    println!("Run `axon --help` for usage.");
    Ok(())
}
