//! Command-line paths no other test took (found by an audit of the suite): `predict` on a
//! category level the model never saw, `fit --categorical`, `train --optimizer sgd|adamw` with
//! `--momentum` and `--weight-decay`, and `eval` on softmax and one-vs-rest model files. Each
//! test checks that the flag reaches the computation (a flag that was parsed and then dropped
//! fails it), not only that the command exits 0. `cv --folds` is checked in `cv_folds.rs`.

mod common;

use axon::data::{read_csv, ReadOptions};
use common::{data, error, ok_json, ok_stdout, predictions, temp_dir, train_json};

const LBW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");

#[test]
fn predict_names_an_unseen_category_level() {
    let dir = temp_dir("paths-unseen");
    let model = dir.join("m.axon");
    let model = model.to_str().unwrap();
    let args = ["fit", "--data", LBW, "--target", "low", "--features", "age,race,smoke"];
    ok_json(&[&args[..], &["--out", model, "--json"]].concat());
    let rows = dir.join("new.csv");
    std::fs::write(&rows, "age,race,smoke\n25,white,0\n31,martian,1\n").unwrap();
    let err = error(&["predict", "--model", model, "--data", rows.to_str().unwrap()]);
    assert!(err.contains("`martian`") && err.contains("column `race`"), "{err}");
    assert!(err.contains("row 2") && err.contains("black, other, white"), "{err}");
    // The known levels alone predict.
    std::fs::write(&rows, "age,race,smoke\n25,white,0\n31,other,1\n").unwrap();
    let (_, p) =
        predictions(&ok_stdout(&["predict", "--model", model, "--data", rows.to_str().unwrap()]));
    assert_eq!(p.len(), 2);
}

#[test]
fn categorical_makes_a_numeric_column_a_factor() {
    // (With an L2 penalty: the one ptl = 3 row separates its level.)
    let base = [
        "fit",
        "--data",
        LBW,
        "--target",
        "low",
        "--features",
        "age,ptl",
        "--alpha",
        "1",
        "--json",
    ];
    let names = |report: &serde_json::Value| -> Vec<String> {
        (report["coefficients"].as_array().unwrap().iter())
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&ok_json(&base)), ["Intercept", "age", "ptl"]);
    // ptl takes the values 0, 1, 2, 3: three dummies against the reference level 0.
    let factor = ok_json(&[&base[..], &["--categorical", "ptl"]].concat());
    assert_eq!(names(&factor), ["Intercept", "age", "C(ptl)[T.1]", "C(ptl)[T.2]", "C(ptl)[T.3]"]);
}

/// `axon train` on digits for one short run with `extra` flags: its JSON summary.
fn short_run(extra: &[&str]) -> serde_json::Value {
    let digits = data("digits.csv.gz");
    let base = ["--data", &digits, "--model", "mlp:16", "--epochs", "2", "--seed", "5"];
    train_json(&[&base[..], extra].concat())
}

#[test]
fn optimizer_momentum_and_weight_decay_reach_the_training() {
    let key = |v: &serde_json::Value| v["final_train_loss"].as_f64().unwrap();
    let sgd = ["--optimizer", "sgd", "--lr", "0.05"];
    let plain = short_run(&sgd);
    assert!(key(&plain).is_finite());
    assert_eq!(key(&plain), key(&short_run(&sgd)), "one thread and a seed repeat the run");
    // Momentum and weight decay each change SGD's run.
    let momentum = short_run(&[&sgd[..], &["--momentum", "0.9"]].concat());
    assert_ne!(key(&plain), key(&momentum), "--momentum ignored");
    let decay = short_run(&[&sgd[..], &["--weight-decay", "0.1"]].concat());
    assert_ne!(key(&plain), key(&decay), "--weight-decay ignored by sgd");
    // SGD is not Adam.
    let adam = short_run(&["--optimizer", "adam", "--lr", "0.05"]);
    assert_ne!(key(&plain), key(&adam), "--optimizer sgd ignored");
    // AdamW without weight decay is Adam, step for step; with it, it differs from Adam with
    // the same (L2, not decoupled) weight decay and from AdamW without.
    let lr = ["--lr", "0.01"];
    let adam = short_run(&[&lr[..], &["--optimizer", "adam"]].concat());
    let adamw = short_run(&[&lr[..], &["--optimizer", "adamw", "--weight-decay", "0"]].concat());
    assert_eq!(key(&adam), key(&adamw), "adamw with no decay is adam");
    let wd = ["--weight-decay", "0.5"];
    let adamw_wd = short_run(&[&lr[..], &["--optimizer", "adamw"], &wd].concat());
    let adam_wd = short_run(&[&lr[..], &["--optimizer", "adam"], &wd].concat());
    assert_ne!(key(&adamw_wd), key(&adamw), "--weight-decay ignored by adamw");
    assert_ne!(key(&adamw_wd), key(&adam_wd), "--optimizer adamw is adam");
}

/// `eval` on a multi-class linear model file: its accuracy and log loss are those of
/// `predict --proba` on the same rows.
fn eval_agrees_with_predict(model_kind: &str) {
    let dir = temp_dir(&format!("paths-eval-{model_kind}"));
    let model = dir.join("m.axon");
    let model = model.to_str().unwrap();
    ok_json(&[
        "fit",
        "--data",
        LBW,
        "--target",
        "race",
        "--features",
        "age,lwt,smoke,low",
        "--model",
        model_kind,
        "--out",
        model,
        "--json",
    ]);
    let csv = ok_stdout(&["predict", "--model", model, "--data", LBW, "--proba"]);
    let (header, rows) = predictions(&csv);
    assert_eq!(header, ["prediction", "p_black", "p_other", "p_white"]);
    let frame = read_csv(LBW, &ReadOptions::default()).unwrap();
    let race = frame.column("race").unwrap();
    let truth: Vec<String> = (0..frame.n_rows).map(|i| race.label(i).into_owned()).collect();
    assert_eq!(truth.len(), rows.len());
    let classes = ["black", "other", "white"];
    let n = rows.len() as f64;
    let correct = rows.iter().zip(&truth).filter(|((l, _), t)| l == *t).count() as f64;
    let log_loss = -(rows.iter().zip(&truth))
        .map(|((_, p), t)| p[classes.iter().position(|c| c == t).unwrap()].ln())
        .sum::<f64>()
        / n;
    let report = ok_json(&["eval", "--model", model, "--data", LBW, "--json"]);
    assert_eq!(report["kind"], model_kind);
    assert_eq!(report["n_samples"], 189);
    assert!((report["accuracy"].as_f64().unwrap() - correct / n).abs() < 1e-12, "{report}");
    assert!((report["log_loss"].as_f64().unwrap() - log_loss).abs() < 1e-9, "{report}");
    let confusion: Vec<Vec<u64>> = (report["confusion"].as_array().unwrap().iter())
        .map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect())
        .collect();
    assert_eq!(confusion.len(), 3);
    for (t, row) in confusion.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            let want = (rows.iter().zip(&truth))
                .filter(|((l, _), tr)| **tr == classes[t] && l == classes[p])
                .count() as u64;
            assert_eq!(count, want, "confusion[{t}][{p}]");
        }
    }
    let text = ok_stdout(&["eval", "--model", model, "--data", LBW]);
    assert!(text.contains("accuracy") || text.contains("Accuracy"), "{text}");
}

#[test]
fn eval_on_a_softmax_model_file() {
    eval_agrees_with_predict("softmax");
}

#[test]
fn eval_on_a_one_vs_rest_model_file() {
    eval_agrees_with_predict("ovr");
}
