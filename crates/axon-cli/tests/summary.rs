//! `axon summary MODEL` on files made by `axon fit --out` and `axon train --out` from the shipped
//! data: the coefficients are the fit's own (as `fit --json` reported them), a network's
//! architecture and parameter counts are what its widths give, the schema and the settings
//! record are the run's; a file that is no model is an error.

mod common;

use common::{data, error, ok_json, ok_stdout, temp_dir};
use serde_json::Value;

/// `axon fit` on `lbw.csv` with `extra` flags: its JSON report and the model file it saved.
fn fit(tag: &str, extra: &[&str]) -> (Value, String) {
    let model = temp_dir(tag).join("model.axon").display().to_string();
    let lbw = data("lbw.csv");
    let mut args = vec!["fit", "--data", &lbw, "--json", "--out", &model];
    args.extend_from_slice(extra);
    (ok_json(&args), model)
}

#[test]
fn linear_summary_prints_the_fitted_coefficients_and_the_settings() {
    let features = ["--target", "low", "--features", "age,lwt,race,smoke"];
    let (report, model) = fit("logit", &features);
    let summary = ok_json(&["summary", &model, "--json"]);
    assert_eq!(summary["kind"], "logit");
    assert_eq!(summary["schema"]["target"], "low");
    assert_eq!(summary["schema"]["classes"], serde_json::json!(["0", "1"]));
    assert_eq!(summary["parameter_count"], 6);
    assert_eq!(summary["coefficients"]["equations"], serde_json::json!(["1"]));
    assert_eq!(summary["settings"]["command"], "fit");
    assert_eq!(summary["settings"]["settings"]["model"], "logit");
    let table = &summary["coefficients"];
    let rows = report["coefficients"].as_array().unwrap();
    assert_eq!(table["names"].as_array().unwrap().len(), rows.len());
    for (j, row) in rows.iter().enumerate() {
        assert_eq!(table["names"][j], row["name"]);
        assert_eq!(table["values"][j][0], row["estimate"], "{}", row["name"]);
    }
    // The text: every coefficient as `fit` estimated it, the classes, the settings, and no
    // statistics the file does not have.
    let text = ok_stdout(&["summary", &model]);
    assert!(text.starts_with("Model: logit in "), "{text}");
    assert!(text.contains("classes 0, 1") && text.contains("race (black|other|white)"), "{text}");
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let line = text.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap();
        let printed: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!((printed - row["estimate"].as_f64().unwrap()).abs() < 1e-6, "{line}");
    }
    assert!(text.contains("model           = \"logit\""), "{text}");
    assert!(!text.contains("std err") && !text.contains("P>|z|"), "{text}");
}

#[test]
fn multiclass_summaries_name_each_equation() {
    let features = ["--target", "race", "--features", "age,lwt,smoke"];
    let (report, model) = fit("softmax", &[&features[..], &["--model", "softmax"]].concat());
    let summary = ok_json(&["summary", &model, "--json"]);
    // The reference class (the first) has no equation.
    assert_eq!(summary["coefficients"]["equations"], serde_json::json!(["other", "white"]));
    assert_eq!(summary["parameter_count"], 8);
    for row in report["coefficients"].as_array().unwrap() {
        let j = (summary["coefficients"]["names"].as_array().unwrap().iter())
            .position(|n| *n == row["name"])
            .unwrap();
        let k = if row["class"] == "other" { 0 } else { 1 };
        assert_eq!(summary["coefficients"]["values"][j][k], row["estimate"]);
    }
    let (_, model) = fit("ovr", &[&features[..], &["--model", "ovr"]].concat());
    let summary = ok_json(&["summary", &model, "--json"]);
    let classes = serde_json::json!(["black", "other", "white"]);
    assert_eq!(summary["coefficients"]["equations"], classes);
    assert_eq!(summary["parameter_count"], 12);
}

#[test]
fn network_summary_prints_architecture_parameters_schema_and_settings() {
    let model = temp_dir("network").join("net.axon").display().to_string();
    let digits = data("digits.csv.gz");
    let args = ["train", "--data", &digits, "--model", "mlp:16", "--epochs", "1", "--quiet"];
    ok_stdout(&[&args[..], &["--out", &model]].concat());
    let summary = ok_json(&["summary", &model, "--json"]);
    assert_eq!(summary["kind"], "nn-classifier");
    // 64 pixels → 16 → 10 classes.
    assert_eq!(summary["parameter_count"], 64 * 16 + 16 + 16 * 10 + 10);
    assert_eq!(summary["architecture"]["kind"], "mlp");
    assert_eq!(summary["architecture"]["hidden"], serde_json::json!([16]));
    let shapes = serde_json::json!([
        ["0.weight", [16, 64]],
        ["0.bias", [16]],
        ["2.weight", [10, 16]],
        ["2.bias", [10]]
    ]);
    assert_eq!(summary["parameters"], shapes);
    assert_eq!(summary["schema"]["source"], "csv-no-header");
    assert_eq!(summary["schema"]["features"].as_array().unwrap().len(), 64);
    assert_eq!(summary["schema"]["classes"].as_array().unwrap().len(), 10);
    assert_eq!(summary["settings"]["command"], "train");
    assert_eq!(summary["settings"]["settings"]["model"], "mlp:16");
    assert_eq!(summary["settings"]["settings"]["epochs"], 1);
    let text = ok_stdout(&["summary", &model]);
    assert!(text.starts_with("Model: nn-classifier in ") && text.contains("1210 parameters"));
    assert!(text.contains("Architecture: mlp:16") && text.contains("classes 0, 1, 2"), "{text}");
    assert!(text.contains("0.weight") && text.contains("[16, 64]") && text.contains("1024"));
    assert!(text.contains("epochs          = 1"), "{text}");
    assert!(!text.contains("Coefficients"), "{text}");
}

#[test]
fn a_file_that_is_no_model_is_an_error() {
    let err = error(&["summary", &data("lbw.csv")]);
    assert!(err.contains("lbw.csv"), "{err}");
    let err = error(&["summary", "/nonexistent/model.axon"]);
    assert!(err.contains("/nonexistent/model.axon"), "{err}");
}
