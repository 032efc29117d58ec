//! scikit-learn's CSV files as the project ships them (`data/iris.csv`, `data/breast_cancer.csv`:
//! a first line `150,4,setosa,versicolor,virginica` instead of column names) work with `axon
//! fit`, `axon cv` and `axon train` directly: `fit` reproduces statsmodels' and scikit-learn's
//! fits of those files (fixtures of the library's tests), and `cv` and `train` give the numbers
//! they give on the same rows written with a header, the class column `target` found without
//! `--target`. A file with a header and no `target` column still needs `--target`.

mod common;

use std::path::{Path, PathBuf};

use common::{data, error, ok_json, ok_stdout, predictions, temp_dir, train_json};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures");

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn estimates(report: &Value, key: &str) -> Vec<f64> {
    report["coefficients"].as_array().unwrap().iter().map(|c| c[key].as_f64().unwrap()).collect()
}

/// `data/<name>` written with a header row (`names`, then `target`) and the class names in
/// place of the class codes: the same rows as an ordinary table.
fn with_header(name: &str, names: &[String], dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(data(name)).unwrap();
    let mut lines = text.lines();
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let classes = &first[2..];
    let mut out = format!("{},target\n", names.join(","));
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (features, code) = line.rsplit_once(',').unwrap();
        out += &format!("{features},{}\n", classes[code.trim().parse::<usize>().unwrap()]);
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn generic_names(p: usize) -> Vec<String> {
    (0..p).map(|j| format!("f{j}")).collect()
}

#[test]
fn fit_on_the_shipped_files_matches_statsmodels_and_scikit_learn() {
    // Iris, intercept + sepal length: statsmodels' MNLogit (iris_mnlogit.json).
    let want = fixture("iris_mnlogit.json");
    let iris = data("iris.csv");
    let args = ["fit", "--data", &iris, "--features", "sepal_length", "--model", "softmax"];
    let report = ok_json(&[&args[..], &["--json"]].concat());
    assert_eq!(report["target"], "target");
    assert_eq!(report["classes"], serde_json::json!(["setosa", "versicolor", "virginica"]));
    let names: Vec<&str> = (report["coefficients"].as_array().unwrap().iter())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Intercept", "sepal_length", "Intercept", "sepal_length"]);
    let params: Vec<f64> = want["params"].as_array().unwrap().iter().flat_map(f64s).collect();
    let bse: Vec<f64> = want["bse"].as_array().unwrap().iter().flat_map(f64s).collect();
    for (key, want) in [("estimate", params), ("std_error", bse)] {
        for (g, w) in estimates(&report, key).iter().zip(&want) {
            assert!((g - w).abs() < 1e-7 * (1.0 + w.abs()), "{key}: {g} vs statsmodels {w}");
        }
    }
    // Breast cancer, standardised, L2 with C = 1 and benign coded 1 as scikit-learn codes it:
    // scikit-learn's LogisticRegression (penalised_sklearn.json).
    let want = &fixture("penalised_sklearn.json")["breast_cancer"]["l2"];
    let breast = data("breast_cancer.csv");
    let base = ["fit", "--data", &breast, "--alpha", "1", "--standardize", "--json"];
    let report = ok_json(&[&base[..], &["--positive", "benign"]].concat());
    assert_eq!(report["positive_class"], "benign");
    let got = estimates(&report, "estimate");
    let mut expected = vec![want["intercept"].as_f64().unwrap()];
    expected.extend(f64s(&want["coef"]));
    assert_eq!(got.len(), 31);
    for (g, w) in got.iter().zip(&expected) {
        assert!((g - w).abs() < 1e-7, "{g} vs scikit-learn {w}");
    }
    assert_eq!(report["coefficients"][1]["name"], "mean_radius");
    // By default the second class name in sorted order, malignant, is coded 1: every sign flips.
    let report = ok_json(&base);
    assert_eq!(report["positive_class"], "malignant");
    for (g, w) in estimates(&report, "estimate").iter().zip(&expected) {
        assert!((g + w).abs() < 1e-7, "{g} vs -{w}");
    }
}

#[test]
fn cv_on_the_shipped_files_is_cv_on_the_same_rows_with_a_header() {
    let dir = temp_dir("sklearn-cv");
    for (name, p, model) in [("iris.csv", 4, "softmax"), ("breast_cancer.csv", 30, "logit")] {
        let rewritten = with_header(name, &generic_names(p), &dir);
        let shipped = data(name);
        let run = |file: &str, extra: &[&str]| {
            let base = ["cv", "--data", file, "--model", model, "--standardize", "--json"];
            ok_json(&[&base[..], &["--grid", "alpha=0.5,5", "--seed", "3"], extra].concat())
        };
        let (a, b) =
            (run(&shipped, &[]), run(rewritten.to_str().unwrap(), &["--target", "target"]));
        assert_eq!(a["n_obs"], b["n_obs"], "{name}");
        assert_eq!(a["rows"], b["rows"], "{name}: the same folds and scores");
        assert_eq!(a["best"], b["best"], "{name}");
        assert_eq!(a["rows"][0]["cv"]["scores"].as_array().unwrap().len(), 5);
        let mean = a["rows"][0]["cv"]["mean"].as_f64().unwrap();
        assert!(mean > 0.0 && mean < 0.3, "{name}: mean log loss {mean}");
    }
}

#[test]
fn train_on_the_shipped_files_finds_the_class_column() {
    let dir = temp_dir("sklearn-train");
    let model = dir.join("iris.axon");
    let iris = data("iris.csv");
    let settings = ["--model", "mlp:16", "--epochs", "40", "--lr", "0.01", "--seed", "1"];
    let a =
        train_json(&[&["--data", &iris, "--out", model.to_str().unwrap()][..], &settings].concat());
    let rewritten = with_header("iris.csv", &generic_names(4), &dir);
    let b = train_json(
        &[&["--data", rewritten.to_str().unwrap(), "--target", "target"][..], &settings].concat(),
    );
    for key in ["test_accuracy", "test_log_loss", "final_train_loss", "n_train", "n_test"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    assert!(a["test_accuracy"].as_f64().unwrap() >= 0.9, "{}", a["test_accuracy"]);
    // The model predicts species by name, one row per flower, and scores the file as shipped.
    let csv = ok_stdout(&["predict", "--model", model.to_str().unwrap(), "--data", &iris]);
    let (header, rows) = predictions(&csv);
    assert_eq!((header, rows.len()), (vec!["prediction".to_owned()], 150));
    assert_eq!(rows[0].0, "setosa");
    let report = ok_json(&["eval", "--model", model.to_str().unwrap(), "--data", &iris, "--json"]);
    assert_eq!(report["n_samples"], 150);
    // Breast cancer, a logistic regression network: the binary file works too.
    let breast = data("breast_cancer.csv");
    let v = train_json(&["--data", &breast, "--model", "logreg", "--epochs", "20", "--seed", "0"]);
    assert_eq!(v["model"]["classes"], 2);
    assert!(v["test_accuracy"].as_f64().unwrap() >= 0.94, "{}", v["test_accuracy"]);
}

#[test]
fn a_table_without_a_target_column_still_needs_target() {
    let lbw = data("lbw.csv");
    let err = error(&["fit", "--data", &lbw]);
    assert!(err.contains("no column `target`") && err.contains("--target COL"), "{err}");
    let err = error(&["cv", "--data", &lbw, "--features", "age", "--grid", "alpha=1"]);
    assert!(err.contains("no column `target`") && err.contains("--target COL"), "{err}");
}
