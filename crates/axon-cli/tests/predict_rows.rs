//! `axon predict` names its output rows: by default the first column is `row`, the input row's
//! number (1 for the first row of data), so that a prediction can be matched to its row even when
//! the data has no id column; `--id COL` takes the id from a column instead (an unseen category
//! level is checked in `paths.rs`).

mod common;

use common::{data, error, ok_stdout, temp_dir, train_json};

/// The rows of a CSV text, split into fields.
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

#[test]
fn rows_are_numbered_or_named_by_the_id_column() {
    let dir = temp_dir("predict-rows");
    let model = dir.join("chd.axon");
    let (chd, m) = (data("chd_age.csv"), model.to_str().unwrap());
    ok_stdout(&["fit", "--data", &chd, "--target", "chd", "--out", m]);
    let out = rows(&ok_stdout(&["predict", "--model", m, "--data", &chd]));
    assert_eq!(out[0], ["row", "prediction"]);
    assert_eq!(out.len(), 34);
    for (i, r) in out[1..].iter().enumerate() {
        assert_eq!(r[0], (i + 1).to_string());
    }
    // --id: the column's values, in file order, under its name; the predictions are unchanged.
    let ages: Vec<String> = std::fs::read_to_string(&chd)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().trim().to_owned())
        .collect();
    let named = rows(&ok_stdout(&["predict", "--model", m, "--data", &chd, "--id", "age"]));
    assert_eq!(named[0], ["age", "prediction"]);
    for ((n, r), age) in named[1..].iter().zip(&out[1..]).zip(&ages) {
        assert_eq!((&n[0], &n[1]), (age, &r[1]));
    }
    // The oldest subjects are predicted to have CHD, the youngest not.
    assert_eq!((out[1][1].as_str(), out[33][1].as_str()), ("0", "1"));
    let err = error(&["predict", "--model", m, "--data", &chd, "--id", "name"]);
    assert!(err.contains("--id name") && err.contains("no column `name`"), "{err}");
}

#[test]
fn id_needs_named_columns() {
    let dir = temp_dir("predict-id-plain");
    let model = dir.join("digits.axon");
    let (digits, m) = (data("digits.csv.gz"), model.to_str().unwrap());
    train_json(&["--data", &digits, "--model", "logreg", "--epochs", "1", "--out", m]);
    let out = rows(&ok_stdout(&["predict", "--model", m, "--data", &digits]));
    assert_eq!((out[0][0].as_str(), out.len()), ("row", 1798));
    assert_eq!(out[1797][0], "1797");
    let err = error(&["predict", "--model", m, "--data", &digits, "--id", "x0"]);
    assert!(err.contains("--id x0") && err.contains("no header"), "{err}");
}
