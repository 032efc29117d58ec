//! Running the built `axon` binary from the integration tests: the run itself, a run that must
//! succeed (its stdout, or its stdout as one JSON object), and a run that must fail the way every
//! axon error does (exit code 2, nothing on stdout, `axon: ...` on stderr); `axon train` on one
//! thread, so a seed fixes its numbers; and the rows of `axon predict`'s output.

// Each test file compiles this module on its own and uses only some of it.
#![allow(dead_code)]

pub mod mpirun;

use std::process::{Command, Output};

use serde_json::Value;

/// Runs `axon` with `args`.
pub fn axon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_axon")).args(args).output().expect("failed to run axon")
}

/// The stdout of a run that must succeed.
pub fn ok_stdout(args: &[&str]) -> String {
    succeeded(args, axon(args))
}

/// The stdout of `out`, a run of `args` that must have succeeded.
fn succeeded(args: &[&str], out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "axon {args:?}: exit {:?}, stderr:\n{err}", out.status);
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The stdout of a run that must succeed, parsed as one JSON object.
pub fn ok_json(args: &[&str]) -> Value {
    serde_json::from_str(&ok_stdout(args)).expect("one JSON object")
}

/// The stderr of a run that must fail with exit code 2 and print nothing on stdout.
pub fn error(args: &[&str]) -> String {
    let out = axon(args);
    assert_eq!(out.status.code(), Some(2), "axon {args:?} should fail with exit code 2");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("axon: "), "{err}");
    err
}

/// The path of `data/<name>` in the repository.
pub fn data(name: &str) -> String {
    format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// An empty temporary folder for one test (`tag` keeps test files apart).
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-cli-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// `axon train ARGS --json --quiet` on one thread (`RAYON_NUM_THREADS=1`, so that a seed fixes
/// every number) that must succeed: its JSON summary.
pub fn train_json(args: &[&str]) -> Value {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "--quiet"]);
    let mut command = Command::new(env!("CARGO_BIN_EXE_axon"));
    let out =
        command.args(&all).env("RAYON_NUM_THREADS", "1").output().expect("failed to run axon");
    let stdout = succeeded(&all, out);
    serde_json::from_str(&stdout).expect("one JSON object")
}

/// `axon predict` output: the header and, per row, the label and the numbers after it. The
/// first column, `row`, must number the rows 1, 2, ... and is left out of both.
pub fn predictions(csv: &str) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
    let mut lines = csv.lines();
    let mut header: Vec<String> = lines.next().unwrap().split(',').map(str::to_owned).collect();
    assert_eq!(header.remove(0), "row", "the first column of `axon predict`");
    let rows = lines
        .enumerate()
        .map(|(i, l)| {
            let mut f = l.split(',');
            assert_eq!(f.next().unwrap(), (i + 1).to_string(), "row number of `{l}`");
            let label = f.next().unwrap().to_owned();
            (label, f.map(|v| v.parse().unwrap()).collect())
        })
        .collect();
    (header, rows)
}
