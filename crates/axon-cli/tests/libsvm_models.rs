//! Models fitted on LibSVM files, saved and used again: `axon fit --out` on `data/heart_scale`
//! (binary logit, L2 and L1) and on the spam sample's five groups (softmax, one-vs-rest L2 and
//! L1),
//! then `axon predict` and `axon eval` on LibSVM files give the fit's own training log loss and
//! accuracy; features the model has not seen are ignored (as LIBLINEAR does); an unknown label
//! is an error for `eval` but not for `predict`; and such a model refuses a table file.

mod common;

use std::path::Path;

use common::{axon, data, error, ok_json, ok_stdout, predictions, temp_dir};

fn groups_file() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/spam_groups.svm.gz").to_owned()
}

/// Fits `args` on `file` with `--out`, returning the fit's JSON report and the model's path.
fn fit_saved(dir: &Path, name: &str, file: &str, args: &[&str]) -> (serde_json::Value, String) {
    let model = dir.join(name).display().to_string();
    let mut all = vec!["fit", "--data", file, "--json", "--out", &model];
    all.extend_from_slice(args);
    (ok_json(&all), model)
}

/// `axon predict --proba`: the labels and every row's probabilities.
fn proba(model: &str, file: &str) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
    predictions(&ok_stdout(&["predict", "--model", model, "--data", file, "--proba"]))
}

/// The mean log loss of `rows` against the file's labels, given as class columns.
fn log_loss(header: &[String], rows: &[(String, Vec<f64>)], labels: &[String]) -> f64 {
    let columns: Vec<String> = header[1..].to_vec();
    let total: f64 = rows
        .iter()
        .zip(labels)
        .map(|((_, p), label)| {
            let j = columns.iter().position(|c| *c == format!("p_{label}")).unwrap();
            -p[j].ln()
        })
        .sum();
    total / rows.len() as f64
}

/// The labels of a LibSVM file as `f64`'s text (`+1` is `1`).
fn labels_of(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().next().unwrap().parse::<f64>().unwrap().to_string())
        .collect()
}

fn read_text(file: &str) -> String {
    let bytes = std::fs::read(file).unwrap();
    if file.ends_with(".gz") {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{what}: {got} vs {want}");
}

#[test]
fn a_saved_model_predicts_and_evaluates_its_training_file_as_the_fit_did() {
    let dir = temp_dir("libsvm_models");
    let heart = data("heart_scale");
    let groups = groups_file();
    let cases: [(&str, &str, Vec<&str>); 5] = [
        ("l2.axon", &heart, vec![]),
        ("l1.axon", &heart, vec!["--penalty", "l1", "--alpha", "1"]),
        ("softmax.axon", &groups, vec!["--model", "softmax", "--alpha", "0.1"]),
        ("ovr.axon", &groups, vec!["--model", "ovr", "--alpha", "0.1"]),
        ("ovr_l1.axon", &groups, vec!["--model", "ovr", "--penalty", "l1", "--alpha", "0.1"]),
    ];
    for (name, file, args) in cases {
        let (report, model) = fit_saved(&dir, name, file, &args);
        let (header, rows) = proba(&model, file);
        let labels = labels_of(&read_text(file));
        assert_eq!(rows.len(), labels.len(), "{name}");
        let loss = log_loss(&header, &rows, &labels);
        assert_close(loss, report["log_loss"].as_f64().unwrap(), name);
        let eval = ok_json(&["eval", "--model", &model, "--data", file, "--json"]);
        let accuracy = eval["accuracy"].as_f64().unwrap();
        assert_close(accuracy, report["accuracy"].as_f64().unwrap(), name);
        let summary = ok_stdout(&["summary", &model]);
        let kind = match name {
            "softmax.axon" => "sparse-softmax",
            "ovr.axon" | "ovr_l1.axon" => "sparse-ovr",
            _ => "sparse-logit",
        };
        assert!(summary.contains(kind) && summary.contains("libsvm layout"), "{summary}");
    }
}

#[test]
fn unseen_features_are_ignored_and_unknown_labels_only_matter_to_eval() {
    let dir = temp_dir("libsvm_unseen");
    let heart = data("heart_scale");
    let (_, model) = fit_saved(&dir, "m.axon", &heart, &[]);
    // The first five rows, then the same rows with features 14 and 99 added (the model has 13)
    // and the label replaced by 0, which is not a class of the model.
    let text = read_text(&heart);
    let rows: Vec<&str> = text.lines().take(5).collect();
    let plain = dir.join("plain.svm");
    std::fs::write(&plain, rows.join("\n") + "\n").unwrap();
    let extended: Vec<String> = rows
        .iter()
        .map(|r| {
            let features = r.split_once(' ').unwrap().1;
            format!("0 {features} 14:3.5 99:-2")
        })
        .collect();
    let wide = dir.join("wide.svm");
    std::fs::write(&wide, extended.join("\n") + "\n").unwrap();
    let (plain, wide) = (plain.display().to_string(), wide.display().to_string());
    assert_eq!(proba(&model, &plain), proba(&model, &wide));
    let msg = error(&["eval", "--model", &model, "--data", &wide]);
    assert!(msg.contains("wide.svm") && msg.contains("row 1: label 0"), "{msg}");
    // A table file is not the layout the model was fitted on.
    let msg = error(&["predict", "--model", &model, "--data", &data("lbw.csv")]);
    assert!(msg.contains("LibSVM"), "{msg}");
    // Nor is a LibSVM file that of a model fitted on a table.
    let table_model = dir.join("table.axon").display().to_string();
    let lbw = data("lbw.csv");
    let out = axon(&[
        "fit",
        "--data",
        &lbw,
        "--target",
        "low",
        "--features",
        "age,lwt",
        "--out",
        &table_model,
    ]);
    assert!(out.status.success());
    let msg = error(&["predict", "--model", &table_model, "--data", &heart]);
    assert!(msg.contains("LibSVM file holds sparse rows"), "{msg}");
}
