//! Runs the built `axon` binary and checks what it prints and how it exits.

use std::process::{Command, Output};

/// Runs `axon` with `args` and returns its output.
fn axon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_axon")).args(args).output().expect("failed to run axon")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is not UTF-8")
}

#[test]
fn version_prints_name_and_crate_version() {
    let out = axon(&["--version"]);
    assert!(out.status.success(), "exit status {:?}", out.status);
    assert_eq!(stdout(&out).trim(), format!("axon {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn help_describes_the_tool() {
    let out = axon(&["--help"]);
    assert!(out.status.success(), "exit status {:?}", out.status);
    let text = stdout(&out);
    assert!(text.contains("Usage: axon"), "help was:\n{text}");
    assert!(text.contains("reverse-mode autograd"), "help was:\n{text}");
    assert!(text.contains("--version"), "help was:\n{text}");
}

#[test]
fn no_arguments_points_to_help() {
    let out = axon(&[]);
    assert!(out.status.success(), "exit status {:?}", out.status);
    let text = stdout(&out);
    assert!(text.starts_with("axon "), "output was:\n{text}");
    assert!(text.contains("axon --help"), "output was:\n{text}");
}

#[test]
fn unknown_argument_is_a_usage_error() {
    let out = axon(&["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--no-such-flag"), "stderr was:\n{err}");
}

#[test]
fn help_lists_only_the_implemented_commands() {
    let text = stdout(&axon(&["--help"]));
    for command in ["fit", "predict", "eval", "cv", "train"] {
        assert!(text.contains(&format!("  {command} ")), "help was:\n{text}");
    }
    let fit = stdout(&axon(&["fit", "--help"]));
    for option in
        ["--data", "--target", "--features", "--model", "--alpha", "--cov", "--out", "--json"]
    {
        assert!(fit.contains(option), "fit help was:\n{fit}");
    }
}
