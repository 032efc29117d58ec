//! `axon fit` and `axon train` over MPI ranks (built only with the cargo feature `mpi`; run by
//! `scripts/mpi_ci.sh`): the built binary under `mpirun --oversubscribe -n K` for K = 1, 2, 4
//! against the same command run as one plain process. Exact fits (on tables the logit and probit
//! by Newton, the L2 logit by L-BFGS, softmax, one-vs-rest, L1 and elastic net by coordinate
//! descent; on LibSVM files and text columns the logit by TRON, L-BFGS or newGLMNET, softmax,
//! one-vs-rest and Naive Bayes) give the single-process coefficients, standard errors and
//! objectives to 1e-10 relative (the sparse solvers that stop at the objective's rounding floor,
//! to their accuracy); an MLP trained 2 epochs with K ranks, each on B/K rows of every batch of
//! B, gives the single-process losses to 1e-5, and resumed from its checkpoint the uninterrupted
//! K-rank run's bits; a rank left without rows, and a bad data file, end the whole job with
//! their error, never a hang.

#![cfg(feature = "mpi")]

mod common;

use std::process::Output;

use common::mpirun::{mpirun, single};
use common::{data, temp_dir};
use serde_json::Value;

fn json_of(what: &str, out: Output) -> Value {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: exit {:?}, stderr:\n{err}", out.status);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{what}: not one JSON object ({e}):\n{text}"))
}

/// `|a − b| ≤ tol · max(1, |b|)`, with the path of the value in the message.
fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol * b.abs().max(1.0), "{what}: {a} vs {b} (tol {tol})");
}

/// Every number of `got` equals `want`'s to `tol`, recursively; strings and flags exactly (the
/// `data` field names the file and is the same in both).
fn same_numbers(got: &Value, want: &Value, tol: f64, path: &str) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            close(a.as_f64().unwrap(), b.as_f64().unwrap(), tol, path)
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: lengths");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_numbers(x, y, tol, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{path}");
            for (key, y) in b {
                // Iterations, the final gradient norm and the time are about the path, not
                // the optimum.
                if matches!(key.as_str(), "gradient_norm" | "iterations" | "fit_seconds") {
                    continue;
                }
                same_numbers(&a[key], y, tol, &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

/// The fit `args` as one process and over 1, 2 and 4 ranks: the same JSON report to `tol`.
fn fit_agrees(args: &[&str], tol: f64) {
    let args = [&["fit"], args].concat();
    let want = json_of("single process", single(&args));
    for k in [1, 2, 4] {
        let got = json_of(&format!("{k} ranks"), mpirun(k, &args));
        same_numbers(&got, &want, tol, &format!("K = {k}"));
    }
}

#[test]
fn logit_and_probit_over_ranks_equal_the_single_process_fit() {
    let lbw = data("lbw.csv");
    let base = ["--data", &lbw, "--target", "low", "--features", "age,lwt,race,smoke,ptl,ht,ui"];
    fit_agrees(&[&base[..], &["--json"]].concat(), 1e-10);
    fit_agrees(&[&base[..], &["--model", "probit", "--cov", "hc1", "--json"]].concat(), 1e-10);
    // Standardised columns: the means and standard deviations are those of the whole file.
    fit_agrees(&[&base[..], &["--standardize", "--json"]].concat(), 1e-10);
}

#[test]
fn an_l2_logit_by_lbfgs_over_ranks_equals_the_single_process_fit() {
    let cancer = data("breast_cancer.csv");
    let args = [
        "--data",
        &cancer,
        "--target",
        "target",
        "--standardize",
        "--penalty",
        "l2",
        "--alpha",
        "1",
        "--solver",
        "lbfgs",
        "--json",
    ];
    fit_agrees(&args, 1e-8);
}

#[test]
fn softmax_over_ranks_equals_the_single_process_fit() {
    let iris = data("iris.csv");
    // Race (three classes) on the birth-weight study: maximum likelihood with inference.
    let lbw = data("lbw.csv");
    let features = "age,lwt,smoke,ptl,ht,ui,bwt";
    let race = ["--data", &lbw, "--model", "softmax", "--target", "race", "--features", features];
    fit_agrees(&[&race[..], &["--json"]].concat(), 1e-10);
    // The iris species separate, so the softmax fit of all four measurements is penalised.
    let l2 = ["--data", &iris, "--model", "softmax", "--penalty", "l2", "--alpha", "1", "--json"];
    fit_agrees(&l2, 1e-10);
}

#[test]
fn a_libsvm_logit_by_tron_over_ranks_equals_the_single_process_fit() {
    let heart = data("heart_scale");
    fit_agrees(&["--data", &heart, "--json"], 1e-10);
    fit_agrees(&["--data", &heart, "--alpha", "0.1", "--no-intercept", "--json"], 1e-10);
}

/// newGLMNET ends when its line search no longer sees the objective decrease (its rounding
/// floor), so one iteration more or less moves the coefficients by up to about 1e-6 relative
/// (measured: 1e-8 on heart_scale, 2e-7 on the spam text, 9.5e-7 for one-vs-rest on the groups)
/// while the objective agrees to 1e-9. Small designs only: coordinate descent exchanges one
/// number per coordinate update, and 4 ranks on a busy machine take seconds per thousand
/// columns.
#[test]
fn l1_and_elastic_net_by_coordinate_descent_over_ranks_equal_the_single_process_fit() {
    let heart = data("heart_scale");
    fit_agrees(&["--data", &heart, "--penalty", "l1", "--alpha", "0.5", "--json"], 1e-6);
    let net = ["--data", &heart, "--penalty", "elasticnet", "--alpha", "1", "--l1-ratio", "0.5"];
    fit_agrees(&[&net[..], &["--no-intercept", "--json"]].concat(), 1e-6);
    let ovr = ["--data", &heart, "--model", "ovr", "--penalty", "l1", "--alpha", "2", "--json"];
    fit_agrees(&ovr, 1e-6);
    let spam = data("spam_sample.csv.gz");
    let text = ["--data", &spam, "--target", "label", "--text", "text", "--hash-bits", "7"];
    fit_agrees(&[&text[..], &["--penalty", "l1", "--alpha", "0.5", "--json"]].concat(), 1e-6);
}

/// Coordinate descent on a dense table completes each coordinate's sum across the ranks as the
/// sparse solver does, and takes the single process's steps: measured within 4.3e-15 with
/// K = 2 and 4 (its stopping rule is on the step, far from the rounding floor).
#[test]
fn l1_and_elastic_net_on_tables_over_ranks_equal_the_single_process_fit() {
    let lbw = data("lbw.csv");
    let base = ["--data", &lbw, "--target", "low", "--features", "age,lwt,race,smoke,ptl,ht,ui"];
    let l1 = ["--standardize", "--penalty", "l1", "--alpha", "2", "--json"];
    fit_agrees(&[&base[..], &l1[..]].concat(), 1e-10);
    let net = ["--penalty", "elasticnet", "--alpha", "1", "--l1-ratio", "0.5", "--json"];
    fit_agrees(&[&base[..], &net[..]].concat(), 1e-10);
    let iris = data("iris.csv");
    let ovr = ["--data", &iris, "--model", "ovr", "--penalty", "l1", "--alpha", "1", "--json"];
    fit_agrees(&ovr, 1e-10);
}

#[test]
fn one_vs_rest_on_a_table_over_ranks_equals_the_single_process_fit() {
    // Race (three classes) on the birth-weight study, one Newton logit per class.
    let lbw = data("lbw.csv");
    let features = "age,lwt,smoke,ptl,ht,ui,bwt";
    let race = ["--data", &lbw, "--model", "ovr", "--target", "race", "--features", features];
    fit_agrees(&[&race[..], &["--json"]].concat(), 1e-10);
    let iris = data("iris.csv");
    fit_agrees(&["--data", &iris, "--model", "ovr", "--alpha", "1", "--json"], 1e-10);
}

/// The spam sample's five groups as a LibSVM file (1500 tf-idf columns).
const GROUPS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/spam_groups.svm.gz");

/// The sparse L-BFGS fits stop where the objective's relative decrease reaches the rounding
/// floor (64 ε), so rounding differences of the ranks' sums move their end point within the
/// solver's own accuracy: measured within 4e-9 (softmax and one-vs-rest at `--alpha 1`, the
/// logit on heart_scale); TRON one-vs-rest within 2e-11.
#[test]
fn libsvm_softmax_one_vs_rest_and_lbfgs_over_ranks_equal_the_single_process_fit() {
    fit_agrees(&["--data", GROUPS, "--model", "ovr", "--alpha", "0.1", "--json"], 1e-10);
    fit_agrees(&["--data", GROUPS, "--model", "softmax", "--alpha", "1", "--json"], 1e-8);
    let ovr_lbfgs = ["--data", GROUPS, "--model", "ovr", "--solver", "lbfgs", "--alpha", "1"];
    fit_agrees(&[&ovr_lbfgs[..], &["--json"]].concat(), 1e-8);
    let heart = data("heart_scale");
    fit_agrees(&["--data", &heart, "--solver", "lbfgs", "--json"], 1e-8);
}

#[test]
fn text_fits_over_ranks_equal_the_single_process_fit() {
    let spam = data("spam_sample.csv.gz");
    let base = ["--data", &spam, "--text", "text", "--json"];
    // Every rank builds the whole file's vocabulary and idf, then fits its rows (softmax by
    // L-BFGS: measured within 4e-9, see above).
    fit_agrees(&[&base[..], &["--target", "label"]].concat(), 1e-10);
    fit_agrees(&[&base[..], &["--target", "group", "--model", "softmax"]].concat(), 1e-8);
    fit_agrees(
        &[&base[..], &["--target", "group", "--model", "ovr", "--ngram", "2"]].concat(),
        1e-10,
    );
    fit_agrees(&[&base[..], &["--target", "label", "--hash-bits", "12"]].concat(), 1e-10);
}

#[test]
fn naive_bayes_over_ranks_equals_the_single_process_fit() {
    let spam = data("spam_sample.csv.gz");
    let nb = ["--data", &spam, "--text", "text", "--model", "nb", "--json"];
    fit_agrees(&[&nb[..], &["--target", "group", "--nb-alpha", "0.5"]].concat(), 1e-10);
    // A class that only rank 0's rows hold (over 2 and 4 ranks) is still every rank's class.
    let dir = temp_dir("mpi-nb");
    let csv = dir.join("few.csv");
    let rows = ["a,red apple", "b,blue sky", "a,red wine", "b,blue sea", "c,green tea"]
        .iter()
        .chain(&["a,apple pie", "b,sky sea", "a,red red"])
        .fold(String::from("y,t\n"), |acc, r| acc + r + "\n");
    std::fs::write(&csv, rows).unwrap();
    let few = csv.to_str().unwrap();
    fit_agrees(&["--data", few, "--target", "y", "--text", "t", "--model", "nb", "--json"], 1e-10);
}

#[test]
fn only_rank_zero_writes_the_model() {
    let dir = temp_dir("mpi-fit-out");
    let (lbw, out) = (data("lbw.csv"), dir.join("m.axon"));
    let args = ["--data", &lbw, "--target", "low", "--features", "age,lwt", "--out"];
    let run = mpirun(2, &[&["fit"], &args[..], &[out.to_str().unwrap()]].concat());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8(run.stdout).unwrap();
    // One report, not two.
    assert_eq!(stdout.matches("Intercept").count(), 1, "{stdout}");
    assert!(out.exists());
}

/// The epoch metrics and test scores of `axon train ... --json` and its run record.
fn train_run(k: Option<usize>, args: &[&str], out: &str) -> (Value, Value) {
    let all = [&["train"], args, &["--json", "--quiet", "--out", out]].concat();
    let report = match k {
        None => json_of("single process", single(&all)),
        Some(k) => json_of(&format!("{k} ranks"), mpirun(k, &all)),
    };
    let record = std::fs::read_to_string(format!("{out}.run.json")).expect("the run record");
    (report, serde_json::from_str(&record).unwrap())
}

#[test]
fn an_mlp_over_ranks_follows_the_single_process_run_with_the_same_global_batch() {
    let dir = temp_dir("mpi-train");
    let digits = data("digits.csv.gz");
    let args = [
        "--data",
        &digits,
        "--model",
        "mlp:32",
        "--epochs",
        "2",
        "--batch-size",
        "64",
        "--lr",
        "0.01",
        "--seed",
        "5",
    ];
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (want, want_record) = train_run(None, &args, &path("single.axon"));
    for k in [2, 4] {
        let (got, record) = train_run(Some(k), &args, &path(&format!("k{k}.axon")));
        for key in ["test_accuracy", "test_log_loss"] {
            let (a, b) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
            close(a, b, 1e-5, &format!("K = {k}: {key}"));
        }
        let (epochs, want_epochs) = (&record["epochs"], &want_record["epochs"]);
        assert_eq!(epochs.as_array().unwrap().len(), 2);
        for e in 0..2 {
            for key in ["train_loss", "train_accuracy", "val_loss", "val_accuracy"] {
                let (a, b) = (&epochs[e][key], &want_epochs[e][key]);
                if let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) {
                    close(a, b, 1e-5, &format!("K = {k}, epoch {}: {key}", e + 1));
                }
            }
        }
    }
}

/// A network of 600 000 parameters (4.8 MB of `f64` gradients): its gradients travel in three
/// buckets, the first started while the backward pass is still in the first layer.
#[test]
fn a_network_of_several_gradient_buckets_over_ranks_follows_the_single_process_run() {
    let dir = temp_dir("mpi-buckets");
    let digits = data("digits.csv.gz");
    let args = ["--data", &digits, "--model", "mlp:1024,512", "--epochs", "1", "--seed", "5"];
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (want, _) = train_run(None, &args, &path("single.axon"));
    let (got, _) = train_run(Some(2), &args, &path("k2.axon"));
    for key in ["test_log_loss", "final_train_loss"] {
        let (a, b) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
        close(a, b, 1e-5, key);
    }
}

/// The tensors of a saved model or checkpoint, by name, as the bits of their values.
fn bits(path: &str) -> Vec<(String, Vec<u64>)> {
    let file = axon::io::load_safetensors(path).unwrap();
    let bits = |t: &axon::Tensor| t.to_f64_vec().iter().map(|v| v.to_bits()).collect();
    file.tensors.iter().map(|(n, t)| (n.clone(), bits(t))).collect()
}

#[test]
fn a_training_over_ranks_resumed_from_its_checkpoint_equals_the_uninterrupted_run() {
    let dir = temp_dir("mpi-resume");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let digits = data("digits.csv.gz");
    let base = ["--data", &digits, "--model", "mlp:32", "--lr", "0.01", "--seed", "5"];
    let run = |k: usize, extra: &[&str]| {
        let args = [&["train"], &base[..], extra, &["--json", "--quiet"]].concat();
        json_of(&format!("{k} ranks"), mpirun(k, &args))
    };
    for k in [2, 4] {
        let (full, first, resumed, ckpt) =
            (path("full.axon"), path("first.axon"), path("resumed.axon"), path("run.ckpt"));
        let want = run(k, &["--epochs", "3", "--out", &full]);
        // Stopped after epoch 1 (rank 0 wrote the checkpoint), resumed to 3 by every rank.
        run(k, &["--epochs", "1", "--checkpoint", &ckpt, "--out", &first]);
        assert_eq!(axon::nn::checkpoint_history(&ckpt).unwrap().len(), 1);
        let got = run(k, &["--epochs", "3", "--checkpoint", &ckpt, "--resume", "--out", &resumed]);
        assert_eq!(axon::nn::checkpoint_history(&ckpt).unwrap().len(), 3);
        assert_eq!(bits(&resumed), bits(&full), "K = {k}: final parameters");
        assert_ne!(bits(&first), bits(&full), "K = {k}: one epoch is not three");
        for key in ["test_log_loss", "final_train_loss", "best_epoch", "epochs"] {
            assert_eq!(got[key], want[key], "K = {k}: {key}");
        }
        std::fs::remove_file(&ckpt).unwrap();
    }
}

#[test]
fn a_rank_without_rows_ends_the_job_with_its_error() {
    let dir = temp_dir("mpi-empty");
    let csv = dir.join("three.csv");
    std::fs::write(&csv, "x,y\n1,0\n2,1\n3,0\n").unwrap();
    let out = mpirun(4, &["fit", "--data", csv.to_str().unwrap(), "--target", "y"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the job must fail: {err}");
    assert!(err.contains("rank 3 of 4 has no rows"), "{err}");
}

#[test]
fn a_bad_data_file_ends_the_job_with_the_file_error() {
    let dir = temp_dir("mpi-bad");
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "x,y\n1,0\n2,1\nthree,0\n4\n").unwrap();
    let out = mpirun(2, &["fit", "--data", csv.to_str().unwrap(), "--target", "y"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the job must fail: {err}");
    assert!(err.contains("bad.csv:"), "the error names the file: {err}");
}
