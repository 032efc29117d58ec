//! `axon fit --out` → `axon predict` / `axon eval`, `axon fit --model softmax` and `axon cv`: the
//! saved model predicts what statsmodels predicts for the same model (a fixture made by
//! scripts/reference/predict_fixtures.py), `fit --model softmax` reports statsmodels' estimates
//! and standard errors (the same fixture), the metrics follow from the predictions,
//! cross-validation is reproducible by seed, and bad arguments are `axon: ...` errors (exit 2).

mod common;

use std::path::PathBuf;

use axon::data::{read_csv, ReadOptions};
use common::{error, ok_json, ok_stdout, predictions};

const LBW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");
const FEATURES: &str = "age,lwt,race,smoke,ptl,ht,ui";

/// A temporary path, removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        Temp(std::env::temp_dir().join(format!("axon-cli-models-{}-{name}", std::process::id())))
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The statsmodels fit `name` (`logit` or `softmax`) of `tests/fixtures/lbw_predict.json`.
fn reference(name: &str) -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lbw_predict.json");
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(fixture[name]["converged"], true);
    fixture[name].clone()
}

/// statsmodels' predicted class probabilities for the rows of lbw.csv of the model `name`
/// (`logit` or `softmax`), from `tests/fixtures/lbw_predict.json`.
fn reference_proba(name: &str) -> Vec<Vec<f64>> {
    (reference(name)["proba"].as_array().unwrap().iter())
        .map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .collect()
}

/// Fits the lbw logit with `extra` flags and saves it.
fn saved_logit(name: &str, extra: &[&str]) -> Temp {
    let model = Temp::new(name);
    let mut args = vec!["fit", "--data", LBW, "--target", "low", "--features", FEATURES];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", model.path(), "--json"]);
    ok_json(&args);
    model
}

#[test]
fn predict_reproduces_the_fitted_probabilities_from_raw_rows() {
    let model = saved_logit("lbw-std.axon", &["--standardize"]);
    let csv = ok_stdout(&["predict", "--model", model.path(), "--data", LBW, "--proba"]);
    let (header, rows) = predictions(&csv);
    assert_eq!(header, ["prediction", "p_0", "p_1"]);
    assert_eq!(rows.len(), 189);
    // The saved (standardised) model's probabilities on the raw rows are statsmodels' fitted
    // probabilities of the same logit (scripts/reference/predict_fixtures.py).
    let reference = reference_proba("logit");
    assert_eq!(reference.len(), 189);
    for (i, (label, p)) in rows.iter().enumerate() {
        assert!((p[0] + p[1] - 1.0).abs() < 1e-12);
        for c in 0..2 {
            let want = reference[i][c];
            assert!((p[c] - want).abs() < 1e-9, "row {i} p_{c}: {} vs statsmodels {want}", p[c]);
        }
        assert_eq!(label, if p[1] > 0.5 { "1" } else { "0" });
    }
    // A lower threshold predicts the positive class whenever p_1 ≥ 0.3.
    let csv = ok_stdout(&[
        "predict",
        "--model",
        model.path(),
        "--data",
        LBW,
        "--proba",
        "--threshold",
        "0.3",
    ]);
    let (_, low) = predictions(&csv);
    assert!(low.iter().all(|(label, p)| label == if p[1] >= 0.3 { "1" } else { "0" }));
    let positives = low.iter().filter(|(l, _)| l == "1").count();
    assert!(positives > rows.iter().filter(|(l, _)| l == "1").count());
}

#[test]
fn eval_metrics_follow_from_the_predictions() {
    let model = saved_logit("lbw.axon", &[]);
    let csv = ok_stdout(&["predict", "--model", model.path(), "--data", LBW, "--proba"]);
    let (_, rows) = predictions(&csv);
    let frame = read_csv(LBW, &ReadOptions::default()).unwrap();
    let y = frame.column("low").unwrap().as_numeric().unwrap().to_vec();
    let correct = rows.iter().zip(&y).filter(|((l, _), &t)| l == &t.to_string()).count();
    let log_loss = -rows
        .iter()
        .zip(&y)
        .map(|((_, p), &t)| if t == 1.0 { p[1].ln() } else { p[0].ln() })
        .sum::<f64>()
        / 189.0;

    let report = ok_json(&["eval", "--model", model.path(), "--data", LBW, "--json"]);
    assert_eq!(report["kind"], "logit");
    assert_eq!(report["n_samples"], 189);
    assert!((report["accuracy"].as_f64().unwrap() - correct as f64 / 189.0).abs() < 1e-15);
    assert!((report["log_loss"].as_f64().unwrap() - log_loss).abs() < 1e-12);
    let auc = report["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.7 && auc < 0.8, "AUC {auc}");
    let confusion: u64 = report["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(confusion, 189);
    let text = ok_stdout(&["eval", "--model", model.path(), "--data", LBW]);
    assert!(text.contains("precision") && text.contains("ROC AUC"), "{text}");
}

#[test]
fn softmax_fit_saves_a_model_whose_classes_are_the_target_levels() {
    let model = Temp::new("race.axon");
    let report = ok_json(&[
        "fit",
        "--data",
        LBW,
        "--target",
        "race",
        "--features",
        "age,lwt,smoke",
        "--model",
        "softmax",
        "--out",
        model.path(),
        "--json",
    ]);
    assert_eq!(report["model"], "softmax");
    assert_eq!(report["classes"], serde_json::json!(["black", "other", "white"]));
    assert_eq!(report["n_params"], 8);
    // The CLI's estimates and standard errors are statsmodels' MNLogit of the same model
    // (scripts/reference/predict_fixtures.py), class by class.
    let fixture = reference("softmax");
    let names = ["Intercept", "age", "lwt", "smoke"];
    assert_eq!(fixture["names"], serde_json::json!(names));
    let rows = report["coefficients"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    for (idx, row) in rows.iter().enumerate() {
        let (k, j) = (idx / 4, idx % 4);
        assert_eq!(row["class"], ["other", "white"][k]);
        assert_eq!(row["name"], names[j]);
        for (key, want) in [("estimate", "params"), ("std_error", "bse")] {
            let (got, want) = (row[key].as_f64().unwrap(), fixture[want][k][j].as_f64().unwrap());
            assert!((got - want).abs() < 1e-8 * (1.0 + want.abs()), "{key} {idx}: {got} vs {want}");
        }
    }
    let csv = ok_stdout(&["predict", "--model", model.path(), "--data", LBW, "--proba"]);
    let (header, rows) = predictions(&csv);
    assert_eq!(header, ["prediction", "p_black", "p_other", "p_white"]);
    // statsmodels' MNLogit of the same model predicts the same probabilities, and the label is
    // the most probable class.
    let reference = reference_proba("softmax");
    assert_eq!(rows.len(), reference.len());
    for (i, ((label, p), want)) in rows.iter().zip(&reference).enumerate() {
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        for c in 0..3 {
            assert!((p[c] - want[c]).abs() < 1e-9, "row {i} class {c}: {} vs {}", p[c], want[c]);
        }
        let best = (0..3).fold(0, |b, c| if p[c] > p[b] { c } else { b });
        assert_eq!(label, ["black", "other", "white"][best], "row {i}");
    }
    let err = error(&["predict", "--model", model.path(), "--data", LBW, "--threshold", "0.4"]);
    assert!(err.contains("3 classes"), "{err}");
}

#[test]
fn cv_is_reproducible_by_seed_and_picks_the_best_mean() {
    let base = [
        "cv",
        "--data",
        LBW,
        "--target",
        "low",
        "--features",
        FEATURES,
        "--standardize",
        "--grid",
        "alpha=0,0.5,5,50",
        "--json",
    ];
    let run = |seed: &str, metric: &str| {
        let mut args = base.to_vec();
        args.extend_from_slice(&["--seed", seed, "--metric", metric]);
        ok_json(&args)
    };
    let a = run("7", "log-loss");
    assert_eq!(a, run("7", "log-loss"), "same seed, same numbers");
    assert_ne!(a["rows"], run("8", "log-loss")["rows"], "another seed, other folds");
    let rows = a["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let means: Vec<f64> = rows.iter().map(|r| r["cv"]["mean"].as_f64().unwrap()).collect();
    let best = a["best"].as_u64().unwrap() as usize;
    assert!(means.iter().all(|&m| means[best] <= m), "{means:?}");
    for r in rows {
        let scores = r["cv"]["scores"].as_array().unwrap();
        assert_eq!(scores.len(), 5);
    }
    let auc = run("7", "roc-auc");
    assert_eq!(auc["goal"], "Maximize");
}

#[test]
fn bad_model_files_and_arguments_are_clear_errors() {
    let junk = Temp::new("junk.axon");
    std::fs::write(&junk.0, "not a model").unwrap();
    let err = error(&["predict", "--model", junk.path(), "--data", LBW]);
    assert!(err.contains("junk.axon") && err.contains("not a valid safetensors"), "{err}");

    let model = saved_logit("lbw-cols.axon", &[]);
    let data = Temp::new("no-race.csv");
    std::fs::write(&data.0, "age,lwt,smoke,ptl,ht,ui\n19,182,0,0,0,1\n").unwrap();
    let err = error(&["predict", "--model", model.path(), "--data", data.path()]);
    assert!(err.contains("race"), "{err}");

    let err = error(&["cv", "--data", LBW, "--target", "low", "--grid", "beta=1,2"]);
    assert!(err.contains("unknown parameter `beta`"), "{err}");
    let err = error(&["cv", "--data", LBW, "--target", "low", "--grid", "alpha=1,-2"]);
    assert!(err.contains("`-2`"), "{err}");
    let err = error(&[
        "cv",
        "--data",
        LBW,
        "--target",
        "race",
        "--features",
        "age,lwt",
        "--model",
        "softmax",
        "--grid",
        "alpha=1",
        "--metric",
        "roc-auc",
    ]);
    assert!(err.contains("binary target"), "{err}");
}

#[test]
fn basis_expansion_and_positive_class_reach_the_design() {
    let base = ["fit", "--data", LBW, "--target", "low", "--features", "age,lwt"];
    let basis = ["--poly", "2", "--interactions", "--json"];
    let report = ok_json(&[&base[..], &basis, &["--positive", "0"]].concat());
    let names: Vec<&str> = report["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Intercept", "age", "lwt", "age^2", "lwt^2", "age:lwt"]);
    assert_eq!(report["positive_class"], "0");
    // Coding the other class as 1 flips every coefficient's sign and keeps the likelihood.
    let flipped = ok_json(&[&base[..], &basis].concat());
    assert!(
        (report["log_likelihood"].as_f64().unwrap() - flipped["log_likelihood"].as_f64().unwrap())
            .abs()
            < 1e-9
    );
    for (a, b) in report["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .zip(flipped["coefficients"].as_array().unwrap())
    {
        let (a, b) = (a["estimate"].as_f64().unwrap(), b["estimate"].as_f64().unwrap());
        assert!((a + b).abs() < 1e-6 * (1.0 + a.abs()), "{a} vs {b}");
    }
}
