//! Output that cannot be written is an error, never a panic: every command run with stdout on a
//! full device (`/dev/full`) exits 2 with `axon: writing to stdout: ...`, with stdout a pipe
//! whose reader has gone (`axon ... | head`) exits 0 quietly, and a warning or progress line to
//! a full stderr exits 2 (there is nowhere to say more) instead of exit 101. `--out` refuses a
//! destination that is not a regular file, by name, and leaves it as it was; `predict` refuses
//! a model file with a NaN coefficient instead of printing NaN probabilities.

mod common;

use std::fs::File;
use std::process::{Command, Output, Stdio};

use common::{data, temp_dir};

/// The commands, each with arguments that succeed and print on stdout (and on stderr).
fn commands(dir: &std::path::Path) -> Vec<(&'static str, Vec<String>)> {
    let chd = data("chd_age.csv");
    let model = dir.join("chd.axon").display().to_string();
    let made = common::axon(&["fit", "--data", &chd, "--target", "chd", "--out", &model]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("fit", args(&["fit", "--data", &chd, "--target", "chd"])),
        ("fit --json", args(&["fit", "--data", &chd, "--target", "chd", "--json"])),
        ("eval", args(&["eval", "--model", &model, "--data", &chd])),
        ("cv", args(&["cv", "--data", &chd, "--target", "chd", "--grid", "alpha=0.1,1"])),
        ("train", args(&["train", "--data", &chd, "--target", "chd", "--epochs", "2"])),
        ("predict", args(&["predict", "--model", &model, "--data", &chd])),
    ]
}

/// Runs `axon args` with the given stdout and stderr.
fn run(args: &[String], stdout: Stdio, stderr: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_axon"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(stdout)
        .stderr(stderr)
        .output()
        .expect("failed to run axon")
}

fn dev_full() -> Option<File> {
    File::options().write(true).open("/dev/full").ok()
}

#[test]
fn a_full_stdout_is_exit_2_with_a_message() {
    let Some(_) = dev_full() else { return eprintln!("skipped: no /dev/full") };
    let dir = temp_dir("output-full");
    for (name, args) in commands(&dir) {
        let out = run(&args, dev_full().unwrap().into(), Stdio::piped());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.contains("axon: writing to stdout: No space left on device"), "{name}: {err}");
    }
}

#[test]
fn a_closed_pipe_on_stdout_ends_the_run_quietly() {
    let dir = temp_dir("output-pipe");
    for (name, args) in commands(&dir) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_axon"))
            .args(&args)
            .env("RAYON_NUM_THREADS", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("failed to run axon");
        // The reader goes away before axon has written anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        assert!(!err.contains("panicked") && !err.contains("writing to stdout"), "{name}: {err}");
    }
}

#[test]
fn a_full_stderr_is_exit_2_not_a_panic() {
    let Some(_) = dev_full() else { return eprintln!("skipped: no /dev/full") };
    let dir = temp_dir("output-stderr");
    let chd = data("chd_age.csv");
    let model = dir.join("m.axon").display().to_string();
    let runs: [&[&str]; 2] = [
        // "axon: model written to ..." goes to stderr.
        &["fit", "--data", &chd, "--target", "chd", "--out", &model],
        // Per-epoch lines go to stderr.
        &["train", "--data", &chd, "--target", "chd", "--epochs", "2"],
    ];
    for args in runs {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = run(&args, Stdio::null(), dev_full().unwrap().into());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn out_refuses_a_destination_that_is_not_a_regular_file() {
    let dir = temp_dir("output-out");
    let target = dir.join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.join("model.axon");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let chd = data("chd_age.csv");
    let link_text = link.display().to_string();
    let out = common::axon(&["fit", "--data", &chd, "--target", "chd", "--out", &link_text]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&link_text) && err.contains("is a symbolic link, not a regular file"),
        "{err}"
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
}

#[test]
fn predict_refuses_a_model_with_a_nan_coefficient() {
    let dir = temp_dir("output-nan");
    let chd = data("chd_age.csv");
    let good = dir.join("good.axon");
    let good_text = good.display().to_string();
    common::ok_stdout(&["fit", "--data", &chd, "--target", "chd", "--out", &good_text]);
    // The coefficients with one NaN, saved again through the library.
    let file = axon::io::load_model(&good).unwrap();
    let mut tensors = file.tensors.tensors.clone();
    let (_, b) = tensors.iter_mut().find(|(n, _)| n == "coefficients").unwrap();
    let mut values = b.to_vec::<f64>().unwrap();
    values[1] = f64::NAN;
    *b = axon::Tensor::from_vec(values, b.dims().to_vec()).unwrap();
    let bad = dir.join("nan.axon");
    axon::io::save_model(&bad, file.kind, &file.model, &file.settings, &tensors).unwrap();
    let bad_text = bad.display().to_string();
    let err = common::error(&["predict", "--model", &bad_text, "--data", &chd, "--proba"]);
    assert!(err.contains(&bad_text) && err.contains("tensor `coefficients` holds NaN"), "{err}");
}
