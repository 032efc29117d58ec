//! `axon fit --text` end to end against scikit-learn (fixtures from
//! `scripts/reference/spam_fixtures.py`): the spam sample's seeded stratified 80/20 split is
//! written as two CSV files; the tf-idf L2 logit (`--ngram 2 --min-df 2 --sublinear-tf --alpha
//! 0.1`, scikit-learn's C = 10, `--tol 1e-10`) saved with `--out` gives every test e-mail's P(spam) to 1e-5
//! through `axon predict`, and `axon eval` the same accuracy; `--model nb` predicts every test
//! e-mail as `MultinomialNB`; `--model softmax` fits the five groups and its saved model scores
//! as the fit did, as do L1 and one-vs-rest (L2 and L1) fits. Flags that do not apply to text are refused with messages that name them.

mod common;

use std::path::{Path, PathBuf};

use axon::data::{read_table, CsvWriter, Frame, ReadOptions};
use common::{axon, error, ok_json, ok_stdout, predictions, temp_dir};
use serde_json::Value;

fn fixture() -> Value {
    let path = format!("{}/../axon/tests/fixtures/spam_models.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Rows `rows` of the frame's label, id and text columns, as a CSV file.
fn write_rows(frame: &Frame, rows: &Value, path: &Path) {
    let mut out = CsvWriter::new(std::fs::File::create(path).unwrap());
    out.write_row(["label", "id", "text"]).unwrap();
    let columns = ["label", "id", "text"].map(|c| frame.column(c).unwrap());
    for r in rows.as_array().unwrap() {
        let r = r.as_u64().unwrap() as usize;
        out.write_row(columns.iter().map(|c| c.label(r).into_owned())).unwrap();
    }
    out.flush().unwrap();
}

/// The train and test files of the fixture's split.
fn split(dir: &Path, f: &Value) -> (PathBuf, PathBuf) {
    let frame = read_table(common::data("spam_sample.csv.gz"), &ReadOptions::default()).unwrap();
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    write_rows(&frame, &f["train"], &train);
    write_rows(&frame, &f["test"], &test);
    (train, test)
}

#[test]
fn tfidf_logit_predicts_the_test_rows_as_sklearn() {
    let f = fixture();
    let dir = temp_dir("fit-text-logit");
    let (train, test) = split(&dir, &f);
    let model = dir.join("m.axon");
    let (train, test, model) =
        (train.to_str().unwrap(), test.to_str().unwrap(), model.to_str().unwrap());
    let report = ok_json(&[
        "fit",
        "--data",
        train,
        "--target",
        "label",
        "--text",
        "text",
        "--ngram",
        "2",
        "--min-df",
        "2",
        "--sublinear-tf",
        "--alpha",
        "0.1",
        // scikit-learn's reference is fitted to tol 1e-12; the text default (1e-4) is looser.
        "--tol",
        "1e-10",
        "--out",
        model,
        "--json",
    ]);
    assert_eq!(report["model"], "sparse-logit");
    assert_eq!(report["n_features"], f["logit"]["vocabulary_size"]);
    assert_eq!(report["converged"], true);
    let (header, rows) =
        predictions(&ok_stdout(&["predict", "--model", model, "--data", test, "--proba"]));
    assert_eq!(header, ["prediction", "p_ham", "p_spam"]);
    let want = f["logit"]["test_proba_positive"].as_array().unwrap();
    assert_eq!(rows.len(), want.len());
    for (i, ((label, p), w)) in rows.iter().zip(want).enumerate() {
        let w = w.as_f64().unwrap();
        assert!((p[1] - w).abs() < 1e-5, "row {i}: P(spam) {} vs sklearn {w}", p[1]);
        assert_eq!(label, if p[1] >= 0.5 { "spam" } else { "ham" });
    }
    let eval = ok_stdout(&["eval", "--model", model, "--data", test]);
    let accuracy = format!("{:.4}", f["logit"]["test_accuracy"].as_f64().unwrap());
    assert!(
        eval.lines().any(|l| l.trim_start().starts_with("accuracy") && l.contains(&accuracy)),
        "{eval}"
    );
    let summary = ok_stdout(&["summary", model]);
    assert!(summary.contains("sparse-logit") && summary.contains("text (text)"), "{summary}");
}

#[test]
fn naive_bayes_predicts_the_test_rows_as_sklearn() {
    let f = fixture();
    let dir = temp_dir("fit-text-nb");
    let (train, test) = split(&dir, &f);
    let model = dir.join("nb.axon");
    let (train, test, model) =
        (train.to_str().unwrap(), test.to_str().unwrap(), model.to_str().unwrap());
    let report = ok_json(&[
        "fit", "--data", train, "--target", "label", "--text", "text", "--model", "nb", "--ngram",
        "2", "--min-df", "2", "--out", model, "--json",
    ]);
    assert_eq!(report["model"], "multinomial-nb");
    assert_eq!(report["n_features"], f["nb"]["vocabulary_size"]);
    let (_, rows) = predictions(&ok_stdout(&["predict", "--model", model, "--data", test]));
    let got: Vec<&str> = rows.iter().map(|(l, _)| l.as_str()).collect();
    let want: Vec<&str> = f["nb"]["test_predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn the_text_report_names_the_strongest_features_of_each_class() {
    let data = common::data("spam_sample.csv.gz");
    let out = ok_stdout(&["fit", "--data", &data, "--target", "label", "--text", "text"]);
    assert!(out.contains("Towards spam") && out.contains("Towards ham"), "{out}");
    assert!(out.contains("L2 (alpha = 1, C = 1)"), "{out}");
    let hashed = ok_json(&[
        "fit",
        "--data",
        &data,
        "--target",
        "label",
        "--text",
        "text",
        "--hash-bits",
        "12",
        "--json",
    ]);
    assert_eq!(hashed["n_features"], 4096);
    let named = hashed["coefficients"].as_array().unwrap();
    assert!(named.iter().all(|c| c[0].as_str().unwrap().starts_with("text:#")));
}

#[test]
fn flags_that_do_not_apply_to_text_are_refused() {
    let data = common::data("spam_sample.csv.gz");
    let base = ["fit", "--data", data.as_str(), "--target", "label"];
    let cases: [(&[&str], &str); 10] = [
        (&["--model", "nb"], "--text COL"),
        (&["--ngram", "2"], "--ngram describes text features"),
        (&["--text", "text", "--standardize"], "--standardize does not apply to --text"),
        (&["--text", "text", "--model", "probit"], "not --model probit"),
        (
            &["--text", "text", "--hash-bits", "10", "--max-features", "5"],
            "--max-features bounds a learned vocabulary",
        ),
        (&["--text", "text", "--model", "nb", "--alpha", "2"], "--alpha applies to the logit"),
        (&["--text", "text", "--min-df", "1.5"], "--min-df 1.5"),
        (&["--text", "text", "--target", "group"], "the sparse logit is binary"),
        (
            &["--text", "text", "--model", "softmax", "--penalty", "l1", "--alpha", "1"],
            "use --model ovr",
        ),
        (&["--text", "text", "--penalty", "l1"], "needs --alpha > 0"),
    ];
    for (extra, want) in cases {
        let mut args: Vec<&str> = base.to_vec();
        if extra.contains(&"--target") {
            args.truncate(3);
        }
        args.extend_from_slice(extra);
        let err = error(&args);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert!(axon(&["fit", "--help"]).status.success());
}

#[test]
fn softmax_on_text_fits_five_groups_and_its_saved_model_scores_the_same() {
    let dir = temp_dir("text-softmax");
    let model = dir.join("groups.axon").display().to_string();
    let file = common::data("spam_sample.csv.gz");
    let args = [
        "fit",
        "--data",
        &file,
        "--target",
        "group",
        "--text",
        "text",
        "--model",
        "softmax",
        "--min-df",
        "2",
        "--sublinear-tf",
        "--alpha",
        "0.1",
        "--json",
        "--out",
        &model,
    ];
    let fit = ok_json(&args);
    assert_eq!(fit["model"], "sparse-softmax");
    assert_eq!(fit["converged"], true);
    let classes = fit["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 5, "{classes:?}");
    assert_eq!(fit["coefficients_by_class"].as_array().unwrap().len(), 5);
    assert_eq!(fit["intercepts"].as_array().unwrap().len(), 5);
    // The saved model gives the fit's own training log loss through `axon eval`.
    let eval = ok_json(&["eval", "--model", &model, "--data", &file, "--json"]);
    let (a, b) = (fit["log_loss"].as_f64().unwrap(), eval["log_loss"].as_f64().unwrap());
    assert!((a - b).abs() < 1e-9, "fit {a}, eval {b}");
    assert!(eval["accuracy"].as_f64().unwrap() > 0.95);
    // Five groups are not a binary logit.
    let err = error(&["fit", "--data", &file, "--target", "group", "--text", "text"]);
    assert!(err.contains("5 classes") && err.contains("--model softmax"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn l1_and_one_vs_rest_text_models_score_as_the_fit_did() {
    let dir = temp_dir("text-l1-ovr");
    let file = common::data("spam_sample.csv.gz");
    let cases: [(&str, &[&str], &str); 3] = [
        ("label", &["--penalty", "l1", "--alpha", "0.05"], "sparse-logit"),
        ("group", &["--model", "ovr", "--alpha", "0.1"], "sparse-ovr"),
        ("group", &["--model", "ovr", "--penalty", "l1", "--alpha", "0.05"], "sparse-ovr"),
    ];
    for (i, (target, extra, kind)) in cases.into_iter().enumerate() {
        let model = dir.join(format!("m{i}.axon")).display().to_string();
        let mut args =
            vec!["fit", "--data", &file, "--target", target, "--text", "text", "--min-df", "2"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--json", "--out", &model]);
        let fit = ok_json(&args);
        assert_eq!(fit["model"], kind, "{args:?}");
        assert_eq!(fit["converged"], true, "{args:?}");
        let eval = ok_json(&["eval", "--model", &model, "--data", &file, "--json"]);
        let (a, b) = (fit["log_loss"].as_f64().unwrap(), eval["log_loss"].as_f64().unwrap());
        assert!((a - b).abs() < 1e-9, "{args:?}: fit {a}, eval {b}");
        if extra.contains(&"l1") {
            // The lasso keeps a few hundred of the thousands of terms.
            let kept = match fit["coefficients"].as_array() {
                Some(list) if !list.is_empty() => list.len(),
                _ => fit["coefficients_by_class"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c[1].as_array().unwrap().len())
                    .sum(),
            };
            let p = fit["n_features"].as_u64().unwrap() as usize;
            assert!(kept > 0 && kept * 10 < p, "{args:?}: {kept} of {p} kept");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
