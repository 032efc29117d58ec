//! `axon fit` on a LibSVM file (`data/heart_scale`, found by its content, no extension): the
//! sparse logit's objective against scikit-learn's and LIBLINEAR's (the library's fixture
//! `crates/axon/tests/fixtures/sparse_logit.json`, from `scripts/reference/sparse_fixtures.py`)
//! for both solvers; L1, elastic-net, softmax, one-vs-rest and one-vs-rest L1 fits against the references of
//! `crates/axon/tests/fixtures/sparse_multiclass.json` (`scripts/reference/
//! sparse_multiclass_fixtures.py`: LIBLINEAR `-s 6`, scikit-learn); and the flags a sparse fit
//! refuses.

mod common;

use common::{data, error, ok_json, ok_stdout};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/sparse_logit.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn multiclass_fixture() -> Value {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/sparse_multiclass.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The TF-IDF design of the spam sample's five groups (labels 0..4), a LibSVM file.
fn groups_file() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/spam_groups.svm.gz").to_owned()
}

fn assert_close(got: &Value, want: &Value, what: &str) {
    let (got, want) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!((got - want).abs() < 1e-6 * want.abs(), "{what}: {got} vs {want}");
}

#[test]
fn l1_and_elastic_net_reach_the_reference_objectives() {
    let file = data("heart_scale");
    let reference = multiclass_fixture();
    for (intercept, name) in [(true, "intercept"), (false, "no_intercept")] {
        let mut args = vec!["fit", "--data", &file, "--penalty", "l1", "--alpha", "1", "--json"];
        if !intercept {
            args.push("--no-intercept");
        }
        let report = ok_json(&args);
        let want = &reference["l1_heart"][name];
        assert_close(&report["objective"], &want["objective"], name);
        assert_eq!(report["nonzero"], want["nnz"], "{name}");
        assert_eq!(report["converged"], true);
    }
    let net = &reference["elasticnet_heart"];
    let report = ok_json(&[
        "fit",
        "--data",
        &file,
        "--penalty",
        "elasticnet",
        "--alpha",
        "1",
        "--l1-ratio",
        "0.5",
        "--json",
    ]);
    assert_close(&report["objective"], &net["objective"], "elastic net");
    assert_eq!(report["nonzero"], net["nnz"]);
}

#[test]
fn softmax_and_one_vs_rest_fit_the_five_groups() {
    let file = groups_file();
    let reference = multiclass_fixture();
    for (model, key) in [("softmax", "softmax"), ("ovr", "ovr")] {
        let report =
            ok_json(&["fit", "--data", &file, "--model", model, "--alpha", "0.1", "--json"]);
        assert_close(&report["objective"], &reference[key]["intercept"]["objective"], model);
        assert_eq!(report["converged"], true, "{model}");
        assert_eq!(report["classes"].as_array().unwrap().len(), 5);
        let coefficients = report["coefficients"].as_array().unwrap();
        assert_eq!(coefficients.len(), 5);
        assert_eq!(coefficients[4].as_array().unwrap().len(), 1500);
        assert!(report["accuracy"].as_f64().unwrap() > 0.9, "{model}");
    }
    let text = ok_stdout(&["fit", "--data", &file, "--model", "ovr", "--alpha", "0.1"]);
    assert!(text.contains("One-vs-rest logits") && text.contains("Class 4: intercept"), "{text}");
    let msg = error(&["fit", "--data", &file, "--alpha", "0.1"]);
    assert!(msg.contains("--model softmax"), "{msg}");
}

#[test]
fn heart_scale_fits_to_the_reference_objectives() {
    let file = data("heart_scale");
    let reference = fixture();
    for solver in ["auto", "lbfgs"] {
        for (tool, intercept) in [("sklearn", true), ("liblinear", false)] {
            let mut args = vec!["fit", "--data", &file, "--penalty", "l2", "--alpha", "1"];
            args.extend(["--solver", solver, "--json"]);
            if !intercept {
                args.push("--no-intercept");
            }
            let report = ok_json(&args);
            let want = reference[tool]["objective"].as_f64().unwrap();
            let got = report["objective"].as_f64().unwrap();
            assert!((got - want).abs() < 1e-6 * want, "{solver} vs {tool}: {got} vs {want}");
            assert_eq!(report["converged"], true);
            assert_eq!(report["n_obs"], 270);
            assert_eq!(report["coefficients"].as_array().unwrap().len(), 13);
            // Feature indices as the file numbers them (from 1).
            assert_eq!(report["coefficients"][0][0], 1);
            let coef = report["coefficients"][12][1].as_f64().unwrap();
            let want = reference[tool]["coef"][12].as_f64().unwrap();
            assert!((coef - want).abs() < 1e-4, "{solver} vs {tool}: {coef} vs {want}");
        }
    }
}

#[test]
fn one_vs_rest_l1_reaches_liblinear_s6_on_the_five_groups() {
    let reference = &multiclass_fixture()["l1_ovr"];
    let alpha = (1.0 / reference["C"].as_f64().unwrap()).to_string();
    let file = groups_file();
    let args = ["fit", "--data", &file, "--model", "ovr", "--penalty", "l1", "--alpha", &alpha];
    let report = ok_json(&[&args[..], &["--tol", "1e-10", "--json"]].concat());
    assert_close(&report["objective"], &reference["intercept"]["objective"], "ovr l1");
    assert_eq!(report["converged"], true);
    assert!(report["penalty"].as_str().unwrap().starts_with("L1"), "{report}");
}

#[test]
fn a_sparse_fit_refuses_what_it_cannot_do() {
    let file = data("heart_scale");
    for (extra, words) in [
        (vec!["--model", "probit"], "logit, softmax or ovr"),
        (vec!["--model", "softmax", "--penalty", "l1", "--alpha", "1"], "use --model ovr"),
        (vec!["--penalty", "l1"], "--alpha > 0"),
        (vec!["--penalty", "elasticnet", "--alpha", "1", "--l1-ratio", "0"], "0 < r ≤ 1"),
        (vec!["--penalty", "l1", "--alpha", "1", "--solver", "lbfgs"], "--solver auto or cd"),
        (vec!["--solver", "cd"], "--solver auto"),
        (vec!["--features", "a,b"], "numbered features"),
    ] {
        let mut args = vec!["fit", "--data", &file];
        args.extend(extra);
        let msg = error(&args);
        assert!(msg.contains(words), "{args:?}: {msg}");
    }
    let msg = error(&["train", "--data", &file, "--target", "y"]);
    assert!(msg.contains("LibSVM"), "{msg}");
}
