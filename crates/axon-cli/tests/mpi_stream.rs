//! `axon fit --stream` over MPI ranks (built only with the cargo feature `mpi`; run by
//! `scripts/mpi_ci.sh`): each rank streams its own part of a generated click log (a byte range
//! of one file, or its share of `part-*.csv` files) and the ranks merge their models every
//! `--sync-every` rows. FTRL and SGD with K = 2 and 4 reach the held-out log loss of one process
//! within 1%; every row is learned exactly once (the global row count); only rank 0 writes the
//! model; a bad part file on one rank ends the whole job with that file's error; a checkpoint
//! over ranks resumes with the same ranks to the uninterrupted run, and is refused by others.

#![cfg(feature = "mpi")]

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::mpirun::{mpirun, single};
use common::temp_dir;
use serde_json::Value;

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The effect of value `v` of column `c`, in [−scale, scale], fixed by a hash.
fn effect(c: u64, v: u64, scale: f64) -> f64 {
    let mut r = Rng(c.wrapping_mul(1_000_003) ^ v.wrapping_mul(0x2545_F491_4F6C_DD1D));
    (2.0 * r.uniform() - 1.0) * scale
}

/// Cardinalities of the categorical columns C1..C8.
const CARDS: [u64; 8] = [8, 60, 400, 3000, 20, 150, 20_000, 3];

/// A click log of `rows` rows: `label`, then C1..C8 of skewed (cubed uniform) values as
/// hex tokens; the click probability is logistic in per-value effects and a C1×C2 cross.
fn write_clicks(path: &Path, rows: usize, seed: u64) {
    let mut rng = Rng(seed);
    let mut text = String::from("label");
    for j in 1..=CARDS.len() {
        write!(text, ",C{j}").unwrap();
    }
    text.push('\n');
    for _ in 0..rows {
        let values: Vec<u64> =
            CARDS.iter().map(|&card| (card as f64 * rng.uniform().powi(3)) as u64).collect();
        let mut z = -1.6 + effect(99, values[0] * 1000 + values[1], 0.8);
        for (c, &v) in values.iter().enumerate() {
            z += effect(c as u64, v, 1.0);
        }
        let label = u8::from(rng.uniform() < 1.0 / (1.0 + (-z).exp()));
        write!(text, "{label}").unwrap();
        for (c, v) in values.iter().enumerate() {
            write!(text, ",v{:x}", v * 7919 + c as u64).unwrap();
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The training file (200 000 rows) and the held-out file (20 000) of one directory.
fn click_files(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir(tag);
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    write_clicks(&train, 200_000, 11);
    write_clicks(&test, 20_000, 12);
    (dir, train, test)
}

fn ok(what: &str, out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: exit {:?}, stderr:\n{err}", out.status);
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn json(what: &str, out: Output) -> Value {
    let text = ok(what, out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{text}"))
}

/// The stream's flags for `learner` on `data`, saving the model to `out`.
fn stream_args<'a>(data: &'a str, learner: &'a str, out: &'a str) -> Vec<&'a str> {
    let mut args = vec!["fit", "--stream", "--data", data, "--target", "label", "--hash"];
    args.extend(["--cross", "C1:C2", "--learner", learner, "--out", out, "--json"]);
    args.extend(["--batch-rows", "10000"]);
    if learner == "sgd" {
        args.extend(["--lr", "1"]);
    }
    args
}

/// The held-out log loss of a saved model.
fn held_out(model: &Path, test: &Path) -> f64 {
    let args = ["eval", "--model", model.to_str().unwrap(), "--data", test.to_str().unwrap()];
    let report = json("eval", single(&[&args[..], &["--json"]].concat()));
    report["log_loss"].as_f64().unwrap()
}

#[test]
fn streaming_over_ranks_reaches_the_single_process_held_out_loss() {
    let (dir, train, test) = click_files("mpi-stream");
    let data = train.to_str().unwrap();
    for learner in ["ftrl", "sgd"] {
        let path = |name: &str| dir.join(format!("{learner}-{name}.axon"));
        let one = path("single");
        let report =
            json("one process", single(&stream_args(data, learner, one.to_str().unwrap())));
        assert_eq!(report["rows"], 200_000);
        let want = held_out(&one, &test);
        // About 29% clicks, so the best constant's loss is 0.60: the model has learned.
        assert!(want < 0.52, "{learner}: one process's held-out loss {want}");
        for k in [2, 4] {
            let model = path(&format!("k{k}"));
            let args = stream_args(data, learner, model.to_str().unwrap());
            let report = json(&format!("{k} ranks"), mpirun(k, &args));
            // Every row learned exactly once over the ranks, and the loss reported is global.
            assert_eq!(report["rows"], 200_000, "{learner}, K = {k}");
            let progressive = report["progressive_log_loss"].as_f64().unwrap();
            assert!(progressive < 0.56, "{learner}, K = {k}: progressive {progressive}");
            let got = held_out(&model, &test);
            assert!(
                (got - want).abs() <= 0.01 * want,
                "{learner}, K = {k}: held-out log loss {got} vs {want} in one process"
            );
        }
    }
}

/// Splits `train` into `n` files `part-I.csv` of whole lines, each with the header.
fn split_parts(dir: &Path, train: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(train).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let lines: Vec<&str> = body.lines().collect();
    for i in 0..n {
        let part: Vec<&str> = lines.iter().skip(i).step_by(n).copied().collect();
        let content = format!("{header}\n{}\n", part.join("\n"));
        std::fs::write(dir.join(format!("part-{i}.csv")), content).unwrap();
    }
    dir.join("part-*.csv").to_str().unwrap().to_owned()
}

#[test]
fn part_files_are_dealt_to_the_ranks() {
    let (dir, train, test) = click_files("mpi-stream-parts");
    let pattern = split_parts(&dir, &train, 3);
    let one = dir.join("one.axon");
    // One process reads every part, one after another.
    let report = json("one process", single(&stream_args(&pattern, "ftrl", one.to_str().unwrap())));
    assert_eq!(report["rows"], 200_000);
    let want = held_out(&one, &test);
    // Two ranks: rank 0 reads parts 0 and 2, rank 1 part 1.
    let two = dir.join("two.axon");
    let out = mpirun(2, &stream_args(&pattern, "ftrl", two.to_str().unwrap()));
    let stdout = ok("2 ranks", out);
    // Rank 0 alone prints: one JSON object.
    let report: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["rows"], 200_000);
    let got = held_out(&two, &test);
    assert!((got - want).abs() <= 0.01 * want, "parts over 2 ranks: {got} vs {want}");
    // More ranks than files: the rank left without a file says so, and the job ends.
    let out = mpirun(4, &stream_args(&pattern, "ftrl", two.to_str().unwrap()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("rank 3 of 4 has nothing to read: 3 files for 4 ranks"), "{err}");
}

#[test]
fn a_bad_part_file_ends_the_whole_job_with_its_error() {
    let dir = temp_dir("mpi-stream-bad");
    std::fs::write(dir.join("part-0.csv"), "label,C1\n1,a\n0,b\n1,c\n0,d\n").unwrap();
    // Rank 1's file has a label that is neither 0/1 nor -1/1 on its third line.
    std::fs::write(dir.join("part-1.csv"), "label,C1\n1,a\n7,b\n0,c\n").unwrap();
    let pattern = dir.join("part-*.csv");
    let args = ["fit", "--stream", "--data", pattern.to_str().unwrap(), "--target", "label"];
    let out = mpirun(2, &[&args[..], &["--hash", "C1", "--sync-every", "1"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the job must fail: {err}");
    assert!(err.contains("part-1.csv:3"), "the error names rank 1's file and line: {err}");
}

#[test]
fn a_checkpoint_over_ranks_is_written_once_and_resumed_by_the_same_ranks() {
    let dir = temp_dir("mpi-stream-resume");
    let train = dir.join("train.csv");
    write_clicks(&train, 5_000, 3);
    let checkpoint = dir.join("state.ckpt");
    let ckpt = checkpoint.to_str().unwrap();
    let base = ["fit", "--stream", "--data", train.to_str().unwrap(), "--target", "label"];
    let base = [&base[..], &["--hash", "--sync-every", "500"]].concat();
    let with = [&base[..], &["--checkpoint", ckpt]].concat();
    let out = ok("2 ranks", mpirun(2, &with));
    assert!(out.contains("progressive log loss"), "{out}");
    assert_eq!(out.matches("progressive log loss").count(), 1, "rank 0 alone prints: {out}");
    assert!(checkpoint.exists());
    // The second pass resumed by the same two ranks is the two-pass run's (mid-pass places are
    // tested in the library, tests/online_ranks.rs).
    let two_passes = [&base[..], &["--passes", "2", "--json"]].concat();
    let want = json("2 ranks, 2 passes", mpirun(2, &two_passes));
    let resume = [&two_passes[..], &["--resume", ckpt]].concat();
    let got = json("2 ranks, resumed", mpirun(2, &resume));
    assert_eq!(got["rows"], 10_000);
    assert_eq!(got["rows_this_run"], 5_000);
    assert_eq!(got["progressive_log_loss"], want["progressive_log_loss"]);
    // The resumed run reports the rows it learned: the uninterrupted run's last reports.
    let (got, want) = (got["reports"].as_array().unwrap(), want["reports"].as_array().unwrap());
    assert!(!got.is_empty() && want.ends_with(got), "{got:?} vs {want:?}");
    // Other ranks, or one process, refuse it: each rank's place holds only for two ranks.
    for out in [mpirun(4, &resume), single(&resume)] {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("written by 2 MPI ranks"), "{err}");
        assert!(err.contains("mpirun -n 2"), "{err}");
    }
}

#[test]
fn a_vowpal_wabbit_file_is_cut_into_byte_ranges() {
    let dir = temp_dir("mpi-stream-vw");
    let vw = dir.join("clicks.vw");
    let mut rng = Rng(5);
    let mut text = String::new();
    for _ in 0..30_001 {
        let (a, b) = (rng.next() % 50, rng.next() % 7);
        let label = if rng.uniform() < 0.2 + 0.012 * a as f64 { 1 } else { -1 };
        writeln!(text, "{label} |c a={a} b={b}").unwrap();
    }
    std::fs::write(&vw, text).unwrap();
    let args = ["fit", "--data", vw.to_str().unwrap(), "--json", "--sync-every", "1000"];
    let one = json("one process", single(&args));
    for k in [2, 3] {
        let report = json(&format!("{k} ranks"), mpirun(k, &args));
        assert_eq!(report["rows"], 30_001, "K = {k}");
        let (got, want) = (
            report["progressive_log_loss"].as_f64().unwrap(),
            one["progressive_log_loss"].as_f64().unwrap(),
        );
        assert!((got - want).abs() < 0.02 * want, "K = {k}: progressive {got} vs {want}");
    }
}
